//! One plain-English line per proposal saying why it was or was not adopted,
//! written to be read aloud at a council meeting.
//!
//! Amounts are minor units written as plain grouped numbers ("80,000") unless the
//! caller passes a formatter (`Count::result_with_money`): the tally does not know the
//! currency; the server does.
//! When protection changed the outcome, the line says what a plain majority
//! count would have done, so nobody has to work it out.

use crate::config::Config;
use crate::model::ProposalKind;
use crate::rational::Ratio;

/// What happened to a proposal in one adoption pass (protected or plain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Adopted. `before` is the savings adopted before it (savings), or the
    /// budget left before it (developments with a budget), or the amount spent
    /// before it (developments without a budget).
    Adopted { before: u64 },
    /// A saving its users rejected (spec step 4).
    Protected,
    /// N <= 0.
    NotPositive,
    /// A saving ranked after the target was reached.
    TargetReached { adopted_before: u64 },
    /// A development that did not fit in what was left of the budget.
    DoesNotFit { left: u64 },
}

impl Outcome {
    pub(crate) fn is_adopted(self) -> bool {
        matches!(self, Outcome::Adopted { .. })
    }
}

/// What the explanation needs to know about one proposal.
pub(crate) struct Explained<'a> {
    pub kind: ProposalKind,
    pub amount: u64,
    pub rank: u32,
    /// Proposals of the same kind.
    pub of: usize,
    pub score: Ratio,
    pub outcome: Outcome,
    pub plain_adopted: bool,
    pub users: u64,
    pub rejecting_users: u64,
    /// Name (or id) of the service it touches.
    pub service_name: Option<&'a str>,
    /// Whether any ballot listed it at all.
    pub voted: bool,
    pub config: &'a Config,
    /// How to write an amount (minor units): plain grouped numbers by default, or the
    /// caller's currency format.
    pub money: &'a dyn Fn(u64) -> String,
}

pub(crate) fn explain(e: &Explained<'_>) -> String {
    let ranked = format!(
        "ranked {} of {} {}",
        ordinal(e.rank),
        e.of,
        kind_noun(e.kind, e.of)
    );
    let mut line = match (e.kind, e.outcome) {
        (ProposalKind::Saving, Outcome::Adopted { before }) => match e.config.savings_target {
            Some(target) => {
                let so_far = if before == 0 {
                    "with nothing adopted before it".to_string()
                } else {
                    format!("with {} already adopted", (e.money)(before))
                };
                format!(
                    "Adopted: {ranked}; {so_far} the target of {} was not yet reached.",
                    (e.money)(target)
                )
            }
            None => format!(
                "Adopted: {ranked} with score {}; there is no savings target, so every saving with more support than opposition is adopted unless protected.",
                score(e.score)
            ),
        },
        (ProposalKind::Development, Outcome::Adopted { before }) => {
            match e.config.development_budget {
                Some(_) => format!(
                    "Adopted: {ranked}; it costs {} and {} of the development budget was left.",
                    (e.money)(e.amount),
                    (e.money)(before)
                ),
                None => format!(
                    "Adopted: {ranked} with score {}; there is no development budget limit, so every development with more support than opposition is adopted.",
                    score(e.score)
                ),
            }
        }
        (_, Outcome::Protected) => {
            let (people, verb) = if e.users == 1 {
                ("person", "uses")
            } else {
                ("people", "use")
            };
            format!(
                "Not adopted: protected — {} of {} {people} who {verb} {} rejected this cut; it needs a recorded decision by the commissioners.",
                e.rejecting_users,
                e.users,
                e.service_name.unwrap_or("the service")
            )
        }
        (_, Outcome::NotPositive) => {
            if !e.voted {
                "Not adopted: nobody voted for or against it (score 0).".to_string()
            } else if e.score == Ratio::ZERO {
                "Not adopted: it was wanted and not wanted equally strongly (score 0).".to_string()
            } else {
                format!(
                    "Not adopted: it was rejected more strongly than it was wanted (score {}).",
                    score(e.score)
                )
            }
        }
        (_, Outcome::TargetReached { adopted_before }) => format!(
            "Not adopted: {ranked}; the target of {} had already been reached with {} adopted.",
            (e.money)(e.config.savings_target.unwrap_or(0)),
            (e.money)(adopted_before)
        ),
        (_, Outcome::DoesNotFit { left }) => format!(
            "Not adopted: it costs {} but only {} of the development budget was left.",
            (e.money)(e.amount),
            (e.money)(left)
        ),
    };
    let adopted = e.outcome.is_adopted();
    if adopted != e.plain_adopted {
        line.push_str(if e.plain_adopted {
            " Under a plain majority count it would have been adopted."
        } else {
            " Under a plain majority count it would not have been adopted."
        });
    }
    line
}

fn kind_noun(kind: ProposalKind, n: usize) -> &'static str {
    match (kind, n == 1) {
        (ProposalKind::Saving, true) => "saving",
        (ProposalKind::Saving, false) => "savings",
        (ProposalKind::Development, true) => "development",
        (ProposalKind::Development, false) => "developments",
    }
}

/// 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 111th.
pub(crate) fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Minor units grouped in thousands: 80000 → "80,000".
pub(crate) fn money(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A score as read aloud: 6 decimals at most, and a real minus sign.
fn score(value: Ratio) -> String {
    value.to_decimal().replace('-', "\u{2212}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_and_money() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112]
            .iter()
            .map(|&n| ordinal(n))
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th", "112th"
            ]
        );
        assert_eq!(money(0), "0");
        assert_eq!(money(999), "999");
        assert_eq!(money(1000), "1,000");
        assert_eq!(money(80_000), "80,000");
        assert_eq!(money(1_234_567), "1,234,567");
        assert_eq!(money(u64::MAX), "18,446,744,073,709,551,615");
    }
}
