//! Live meetings: the organiser's meeting console, the door desk, the officers' paper entry,
//! the phones in the hall and the projector (see `crate::meetings`).
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    auth::SignedIn,
    ballots::{BallotReceipt, BallotRequest},
    json::{JsonBody, SignedInJson},
    problem::Problem,
};
use crate::{
    app::AppContext,
    domain::{MeetingPhase, ShortId, Title},
    errors::{AppError, FieldContext},
    meetings::{self as service, PaperForm, PrintedCode},
    metrics::METRICS,
    model::{Meeting, MeetingEvent, PaperEntry, Reconciliation, User},
    storage::{self, meetings::MeetingFields, paper::Action, paper::Entered},
    voting::{self, BallotForm},
};

/// A keep-alive comment on a quiet stream, so proxies do not close it.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRequest {
    #[schema(example = "Riverside community meeting", min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(example = "Riverside library, Mill Street", min_length = 1, max_length = 200)]
    pub place: String,
    pub starts_at: Option<DateTime<Utc>>,
    /// Paper ballots are entered by two officers and must agree (default: no).
    #[serde(default)]
    pub double_entry: bool,
}

fn fields(req: MeetingRequest) -> Result<MeetingFields, AppError> {
    Ok(MeetingFields {
        title: Title::parse(&req.title).field("title")?,
        place: Title::parse(&req.place).field("place")?,
        starts_at: req.starts_at,
        double_entry: req.double_entry,
    })
}

/// Add a meeting to a consultation (a draft or open).
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = MeetingRequest,
    responses(
        (status = 201, body = Meeting),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/meetings")]
pub async fn create(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<MeetingRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    let meeting = service::create(&ctx, *id, fields(staff.body.0)?, user).await?;
    Ok(HttpResponse::Created().json(meeting))
}

/// A consultation's meetings.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = Vec<Meeting>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/meetings")]
pub async fn list(ctx: web::Data<AppContext>, id: web::Path<Uuid>, _user: SignedIn) -> Result<HttpResponse, AppError> {
    storage::consultations::get(&ctx.db, *id).await?;
    Ok(HttpResponse::Ok().json(storage::meetings::list(&ctx.db, *id).await?))
}

/// The meetings an officer is assigned to.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Meeting>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/assigned")]
pub async fn assigned(ctx: web::Data<AppContext>, user: SignedIn) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(storage::meetings::assigned(&ctx.db, user.0.id).await?))
}

/// A meeting (public: the hall's phones and projector read it).
#[utoipa::path(
    tag = "meetings",
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, body = Meeting),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/{mid}")]
pub async fn get_one(ctx: web::Data<AppContext>, mid: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    let meeting = storage::meetings::get(&ctx.db, *mid).await?;
    // A draft consultation's meetings are not public.
    let consultation = storage::consultations::get(&ctx.db, meeting.consultation_id).await?;
    if !consultation.phase.is_public() {
        return Err(AppError::not_found("meeting"));
    }
    Ok(HttpResponse::Ok().json(meeting))
}

