use rand::Rng;

use super::voter_code::ALPHABET;
use crate::errors::ParseError;

/// The receipt a resident keeps: `R-` and 16 characters in groups of four, from the
/// CSPRNG (80 bits). It proves a ballot arrived without saying what is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt(String);

impl Receipt {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut s = String::from("R");
        for i in 0..16 {
            if i % 4 == 0 {
                s.push('-');
            }
            s.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
        }
        Receipt(s)
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let compact: String = raw.trim().chars().filter(|c| !matches!(c, '-' | ' ')).collect::<String>().to_ascii_uppercase();
        let body = compact.strip_prefix('R').unwrap_or(&compact);
        if body.len() != 16 || !body.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(ParseError("is not a pbvote receipt (it looks like R-XXXX-XXXX-XXXX-XXXX)".into()));
        }
        let mut s = String::from("R");
        for (i, c) in body.chars().enumerate() {
            if i % 4 == 0 {
                s.push('-');
            }
            s.push(c);
        }
        Ok(Receipt(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_round_trip_and_differ() {
        let r = Receipt::generate();
        assert_eq!(r.as_str().len(), 21);
        assert_eq!(Receipt::parse(&r.as_str().to_lowercase()).unwrap(), r);
        assert_ne!(Receipt::generate(), Receipt::generate());
        assert!(Receipt::parse("R-1234").is_err());
    }
}
