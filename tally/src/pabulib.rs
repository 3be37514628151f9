//! Writing a file in the pabulib format (pabulib.org), so a published consultation can be
//! studied with the tools participatory budgeting researchers use (pabutools and others).
//!
//! pabulib describes approval-style and ordinal ballots for spending; pbvote's ballots have
//! more (DON'T WANT lists, services used). The file holds what pabulib can say: every
//! proposal as a project with its amount as its cost (and its kind as its `category`), and
//! each listed ballot's WANT list as an ordinal vote, most wanted first. Ballots with an
//! empty WANT list, and ballots a published file gives only as sums (`withheld`), are not
//! in it; the `comment` in META says how many. Recounting pbvote's own rule needs the
//! exchange file, not this one.
use crate::model::{Election, ProposalKind};

/// A field as pabulib's `;`-separated CSV wants it: quoted when it holds `;`, `"` or a
/// line break.
fn field(value: &str) -> String {
    if value.contains([';', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value.to_owned() }
}

/// The election as a pabulib file. `description` says what it is (e.g. the consultation's
/// title); `unit` is the body that ran it.
pub fn write(election: &Election, description: &str, unit: &str) -> String {
    let votes: Vec<&Vec<String>> = election.ballots.iter().map(|b| &b.want).filter(|w| !w.is_empty()).collect();
    let withheld = election.withheld.as_ref().map_or(0, |w| w.ballots);
    let unwritten = election.ballots.len() - votes.len();
    let budget = election
        .config
        .development_budget
        .unwrap_or_else(|| election.proposals.iter().filter(|p| p.kind == ProposalKind::Development).map(|p| p.amount).sum());
    let mut out = String::new();
    out.push_str("META\nkey;value\n");
    let mut meta = vec![
        ("description", description.to_owned()),
        ("unit", unit.to_owned()),
        ("num_projects", election.proposals.len().to_string()),
        ("num_votes", votes.len().to_string()),
        ("budget", budget.to_string()),
        ("vote_type", "ordinal".to_owned()),
        ("rule", "pbvote-protected".to_owned()),
        ("max_length", election.config.rank_depth.to_string()),
        (
            "comment",
            format!(
                "Written by pbvote. Costs are in minor units (pence, cents){}. Projects of category saving are cuts the \
                 council could make; development ones are new spending, for which the budget is given. Each vote is a \
                 ballot's WANT list, most wanted first; DON'T WANT lists and services used are not in this format. \
                 {unwritten} ballot{} with an empty WANT list and {withheld} ballot{} given only as sums in the exchange \
                 file are not listed. Recount pbvote's rule with its exchange file.",
                election.currency.as_deref().map(|c| format!(" of {c}")).unwrap_or_default(),
                if unwritten == 1 { "" } else { "s" },
                if withheld == 1 { "" } else { "s" }
            ),
        ),
    ];
    if let Some(currency) = &election.currency {
        meta.push(("currency", currency.clone()));
    }
    for (key, value) in meta {
        out.push_str(&format!("{key};{}\n", field(&value)));
    }
    out.push_str("PROJECTS\nproject_id;cost;name;category\n");
    for p in &election.proposals {
        let name = p.title.as_deref().unwrap_or(&p.id);
        out.push_str(&format!("{};{};{};{}\n", field(&p.id), p.amount, field(name), p.kind.as_str()));
    }
    out.push_str("VOTES\nvoter_id;vote\n");
    for (i, want) in votes.iter().enumerate() {
        let ids: Vec<String> = want.iter().map(|id| id.replace([',', ';', '"'], "_")).collect();
        out.push_str(&format!("{};{}\n", i + 1, field(&ids.join(","))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ballot, Proposal};

    #[test]
    fn a_small_election_as_pabulib() {
        let election = Election {
            currency: Some("GBP".into()),
            config: crate::Config { rank_depth: 3, development_budget: Some(300), ..crate::Config::default() },
            services: vec![],
            proposals: vec![
                Proposal {
                    id: "S1".into(),
                    kind: ProposalKind::Saving,
                    amount: 800,
                    service: None,
                    title: Some("Close; the centre".into()),
                },
                Proposal { id: "D1".into(), kind: ProposalKind::Development, amount: 300, service: None, title: Some("Youth club".into()) },
            ],
            ballots: vec![
                Ballot { want: vec!["D1".into(), "S1".into()], ..Ballot::default() },
                Ballot { dont_want: vec!["S1".into()], ..Ballot::default() },
            ],
            withheld: None,
            note: None,
        };
        let text = write(&election, "Riverside 2027", "Riverside Borough Council");
        assert!(text.starts_with("META\nkey;value\ndescription;Riverside 2027\nunit;Riverside Borough Council\nnum_projects;2\nnum_votes;1\nbudget;300\nvote_type;ordinal\n"));
        assert!(
            text.contains("PROJECTS\nproject_id;cost;name;category\nS1;800;\"Close; the centre\";saving\nD1;300;Youth club;development\n")
        );
        assert!(text.ends_with("VOTES\nvoter_id;vote\n1;D1,S1\n"));
        assert!(text.contains("1 ballot with an empty WANT list"));
    }
}
