//! A resident's e-mail address, as given when they ask for a voter code by e-mail.
use crate::errors::ParseError;

/// An e-mail address a resident gave: `local@domain`, with the domain lower-cased and any
/// spaces around the whole trimmed. Only plain addresses are taken (the dot-atom form of
/// RFC 5322, ASCII only): letters, digits and ``!#$%&'*+-/=?^_`{|}~`` in the part before the
/// `@`, dots between them; a domain of at least two labels of letters, digits and hyphens
/// (an internationalised domain in its `xn--` form). That is every address a mail server
/// will deliver to without quoting, and nothing a mail header could be bent with.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress {
    local: String,
    domain: String,
}

const HINT: &str = "must be an e-mail address such as name@example.org";

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let bad = |why: &str| ParseError(format!("{HINT}: {why}"));
        let text = raw.trim();
        if text.is_empty() {
            return Err(ParseError(format!("is empty; it {HINT}")));
        }
        if text.len() > 254 {
            return Err(bad("it is longer than 254 characters"));
        }
        if !text.is_ascii() {
            return Err(bad("use the plain form, without accented letters (write the domain as xn--…)"));
        }
        let Some((local, domain)) = text.rsplit_once('@') else { return Err(bad("there is no @")) };
        const SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
        let atext = |b: u8| b.is_ascii_alphanumeric() || SPECIALS.contains(&b);
        if local.is_empty() || local.len() > 64 {
            return Err(bad("the part before the @ must be 1 to 64 characters"));
        }
        if local.split('.').any(|part| part.is_empty() || !part.bytes().all(atext)) {
            return Err(bad("the part before the @ has a character that is not allowed there (a space, a second @, two dots…)"));
        }
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) || labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad("the part after the @ is not a domain such as example.org"));
        }
        Ok(EmailAddress { local: local.to_owned(), domain })
    }

    /// The part before the `@`, as given (mail servers may tell its case apart).
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The domain, lower-cased.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The address as the mail is sent to it: `local@domain`.
    pub fn as_string(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// What "one code per address" compares: the whole address lower-cased. Nearly every
    /// mail server treats the part before the `@` without regard to case, so `Ann@x.org`
    /// and `ann@x.org` are one resident's address.
    pub fn normalised(&self) -> String {
        format!("{}@{}", self.local.to_ascii_lowercase(), self.domain)
    }
}

/// Never print a resident's address by accident (logs, panics).
impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailAddress(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_addresses_parse_and_the_domain_is_lower_cased() {
        let a = EmailAddress::parse("  Ann.Jones+vote@Example.ORG. ").unwrap();
        assert_eq!(a.local(), "Ann.Jones+vote");
        assert_eq!(a.domain(), "example.org");
        assert_eq!(a.as_string(), "Ann.Jones+vote@example.org");
        assert_eq!(a.normalised(), "ann.jones+vote@example.org");
        assert_eq!(EmailAddress::parse("ann.jones+vote@example.org").unwrap().normalised(), a.normalised());
        assert!(EmailAddress::parse("o'brien@xn--bcher-kva.example").is_ok());
        assert_eq!(format!("{a:?}"), "EmailAddress(…)");
    }

    #[test]
    fn anything_else_is_refused_in_plain_english() {
        for bad in [
            "",
            "   ",
            "ann",
            "ann@",
            "@example.org",
            "ann@example",
            "ann@@example.org",
            "ann@exa mple.org",
            "an n@example.org",
            "ann..jones@example.org",
            ".ann@example.org",
            "ann.@example.org",
            "\"ann jones\"@example.org",
            "ann@-example.org",
            "ann@example-.org",
            "ann@example..org",
            "ann@1.2.3.4",
            "ann@[127.0.0.1]",
            "ann@exämple.org",
            "ann\r\nBcc: x@example.org",
            "ann@example.org\r\nBcc: x@example.org",
            "a@b@example.org",
        ] {
            let err = EmailAddress::parse(bad).expect_err(bad);
            assert!(err.0.contains("e-mail address"), "{bad}: {err}");
        }
        assert!(EmailAddress::parse(&format!("{}@example.org", "a".repeat(65))).is_err());
        assert!(EmailAddress::parse(&format!("a@{}.org", "b".repeat(64))).is_err());
    }
}
