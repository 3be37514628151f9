//! Residents who register themselves by e-mail: an organiser turns it on for a
//! consultation; a resident gives an address and gets a voter code there, one per address.
use actix_web::{HttpRequest, HttpResponse, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{json::JsonBody, json::SignedInJson, problem::Problem};
use crate::{
    app::AppContext,
    domain::{EmailAddress, VoterCode},
    errors::{AppError, FieldContext},
    model::Consultation,
    storage,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfRegistrationRequest {
    /// Whether residents may ask for a voter code by e-mail (one per address).
    pub enabled: bool,
}

/// Turn self-registration by e-mail on or off (in draft, or while voting is open). Turning it
/// on needs e-mail set up on the server (`PBVOTE_SMTP_URL`, `PBVOTE_MAIL_FROM`): without it
/// the answer is `422` naming `enabled`.
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = SelfRegistrationRequest,
    responses(
        (status = 200, body = Consultation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/consultations/{id}/self-registration")]
pub async fn set(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<SelfRegistrationRequest>,
) -> Result<HttpResponse, AppError> {
    let enabled = staff.body.0.enabled;
    if enabled && ctx.mailer.is_none() {
        return Err(AppError::invalid(
            "enabled",
            "e-mail is not set up on this server (PBVOTE_SMTP_URL and PBVOTE_MAIL_FROM), so residents could not get their codes; ask whoever runs pbvote to set it up",
        ));
    }
    let consultation = storage::consultations::set_self_registration(&ctx.db, *id, staff.user.actor(), enabled).await?;
    Ok(HttpResponse::Ok().json(consultation))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// Where to send the voter code.
    #[schema(example = "ann@example.org", max_length = 254)]
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationSent {
    pub consultation_id: Uuid,
    /// The day (UTC) the code was sent. The code itself is only in the e-mail.
    pub sent_on: chrono::NaiveDate,
}

/// Ask for a voter code by e-mail, while voting is open on a consultation that allows it.
/// One code per address (in any case): a second request is `409` naming `email`, and no
/// second code is sent. If the e-mail cannot be sent, nothing is kept (`503`, or `422`
/// naming `email` when the mail server refuses the address) and the resident can try again.
/// Requests are limited per client address (`PBVOTE_REGISTRATION_LIMIT` an hour).
#[utoipa::path(
    tag = "ballots",
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = RegistrationRequest,
    responses(
        (status = 201, body = RegistrationSent, description = "The code is on its way"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Voting is not open, the consultation does not give out codes by e-mail, or this address was sent one already"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "The e-mail could not be sent (or e-mail is not set up): nothing was kept; try again later"),
    )
)]
#[post("/api/v1/consultations/{id}/registrations")]
pub async fn register(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBody<RegistrationRequest>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let client = crate::rate_limit::client_group(&super::client_address(&req, ctx.settings.trusted_proxies));
    ctx.limiter.record("registration-client", &client, ctx.limiter.limits.registrations_per_client).await?;
    let email = EmailAddress::parse(&body.0.email).field("email")?;
    let email_hash = ctx.keys.registration_hash(id, &email);
    storage::registrations::check(&ctx.db, id, &email_hash).await?;
    let mailer = ctx.mailer.as_ref().ok_or_else(|| AppError::Unavailable {
        detail: "e-mail is not set up on this server just now, so no code can be sent; please try again later or contact the council"
            .into(),
    })?;
    let consultation = ctx.frozen_paper(id).await?.consultation.clone();
    let code = VoterCode::generate();
    let base = super::voter_codes::public_base(&ctx, &req);
    let message = code_email(&ctx, &consultation, &base, &code);
    // The e-mail goes first, and the code is stored only once it has been handed to the mail
    // server, in one short transaction (`registrations::record`). So a mail server that is
    // down or slow leaves nothing behind (the resident simply asks again), and never holds
    // the database's one SQLite writer — a transaction held open across SMTP would stall
    // every ballot behind it. What is left: if storing fails after the send (the database
    // went down, voting closed, or a second request for the same address won the race), a
    // mail with a code that does not work is out — never two codes that work, since only a
    // stored code votes and the unique index allows one per address.
    mailer.send(&email, &format!("Your voter code: {}", consultation.title), message).await.map_err(|f| f.into_error())?;
    storage::registrations::record(&ctx.db, id, &email_hash, ctx.keys.new_code(id, &code)).await.map_err(|e| match e {
        AppError::Unavailable { .. } => AppError::Unavailable {
            detail: "we sent an e-mail but could not record its code, so that code will not work; please ask again in a few minutes".into(),
        },
        other => other,
    })?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(RegistrationSent { consultation_id: id, sent_on: chrono::Utc::now().date_naive() }))
}

/// The e-mail: the code, where to vote, and what to do with it, in plain English.
fn code_email(ctx: &AppContext, consultation: &Consultation, base: &str, code: &VoterCode) -> String {
    let council = &ctx.settings.council;
    let contact = council.contact.as_deref().map(|c| format!("\nQuestions? Contact {}: {c}\n", council.name)).unwrap_or_default();
    let closes =
        consultation.closes_at.map(|at| format!("Voting closes on {}.\n\n", at.format("%-d %B %Y at %H:%M UTC"))).unwrap_or_default();
    format!(
        "Hello,\n\n\
         You asked for a voter code for \"{title}\", run by {council}.\n\n\
         Your voter code: {code}\n\n\
         Vote here: {ballot}\n\
         Or open this link, which fills the code in for you: {link}\n\n\
         {closes}\
         The code is yours: anyone who has it can vote in your place, so do not pass it on. \
         You can vote again with it until voting closes; your latest ballot is the one counted.\n\n\
         If you did not ask for this code, you can ignore this e-mail.\n{contact}",
        title = consultation.title,
        council = council.name,
        code = code.display(),
        ballot = format_args!("{base}/vote.html?c={}", consultation.id),
        link = crate::meetings::code_link(base, code),
    )
}
