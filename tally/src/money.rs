//! Writing amounts of money for people to read.
//!
//! Amounts are whole numbers of minor units (pence, cents, grosze). Without a
//! currency the tally writes them as plain grouped numbers (`80,000`); with an
//! ISO 4217 code it writes them as residents read them (`£800`, `£800.50`). The server
//! and `pbvote tally` both call [`format`], so a published result and its
//! recount read the same.

use crate::error::{TallyError, quoted};

/// Whether `code` has the form of an ISO 4217 code: three capital letters A–Z
/// (`GBP`, `EUR`, `PLN`). Codes are not checked against the ISO list, which changes.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// An amount in minor units in its currency, as the pages write it: whole amounts
/// without pence (`£80,000`, read aloud as "eighty thousand pounds"), others with two
/// decimal places (`£1,234.56`, `$0.05`); a currency without a symbol here is written
/// before the number, `PLN 1,656,699`.
pub fn format(currency: &str, minor_units: u64) -> String {
    let symbol = match currency {
        "GBP" => "£",
        "EUR" => "€",
        "USD" => "$",
        _ => "",
    };
    let whole = grouped(minor_units / 100);
    let number = match minor_units % 100 {
        0 => whole,
        cents => format!("{whole}.{cents:02}"),
    };
    if symbol.is_empty() { format!("{currency} {number}") } else { format!("{symbol}{number}") }
}

/// A whole number grouped in thousands: 80000 → `80,000`. How amounts are written
/// when the currency is not known.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The exchange format's `currency` must have the form [`is_currency_code`] checks.
pub(crate) fn check_currency(code: &str) -> Result<(), TallyError> {
    if is_currency_code(code) { Ok(()) } else { Err(TallyError::invalid("currency", currency_message(code))) }
}

pub(crate) fn currency_message(code: &str) -> String {
    format!("must be a three-letter ISO 4217 currency code in capitals, such as GBP or EUR, got {}", quoted(code))
}

/// [`format`] in `currency`, or [`grouped`] without one.
pub(crate) fn write(currency: Option<&str>, minor_units: u64) -> String {
    match currency {
        Some(code) => format(code, minor_units),
        None => grouped(minor_units),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_are_grouped_in_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(80_000), "80,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn money_is_written_with_its_currency() {
        assert_eq!(format("GBP", 8_000_000), "£80,000");
        assert_eq!(format("GBP", 8_000_050), "£80,000.50");
        assert_eq!(format("GBP", 5), "£0.05");
        assert_eq!(format("GBP", 0), "£0");
        assert_eq!(format("EUR", 123_456_789), "€1,234,567.89");
        assert_eq!(format("USD", 100), "$1");
        assert_eq!(format("PLN", 165_669_900), "PLN 1,656,699");
        assert_eq!(format("GBP", u64::MAX), "£184,467,440,737,095,516.15");
        assert_eq!(write(None, 80_000), "80,000");
        assert_eq!(write(Some("GBP"), 80_000), "£800");
    }

    #[test]
    fn currency_codes_are_three_capital_letters() {
        for good in ["GBP", "EUR", "PLN", "XXX"] {
            assert!(is_currency_code(good), "{good}");
        }
        for bad in ["", "gbp", "GB", "GBPX", "G1P", "£", "ÉUR", " GBP"] {
            assert!(!is_currency_code(bad), "{bad:?}");
        }
    }
}
