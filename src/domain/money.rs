use crate::errors::ParseError;

/// An amount of money in minor units (pence, cents): a whole number from 0 to 10^15
/// (ten trillion pounds), so sums over a few thousand proposals never overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(u64);

impl Amount {
    pub const MAX: u64 = 1_000_000_000_000_000;

    pub fn parse(raw: i64) -> Result<Self, ParseError> {
        if raw < 0 {
            return Err(ParseError("must not be negative (amounts are whole pence or cents)".into()));
        }
        let value = raw as u64;
        if value > Self::MAX {
            return Err(ParseError(format!("must be at most {}", Self::MAX)));
        }
        Ok(Amount(value))
    }

    pub fn minor_units(self) -> u64 {
        self.0
    }
}

/// An ISO 4217 currency code such as `GBP`: three capital letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let upper = raw.trim().to_ascii_uppercase();
        if upper.len() == 3 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(upper))
        } else {
            Err(ParseError("must be a three-letter currency code such as GBP or EUR".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Currency {
    /// Write an amount in minor units the way residents read it: `£1,234.56`, `€80`,
    /// `PLN 1,656,699`. The tally's function, so that `pbvote tally` writes the same.
    pub fn format(code: &str, minor_units: u64) -> String {
        pbvote_tally::money::format(code, minor_units)
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency("GBP".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_non_negative_and_bounded() {
        assert_eq!(Amount::parse(0).unwrap().minor_units(), 0);
        assert_eq!(Amount::parse(80_000).unwrap().minor_units(), 80_000);
        assert!(Amount::parse(-1).is_err());
        assert!(Amount::parse(i64::MAX).is_err());
    }

    #[test]
    fn money_is_written_with_its_currency() {
        assert_eq!(Currency::format("GBP", 8_000_000), "£80,000");
        assert_eq!(Currency::format("GBP", 5), "£0.05");
        assert_eq!(Currency::format("EUR", 123_456_789), "€1,234,567.89");
        assert_eq!(Currency::format("PLN", 165_669_900), "PLN 1,656,699");
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(Currency::parse("gbp").unwrap().as_str(), "GBP");
        assert!(Currency::parse("POUNDS").is_err());
        assert!(Currency::parse("G1P").is_err());
    }
}
