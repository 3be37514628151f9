//! The state every request handler shares: the database, the keys, the settings and a
//! cache of ballot papers.
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use uuid::Uuid;

use crate::{
    config::Settings,
    domain::Phase,
    errors::AppError,
    meetings::MeetingHub,
    model::Consultation,
    rate_limit::RateLimiter,
    results::ResultCache,
    security::Keys,
    storage::{self, Db},
};

#[derive(Clone)]
pub struct AppContext {
    pub db: Db,
    pub keys: Keys,
    pub settings: Arc<Settings>,
    pub limiter: RateLimiter,
    /// Sends residents' codes by e-mail; `None` when e-mail is not set up.
    pub mailer: Option<crate::mail::Mailer>,
    pub results: ResultCache,
    /// The meetings this instance's projectors and phones follow.
    pub meetings: MeetingHub,
    /// Becomes true when the server starts stopping: long-lived streams end then, so their
    /// clients reconnect to another instance instead of holding this one open.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    papers: PaperCache,
}

/// A consultation that is open, closed or published together with its checked ballot
/// paper. Its services and proposals can no longer change (edits are for drafts only), so
/// caching it is safe on every instance; only the phase moves on, and the ballot
/// transaction checks that afresh. (So does `self_registration`, which an organiser may change
/// while voting is open: read it from the database, never from here.)
pub struct FrozenPaper {
    pub consultation: Consultation,
    pub paper: pbvote_tally::BallotPaper,
}

#[derive(Clone, Default)]
struct PaperCache(Arc<RwLock<HashMap<Uuid, Arc<FrozenPaper>>>>);

impl AppContext {
    pub fn new(db: Db, settings: Settings) -> Self {
        let keys = Keys::new(settings.secret.clone());
        let meetings = MeetingHub::start(&db);
        let (stop, stopping) = tokio::sync::watch::channel(false);
        // `Settings::check` has built it once already, so this does not fail.
        let mailer = settings
            .mail
            .as_ref()
            .and_then(|mail| crate::mail::Mailer::new(mail).map_err(|e| tracing::error!(error = %e, "e-mail is not set up")).ok());
        AppContext {
            mailer,
            stopping,
            stop: Arc::new(stop),
            limiter: RateLimiter::new(db.clone(), keys.clone(), settings.limits.clone()),
            keys,
            db,
            settings: Arc::new(settings),
            results: ResultCache::default(),
            meetings,
            papers: PaperCache::default(),
        }
    }

    /// Tell long-lived streams the server is stopping.
    pub fn begin_stopping(&self) {
        let _ = self.stop.send(true);
    }

    /// The ballot paper of a consultation that is past its draft.
    pub async fn frozen_paper(&self, id: Uuid) -> Result<Arc<FrozenPaper>, AppError> {
        if let Some(hit) = self.papers.0.read().map_err(|_| AppError::internal("paper cache poisoned"))?.get(&id) {
            return Ok(hit.clone());
        }
        let consultation = storage::consultations::get(&self.db, id).await?;
        if consultation.phase == Phase::Draft {
            return Err(AppError::wrong_phase("voting has not started yet"));
        }
        let paper = consultation.ballot_paper().map_err(|e| AppError::internal(format!("stored ballot paper is not valid: {e}")))?;
        let frozen = Arc::new(FrozenPaper { consultation, paper });
        self.papers.0.write().map_err(|_| AppError::internal("paper cache poisoned"))?.insert(id, frozen.clone());
        Ok(frozen)
    }
}
