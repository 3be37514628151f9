use crate::errors::ParseError;

/// A one-line title: 1 to 200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ParseError("must not be empty".into()));
        }
        if trimmed.chars().count() > Self::MAX {
            return Err(ParseError(format!("must be at most {} characters", Self::MAX)));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError("must be a single line without control characters".into()));
        }
        Ok(Title(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Free text of bounded length (descriptions, summaries, details). May be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ParseError> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > max_chars {
            return Err(ParseError(format!("must be at most {max_chars} characters")));
        }
        if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(ParseError("must not contain control characters".into()));
        }
        Ok(BoundedText(trimmed.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Day centre ").unwrap().as_str(), "Day centre");
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"x".repeat(201)).is_err());
        assert!(Title::parse("two\nlines").is_err());
        assert!(BoundedText::parse("a\nb", 10).is_ok());
        assert!(BoundedText::parse("abc", 2).is_err());
    }
}
