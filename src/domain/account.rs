use crate::errors::ParseError;

/// An e-mail address used as a sign-in name: trimmed, lower-cased, one `@` with text on
/// both sides, at most 254 characters. (We do not try to be an RFC 5322 parser.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@') && domain.contains('.'))
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid { Ok(Email(email)) } else { Err(ParseError("must be an e-mail address such as name@council.gov.uk".into())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a signed-in person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages staff accounts and reads the audit record.
    Admin,
    /// Builds consultations, issues voter codes, opens and closes voting.
    Organiser,
    /// Reviews results and publishes them.
    Commissioner,
    /// Enters paper ballots at the meetings an organiser assigned them to.
    Officer,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[Role::Admin, Role::Organiser, Role::Commissioner, Role::Officer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Organiser => "organiser",
            Role::Commissioner => "commissioner",
            Role::Officer => "officer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "admin" => Ok(Role::Admin),
            "organiser" => Ok(Role::Organiser),
            "commissioner" => Ok(Role::Commissioner),
            "officer" => Ok(Role::Officer),
            other => Err(ParseError(format!("unknown role {other:?}; use admin, organiser, commissioner or officer"))),
        }
    }
}

/// A new password: 10 to 1024 characters. (Long passphrases beat complexity rules.)
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let n = raw.chars().count();
        if n < 10 {
            return Err(ParseError("must be at least 10 characters".into()));
        }
        if n > 1024 {
            return Err(ParseError("must be at most 1024 characters".into()));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(Email::parse(" Ann@Council.gov.uk ").unwrap().as_str(), "ann@council.gov.uk");
        for bad in ["", "ann", "ann@", "@x.uk", "a@b@c.uk", "a b@c.uk", "ann@localhost"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough pass").is_ok());
        assert_eq!(format!("{:?}", Password::parse("long enough pass").unwrap()), "Password(…)");
    }
}
