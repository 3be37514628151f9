//! One plain-English explanation per proposal saying why it was or was not
//! agreed, written to be read aloud at a council meeting: short sentences, and
//! one word for each idea, the same everywhere ("agreed" for adopted, "new
//! spending" for developments, "simple majority" for the plain count, "savings
//! target", "budget for new spending"). Scores are rounded to one decimal place
//! here; the result's numeric fields keep the spec's six.
//!
//! Amounts are minor units written as plain grouped numbers ("80,000") unless
//! the count knows the currency ("£800.00", see [`crate::money`]).
//! When the simple majority count would have decided otherwise, the explanation
//! says so, so nobody has to work it out.

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
    let money = e.money;
    let mut line = match (e.kind, e.outcome) {
        (ProposalKind::Saving, Outcome::Adopted { before }) => match e.config.savings_target {
            Some(target) => {
                let so_far = if before == 0 {
                    "Nothing had been saved before it".to_string()
                } else {
                    format!("The savings agreed before it came to {}", money(before))
                };
                format!("Agreed. {} {so_far}, so the savings target of {} was not yet met.", ranked(e), money(target))
            }
            None => format!(
                "Agreed. {} No savings target was set, so every saving with more support than opposition is agreed, unless it is protected.",
                ranked_with_score(e)
            ),
        },
        (ProposalKind::Development, Outcome::Adopted { before }) => match e.config.development_budget {
            Some(_) => format!(
                "Agreed. {} It costs {}, which fitted in the {} left in the budget for new spending.",
                ranked(e),
                money(e.amount),
                money(before)
            ),
            None => format!(
                "Agreed. {} No budget for new spending was set, so every proposal for new spending with more support than opposition is agreed.",
                ranked_with_score(e)
            ),
        },
        (_, Outcome::Protected) => {
            let service = e.service_name.unwrap_or("the service");
            let who = if e.users == 1 {
                format!("The only person who uses {service}")
            } else {
                format!("{} of the {} people who use {service}", e.rejecting_users, e.users)
            };
            if e.score.is_positive() {
                format!("Not agreed, because it is protected. {who} rejected this cut. It needs a recorded decision by the commissioners.")
            } else {
                // Protection is not the only reason: say so, so that nobody credits it alone.
                let why = if e.score == Ratio::ZERO {
                    "support and opposition were equally strong".to_string()
                } else {
                    format!("its score is {}", score(e.score))
                };
                format!(
                    "Not agreed, because it is protected and its score is {}. {who} rejected this cut; {why}, so it would not \
                     have been agreed anyway. It needs a recorded decision by the commissioners.",
                    if e.score == Ratio::ZERO { "0" } else { "below zero" },
                )
            }
        }
        (_, Outcome::NotPositive) => {
            if !e.voted {
                "Not agreed. Nobody voted for it or against it, so its score is 0.".to_string()
            } else if e.score == Ratio::ZERO {
                "Not agreed. Support and opposition were equally strong, so its score is 0.".to_string()
            } else {
                format!("Not agreed. Opposition to it was stronger than support, so its score is {}.", score(e.score))
            }
        }
        (_, Outcome::TargetReached { adopted_before }) => {
            let target = money(e.config.savings_target.unwrap_or(0));
            if adopted_before == 0 {
                // Only a target of 0 is met before anything is saved.
                format!("Not agreed. {} The savings target of {target} was already met without any savings.", ranked(e))
            } else {
                format!(
                    "Not agreed. {} The savings agreed before it came to {}, which already met the savings target of {target}.",
                    ranked(e),
                    money(adopted_before)
                )
            }
        }
        (_, Outcome::DoesNotFit { left }) => {
            format!("Not agreed. It costs {}, but only {} was left in the budget for new spending.", money(e.amount), money(left))
        }
    };
    // A group too small to count for more: say so, or a cut that all of its few users
    // rejected would seem to have been ignored.
    let min_group = u64::from(e.config.min_group);
    if let Some(service) = e.service_name
        && e.users > 0
        && e.users < min_group
    {
        let people =
            if e.users == 1 { "Only 1 person said they use".to_string() } else { format!("Only {} people said they use", e.users) };
        let what = match e.kind {
            ProposalKind::Saving => "counts for more or can stop a cut",
            ProposalKind::Development => "counts for more",
        };
        line.push_str(&format!(" {people} {service}: at least {min_group} are needed before their say {what}."));
    }
    let adopted = e.outcome.is_adopted();
    if adopted != e.plain_adopted {
        line.push_str(if e.plain_adopted {
            " A simple majority count would have agreed it."
        } else {
            " A simple majority count would not have agreed it."
        });
    }
    line
}

/// "It ranked 2nd of 3 savings." or "It was the only saving."
fn ranked(e: &Explained<'_>) -> String {
    let (one, many) = kind_nouns(e.kind);
    if e.of == 1 { format!("It was the only {one}.") } else { format!("It ranked {} of {} {many}.", ordinal(e.rank), e.of) }
}

/// [`ranked`] with the score: "It ranked 1st of 3 savings, with a score of 2.5."
fn ranked_with_score(e: &Explained<'_>) -> String {
    let ranked = ranked(e);
    let ranked = ranked.strip_suffix('.').unwrap_or(&ranked);
    format!("{ranked}, with a score of {}.", score(e.score))
}

fn kind_nouns(kind: ProposalKind) -> (&'static str, &'static str) {
    match kind {
        ProposalKind::Saving => ("saving", "savings"),
        ProposalKind::Development => ("proposal for new spending", "proposals for new spending"),
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

/// A score as read aloud: one decimal place, and a real minus sign. A score
/// that is not zero is never read as 0: it is "just above 0" or "just below 0".
fn score(value: Ratio) -> String {
    let rounded = value.to_places(1);
    if rounded == "0" && value != Ratio::ZERO {
        let side = if value.is_positive() { "above" } else { "below" };
        return format!("just {side} 0");
    }
    rounded.replace('-', "\u{2212}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].iter().map(|&n| ordinal(n)).collect();
        assert_eq!(got, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "112th"]);
    }

    #[test]
    fn scores_are_read_to_one_decimal_place_and_never_as_a_false_zero() {
        let r = |n, d| Ratio::new(n, d).unwrap();
        assert_eq!(score(r(-10, 3)), "\u{2212}3.3");
        assert_eq!(score(r(190, 3)), "63.3");
        assert_eq!(score(r(40, 1)), "40");
        assert_eq!(score(Ratio::ZERO), "0");
        assert_eq!(score(r(-1, 140)), "just below 0");
        assert_eq!(score(r(1, 140)), "just above 0");
        assert_eq!(score(r(1, 20)), "0.1");
    }
}
