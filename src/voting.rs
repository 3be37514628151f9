//! Casting a ballot: the resident's one action.
use uuid::Uuid;

use crate::{
    app::AppContext,
    domain::{Channel, Receipt, VoterCode},
    errors::{AppError, FieldContext},
    model::Consultation,
    storage::{
        self,
        ballots::{BallotToStore, MeetingCast, Stored},
    },
};

/// A ballot as the resident sent it, before any checking.
pub struct BallotForm {
    pub voter_code: String,
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    pub uses: Vec<String>,
    pub area: Option<String>,
    /// A service-user code given with the ballot, as typed (see `storage::ballots::verify_in`).
    pub service_user_code: Option<String>,
    /// Cast on a phone in this meeting's hall (channel `meeting`); `None`: online.
    pub meeting: Option<Uuid>,
    /// The client's address, for the limit on wrong voter codes.
    pub client: String,
}

/// Check a ballot against the consultation's paper and store it (replacing an earlier
/// ballot cast with the same code). Nothing is written unless every check passes. Returns
/// the resident's receipt (kept only as a keyed hash) and what was stored.
pub async fn cast_ballot(ctx: &AppContext, consultation: Uuid, form: BallotForm) -> Result<(Receipt, Stored), AppError> {
    // Held until the code has been checked (and, if wrong, counted), so parallel guesses
    // cannot all be checked before the first is counted. Costs a good ballot no database work.
    let client = crate::rate_limit::client_group(&form.client);
    let attempt = ctx.limiter.begin_credited("voter-code-failures", &client, ctx.limiter.limits.code_failures_per_client).await?;
    let frozen = ctx.frozen_paper(consultation).await?;
    // Say "closed" before complaining about the ballot's contents.
    frozen.consultation.voting_is_open(chrono::Utc::now()).map_err(AppError::wrong_phase)?;
    let code = VoterCode::parse(&form.voter_code).field("voter_code")?;
    frozen.paper.check_ballot(&form.want, &form.dont_want, &form.uses).map_err(|e| AppError::invalid(e.field.as_str(), &e))?;
    let area = checked_area(&frozen.consultation, form.area.as_deref())?;
    let service_user_code_hash = match form.service_user_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(_) if !frozen.consultation.settings.service_users.verifies() => {
            return Err(AppError::invalid("service_user_code", "this consultation does not use service-user codes; leave the box empty"));
        }
        Some(raw) => Some(ctx.keys.code_lookup_hash(consultation, &VoterCode::parse(raw).field("service_user_code")?)),
    };
    let uses = as_set(form.uses);
    let code_hash = ctx.keys.code_lookup_hash(consultation, &code);
    let voter_key = ctx.keys.voter_key(consultation, &code);
    let receipt = Receipt::generate();
    let receipt_hash = ctx.keys.receipt_hash(&receipt);
    let stored = storage::ballots::cast(
        &ctx.db,
        consultation,
        &code_hash,
        &voter_key,
        BallotToStore {
            want: form.want,
            dont_want: form.dont_want,
            uses,
            channel: if form.meeting.is_some() { Channel::Meeting } else { Channel::Online },
            area,
            receipt_hash,
            service_user_code_hash,
            meeting: form.meeting.map(|meeting| MeetingCast { meeting, join_hash: ctx.keys.join_hash(meeting, &code) }),
        },
    )
    .await;
    match &stored {
        // Counted across instances; a failure that goes over the limit is refused as such,
        // and one that cannot be counted is an error.
        Err(AppError::InvalidVoterCode | AppError::InvalidServiceUserCode) => attempt.failed().await?,
        // A code's first ballot happens once per code, ever: it lets this client mistype one
        // more code in this window (a meeting hall behind one address is never blocked by
        // its mistypes, and a guesser without codes earns nothing).
        Ok(ballot) if !ballot.replaced => attempt.earned_credit(),
        _ => {}
    }
    stored.map(|stored| (receipt, stored))
}

/// The area a ballot gives: none, or one of the consultation's areas (exactly as listed).
pub fn checked_area(consultation: &Consultation, raw: Option<&str>) -> Result<Option<String>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(area) if consultation.areas.is_empty() => {
            Err(AppError::invalid("area", format!("this consultation does not ask for an area (got {area:?})")))
        }
        Some(area) => match consultation.areas.iter().find(|a| a.as_str() == area) {
            Some(known) => Ok(Some(known.clone())),
            None => Err(AppError::invalid(
                "area",
                format!("{area:?} is not one of the areas of this consultation: {}", consultation.areas.join(", ")),
            )),
        },
    }
}

/// `uses` is a set: stored sorted, each service once, so its order or repeats cannot mark
/// a ballot for someone to find in the export later (the count is the same).
pub fn as_set(mut uses: Vec<String>) -> Vec<String> {
    uses.sort_unstable();
    uses.dedup();
    uses
}
