use rand::Rng;

use super::voter_code::ALPHABET;
use crate::errors::ParseError;

/// Where a meeting is: `planned → voting → closed`. A reset goes from `planned` or `voting`
/// back to `planned` (deleting the meeting's ballots); nothing leaves `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MeetingPhase {
    /// Set up: slips can be printed, officers assigned; nobody votes yet.
    Planned,
    /// The hall votes: slips and letters work on the meeting's page, officers enter paper.
    Voting,
    /// Over: the meeting's result is counted and can be revealed.
    Closed,
}

impl MeetingPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingPhase::Planned => "planned",
            MeetingPhase::Voting => "voting",
            MeetingPhase::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "planned" => Ok(MeetingPhase::Planned),
            "voting" => Ok(MeetingPhase::Voting),
            "closed" => Ok(MeetingPhase::Closed),
            other => Err(ParseError(format!("unknown meeting phase {other:?}"))),
        }
    }
}

/// A meeting's join code: 6 characters from the voter-code alphabet (`K7QF2M`), shown on
/// the projector with the join link. It is not a secret and gives no vote: it only finds
/// the meeting's page, where a slip or a letter's code is still needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinCode(String);

impl JoinCode {
    pub const LENGTH: usize = 6;

    pub fn generate() -> Self {
        let mut rng = rand::rng();
        JoinCode((0..Self::LENGTH).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect())
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if compact.len() != Self::LENGTH || !compact.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(ParseError("a meeting's join code has 6 letters and numbers, like K7QF2M".into()));
        }
        Ok(JoinCode(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The number written on a paper ballot (or the slip it came with): 1 to 40 letters, digits
/// and dashes (nothing else, spaces neither: the page trims what is typed), kept in capitals
/// so `a-12` and `A-12` are one paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperSerial(String);

impl PaperSerial {
    pub const MAX: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let serial = raw.to_ascii_uppercase();
        if serial.is_empty() || serial.len() > Self::MAX || !serial.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ParseError(format!(
                "must be the number on the paper: 1 to {} letters, digits and dashes, like 0042 or K7QF-M2XD-9PRT",
                Self::MAX
            )));
        }
        Ok(PaperSerial(serial))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_round_trip() {
        let code = JoinCode::generate();
        assert_eq!(JoinCode::parse(&code.as_str().to_lowercase()).unwrap(), code);
        assert!(JoinCode::parse("K7QF").is_err());
        assert!(JoinCode::parse("K7QF0M").is_err(), "0 is not in the alphabet");
    }

    #[test]
    fn serials_are_upper_case_and_bounded() {
        assert_eq!(PaperSerial::parse("a-12").unwrap().as_str(), "A-12");
        assert!(PaperSerial::parse(" a-12 ").is_err());
        assert!(PaperSerial::parse("").is_err());
        assert!(PaperSerial::parse("12 34").is_err());
        assert!(PaperSerial::parse(&"1".repeat(41)).is_err());
    }
}
