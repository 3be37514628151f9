use crate::errors::ParseError;

/// The id of a service or proposal inside a consultation (`day-centre`, `S1`,
/// `BO.D16.6/24`): 1 to 40 characters from letters, digits and `. _ / -`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShortId(String);

impl ShortId {
    pub const MAX: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.is_empty() || raw.len() > Self::MAX {
            return Err(ParseError(format!("must be 1 to {} characters", Self::MAX)));
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-')) {
            return Err(ParseError("may contain only letters, digits and . _ / -".into()));
        }
        Ok(ShortId(raw.to_owned()))
    }

    /// A readable id made from a name: `Day centre` becomes `day-centre`.
    pub fn slug_of(name: &str) -> Self {
        let mut slug = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
            if slug.len() >= Self::MAX - 4 {
                break;
            }
        }
        let slug = slug.trim_end_matches('-').to_owned();
        ShortId(if slug.is_empty() { "service".into() } else { slug })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for ShortId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_allow_a_safe_alphabet() {
        assert!(ShortId::parse("day-centre").is_ok());
        assert!(ShortId::parse("BO.D16.6/24").is_ok());
        assert!(ShortId::parse("").is_err());
        assert!(ShortId::parse("has space").is_err());
        assert!(ShortId::parse(&"a".repeat(41)).is_err());
    }

    #[test]
    fn slugs_are_valid_ids() {
        assert_eq!(ShortId::slug_of("Day centre").as_str(), "day-centre");
        assert_eq!(ShortId::slug_of("  Parks & open spaces! ").as_str(), "parks-open-spaces");
        assert_eq!(ShortId::slug_of("£££").as_str(), "service");
        for name in ["Day centre", &"long name ".repeat(20), "ÄÖÜ"] {
            assert!(ShortId::parse(ShortId::slug_of(name).as_str()).is_ok());
        }
    }
}
