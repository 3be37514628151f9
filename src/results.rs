//! Results: the stored ballots counted by the same function as `pbvote tally`.
//!
//! Counting 150,000 ballots means reading them all from the database, so each instance
//! keeps the last result per consultation with the ballots' change marker (see
//! `storage::ballots::change_marker`) and recounts only when the marker moved. While
//! ballots pour into a large consultation the marker moves all the time; then, if a
//! recount is slow (over [`SLOW_RECOUNT`]), a result up to four recounts old — never
//! more than [`FRESH_ENOUGH`] — is served without even checking the marker, and after
//! that readers get the last result (at most [`MAX_STALE`] old) while one background task
//! checks the marker and recounts off the request threads. Once voting has closed the
//! marker stops moving and every read is exact.
//!
//! **Steps while voting is open.** Someone who reads the result just before and just after
//! one ballot arrives learns that ballot's contents by subtraction, and its time (which a
//! proxy log can tie to an address). So while voting is open, the result shown moves only
//! in steps of at least `min_group` ballot changes (new ballots or replacements; the same
//! group size below which the count gives no group special weight): two readings never
//! differ by fewer than that many ballots. It starts from "no ballots counted". The step
//! is per instance; see docs/privacy.md for what that leaves.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{app::AppContext, domain::Phase, errors::AppError, model::Consultation, storage};

/// How stale a result may be, at most, while voting is open and ballots keep arriving.
pub const FRESH_ENOUGH: Duration = Duration::from_millis(500);
/// Recounts faster than this are always redone: staleness buys nothing there.
pub const SLOW_RECOUNT: Duration = Duration::from_millis(20);

/// A counted result and what it was counted from.
pub struct Counted {
    pub result: pbvote_tally::TallyResult,
    marker: (i64, i64),
    at: Instant,
    took: Duration,
    /// The paper it was counted on (to count "no ballots yet" on the same paper).
    paper: Arc<crate::app::FrozenPaper>,
}

/// Per-instance cache of counted results, with one recount at a time per consultation.
#[derive(Clone, Default)]
pub struct ResultCache {
    entries: Arc<Mutex<HashMap<Uuid, Arc<Counted>>>>,
    /// While voting is open: the result readers are shown (moved on in steps).
    shown: Arc<Mutex<HashMap<Uuid, Arc<Counted>>>>,
    /// Held while recounting, so concurrent readers wait for one recount instead of each
    /// reading every ballot.
    recounting: Arc<tokio::sync::Mutex<()>>,
}

impl ResultCache {
    fn get(&self, id: Uuid) -> Option<Arc<Counted>> {
        self.entries.lock().ok()?.get(&id).cloned()
    }

    fn put(&self, id: Uuid, counted: Arc<Counted>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(id, counted);
        }
    }

    /// The result to show while voting is open, given the latest count: the latest if it
    /// counts at least `step` more ballot changes than the one shown so far, else that
    /// one (at first, `nothing`: no ballots counted).
    fn step_towards(
        &self,
        id: Uuid,
        latest: &Arc<Counted>,
        step: u32,
        nothing: impl FnOnce() -> Arc<Counted>,
    ) -> Result<Arc<Counted>, AppError> {
        let mut shown = self.shown.lock().map_err(|_| AppError::internal("result cache poisoned"))?;
        let current = shown.entry(id).or_insert_with(nothing);
        if latest.marker.1 - current.marker.1 >= i64::from(step) {
            *current = latest.clone();
        }
        Ok(current.clone())
    }
}

/// Which ballots a result shown counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountedAsOf {
    /// Ballots in the result.
    pub ballots: u64,
    /// While voting is open, results move in steps of at least this many ballot changes
    /// (the consultation's `min_group`); 1 once voting has closed.
    pub step: u32,
    /// Whether this reading was checked against the database: it counts every ballot
    /// stored when it was read. (False while a step gathers, or when a large vote's
    /// cached count was served while a newer one is made in the background.)
    pub exact: bool,
}

/// A result as shown to a reader.
pub struct Shown {
    pub counted: Arc<Counted>,
    pub as_of: CountedAsOf,
}

/// How old a cached result may be, at most, while a recount runs in the background.
pub const MAX_STALE: Duration = Duration::from_secs(3);