/// Change a planned meeting's title, place, start or double entry.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = MeetingRequest,
    responses(
        (status = 200, body = Meeting),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/meetings/{mid}")]
pub async fn update(
    ctx: web::Data<AppContext>,
    mid: web::Path<Uuid>,
    staff: SignedInJson<MeetingRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    Ok(HttpResponse::Ok().json(storage::meetings::update(&ctx.db, *mid, fields(staff.body.0)?, user).await?))
}

/// Start voting in the meeting (`planned → voting`), while the consultation is open.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, body = Meeting),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/open")]
pub async fn open(ctx: web::Data<AppContext>, mid: web::Path<Uuid>, user: SignedIn) -> Result<HttpResponse, AppError> {
    let user = user.user();
    Ok(HttpResponse::Ok().json(storage::meetings::open_voting(&ctx.db, *mid, user).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseMeetingRequest {
    /// Why the meeting closes although papers entered twice differently are not settled
    /// (needed only then; it goes in the meeting's record).
    #[schema(max_length = 2000)]
    pub override_reason: Option<String>,
}

/// Close voting in the meeting (`voting → closed`): its ballots are counted once and the
/// count kept, to be revealed. Refused while papers entered twice differently are not
/// settled, unless `override_reason` says why.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = CloseMeetingRequest,
    responses(
        (status = 200, body = Meeting),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/close")]
pub async fn close(
    ctx: web::Data<AppContext>,
    mid: web::Path<Uuid>,
    staff: SignedInJson<CloseMeetingRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    let reason = match staff.body.0.override_reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(crate::domain::BoundedText::parse(text, 2000).field("override_reason")?.into_string()),
    };
    Ok(HttpResponse::Ok().json(service::close(&ctx, *mid, user, reason).await?))
}

/// Show a closed meeting's result on its projector and phones.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, body = Meeting),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/reveal")]
pub async fn reveal(ctx: web::Data<AppContext>, mid: web::Path<Uuid>, user: SignedIn) -> Result<HttpResponse, AppError> {
    let user = user.user();
    Ok(HttpResponse::Ok().json(storage::meetings::reveal(&ctx.db, *mid, user).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetMeetingRequest {
    /// Why (it goes in the meeting's record).
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResetMeeting {
    pub meeting: Meeting,
    /// The meeting's ballots (phones and paper) that were deleted.
    pub ballots_deleted: u64,
}

/// Back to `planned`, deleting the meeting's ballots; only before it closes, with a reason.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = ResetMeetingRequest,
    responses(
        (status = 200, body = ResetMeeting),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/reset")]
pub async fn reset(
    ctx: web::Data<AppContext>,
    mid: web::Path<Uuid>,
    staff: SignedInJson<ResetMeetingRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    let reason = staff.body.0.reason;
    if reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "say why the meeting is reset: it goes in the meeting's record"));
    }
    let reason = crate::domain::BoundedText::parse(&reason, 2000).field("reason")?.into_string();
    let (ballots_deleted, meeting) = storage::meetings::reset(&ctx.db, *mid, user, &reason).await?;
    Ok(HttpResponse::Ok().json(ResetMeeting { meeting, ballots_deleted }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FocusRequest {
    /// The proposal to show, or `null` for none.
    #[schema(max_length = 40, pattern = r"^[A-Za-z0-9._/-]+$")]
    pub proposal: Option<String>,
}

/// Focus mode: show one proposal (title, amount, what it means) on the projector.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = FocusRequest,
    responses(
        (status = 200, body = Meeting),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/meetings/{mid}/focus")]
pub async fn focus(ctx: web::Data<AppContext>, mid: web::Path<Uuid>, staff: SignedInJson<FocusRequest>) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    let proposal = staff.body.0.proposal.as_deref().map(ShortId::parse).transpose().field("proposal")?;
    Ok(HttpResponse::Ok().json(service::set_focus(&ctx, *mid, proposal, user).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlipsRequest {
    /// How many slips (1 to 2,000).
    #[schema(example = 200, minimum = 1, maximum = 2000)]
    pub count: u32,
}

#[derive(Serialize, ToSchema)]
pub struct Slips {
    pub meeting_id: Uuid,
    /// The join link the projector shows (gives no vote on its own).
    pub join_link: String,
    /// The slips, shown this once only: each code with its short link. Their QR codes come
    /// from `POST /api/v1/qr`.
    pub slips: Vec<PrintedLink>,
}

/// A code and its short link.
#[derive(Serialize, ToSchema)]
pub struct PrintedLink {
    pub code: String,
    pub link: String,
}

/// The base of this service's addresses: `PBVOTE_PUBLIC_URL`, or where the request went.
fn base(ctx: &AppContext, req: &HttpRequest) -> String {
    super::voter_codes::public_base(ctx, req)
}

/// Print a sheet of admission slips: one-time codes for this meeting, one per person
/// admitted, each with a short link (and a QR code) that opens the hall's ballot.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = SlipsRequest,
    responses(
        (status = 201, body = Slips),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/slips")]
pub async fn slips(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    mid: web::Path<Uuid>,
    staff: SignedInJson<SlipsRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    let base = base(&ctx, &req);
    let printed = service::issue_slips(&ctx, *mid, staff.body.0.count, &base, user).await?;
    let meeting = storage::meetings::get(&ctx.db, *mid).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(Slips {
        meeting_id: *mid,
        join_link: join_link(&base, &meeting),
        slips: printed.into_iter().map(|p| PrintedLink { code: p.code, link: p.link }).collect(),
    }))
}

/// The join link of a meeting: `{base}/go#JOINCD`.
pub fn join_link(base: &str, meeting: &Meeting) -> String {
    format!("{}/go#{}", base.trim_end_matches('/'), meeting.join_code)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    /// The voter code on the resident's letter.
    #[schema(example = "K7QF-M2XD-9PRT", max_length = 40)]
    pub letter_code: String,
}

/// At the door: exchange a resident's letter for an admission slip. The slip casts the
/// letter's ballot (replacing one it cast online: the hall's is the later), and the letter
/// votes no more online.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = ExchangeRequest,
    responses(
        (status = 201, body = PrintedCode),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/exchange")]
pub async fn exchange(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    mid: web::Path<Uuid>,
    staff: SignedInJson<ExchangeRequest>,
) -> Result<HttpResponse, AppError> {
    let base = base(&ctx, &req);
    let printed = service::exchange(&ctx, *mid, &staff.body.0.letter_code, &base, &staff.user.0).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(printed))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficerRequest {
    /// The e-mail address of an officer's account.
    #[schema(example = "officer@council.gov.uk", max_length = 254)]
    pub email: String,
}

/// Assign an officer to enter paper ballots at the meeting.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = OfficerRequest,
    responses(
        (status = 201, body = User),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/officers")]
pub async fn add_officer(
    ctx: web::Data<AppContext>,
    mid: web::Path<Uuid>,
    staff: SignedInJson<OfficerRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    Ok(HttpResponse::Created().json(service::assign_officer(&ctx, *mid, &staff.body.0.email, user).await?))
}

/// The meeting's officers.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, body = Vec<User>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/{mid}/officers")]
pub async fn officers(ctx: web::Data<AppContext>, mid: web::Path<Uuid>, _user: SignedIn) -> Result<HttpResponse, AppError> {
    storage::meetings::get(&ctx.db, *mid).await?;
    Ok(HttpResponse::Ok().json(storage::meetings::officers(&ctx.db, *mid).await?))
}

/// Remove an officer from the meeting.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id"), ("user_id" = Uuid, Path, description = "The officer's account id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/meetings/{mid}/officers/{user_id}")]
pub async fn remove_officer(ctx: web::Data<AppContext>, path: web::Path<(Uuid, Uuid)>, user: SignedIn) -> Result<HttpResponse, AppError> {
    let user = user.user();
    let (mid, officer) = *path;
    storage::meetings::remove_officer(&ctx.db, mid, officer, user).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The slip's code, or the voter code on the resident's letter.
    #[schema(example = "K7QF-M2XD-9PRT", max_length = 40)]
    pub voter_code: String,
}

#[derive(Serialize, ToSchema)]
pub struct Joined {
    /// `slip` or `letter`.
    pub kind: String,
}

/// A phone opens the meeting's page with a code: the code is checked (a slip of this
/// meeting, or a letter of its consultation) and counted as admitted.
#[utoipa::path(
    tag = "meetings",
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = JoinRequest,
    responses(
        (status = 200, body = Joined),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/join")]
pub async fn join(
    ctx: web::Data<AppContext>,
    http: HttpRequest,
    mid: web::Path<Uuid>,
    body: JsonBody<JoinRequest>,
) -> Result<HttpResponse, AppError> {
    let client = super::client_address(&http, ctx.settings.trusted_proxies);
    let joined = service::join(&ctx, *mid, &body.0.voter_code, &client).await?;
    let kind = match joined {
        storage::meetings::Joined::Slip => "slip",
        storage::meetings::Joined::Letter => "letter",
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(Joined { kind: kind.into() }))
}

/// Cast (or replace) a ballot on a phone in the meeting's hall, with a slip of this
/// meeting or a letter's code, while the meeting votes. The same ballot as online; with a
/// letter it is the letter's one ballot (the latest counts).
#[utoipa::path(
    tag = "meetings",
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = BallotRequest,
    responses(
        (status = 201, body = BallotReceipt, description = "First ballot for this code"),
        (status = 200, body = BallotReceipt, description = "Replaced the earlier ballot for this code"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The meeting is not voting"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/ballots")]
pub async fn cast(
    ctx: web::Data<AppContext>,
    http: HttpRequest,
    mid: web::Path<Uuid>,
    body: JsonBody<BallotRequest>,
) -> Result<HttpResponse, AppError> {
    let meeting = storage::meetings::get(&ctx.db, *mid).await?;
    let req = body.0;
    super::ballots::check_list_lengths(&req)?;
    let form = BallotForm {
        voter_code: req.voter_code,
        want: req.want,
        dont_want: req.dont_want,
        uses: req.uses,
        area: req.area,
        service_user_code: req.service_user_code,
        meeting: Some(meeting.id),
        client: super::client_address(&http, ctx.settings.trusted_proxies),
    };
    let outcome = voting::cast_ballot(&ctx, meeting.consultation_id, form).await;
    super::ballots::answer(outcome, meeting.consultation_id)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperRequest {
    /// The number on the paper, or the slip it came with.
    #[schema(example = "0042", min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9-]+$")]
    pub serial: String,
    #[serde(default)]
    pub want: Vec<String>,
    #[serde(default)]
    pub dont_want: Vec<String>,
    #[serde(default)]
    pub uses: Vec<String>,
    #[schema(max_length = 100)]
    pub area: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperChange {
    #[serde(default)]
    pub want: Vec<String>,
    #[serde(default)]
    pub dont_want: Vec<String>,
    #[serde(default)]
    pub uses: Vec<String>,
    #[schema(max_length = 100)]
    pub area: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PaperEntered {
    pub serial: String,
    pub status: Entered,
}

fn paper_form(
    serial: String,
    want: Vec<String>,
    dont_want: Vec<String>,
    uses: Vec<String>,
    area: Option<String>,
) -> Result<PaperForm, AppError> {
    for (field, ids) in [("want", &want), ("dont_want", &dont_want), ("uses", &uses)] {
        if ids.len() > super::ballots::MAX_LIST {
            return Err(AppError::invalid(field, format!("has {} entries; that is far too many", ids.len())));
        }
    }
    Ok(PaperForm { serial, want, dont_want, uses, area })
}

async fn paper(ctx: &AppContext, mid: Uuid, user: &User, form: PaperForm, action: Action, created: bool) -> Result<HttpResponse, AppError> {
    let serial = form.serial.to_ascii_uppercase();
    let status = service::enter_paper(ctx, mid, user, form, action).await?;
    let body = PaperEntered { serial, status };
    Ok(if created { HttpResponse::Created().json(body) } else { HttpResponse::Ok().json(body) })
}

/// An officer enters a paper ballot (the same ranked form as online). With double entry the
/// first entry waits for a second officer's; they must agree.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    request_body = PaperRequest,
    responses(
        (status = 201, body = PaperEntered),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/paper")]
pub async fn enter_paper(
    ctx: web::Data<AppContext>,
    mid: web::Path<Uuid>,
    staff: SignedInJson<PaperRequest>,
) -> Result<HttpResponse, AppError> {
    let r = staff.body.0;
    let form = paper_form(r.serial, r.want, r.dont_want, r.uses, r.area)?;
    paper(&ctx, *mid, &staff.user.0, form, Action::Enter, true).await
}

/// Correct a counted paper ballot: the new entry replaces it; the old one stays in the
/// meeting's record.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id"), ("serial" = String, Path, description = "The paper's number")),
    request_body = PaperChange,
    responses(
        (status = 200, body = PaperEntered),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/meetings/{mid}/paper/{serial}")]
pub async fn correct_paper(
    ctx: web::Data<AppContext>,
    path: web::Path<(Uuid, String)>,
    staff: SignedInJson<PaperChange>,
) -> Result<HttpResponse, AppError> {
    let (mid, serial) = path.into_inner();
    let r = staff.body.0;
    let form = paper_form(serial, r.want, r.dont_want, r.uses, r.area)?;
    paper(&ctx, mid, &staff.user.0, form, Action::Correct, false).await
}

/// A third officer settles a paper two officers entered differently.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id"), ("serial" = String, Path, description = "The paper's number")),
    request_body = PaperChange,
    responses(
        (status = 200, body = PaperEntered),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/meetings/{mid}/paper/{serial}/settle")]
pub async fn settle_paper(
    ctx: web::Data<AppContext>,
    path: web::Path<(Uuid, String)>,
    staff: SignedInJson<PaperChange>,
) -> Result<HttpResponse, AppError> {
    let (mid, serial) = path.into_inner();
    let r = staff.body.0;
    let form = paper_form(serial, r.want, r.dont_want, r.uses, r.area)?;
    paper(&ctx, mid, &staff.user.0, form, Action::Settle, false).await
}

#[derive(Serialize, ToSchema)]
pub struct PaperRecord {
    pub entries: Vec<PaperEntry>,
    /// Serials entered twice differently and not settled yet.
    pub mismatches: Vec<String>,
}

/// The meeting's paper entries, every one (corrections and double entries included).
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, body = PaperRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/{mid}/paper")]
pub async fn paper_entries(ctx: web::Data<AppContext>, mid: web::Path<Uuid>, user: SignedIn) -> Result<HttpResponse, AppError> {
    service::check_officer(&ctx, *mid, &user.0).await?;
    let entries = storage::paper::entries(&ctx.db, *mid).await?;
    let mut mismatches: Vec<String> = entries.iter().filter(|e| e.status == "mismatched").map(|e| e.serial.clone()).collect();
    // Entries are in the order typed, so one paper's two entries need not be neighbours.
    mismatches.sort();
    mismatches.dedup();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(PaperRecord { entries, mismatches }))
}

#[derive(Serialize, ToSchema)]
pub struct MeetingRecord {
    pub meeting: Meeting,
    pub reconciliation: Reconciliation,
    pub events: Vec<MeetingEvent>,
}

/// The meeting's record: the closing reconciliation (slips printed and used, letters used in
/// the hall, phone and paper ballots, mismatches open) and every staff action.
#[utoipa::path(
    tag = "meetings",
    security(("bearer" = [])),
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, body = MeetingRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/{mid}/record")]
pub async fn record(ctx: web::Data<AppContext>, mid: web::Path<Uuid>, _user: SignedIn) -> Result<HttpResponse, AppError> {
    let meeting = storage::meetings::get(&ctx.db, *mid).await?;
    let (reconciliation, events) = storage::meetings::reconciliation(&ctx.db, *mid).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(MeetingRecord { meeting, reconciliation, events }))
}

/// What the projector and phones show now (the same as the stream's latest event): the
/// meeting, how many were admitted and have voted, the proposal in focus, and the result
/// once revealed.
#[utoipa::path(
    tag = "meetings",
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "The live state (see docs/api.md)", body = Object),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/{mid}/live")]
pub async fn live(ctx: web::Data<AppContext>, mid: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    let state = service::read_state(&ctx, *mid, 0).await?;
    public_meeting(&state)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(&state.json))
}

/// A draft consultation's meetings are not public.
fn public_meeting(state: &service::LiveState) -> Result<(), AppError> {
    if state.json["consultation"]["phase"] == "draft" { Err(AppError::not_found("meeting")) } else { Ok(()) }
}

/// The live state as Server-Sent Events: an `event: state` with the whole state at once,
/// and again on every change (within a second of a ballot on any instance); a comment every
/// 15 s keeps the connection open. Event ids are `GENERATION-SEQUENCE`; a client that
/// reconnects (with or without `Last-Event-ID`) gets the current state first.
#[utoipa::path(
    tag = "meetings",
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "`text/event-stream`", content_type = "text/event-stream", body = String),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/{mid}/stream")]
pub async fn stream(ctx: web::Data<AppContext>, mid: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    let receiver = ctx.meetings.follow(&ctx, *mid).await?;
    public_meeting(&receiver.borrow())?;
    let stopping = ctx.stopping.clone();
    METRICS.streams_open.inc();
    let events =
        futures_util::stream::unfold((receiver, stopping, true, StreamGauge), |(mut receiver, mut stopping, first, gauge)| async move {
            if !first {
                tokio::select! {
                    changed = receiver.changed() => if changed.is_err() { return None },
                    _ = tokio::time::sleep(KEEP_ALIVE) => {
                        return Some((Ok::<_, AppError>(web::Bytes::from_static(b": keep-alive\n\n")), (receiver, stopping, false, gauge)));
                    }
                    // The server is stopping: end the stream, and the client reconnects elsewhere.
                    _ = stopping.changed() => return None,
                }
            }
            let event = {
                let state = receiver.borrow_and_update();
                format!("id: {}-{}\nevent: state\ndata: {}\n\n", state.generation, state.seq, state.json)
            };
            Some((Ok(web::Bytes::from(event)), (receiver, stopping, false, gauge)))
        });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        // Not compressed (a compressor holds small writes back) and not buffered by a proxy.
        .insert_header(("Content-Encoding", "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

/// Counts the open streams down when one ends.
struct StreamGauge;

impl Drop for StreamGauge {
    fn drop(&mut self) {
        METRICS.streams_open.dec();
    }
}

/// The meeting's result, once revealed (public).
#[utoipa::path(
    tag = "meetings",
    params(("mid" = Uuid, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "The meeting's result (see docs/api.md)", body = Object),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/meetings/{mid}/result")]
pub async fn result(ctx: web::Data<AppContext>, mid: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    let meeting = storage::meetings::get(&ctx.db, *mid).await?;
    if meeting.phase != MeetingPhase::Closed || !meeting.revealed {
        return Err(AppError::wrong_phase("the meeting's result is shown once the meeting has closed and its organiser reveals it"));
    }
    let text =
        storage::meetings::stored_result(&ctx.db, *mid).await?.ok_or_else(|| AppError::internal("a closed meeting without its count"))?;
    Ok(HttpResponse::Ok().content_type("application/json").body(text))
}

#[derive(Serialize, ToSchema)]
pub struct FoundMeeting {
    pub meeting_id: Uuid,
    pub consultation_id: Uuid,
}

/// The meeting with a join code (from the projector's join link). Gives no vote.
#[utoipa::path(
    tag = "meetings",
    params(("code" = String, Path, description = "The join code, e.g. K7QF2M")),
    responses(
        (status = 200, body = FoundMeeting),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/join/{code}")]
pub async fn find_meeting(ctx: web::Data<AppContext>, code: web::Path<String>) -> Result<HttpResponse, AppError> {
    let code = crate::domain::JoinCode::parse(&code).field("code")?;
    let meeting = storage::meetings::by_join_code(&ctx.db, &code).await?;
    let consultation = storage::consultations::get(&ctx.db, meeting.consultation_id).await?;
    if !consultation.phase.is_public() {
        return Err(AppError::not_found("meeting"));
    }
    Ok(HttpResponse::Ok().json(FoundMeeting { meeting_id: meeting.id, consultation_id: meeting.consultation_id }))
}
