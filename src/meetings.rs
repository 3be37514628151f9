//! Live meetings: what the organiser, the officers, the door desk, the phones and the
//! projector of a hall meeting do, between HTTP and storage.
//!
//! **What the room may see, and when** (the rule of docs/privacy.md, kept): while a meeting
//! votes, its projector and phones show how many were admitted and how many have voted —
//! the room sees people vote anyway — never what. When the organiser closes the meeting,
//! its ballots are counted once and the count is kept; "reveal" shows that count, and only
//! that, for ever. It is never counted again (so no later reading can be subtracted from
//! it), and it is not shown at all when fewer than `min_group` ballots were cast there. The
//! consultation's combined result is not shown until voting closes for everyone: a
//! combined result shown at each meeting's close would be a running result, which someone
//! who votes between two meetings could subtract.
//!
//! **The live stream.** [`MeetingHub`] keeps, per meeting someone follows, the state the
//! projector shows, refreshed from the database whenever the meeting changes on any
//! instance ([`crate::storage::notify`]), at most every [`GATHER`] (a burst of ballots is
//! one refresh). Counts read after each change only grow (a reset starts a new
//! `generation`), so a follower never sees a count go backwards.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::{
    app::AppContext,
    domain::{Email, MeetingPhase, PaperSerial, Role, ShortId, VoterCode},
    errors::{AppError, FieldContext},
    model::{Meeting, User},
    storage::{
        self, Db,
        meetings::MeetingFields,
        notify::Change,
        paper::{Action, Entered, PaperBallot, PaperKey},
    },
};

/// How long a refresh waits for more changes to gather after the first.
pub const GATHER: Duration = Duration::from_millis(50);
/// A followed meeting is read again at least this often, whatever the notifications say.
const REFRESH_ANYWAY: Duration = Duration::from_secs(10);

/// What a meeting's followers are shown: the state as JSON, and a number that goes up with
/// each change (the stream's event id, with the generation).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveState {
    pub generation: u32,
    pub seq: u64,
    pub json: Value,
}

struct Followed {
    sender: watch::Sender<Arc<LiveState>>,
    wake: Arc<Notify>,
}

/// The meetings this instance's followers watch (see the module documentation).
#[derive(Clone)]
pub struct MeetingHub {
    followed: Arc<Mutex<HashMap<Uuid, Followed>>>,
}

