//! What commissioners review after voting closes, beyond the ranked result: who came away
//! with nothing, turnout against population, and the decisions they take with reasons.
//!
//! Every figure here is over groups of at least `min_group` ballots (or left out), for the
//! same reason as the breakdowns: a share over a handful of ballots shows how those few
//! voted. Where one share in a set of groups is left out for that reason, a second is left
//! out too, so that it cannot be worked out from the total.
use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::{
    errors::AppError,
    model::{Consultation, DecisionKind},
};

/// One figure over some ballots: how many it is over (`of`), how many it holds, and the
/// share in percent; or left out (`of` smaller than `min_group`).
fn share(got: u64, of: u64, m: u64) -> Value {
    if of < m {
        json!({"of": null, "fewer_than": m})
    } else {
        json!({"of": of, "got": got, "percent": (got as f64 * 1000.0 / of as f64).round() / 10.0})
    }
}

#[derive(Default, Clone, Copy)]
struct Tally {
    ballots: u64,
    with_wants: u64,
    wish_granted: u64,
    with_dont_wants: u64,
    first_dont_spared: u64,
}

impl Tally {
    fn add(&mut self, ballot: &pbvote_tally::Ballot, adopted: &HashSet<&str>) {
        self.ballots += 1;
        if !ballot.want.is_empty() {
            self.with_wants += 1;
            if ballot.want.iter().any(|p| adopted.contains(p.as_str())) {
                self.wish_granted += 1;
            }
        }
        if let Some(first) = ballot.dont_want.first() {
            self.with_dont_wants += 1;
            if !adopted.contains(first.as_str()) {
                self.first_dont_spared += 1;
            }
        }
    }

    fn json(&self, kind: &str, label: Option<&str>, m: u64) -> Value {
        json!({
            "kind": kind,
            "label": label,
            "ballots": if self.ballots >= m { json!(self.ballots) } else { Value::Null },
            "wish_granted": share(self.wish_granted, self.with_wants, m),
            "first_dont_want_spared": share(self.first_dont_spared, self.with_dont_wants, m),
        })
    }
}

/// Who got nothing: per group (everyone, each area as published, the ballots given only as
/// sums, and each service's users), the share of ballots with at least one WANT agreed and
/// the share whose first DON'T WANT was not agreed; the worst served group first.
///
/// `listed` are the published file's ballots (areas as published); `pooled` the ballots it
/// gives only as sums, whole (they are counted here as one group, never shown one by one).
pub fn satisfaction(
    paper: &pbvote_tally::BallotPaper,
    result: &pbvote_tally::TallyResult,
    published: &pbvote_tally::Election,
    pooled: &[pbvote_tally::Ballot],
) -> Value {
    let m = u64::from(paper.config().min_group.max(1));
    let adopted: HashSet<&str> = result.proposals.iter().filter(|p| p.adopted).map(|p| p.id.as_str()).collect();
    let mut everyone = Tally::default();
    let mut areas: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    let mut withheld = Tally::default();
    let mut users: BTreeMap<String, Tally> = BTreeMap::new();
    for ballot in &published.ballots {
        everyone.add(ballot, &adopted);
        areas.entry(ballot.area.clone()).or_default().add(ballot, &adopted);
        for s in &ballot.uses {
            users.entry(s.clone()).or_default().add(ballot, &adopted);
        }
    }
    for ballot in pooled {
        everyone.add(ballot, &adopted);
        withheld.add(ballot, &adopted);
        for s in &ballot.uses {
            users.entry(s.clone()).or_default().add(ballot, &adopted);
        }
    }
    // Areas (and the withheld group) partition everyone: if just one of them has a figure
    // left out, leave out the next smallest too.
    let mut partition: Vec<(String, Option<String>, Tally)> = areas.into_iter().map(|(area, t)| ("area".to_owned(), area, t)).collect();
    if withheld.ballots > 0 {
        partition.push(("withheld".to_owned(), None, withheld));
    }
    let mut groups: Vec<Value> = partition.iter().map(|(kind, label, t)| t.json(kind, label.as_deref(), m)).collect();
    type Base = fn(&Tally) -> u64;
    let bases: [(&str, Base); 2] = [("wish_granted", |t: &Tally| t.with_wants), ("first_dont_want_spared", |t: &Tally| t.with_dont_wants)];
    for (metric, of) in bases {
        let hidden = partition.iter().filter(|(_, _, t)| of(t) < m).count();
        if hidden == 1
            && let Some(i) = (0..partition.len()).filter(|&i| of(&partition[i].2) >= m).min_by_key(|&i| of(&partition[i].2))
        {
            groups[i][metric] = json!({"of": null, "fewer_than": m, "withheld_with_another": true});
        }
    }
    let service_name =
        |id: &str| paper.services().iter().find(|s| s.id == id).and_then(|s| s.name.clone()).unwrap_or_else(|| id.to_owned());
    groups.extend(users.iter().map(|(service, t)| {
        let mut g = t.json("users", Some(service), m);
        g["service_name"] = json!(service_name(service));
        g
    }));
    // Worst served first: by the smaller of the two shares shown (groups with none last).
    let worst = |g: &Value| {
        ["wish_granted", "first_dont_want_spared"].iter().filter_map(|k| g[*k]["percent"].as_f64()).fold(f64::INFINITY, f64::min)
    };
    groups.sort_by(|a, b| worst(a).total_cmp(&worst(b)));
    json!({"min_group": m, "everyone": everyone.json("everyone", None, m), "groups": groups})
}