fn stale_allowed(cached: &Counted) -> Duration {
    if cached.took >= SLOW_RECOUNT { (cached.took * 4).min(FRESH_ENOUGH) } else { Duration::ZERO }
}

/// The result to show for a consultation: exact once voting has closed; while it is open,
/// the latest count moved on in steps (see the module documentation).
pub async fn count(ctx: &AppContext, consultation: Consultation) -> Result<(Consultation, Shown), AppError> {
    let (consultation, latest, marker_now) = latest_count(ctx, consultation).await?;
    let open = consultation.phase == Phase::Open;
    let step = if open { consultation.settings.min_group.max(1) } else { 1 };
    let counted = if step > 1 {
        let id = consultation.id;
        let nothing = || {
            let empty = pbvote_tally::Count::new(&latest.paper.paper)
                .result_with_money(&|minor| crate::domain::Currency::format(&consultation.currency, minor));
            Arc::new(Counted { result: empty, marker: (0, 0), at: Instant::now(), took: Duration::ZERO, paper: latest.paper.clone() })
        };
        ctx.results.step_towards(id, &latest, step, nothing)?
    } else {
        latest
    };
    // Closed: the marker no longer moves, so the count is exact. Open: exact if this read
    // found the database holding just what was counted (a cached count served without
    // asking, to spare a large vote, is not known to be exact).
    let exact = !open || marker_now == Some(counted.marker);
    let as_of = CountedAsOf { ballots: counted.result.summary.ballots, step, exact };
    Ok((consultation, Shown { counted, as_of }))
}

/// Count a consultation's ballots (or reuse a count that is still true). Also returns
/// the change marker if this call read it.
async fn latest_count(ctx: &AppContext, consultation: Consultation) -> Result<(Consultation, Arc<Counted>, Option<(i64, i64)>), AppError> {
    // The consultation (read by the caller) comes first: its phase decides whether a slightly stale count may do.
    let id = consultation.id;
    let cache = &ctx.results;
    let cached = cache.get(id);
    let open = consultation.phase == Phase::Open;
    // Fresh enough while voting is open: no need to ask the database whether anything changed.
    if let Some(hit) = cached.as_ref().filter(|c| open && c.at.elapsed() < stale_allowed(c)) {
        return Ok((consultation, hit.clone(), None));
    }
    // While voting is open and the last count was slow, readers never wait for the database:
    // the check for changes, and the recount if there were any, run in the background, and
    // readers get the last result meanwhile (never older than MAX_STALE).
    if let Some(stale) = cached.clone().filter(|c| open && c.took >= SLOW_RECOUNT && c.at.elapsed() < MAX_STALE) {
        if let Ok(turn) = cache.recounting.clone().try_lock_owned() {
            let (ctx, last) = (ctx.clone(), stale.clone());
            tokio::spawn(async move {
                let _turn = turn;
                if let Err(err) = refresh(&ctx, id, &last).await {
                    tracing::warn!(%id, error = %err, "background recount failed");
                }
            });
        }
        return Ok((consultation, stale, None));
    }
    let marker = storage::ballots::change_marker(&ctx.db, id).await?;
    if let Some(hit) = usable(cached, marker, consultation.phase) {
        return Ok((consultation, hit, Some(marker)));
    }
    let _turn = cache.recounting.lock().await;
    // Someone may have recounted while we waited.
    let marker = storage::ballots::change_marker(&ctx.db, id).await?;
    if let Some(hit) = usable(cache.get(id), marker, consultation.phase) {
        return Ok((consultation, hit, Some(marker)));
    }
    let counted = recount(ctx, id).await?;
    Ok((consultation, counted, Some(marker)))
}

/// At start-up, count every open consultation once in the background, so the first
/// reader after a restart (a deploy in the middle of a vote) finds a result waiting
/// instead of waiting for a full recount.
pub fn warm_up(ctx: &AppContext) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let open = match storage::consultations::list(&ctx.db, false).await {
            Ok(all) => all.into_iter().filter(|c| c.phase == Phase::Open).collect::<Vec<_>>(),
            Err(err) => return tracing::warn!(error = %err, "could not list consultations to count at start-up"),
        };
        for item in &open {
            let counted = async { count(&ctx, storage::consultations::get(&ctx.db, item.id).await?).await };
            if let Err(err) = counted.await {
                tracing::warn!(id = %item.id, error = %err, "could not count a consultation at start-up");
            }
        }
        tracing::info!(consultations = open.len(), seconds = started.elapsed().as_secs_f64(), "counted the open consultations");
    });
}