impl MeetingHub {
    /// Start listening for changes to meetings (on every instance).
    pub fn start(db: &Db) -> MeetingHub {
        let hub = MeetingHub { followed: Arc::default() };
        let mut changes = db.changes().subscribe();
        let followed = hub.followed.clone();
        tokio::spawn(async move {
            loop {
                let change = match changes.recv().await {
                    Ok(change) => change,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Change::Everything,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let Ok(followed) = followed.lock() else { return };
                match change {
                    Change::Meeting(id) => {
                        if let Some(f) = followed.get(&id) {
                            f.wake.notify_one();
                        }
                    }
                    Change::Everything => followed.values().for_each(|f| f.wake.notify_one()),
                }
            }
        });
        hub
    }

    /// Follow a meeting: the current state at once, and every change after it.
    pub async fn follow(&self, ctx: &AppContext, id: Uuid) -> Result<watch::Receiver<Arc<LiveState>>, AppError> {
        if let Some(f) = self.followed.lock().map_err(|_| AppError::internal("meeting hub poisoned"))?.get(&id) {
            // The state kept may be a refresh behind (at most GATHER and a read): refresh now,
            // so a client that (re)connects has the current state within moments.
            f.wake.notify_one();
            return Ok(f.sender.subscribe());
        }
        let first = read_state(ctx, id, 0).await?;
        let mut followed = self.followed.lock().map_err(|_| AppError::internal("meeting hub poisoned"))?;
        // Someone may have started following while we read.
        if let Some(f) = followed.get(&id) {
            return Ok(f.sender.subscribe());
        }
        let (sender, receiver) = watch::channel(Arc::new(first));
        let wake = Arc::new(Notify::new());
        followed.insert(id, Followed { sender: sender.clone(), wake: wake.clone() });
        tokio::spawn(refresh_while_followed(ctx.clone(), self.followed.clone(), id, sender, wake));
        Ok(receiver)
    }
}

/// Read the meeting again after each change, until nobody follows it.
async fn refresh_while_followed(
    ctx: AppContext,
    followed: Arc<Mutex<HashMap<Uuid, Followed>>>,
    id: Uuid,
    sender: watch::Sender<Arc<LiveState>>,
    wake: Arc<Notify>,
) {
    loop {
        let _ = tokio::time::timeout(REFRESH_ANYWAY, wake.notified()).await;
        if sender.receiver_count() == 0 {
            if let Ok(mut map) = followed.lock()
                && sender.receiver_count() == 0
            {
                map.remove(&id);
                return;
            }
            continue;
        }
        tokio::time::sleep(GATHER).await;
        let seq = sender.borrow().seq;
        match read_state(&ctx, id, seq).await {
            Ok(state) => {
                sender.send_if_modified(|current| {
                    if current.json == state.json {
                        return false;
                    }
                    *current = Arc::new(LiveState { seq: current.seq + 1, ..state });
                    true
                });
            }
            Err(AppError::NotFound { .. }) => {
                if let Ok(mut map) = followed.lock() {
                    map.remove(&id);
                }
                return;
            }
            Err(error) => tracing::warn!(%id, %error, "could not read a followed meeting"),
        }
    }
}

/// The state of a meeting as its projector and phones are shown it.
pub async fn read_state(ctx: &AppContext, id: Uuid, seq: u64) -> Result<LiveState, AppError> {
    let live = storage::meetings::live(&ctx.db, id).await?;
    let m = &live.meeting;
    let consultation = storage::consultations::get(&ctx.db, m.consultation_id).await?;
    let focus = m.focus.as_ref().and_then(|p| consultation.proposals.iter().find(|x| &x.id == p)).map(|p| {
        let service = p.service.as_ref().and_then(|s| consultation.services.iter().find(|x| &x.id == s)).map(|s| s.name.clone());
        json!({"id": p.id, "kind": p.kind, "title": p.title, "summary": p.summary, "details": p.details, "amount": p.amount, "service_name": service})
    });
    let result = match &live.result {
        Some(text) => Some(serde_json::from_str::<Value>(text).map_err(|e| AppError::internal(format!("stored meeting result: {e}")))?),
        None => None,
    };
    let json = json!({
        "meeting": {
            "id": m.id, "title": m.title, "place": m.place, "starts_at": m.starts_at, "phase": m.phase,
            "join_code": m.join_code, "generation": m.generation, "revealed": m.revealed,
        },
        "consultation": {"id": consultation.id, "title": consultation.title, "phase": consultation.phase, "currency": consultation.currency},
        "admitted": live.admitted,
        "voted": live.phone_ballots + live.paper_ballots,
        "phones": live.phone_ballots,
        "paper": live.paper_ballots,
        "focus": focus,
        "result": result,
    });
    Ok(LiveState { generation: m.generation, seq, json })
}

/// Whether `user` may act for the meeting at the door and on paper: an organiser, or an
/// officer assigned to it.
pub async fn check_officer(ctx: &AppContext, meeting: Uuid, user: &User) -> Result<(), AppError> {
    match user.role {
        Role::Organiser => Ok(()),
        Role::Officer if storage::meetings::is_officer(&ctx.db, meeting, user.id).await? => Ok(()),
        Role::Officer => Err(AppError::forbidden("you are not an officer of this meeting; ask its organiser to assign you")),
        _ => Err(AppError::forbidden("only organisers and the meeting's officers can do this")),
    }
}

pub async fn create(ctx: &AppContext, consultation: Uuid, fields: MeetingFields, by: &User) -> Result<Meeting, AppError> {
    storage::meetings::create(&ctx.db, consultation, fields, by).await
}

/// Close voting in a meeting: count its ballots once (made safe to publish, as every
/// result is) and keep the count.
pub async fn close(ctx: &AppContext, id: Uuid, by: &User, override_reason: Option<String>) -> Result<Meeting, AppError> {
    let meeting = storage::meetings::get(&ctx.db, id).await?;
    let frozen = ctx.frozen_paper(meeting.consultation_id).await?;
    let min_group = u64::from(frozen.consultation.settings.min_group.max(1));
    storage::meetings::close(&ctx.db, id, by, override_reason, |ballots| {
        let n = ballots.len() as u64;
        let counted = crate::results::count_ballots(&frozen, ballots)?;
        let presented = crate::results::present(&frozen.consultation, &counted);
        // Fewer ballots than the smallest group: the count would show how those few voted.
        let shown = if n >= min_group {
            json!({"ballots": n, "min_group": min_group, "summary": presented["summary"], "proposals": presented["proposals"], "note": presented["note"]})
        } else {
            json!({"ballots": n, "min_group": min_group, "too_few": true})
        };
        Ok(shown.to_string())
    })
    .await
}

/// A proposal (or nothing) in focus on the projector; it must be on the ballot paper.
pub async fn set_focus(ctx: &AppContext, id: Uuid, proposal: Option<ShortId>, by: &User) -> Result<Meeting, AppError> {
    let meeting = storage::meetings::get(&ctx.db, id).await?;
    if let Some(p) = &proposal {
        let consultation = storage::consultations::get(&ctx.db, meeting.consultation_id).await?;
        if !consultation.proposals.iter().any(|x| x.id == p.as_str()) {
            return Err(AppError::invalid("proposal", format!("{:?} is not a proposal of this consultation", p.as_str())));
        }
    }
    storage::meetings::set_focus(&ctx.db, id, proposal.map(|p| p.as_str().to_owned()), by).await
}

/// A code as printed on a slip or a letter: the code, its short link and its QR code.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PrintedCode {
    /// `K7QF-M2XD-9PRT`
    pub code: String,
    /// `{base}/go#K7QFM2XD9PRT`: opens the right ballot page with the code filled in.
    pub link: String,
    /// An SVG QR code of `link`, as a `data:` URI.
    pub qr: String,
}