/// Turnout against population, per area (from the published breakdown) and per service (its
/// users who voted): pbvote shows; it does not weight. An area whose share of the ballots is
/// under half its share of the population is flagged.
pub fn representativeness(consultation: &Consultation, breakdowns: &Value, result: &Value) -> Value {
    let m = breakdowns["min_group"].as_u64().unwrap_or(1).max(1);
    let groups = breakdowns["by_area"].as_array().cloned().unwrap_or_default();
    let total: u64 = groups.iter().filter_map(|g| g["ballots"].as_u64()).sum();
    let population = &consultation.population;
    let people: u64 = population.areas.values().sum();
    let areas: Vec<Value> = consultation
        .areas
        .iter()
        .map(|area| {
            let ballots = groups.iter().find(|g| g["label"] == json!(area) && g["withheld"] == json!(false)).and_then(|g| g["ballots"].as_u64());
            let pop = population.areas.get(area).copied();
            let share_of_ballots = |b: u64| if total == 0 { 0.0 } else { b as f64 / total as f64 };
            let share_of_people = pop.filter(|_| people > 0).map(|p| p as f64 / people as f64);
            // Not named in the published file: fewer than m ballots, at most m - 1.
            let most = ballots.unwrap_or(m - 1);
            let flagged = share_of_people.map(|s| share_of_ballots(most) < s / 2.0);
            json!({
                "area": area,
                "ballots": ballots,
                "fewer_than": if ballots.is_none() { json!(m) } else { Value::Null },
                "population": pop,
                "turnout_percent": match (ballots, pop) { (Some(b), Some(p)) if p > 0 => json!((b as f64 * 1000.0 / p as f64).round() / 10.0), _ => Value::Null },
                "share_of_ballots_percent": ballots.map(|b| (share_of_ballots(b) * 1000.0).round() / 10.0),
                "share_of_population_percent": share_of_people.map(|s| (s * 1000.0).round() / 10.0),
                "under_represented": flagged,
            })
        })
        .collect();
    let mut services = Vec::new();
    for service in &consultation.services {
        let voted = result["proposals"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["service"] == json!(service.id)))
            .and_then(|p| p["users"].as_u64());
        let known = population.services.get(&service.id).copied();
        services.push(json!({
            "service": service.id,
            "name": service.name,
            "users_who_voted": voted,
            "known_users": known,
            "turnout_percent": match (voted, known) { (Some(v), Some(k)) if k > 0 => json!((v as f64 * 1000.0 / k as f64).round() / 10.0), _ => Value::Null },
        }));
    }
    json!({"ballots": total, "population": if people > 0 { json!(people) } else { Value::Null }, "areas": areas, "services": services})
}

/// Whether a decision departs from the computed (protected) result: agreeing what the count
/// did not agree, or with another amount, or not agreeing what it agreed, or putting off the
/// decision. Every protected cut departs, whatever is decided: the count left it to the
/// commissioners.
pub fn departs(decision: DecisionKind, amount: Option<u64>, computed: &Value) -> bool {
    let adopted = computed["adopted"].as_bool().unwrap_or(false);
    let protected = computed["protected"].as_bool().unwrap_or(false);
    protected
        || match decision {
            DecisionKind::Adopt => !adopted,
            DecisionKind::Amend => !adopted || amount != computed["amount"].as_u64(),
            DecisionKind::Reject => adopted,
            DecisionKind::Defer => true,
        }
}

/// The budget as decided: savings agreed (adopted or amended) against the target, new
/// spending against its budget, from each proposal's latest decision.
pub fn decided_budget(consultation: &Consultation, decisions: &[crate::model::Decision]) -> Value {
    let mut latest: BTreeMap<&str, &crate::model::Decision> = BTreeMap::new();
    for d in decisions {
        latest.insert(d.proposal.as_str(), d);
    }
    let (mut savings, mut spending, mut undecided) = (0u64, 0u64, 0usize);
    for p in &consultation.proposals {
        match latest.get(p.id.as_str()) {
            Some(d) if matches!(d.decision, DecisionKind::Adopt | DecisionKind::Amend) => {
                let amount = if d.decision == DecisionKind::Amend { d.amount.unwrap_or(p.amount) } else { p.amount };
                match p.kind {
                    crate::domain::ProposalKind::Saving => savings += amount,
                    crate::domain::ProposalKind::Development => spending += amount,
                }
            }
            Some(_) => {}
            None => undecided += 1,
        }
    }
    let target = consultation.budget.savings_target;
    let budget = consultation.budget.development_budget;
    json!({
        "savings_decided": savings,
        "savings_target": target,
        "savings_shortfall": target.map(|t| t.saturating_sub(savings)),
        "spending_decided": spending,
        "development_budget": budget,
        "over_budget_by": budget.map(|b| spending.saturating_sub(b)),
        "undecided": undecided,
    })
}

/// Parse a decision's kind, naming the field.
pub fn decision_kind(raw: &str) -> Result<DecisionKind, AppError> {
    DecisionKind::parse(raw).map_err(|e| AppError::invalid("decision", e))
}
