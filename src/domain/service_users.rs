use crate::errors::ParseError;

/// Whose "I use this service" counts towards a service's protected say (docs/tally.md,
/// "Verified service users"). The counting rule itself knows only each ballot's `uses`;
/// this decides what goes into it, and the published file of ballots holds exactly that.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceUsers {
    /// A resident's own word: the services they tick on the ballot. No service-user codes.
    #[default]
    Declared,
    /// Both count: the services ticked, and the service of a service-user code given with
    /// the ballot (which also shows how many users were verified).
    DeclaredOrVerified,
    /// Only service-user codes count: a ticked service without a code is recorded and shown
    /// in the results, but gives no protected say.
    Verified,
}

impl ServiceUsers {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceUsers::Declared => "declared",
            ServiceUsers::DeclaredOrVerified => "declared_or_verified",
            ServiceUsers::Verified => "verified",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "declared" => Ok(ServiceUsers::Declared),
            "declared_or_verified" => Ok(ServiceUsers::DeclaredOrVerified),
            "verified" => Ok(ServiceUsers::Verified),
            other => Err(ParseError(format!("must be declared, declared_or_verified or verified, got {other:?}"))),
        }
    }

    /// Whether service-user codes can be made and given with a ballot.
    pub fn verifies(self) -> bool {
        self != ServiceUsers::Declared
    }

    /// Whether a ballot counts as using a service it `declared` (ticked) and/or had `verified`
    /// (by a service-user code).
    pub fn counts(self, declared: bool, verified: bool) -> bool {
        match self {
            ServiceUsers::Declared => declared,
            ServiceUsers::DeclaredOrVerified => declared || verified,
            ServiceUsers::Verified => verified,
        }
    }

    /// The services a ballot counts as using: `declared` are those ticked, `verified` those
    /// of the service-user codes given with it. A set, sorted.
    pub fn counted_uses(self, declared: &[String], verified: &[String]) -> Vec<String> {
        let mut uses: Vec<String> =
            declared.iter().chain(verified).filter(|s| self.counts(declared.contains(s), verified.contains(s))).cloned().collect();
        uses.sort_unstable();
        uses.dedup();
        uses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_setting_counts_its_own_uses() {
        let (declared, verified) = (list(&["library", "day-centre"]), list(&["day-centre", "pool"]));
        assert_eq!(ServiceUsers::Declared.counted_uses(&declared, &verified), list(&["day-centre", "library"]));
        assert_eq!(ServiceUsers::DeclaredOrVerified.counted_uses(&declared, &verified), list(&["day-centre", "library", "pool"]));
        assert_eq!(ServiceUsers::Verified.counted_uses(&declared, &verified), list(&["day-centre", "pool"]));
    }

    #[test]
    fn parses_only_its_three_names() {
        for s in [ServiceUsers::Declared, ServiceUsers::DeclaredOrVerified, ServiceUsers::Verified] {
            assert_eq!(ServiceUsers::parse(s.as_str()).unwrap(), s);
        }
        assert!(ServiceUsers::parse("Verified").is_err());
        assert!(!ServiceUsers::Declared.verifies());
        assert!(ServiceUsers::Verified.verifies());
    }
}