/// The short link of a code (the code goes after `#`, so it never reaches a server log).
pub fn code_link(base: &str, code: &VoterCode) -> String {
    format!("{}/go#{}", base.trim_end_matches('/'), code.canonical())
}

pub fn printed(base: &str, code: &VoterCode) -> Result<PrintedCode, AppError> {
    let link = code_link(base, code);
    Ok(PrintedCode { code: code.display(), qr: crate::qr::svg_data_uri(&link)?, link })
}

/// The most slips one sheet may hold.
pub const MAX_SLIPS: u32 = 2000;

/// Print a sheet of admission slips.
pub async fn issue_slips(ctx: &AppContext, id: Uuid, count: u32, base: &str, by: &User) -> Result<Vec<PrintedCode>, AppError> {
    if count == 0 || count > MAX_SLIPS {
        return Err(AppError::invalid("count", format!("must be between 1 and {MAX_SLIPS}")));
    }
    let meeting = storage::meetings::get(&ctx.db, id).await?;
    let codes: Vec<VoterCode> = (0..count).map(|_| VoterCode::generate()).collect();
    let hashes = codes.iter().map(|c| ctx.keys.new_code(meeting.consultation_id, c)).collect();
    storage::meetings::issue_slips(&ctx.db, id, hashes, by).await?;
    codes.iter().map(|c| printed(base, c)).collect()
}

/// At the door: a resident's letter for a slip (see `storage::meetings::exchange`).
pub async fn exchange(ctx: &AppContext, id: Uuid, letter_code: &str, base: &str, by: &User) -> Result<PrintedCode, AppError> {
    check_officer(ctx, id, by).await?;
    let meeting = storage::meetings::get(&ctx.db, id).await?;
    let letter = VoterCode::parse(letter_code).field("letter_code")?;
    let slip = VoterCode::generate();
    storage::meetings::exchange(
        &ctx.db,
        id,
        &ctx.keys.code_lookup_hash(meeting.consultation_id, &letter),
        &ctx.keys.voter_key(meeting.consultation_id, &letter),
        ctx.keys.new_code(meeting.consultation_id, &slip),
        by,
    )
    .await?;
    printed(base, &slip)
}

