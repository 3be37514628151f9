//! Results: the stored ballots, made safe to publish, counted by the same function as
//! `pbvote tally`.
//!
//! **Nothing but turnout while voting is open.** A running result can always be read
//! before and after one resident's ballot, and whoever can cast or replace ballots of their
//! own (a member of staff holding a voter code) can arrange that the difference is exactly
//! that ballot — whatever rounding or stepping the result is shown with. So results exist
//! from the moment voting closes, for everyone at once; while it is open the service shows
//! only how many have voted, in steps of `min_group` ([`turnout`]), which says nothing
//! about what anyone voted. docs/privacy.md gives the whole argument.
//!
//! **Counted from what is published.** The ballots are first made safe to publish
//! ([`pbvote_tally::disclosure::anonymise`]: no area, channel or combination of services
//! shared by fewer than `min_group` ballots is shown; such ballots are added up instead of
//! listed), and the result is the count of exactly that file. Scores, ranks, decisions and
//! explanations are those of the ballots as cast (the count is linear in the sums); the
//! breakdown shows only groups of at least `min_group`. So the result and the export
//! always agree, and recounting the export gives the published result byte for byte.
//!
//! Counting 150,000 ballots means reading them all, so each instance keeps the last count
//! per consultation with the ballots' change marker (`storage::ballots::change_marker`)
//! and counts again only when the marker moved (it does not, once voting has closed).
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Instant,
};

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{app::AppContext, domain::Phase, errors::AppError, model::Consultation, storage};

/// A counted result and what it was counted from.
pub struct Counted {
    pub result: pbvote_tally::TallyResult,
    /// The published file the result is the count of.
    pub election: Arc<pbvote_tally::Election>,
    /// The ballots the file gives only as sums, whole: never published (see
    /// `tally::disclosure::Anonymised::pooled`).
    pooled: Vec<pbvote_tally::Ballot>,
    /// Per service: how many ballots declared using it, were verified as using it, and count
    /// as using it, before anything is withheld (shown through [`present`] only).
    service_users: Vec<ServiceUserCount>,
}

/// Users of one service, as declared, as verified by service-user codes, and as counted
/// under the consultation's `service_users` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ServiceUserCount {
    id: String,
    declared: u64,
    verified: u64,
    counted: u64,
}

fn service_user_counts(consultation: &Consultation, ballots: &[crate::model::CountedBallot]) -> Vec<ServiceUserCount> {
    let setting = consultation.settings.service_users;
    consultation
        .services
        .iter()
        .map(|s| {
            let mut count = ServiceUserCount { id: s.id.clone(), declared: 0, verified: 0, counted: 0 };
            for b in ballots {
                let declared = b.uses.contains(&s.id);
                let verified = b.verified.contains(&s.id);
                count.declared += u64::from(declared);
                count.verified += u64::from(verified);
                count.counted += u64::from(setting.counts(declared, verified));
            }
            count
        })
        .collect()
}

/// The service users' block of the result: per service, declared, verified and counted
/// users side by side. A number from 1 to `min_group - 1` is shown as `null` (the page says
/// "fewer than `fewer_than`"): a handful of verified users of a small service must not be
/// countable.
fn service_users_block(consultation: &Consultation, counts: &[ServiceUserCount]) -> Value {
    let m = u64::from(consultation.settings.min_group.max(1));
    let shown = |n: u64| if n == 0 || n >= m { json!(n) } else { Value::Null };
    let services: Vec<Value> = counts
        .iter()
        .map(|c| {
            let name = consultation.services.iter().find(|s| s.id == c.id).map(|s| s.name.clone());
            json!({"id": c.id, "name": name, "declared": shown(c.declared), "verified": shown(c.verified), "counted": shown(c.counted)})
        })
        .collect();
    json!({"counted_as": consultation.settings.service_users, "fewer_than": m, "services": services})
}

/// Everything published about a closed consultation's ballots, as served.
pub struct Published {
    marker: (i64, i64),
    /// `summary`, `note`, `proposals`, `fingerprint`, `closing_the_shortfall` (see [`present`]).
    pub result: Value,
    /// `tally::breakdown::Breakdowns` as JSON.
    pub breakdowns: Value,
    /// Who got nothing (see `crate::review::satisfaction`).
    pub satisfaction: Value,
    /// The published exchange file and the pabulib file, as downloaded.
    pub election: Arc<String>,
    pub pabulib: Arc<String>,
    /// Their SHA-256, published beside them.
    pub election_sha256: String,
    pub pabulib_sha256: String,
    pub counted_at: chrono::DateTime<chrono::Utc>,
}

