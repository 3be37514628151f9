//! The settings of one consultation.
//!
//! Each setting has a default so that a minimal file (or a server form left
//! blank) still describes a complete rule. Ranges are checked by
//! [`Config::validate`], not by parsing, so that a value out of range is
//! reported as such ("must be between 1 and 20") rather than as a type error.

use serde::Serialize;

use crate::error::TallyError;

/// Settings of the count. Field names are those of the exchange format.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Config {
    /// R: most entries in each of `want` and `dont_want`; also the points of a
    /// first choice. 1..=20, default 5.
    pub rank_depth: u32,
    /// φ: the share of the say (percent) guaranteed to a service's users on a
    /// proposal touching that service. 0..=90, default 50.
    pub minority_share_percent: u32,
    /// W: cap on a user's weight. >= 1, default 10.
    pub max_weight: u32,
    /// m: users needed before their weight is raised or a cut is protected. >= 1, default 5.
    pub min_group: u32,
    /// θ: percent of a service's users rejecting a cut that protects it. 1..=100, default 50.
    pub protect_threshold_percent: u32,
    /// T: money (minor units) the savings must reach; `None` = no target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savings_target: Option<u64>,
    /// D: money (minor units) the developments may spend; `None` = no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub development_budget: Option<u64>,
}

impl Config {
    pub const DEFAULT_RANK_DEPTH: u32 = 5;
    pub const DEFAULT_MINORITY_SHARE_PERCENT: u32 = 50;
    pub const DEFAULT_MAX_WEIGHT: u32 = 10;
    pub const DEFAULT_MIN_GROUP: u32 = 5;
    pub const DEFAULT_PROTECT_THRESHOLD_PERCENT: u32 = 50;
    /// Largest allowed `rank_depth`.
    pub const MAX_RANK_DEPTH: u32 = 20;
    /// Largest allowed `minority_share_percent`: at 100 the users' share would need
    /// an infinite weight.
    pub const MAX_MINORITY_SHARE_PERCENT: u32 = 90;

    /// Checks every setting against its allowed range; the error names the field,
    /// e.g. `config.rank_depth: must be between 1 and 20, got 0`.
    pub fn validate(&self) -> Result<(), TallyError> {
        let check = |name: &str, value: u32, low: u32, high: u32| {
            if value < low || value > high {
                let range = if high == u32::MAX { format!("must be at least {low}") } else { format!("must be between {low} and {high}") };
                Err(TallyError::invalid(format!("config.{name}"), format!("{range}, got {value}")))
            } else {
                Ok(())
            }
        };
        check("rank_depth", self.rank_depth, 1, Self::MAX_RANK_DEPTH)?;
        check("minority_share_percent", self.minority_share_percent, 0, Self::MAX_MINORITY_SHARE_PERCENT)?;
        check("max_weight", self.max_weight, 1, u32::MAX)?;
        check("min_group", self.min_group, 1, u32::MAX)?;
        check("protect_threshold_percent", self.protect_threshold_percent, 1, 100)?;
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rank_depth: Self::DEFAULT_RANK_DEPTH,
            minority_share_percent: Self::DEFAULT_MINORITY_SHARE_PERCENT,
            max_weight: Self::DEFAULT_MAX_WEIGHT,
            min_group: Self::DEFAULT_MIN_GROUP,
            protect_threshold_percent: Self::DEFAULT_PROTECT_THRESHOLD_PERCENT,
            savings_target: None,
            development_budget: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_ranges_are_enforced() {
        assert!(Config::default().validate().is_ok());
        let bad = Config { rank_depth: 21, ..Config::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "config.rank_depth: must be between 1 and 20, got 21");
        let bad = Config { max_weight: 0, ..Config::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "config.max_weight: must be at least 1, got 0");
        let bad = Config { minority_share_percent: 91, ..Config::default() };
        assert!(bad.validate().unwrap_err().to_string().starts_with("config.minority_share_percent:"));
        let bad = Config { protect_threshold_percent: 0, ..Config::default() };
        assert!(bad.validate().is_err());
        let bad = Config { min_group: 0, ..Config::default() };
        assert!(bad.validate().is_err());
        let edge = Config { minority_share_percent: 0, protect_threshold_percent: 100, ..Config::default() };
        assert!(edge.validate().is_ok());
    }
}