/// Where a code votes, from its short link (`/go#CODE`): its consultation and, for a
/// slip, its meeting. Wrong codes count against the client like wrong ballots.
pub async fn find_code(ctx: &AppContext, code: &str, client: &str) -> Result<(Uuid, Option<Uuid>), AppError> {
    let client = crate::rate_limit::client_group(client);
    let attempt = ctx.limiter.begin_credited("voter-code-failures", &client, ctx.limiter.limits.code_failures_per_client).await?;
    let code = VoterCode::parse(code).field("voter_code")?;
    let found = storage::voter_codes::find_by_link(&ctx.db, &ctx.keys.link_hash(&code)).await;
    if let Err(AppError::InvalidVoterCode) = found {
        attempt.failed().await?;
    }
    found
}

/// A phone opens the meeting's page with a code: check it may vote here, and count it as
/// admitted. Wrong codes count against the client like wrong ballots.
pub async fn join(ctx: &AppContext, id: Uuid, code: &str, client: &str) -> Result<storage::meetings::Joined, AppError> {
    let client = crate::rate_limit::client_group(client);
    let attempt = ctx.limiter.begin_credited("voter-code-failures", &client, ctx.limiter.limits.code_failures_per_client).await?;
    let code = VoterCode::parse(code).field("voter_code")?;
    let meeting = storage::meetings::get(&ctx.db, id).await?;
    let joined =
        storage::meetings::join(&ctx.db, id, &ctx.keys.code_lookup_hash(meeting.consultation_id, &code), &ctx.keys.join_hash(id, &code))
            .await;
    if let Err(AppError::InvalidVoterCode) = joined {
        attempt.failed().await?;
    }
    joined
}

/// A paper ballot as an officer typed it, before checking.
pub struct PaperForm {
    pub serial: String,
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    pub uses: Vec<String>,
    pub area: Option<String>,
}

/// Enter (or correct, or settle) a paper ballot at a meeting.
pub async fn enter_paper(ctx: &AppContext, id: Uuid, by: &User, form: PaperForm, action: Action) -> Result<Entered, AppError> {
    check_officer(ctx, id, by).await?;
    let meeting = storage::meetings::get(&ctx.db, id).await?;
    if meeting.phase != MeetingPhase::Voting {
        return Err(AppError::wrong_phase(format!(
            "paper ballots can be entered only while the meeting votes; it is {}",
            meeting.phase.as_str()
        )));
    }
    let frozen = ctx.frozen_paper(meeting.consultation_id).await?;
    let serial = PaperSerial::parse(&form.serial).field("serial")?;
    frozen.paper.check_ballot(&form.want, &form.dont_want, &form.uses).map_err(|e| AppError::invalid(e.field.as_str(), &e))?;
    let area = crate::voting::checked_area(&frozen.consultation, form.area.as_deref())?;
    // A paper numbered with one of this meeting's slips is that slip's ballot.
    let key = match VoterCode::parse(serial.as_str()) {
        Ok(code) if is_slip_of(ctx, &meeting, &code).await? => PaperKey {
            ballot_key: ctx.keys.voter_key(meeting.consultation_id, &code),
            slip_hash: Some(ctx.keys.code_lookup_hash(meeting.consultation_id, &code)),
        },
        _ => PaperKey { ballot_key: ctx.keys.paper_key(id, serial.as_str()), slip_hash: None },
    };
    let ballot = PaperBallot { serial, want: form.want, dont_want: form.dont_want, uses: crate::voting::as_set(form.uses), area };
    storage::paper::enter(&ctx.db, id, by, key, ballot, action).await
}

async fn is_slip_of(ctx: &AppContext, meeting: &Meeting, code: &VoterCode) -> Result<bool, AppError> {
    match storage::voter_codes::find_by_link(&ctx.db, &ctx.keys.link_hash(code)).await {
        Ok((_, Some(m))) => Ok(m == meeting.id),
        Ok(_) | Err(AppError::InvalidVoterCode) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Assign an officer by e-mail.
pub async fn assign_officer(ctx: &AppContext, id: Uuid, email: &str, by: &User) -> Result<User, AppError> {
    let email = Email::parse(email).field("email")?;
    storage::meetings::assign_officer(&ctx.db, id, &email, by).await
}