/// Per-instance cache of what was counted, with one count at a time.
#[derive(Clone, Default)]
pub struct ResultCache {
    entries: Arc<Mutex<HashMap<Uuid, Arc<Published>>>>,
    /// Held while counting, so concurrent readers wait for one count instead of each
    /// reading every ballot.
    counting: Arc<tokio::sync::Mutex<()>>,
}

impl ResultCache {
    fn get(&self, id: Uuid) -> Option<Arc<Published>> {
        self.entries.lock().ok()?.get(&id).cloned()
    }

    fn put(&self, id: Uuid, published: Arc<Published>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(id, published);
        }
    }
}

/// Why there is no result yet, in the words the pages show.
pub const NOT_YET: &str = "Results are counted when voting closes. Until then only the number of people who have voted is shown, \
     so that nobody, staff included, can work out how anyone voted.";

/// What was counted from a consultation whose voting has closed: from this instance's
/// memory, else as kept in the database, else counted now (and kept). Refused (409)
/// before voting closes. Counted again only if the ballots changed (their marker moved).
pub async fn published(ctx: &AppContext, consultation: &Consultation) -> Result<Arc<Published>, AppError> {
    if matches!(consultation.phase, Phase::Draft | Phase::Open) {
        return Err(AppError::wrong_phase(NOT_YET));
    }
    let id = consultation.id;
    let marker = storage::ballots::change_marker(&ctx.db, id).await?;
    if let Some(hit) = ctx.results.get(id).filter(|c| c.marker == marker) {
        return Ok(hit);
    }
    let _turn = ctx.results.counting.lock().await;
    // Someone may have counted while we waited.
    let marker = storage::ballots::change_marker(&ctx.db, id).await?;
    if let Some(hit) = ctx.results.get(id).filter(|c| c.marker == marker) {
        return Ok(hit);
    }
    if let Some(stored) = storage::review::stored_result(&ctx.db, id).await?.filter(|s| s.marker == marker) {
        let parse = |text: &str| serde_json::from_str::<Value>(text).map_err(|e| AppError::internal(format!("a kept result: {e}")));
        let published = Arc::new(Published {
            marker,
            result: parse(&stored.result)?,
            breakdowns: parse(&stored.breakdowns)?,
            satisfaction: parse(&stored.satisfaction)?,
            election_sha256: crate::review_files::sha256(&stored.election),
            pabulib_sha256: crate::review_files::sha256(&stored.pabulib),
            election: Arc::new(stored.election),
            pabulib: Arc::new(stored.pabulib),
            counted_at: stored.counted_at,
        });
        ctx.results.put(id, published.clone());
        return Ok(published);
    }
    recount(ctx, id).await
}

/// At start-up, read (or count) every closed or published consultation in the background,
/// so the first reader after a restart finds its result waiting.
pub fn warm_up(ctx: &AppContext) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let done = match storage::consultations::list(&ctx.db, false).await {
            Ok(all) => all.into_iter().filter(|c| matches!(c.phase, Phase::Closed | Phase::Published)).collect::<Vec<_>>(),
            Err(err) => return tracing::warn!(error = %err, "could not list consultations to count at start-up"),
        };
        for item in &done {
            let counted = async { published(&ctx, &storage::consultations::get(&ctx.db, item.id).await?).await };
            if let Err(err) = counted.await {
                tracing::warn!(id = %item.id, error = %err, "could not count a consultation at start-up");
            }
        }
        tracing::info!(consultations = done.len(), seconds = started.elapsed().as_secs_f64(), "counted the closed consultations");
    });
}

