//! Exact rational numbers for weights and scores.
//!
//! The rule compares weighted scores, and a weight such as 90/7 has no exact
//! decimal or binary form. Every decision (ranking, adoption, protection) is
//! therefore taken on exact fractions compared by cross-multiplying integers;
//! decimals only appear when a number is written out, rounded to 6 places
//! half away from zero.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

/// An exact fraction `num / den`, always in lowest terms with `den > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num / den` in lowest terms; `None` when `den` is 0 or the sign cannot be
    /// normalised (`i128::MIN` in the denominator).
    pub fn new(num: i128, den: i128) -> Option<Ratio> {
        if den == 0 {
            return None;
        }
        let (num, den) = if den < 0 { (num.checked_neg()?, den.checked_neg()?) } else { (num, den) };
        let g = gcd(num.unsigned_abs(), den.unsigned_abs());
        // g divides den (> 0), so g >= 1 and both quotients fit back in i128.
        let g = g as i128;
        if g <= 0 {
            // Only reachable when g == 2^127, i.e. num and den are both i128::MIN-sized,
            // which den > 0 rules out; keep the fraction unreduced rather than panic.
            return Some(Ratio { num, den });
        }
        Some(Ratio { num: num / g, den: den / g })
    }

    /// `num / den` in lowest terms, for a denominator known to be positive.
    pub(crate) fn reduced(num: i128, den: i128) -> Ratio {
        debug_assert!(den > 0);
        // g divides den > 0, so 1 <= g <= den and g fits in i128.
        let g = gcd(num.unsigned_abs(), den.unsigned_abs()).max(1) as i128;
        Ratio { num: num / g, den: den / g }
    }

    /// A whole number.
    pub const fn from_integer(n: i128) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// The numerator (carries the sign).
    pub const fn numer(&self) -> i128 {
        self.num
    }

    /// The denominator (always positive).
    pub const fn denom(&self) -> i128 {
        self.den
    }

    pub const fn is_integer(&self) -> bool {
        self.den == 1
    }

    pub const fn is_positive(&self) -> bool {
        self.num > 0
    }

    /// Nearest `f64`, for display or plotting only: never decide anything with it.
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The value rounded to 6 decimal places, half away from zero, without
    /// trailing zeros (`9`, `2.5`, `63.333333`, `-30`).
    pub fn to_decimal(&self) -> String {
        self.to_places(6)
    }

    /// The value rounded to `places` decimal places (at most 9), half away from
    /// zero, without trailing zeros; a value that rounds to zero is `0`, never `-0`.
    pub fn to_places(&self, places: u32) -> String {
        let places = places.min(9);
        let scale = 10u64.pow(places);
        let negative = self.num < 0;
        let num = self.num.unsigned_abs();
        let den = self.den.unsigned_abs();
        let mut whole = num / den;
        let mut rem = num % den;
        // Long division one digit at a time. `rem * 10` could overflow u128 for
        // huge denominators, so multiply modulo `den` by repeated addition and
        // count the wrap-arounds: that count is the next digit.
        let mut frac: u64 = 0;
        for _ in 0..places {
            let mut digit = 0;
            let mut r = 0u128;
            for _ in 0..10 {
                let (next, wrapped) = add_mod(r, rem, den);
                r = next;
                digit += wrapped as u64;
            }
            rem = r;
            frac = frac * 10 + digit;
        }
        // Round half away from zero: up when the remainder is at least half of den.
        if rem >= den - rem {
            frac += 1;
            if frac == scale {
                frac = 0;
                whole += 1;
            }
        }
        let mut out = String::new();
        if negative && (whole != 0 || frac != 0) {
            out.push('-');
        }
        out.push_str(&whole.to_string());
        if frac != 0 {
            let digits = format!("{frac:0width$}", width = places as usize);
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        out
    }
}

/// `(x + y) mod m` for `x, y < m`, and whether it wrapped, without overflow.
fn add_mod(x: u128, y: u128, m: u128) -> (u128, bool) {
    if x >= m - y { (x - (m - y), true) } else { (x + y, false) }
}

