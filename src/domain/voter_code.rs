use rand::Rng;

use crate::errors::ParseError;

/// The 32 characters a code may use: digits and capitals without the look-alikes
/// `0`/`O` and `1`/`I`. 32 symbols give exactly 5 bits each.
pub(crate) const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const LENGTH: usize = 12;

/// A voter code as printed on a letter: 12 characters (60 bits from the OS-seeded CSPRNG)
/// shown in three groups of four, `K7QF-M2XD-9PRT`, so it can be read aloud and typed on
/// a phone. On entry, case, spaces and dashes do not matter.
///
/// The code is the resident's permission to vote; the server never stores it, only a
/// keyed hash (see `security::keys`).
#[derive(Clone, PartialEq, Eq)]
pub struct VoterCode(String);

impl VoterCode {
    /// A fresh code from `rand`'s thread-local CSPRNG (ChaCha, seeded from the OS).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        VoterCode((0..LENGTH).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect())
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if compact.is_empty() {
            return Err(ParseError("please enter the voter code from your letter".into()));
        }
        if compact.chars().count() != LENGTH || !compact.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(ParseError(
                "a voter code has 12 letters and numbers, like K7QF-M2XD-9PRT; please check it against your letter".into(),
            ));
        }
        Ok(VoterCode(compact))
    }

    /// The canonical form the hashes are taken over (no separators, upper case).
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The printed form, `XXXX-XXXX-XXXX`.
    pub fn display(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
    }
}

impl std::fmt::Debug for VoterCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VoterCode(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back_in_any_spelling() {
        for _ in 0..100 {
            let code = VoterCode::generate();
            let shown = code.display();
            assert_eq!(shown.len(), 14);
            assert_eq!(VoterCode::parse(&shown).unwrap(), code);
            assert_eq!(VoterCode::parse(&shown.to_lowercase().replace('-', " ")).unwrap(), code);
            assert_eq!(VoterCode::parse(code.canonical()).unwrap(), code);
        }
    }

    #[test]
    fn look_alikes_and_wrong_lengths_are_refused() {
        assert!(VoterCode::parse("").is_err());
        assert!(VoterCode::parse("K7QF-M2XD-9PR").is_err());
        assert!(VoterCode::parse("K7QF-M2XD-9PRTX").is_err());
        assert!(VoterCode::parse("O7QF-M2XD-9PRT").is_err(), "O is a look-alike of 0");
        assert!(VoterCode::parse("17QF-M2XD-9PRT").is_err(), "1 is a look-alike of I");
    }

    #[test]
    fn the_alphabet_has_no_look_alikes_and_codes_carry_60_bits() {
        for c in [b'0', b'O', b'1', b'I'] {
            assert!(!ALPHABET.contains(&c));
        }
        let bits = (LENGTH as f64) * (ALPHABET.len() as f64).log2();
        assert!(bits >= 60.0, "{bits}");
    }

    #[test]
    fn codes_are_not_repeated() {
        let codes: std::collections::HashSet<String> = (0..10_000).map(|_| VoterCode::generate().0).collect();
        assert_eq!(codes.len(), 10_000);
    }
}