/// Read every ballot, make them safe to publish, count that, and keep everything that is
/// served from it; the CPU work runs on a blocking thread so it does not hold up the
/// requests that share this worker.
async fn recount(ctx: &AppContext, id: Uuid) -> Result<Arc<Published>, AppError> {
    let frozen = ctx.frozen_paper(id).await?;
    let rows = storage::ballots::counted_rows(&ctx.db, id).await?;
    let unit = ctx.settings.council.name.clone();
    let (stored, published) = tokio::task::spawn_blocking(move || -> Result<(storage::review::StoredResult, Published), AppError> {
        let (ballots, marker) = storage::ballots::decode_counted(rows)?;
        let counted = count_ballots(&frozen, ballots)?;
        let c = &frozen.consultation;
        let result = present(c, &counted);
        let breakdowns = pbvote_tally::breakdown::breakdowns(&counted.election)
            .map_err(|e| AppError::internal(format!("breakdowns of a published file: {e}")))?;
        let breakdowns = serde_json::to_value(&breakdowns).map_err(|e| AppError::internal(format!("breakdowns: {e}")))?;
        let satisfaction = crate::review::satisfaction(&frozen.paper, &counted.result, &counted.election, &counted.pooled);
        let election = pbvote_tally::exchange::to_json(&counted.election);
        let pabulib = pbvote_tally::pabulib::write(&counted.election, &c.title, &unit);
        let counted_at = chrono::Utc::now();
        let stored = storage::review::StoredResult {
            marker,
            result: result.to_string(),
            breakdowns: breakdowns.to_string(),
            satisfaction: satisfaction.to_string(),
            election: election.clone(),
            pabulib: pabulib.clone(),
            counted_at,
        };
        let published = Published {
            marker,
            result,
            breakdowns,
            satisfaction,
            election_sha256: crate::review_files::sha256(&election),
            pabulib_sha256: crate::review_files::sha256(&pabulib),
            election: Arc::new(election),
            pabulib: Arc::new(pabulib),
            counted_at,
        };
        Ok((stored, published))
    })
    .await
    .map_err(|e| AppError::internal(format!("counting: {e}")))??;
    storage::review::store_result(&ctx.db, id, &stored).await?;
    // The marker of exactly the rows counted: if anything changed meanwhile, the next read counts again.
    let published = Arc::new(published);
    ctx.results.put(id, published.clone());
    Ok(published)
}

/// Make `ballots` safe to publish and count exactly that file (see the module
/// documentation).
pub fn count_ballots(frozen: &crate::app::FrozenPaper, ballots: Vec<crate::model::CountedBallot>) -> Result<Counted, AppError> {
    let c = &frozen.consultation;
    let service_users = service_user_counts(c, &ballots);
    let ballots = ballots.into_iter().map(|b| b.into_tally_ballot(c.settings.service_users)).collect();
    let anonymised = pbvote_tally::disclosure::anonymise(&frozen.paper, ballots)
        .map_err(|e| AppError::internal(format!("a stored ballot does not fit the paper: {e}")))?;
    let mut note = pbvote_tally::disclosure::note(c.settings.min_group, &anonymised);
    match c.settings.service_users {
        crate::domain::ServiceUsers::Declared => {}
        crate::domain::ServiceUsers::DeclaredOrVerified => note.push_str(
            " A ballot's uses are the services the resident said they use and the service of any service-user code given with it.",
        ),
        crate::domain::ServiceUsers::Verified => note.push_str(
            " A ballot's uses are only the services of service-user codes given with it (verified users); services residents said they use without a code are not counted.",
        ),
    }
    let election = pbvote_tally::Election {
        currency: Some(c.currency.as_str().to_owned()),
        config: c.settings.tally_config(&c.budget),
        services: frozen.paper.services().to_vec(),
        proposals: frozen.paper.proposals().to_vec(),
        ballots: anonymised.ballots,
        withheld: anonymised.withheld,
        note: Some(note),
    };
    let mut count = pbvote_tally::Count::new(&frozen.paper);
    for ballot in &election.ballots {
        count.add(ballot).map_err(|e| AppError::internal(format!("a stored ballot does not fit the paper: {}", e.technical())))?;
    }
    if let Some(withheld) = &election.withheld {
        count.add_withheld(withheld).map_err(|e| AppError::internal(format!("withheld sums do not fit the paper: {e}")))?;
    }
    let currency = c.currency.clone();
    let result = count.result_with_money(&|minor| crate::domain::Currency::format(&currency, minor));
    Ok(Counted { result, election: Arc::new(election), pooled: anonymised.pooled, service_users })
}