pub(crate) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Exact comparison of `a/b` and `c/d` (with `b, d > 0`) that cannot overflow:
/// cross-multiplies when that fits, else compares whole parts and recurses on the
/// reciprocals of the remainders (Euclid's algorithm, so it terminates quickly).
fn cmp_fractions(a: i128, b: i128, c: i128, d: i128) -> Ordering {
    if let (Some(x), Some(y)) = (a.checked_mul(d), c.checked_mul(b)) {
        return x.cmp(&y);
    }
    let (qa, ra) = (a.div_euclid(b), a.rem_euclid(b));
    let (qc, rc) = (c.div_euclid(d), c.rem_euclid(d));
    match qa.cmp(&qc) {
        Ordering::Equal => {}
        other => return other,
    }
    match (ra == 0, rc == 0) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        // 0 < ra/b, rc/d < 1: ra/b < rc/d exactly when d/rc < b/ra.
        (false, false) => cmp_fractions(d, rc, b, ra),
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.den == other.den {
            return self.num.cmp(&other.num);
        }
        cmp_fractions(self.num, self.den, other.num, other.den)
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_decimal())
    }
}

/// Written as a JSON number with at most 6 decimals; whole numbers as integers.
/// Non-whole values go through `serde_json`'s raw value so that the digits are
/// exactly the rounded decimal, never a float's approximation of it.
impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_decimal();
        if !text.contains('.')
            && let Ok(n) = text.parse::<i128>()
        {
            return match i64::try_from(n) {
                Ok(small) => serializer.serialize_i64(small),
                Err(_) => serializer.serialize_i128(n),
            };
        }
        match serde_json::value::RawValue::from_string(text) {
            Ok(raw) => raw.serialize(serializer),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn reduces_and_normalises_sign() {
        assert_eq!(r(6, -4), r(-3, 2));
        assert_eq!(r(-3, 2).numer(), -3);
        assert_eq!(r(-3, 2).denom(), 2);
        assert_eq!(r(0, -7), Ratio::ZERO);
        assert!(Ratio::new(1, 0).is_none());
        assert!(Ratio::new(1, i128::MIN).is_none());
    }

    #[test]
    fn renders_six_places_half_away_from_zero() {
        assert_eq!(r(190, 3).to_decimal(), "63.333333");
        assert_eq!(r(80, 3).to_decimal(), "26.666667");
        assert_eq!(r(-80, 3).to_decimal(), "-26.666667");
        assert_eq!(r(50, 1).to_decimal(), "50");
        assert_eq!(r(-30, 1).to_decimal(), "-30");
        assert_eq!(r(5, 2).to_decimal(), "2.5");
        // exactly half a millionth rounds away from zero
        assert_eq!(r(1, 2_000_000).to_decimal(), "0.000001");
        assert_eq!(r(-1, 2_000_000).to_decimal(), "-0.000001");
        // below half rounds to zero, and never prints "-0"
        assert_eq!(r(-1, 3_000_000).to_decimal(), "0");
        assert_eq!(r(1999999999, 2_000_000).to_decimal(), "1000");
        assert_eq!(r(i128::MAX, i128::MAX - 1).to_decimal(), "1");
        assert_eq!(r(i128::MIN + 1, 3).to_decimal(), "-56713727820156410577229101238628035242.333333");
    }

    #[test]
    fn renders_fewer_places_with_the_same_rounding() {
        assert_eq!(r(190, 3).to_places(1), "63.3");
        assert_eq!(r(-10, 3).to_places(1), "-3.3");
        assert_eq!(r(80, 3).to_places(1), "26.7");
        assert_eq!(r(40, 1).to_places(1), "40");
        assert_eq!(r(1, 20).to_places(1), "0.1", "a half rounds away from zero");
        assert_eq!(r(-1, 20).to_places(1), "-0.1");
        assert_eq!(r(-1, 21).to_places(1), "0", "never -0");
        assert_eq!(r(999, 20).to_places(1), "50", "49.95 carries into the whole part");
        assert_eq!(r(7, 2).to_places(0), "4");
        // Rounded once from the exact value, not from the 6-place decimal:
        // 0.04999995 is 0.05 to 6 places, but 0.0 to 1 place.
        assert_eq!(r(4_999_995, 100_000_000).to_places(1), "0");
    }

    #[test]
    fn compares_exactly_even_when_cross_products_overflow() {
        assert!(r(1, 3) < r(333_334, 1_000_000));
        assert!(r(1, 3) > r(333_333, 1_000_000));
        let big = i128::MAX / 3;
        assert!(r(big, big - 1) < r(big - 1, big - 2));
        assert_eq!(r(big, big - 1).cmp(&r(big, big - 1)), Ordering::Equal);
        assert!(r(-big, big - 1) < r(big, big - 1));
        assert!(r(i128::MIN + 1, 7) < r(i128::MAX, 7));
    }

    #[test]
    fn serialises_as_json_numbers() {
        let values = [r(190, 3), r(50, 1), r(-30, 1), r(1, 2)];
        assert_eq!(serde_json::to_string(&values).unwrap(), "[63.333333,50,-30,0.5]");
    }
}