/// Recount if the ballots changed since `last`; otherwise note that `last` is still true.
async fn refresh(ctx: &AppContext, id: Uuid, last: &Counted) -> Result<(), AppError> {
    let marker = storage::ballots::change_marker(&ctx.db, id).await?;
    if marker == last.marker {
        ctx.results.put(
            id,
            Arc::new(Counted { result: last.result.clone(), marker, at: Instant::now(), took: last.took, paper: last.paper.clone() }),
        );
    } else {
        recount(ctx, id).await?;
    }
    Ok(())
}

/// Read every ballot and count them; the decoding and counting run on a blocking thread so
/// they do not hold up the requests that share this worker.
async fn recount(ctx: &AppContext, id: Uuid) -> Result<Arc<Counted>, AppError> {
    let started = Instant::now();
    let frozen = ctx.frozen_paper(id).await?;
    let rows = storage::ballots::counted_rows(&ctx.db, id).await?;
    let paper = frozen.clone();
    let (result, marker) = tokio::task::spawn_blocking(move || -> Result<(pbvote_tally::TallyResult, (i64, i64)), AppError> {
        let mut count = pbvote_tally::Count::new(&paper.paper);
        let (ballots, marker) = storage::ballots::decode_counted(rows)?;
        for ballot in ballots {
            count
                .add_ids(&ballot.want, &ballot.dont_want, &ballot.uses, Some(ballot.channel), ballot.area.as_deref())
                .map_err(|e| AppError::internal(format!("a stored ballot does not fit the paper: {}", e.technical())))?;
        }
        let currency = paper.consultation.currency.clone();
        Ok((count.result_with_money(&|minor| crate::domain::Currency::format(&currency, minor)), marker))
    })
    .await
    .map_err(|e| AppError::internal(format!("recount: {e}")))??;
    // The marker of exactly the rows counted: if more arrived meanwhile, the next read recounts.
    let counted = Arc::new(Counted { result, marker, at: Instant::now(), took: started.elapsed(), paper: frozen });
    ctx.results.put(id, counted.clone());
    Ok(counted)
}

fn usable(cached: Option<Arc<Counted>>, marker: (i64, i64), phase: Phase) -> Option<Arc<Counted>> {
    let cached = cached?;
    if cached.marker == marker || (phase == Phase::Open && cached.at.elapsed() < stale_allowed(&cached)) { Some(cached) } else { None }
}

/// The result as the API shows it: the counting rule's output, each proposal joined with
/// its title, amount and service so a page needs nothing else.
pub fn present(consultation: &Consultation, shown: &Shown) -> Value {
    let result = &shown.counted.result;
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
        "consultation": {
            "id": consultation.id,
            "title": consultation.title,
            "description": consultation.description,
            "phase": consultation.phase,
            "currency": consultation.currency,
            "budget": consultation.budget,
            "settings": consultation.settings,
            "services": consultation.services,
        },
        "summary": result.summary,
        "counted_as_of": shown.as_of,
        "proposals": proposals,
    })
}

/// The consultation in the exchange format, with every counted ballot, so anyone can
/// recount it with `pbvote tally`. Ballots are sorted by their contents, which carries
/// no trace of who voted or when.
pub async fn export(ctx: &AppContext, id: Uuid) -> Result<pbvote_tally::Election, AppError> {
    let frozen = ctx.frozen_paper(id).await?;
    let c = &frozen.consultation;
    let mut ballots: Vec<pbvote_tally::Ballot> =
        storage::ballots::counted(&ctx.db, id).await?.into_iter().map(|b| b.into_tally_ballot()).collect();
    ballots.sort_by(|a, b| {
        (&a.want, &a.dont_want, &a.uses, a.channel.map(|c| c.as_str()), &a.area).cmp(&(
            &b.want,
            &b.dont_want,
            &b.uses,
            b.channel.map(|c| c.as_str()),
            &b.area,
        ))
    });
    Ok(pbvote_tally::Election {
        currency: Some(c.currency.as_str().to_owned()),
        config: c.settings.tally_config(&c.budget),
        services: frozen.paper.services().to_vec(),
        proposals: frozen.paper.proposals().to_vec(),
        ballots,
    })
}