/// The result as the API shows it: the counting rule's output, each proposal joined with
/// its title, amount and service so a page needs nothing else; the file's `note`; the
/// rules' `fingerprint` (see `Election::rules_fingerprint`); and, when the savings agreed
/// fall short of the target, the savings that would close the gap, next in rank order.
pub fn present(consultation: &Consultation, counted: &Counted) -> Value {
    let result = &counted.result;
    let proposals: Vec<Value> = result
        .proposals
        .iter()
        .map(|outcome| {
            let mut entry = serde_json::to_value(outcome).unwrap_or(Value::Null);
            if let (Value::Object(map), Some(p)) = (&mut entry, consultation.proposals.iter().find(|p| p.id == outcome.id)) {
                map.insert("title".into(), json!(p.title));
                map.insert("summary".into(), json!(p.summary));
                let service_name =
                    p.service.as_ref().and_then(|s| consultation.services.iter().find(|x| &x.id == s)).map(|s| s.name.clone());
                map.insert("service_name".into(), json!(service_name));
            }
            entry
        })
        .collect();
    json!({
        "summary": result.summary,
        "note": counted.election.note,
        "fingerprint": counted.election.rules_fingerprint(),
        "closing_the_shortfall": closing_the_shortfall(result),
        "service_users": service_users_block(consultation, &counted.service_users),
        "proposals": proposals,
    })
}

/// The rules' fingerprint as people read it: its first 12 hex digits in groups of four
/// (`3f9a 1c07 b2e4`). 48 bits: no two sets of rules a council would compare share it.
pub fn short_fingerprint(fingerprint: &str) -> String {
    let head: Vec<char> = fingerprint.chars().take(12).collect();
    head.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// When the savings agreed fall short of the target: the savings not agreed, best ranked
/// first, that would close the gap, each with the total it brings the savings to (a
/// protected one among them needs a recorded decision to be agreed).
fn closing_the_shortfall(result: &pbvote_tally::TallyResult) -> Vec<Value> {
    let mut gap = result.summary.shortfall;
    if gap == 0 {
        return Vec::new();
    }
    let mut left: Vec<&pbvote_tally::ProposalResult> =
        result.proposals.iter().filter(|p| p.kind == pbvote_tally::ProposalKind::Saving && !p.adopted).collect();
    left.sort_by_key(|p| p.rank);
    let mut total = result.summary.savings_adopted;
    let mut out = Vec::new();
    for p in left {
        if gap == 0 {
            break;
        }
        total += p.amount;
        gap = gap.saturating_sub(p.amount);
        out.push(json!({"id": p.id, "amount": p.amount, "protected": p.protected, "savings_then": total}));
    }
    out
}

/// The full result as served: the consultation as it is now (its phase moves on), then what
/// was counted.
pub fn served(consultation: &Consultation, published: &Published) -> Value {
    let mut out = json!({
        "consultation": {
            "id": consultation.id,
            "title": consultation.title,
            "description": consultation.description,
            "phase": consultation.phase,
            "currency": consultation.currency,
            "budget": consultation.budget,
            "settings": consultation.settings,
            "services": consultation.services,
            "fingerprint": consultation.fingerprint,
        },
    });
    if let (Value::Object(out), Value::Object(counted)) = (&mut out, &published.result) {
        out.extend(counted.clone());
    }
    out
}

/// How many have voted, as anyone may be shown it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Turnout {
    /// Ballots cast. While voting is open: rounded down to a whole number of `step`s.
    pub ballots: u64,
    /// While voting is open, the turnout moves in steps of this many ballots (the
    /// consultation's `min_group`); 1 once voting has closed.
    pub step: u32,
    /// Whether `ballots` is the exact number (false while voting is open and `step` > 1).
    pub exact: bool,
}

/// The turnout to show for `ballots` cast so far: exact once voting has closed; while it
/// is open, in steps of `min_group`, so that a reader watching it learns at most that
/// a group of people voted, and never the moment one person did.
pub fn turnout(consultation: &Consultation, ballots: u64) -> Turnout {
    let step = if consultation.phase == Phase::Open { consultation.settings.min_group.max(1) } else { 1 };
    Turnout { ballots: ballots - ballots % u64::from(step), step, exact: step == 1 }
}
