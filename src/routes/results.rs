//! Results and the recountable export.
use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use super::{auth::MaybeSignedIn, problem::Problem};
use crate::{app::AppContext, domain::Phase, errors::AppError, results as counting, storage};

/// Results are for organisers and commissioners once voting has closed (before that the
/// count refuses), and for everyone once published.
async fn check_access(ctx: &AppContext, id: Uuid, user: &MaybeSignedIn) -> Result<crate::model::Consultation, AppError> {
    let consultation = storage::consultations::get(&ctx.db, id).await?;
    match (consultation.phase, user.reviewer(), &user.0) {
        (Phase::Published, _, _) => Ok(consultation),
        (Phase::Draft, Some(_), _) => Err(AppError::wrong_phase("there are no results before voting opens")),
        (_, Some(_), _) => Ok(consultation),
        (Phase::Draft, None, _) => Err(AppError::not_found("consultation")),
        (_, None, Some(_)) => Err(AppError::forbidden("only organisers and commissioners can see results before they are published")),
        (_, None, None) => Err(AppError::Unauthenticated),
    }
}

/// The full result, once voting has closed: protected and plain-majority scores, ranks,
/// adoption and each proposal's explanation, with the summary and breakdowns (groups of
/// fewer than `min_group` ballots are not shown). While voting is open there is no result
/// (409): only the turnout, in steps (see the voter codes' numbers).
#[utoipa::path(
    tag = "results",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, description = "The result (see docs/api.md and docs/tally.md for the fields)", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/results")]
pub async fn get_results(ctx: web::Data<AppContext>, id: web::Path<Uuid>, user: MaybeSignedIn) -> Result<HttpResponse, AppError> {
    let consultation = check_access(&ctx, *id, &user).await?;
    let published = counting::published(&ctx, &consultation).await?;
    let mut answer = counting::served(&consultation, &published);
    // The codes against the ballots (numbers only: who made which batch is for staff, at
    // GET …/code-batches).
    let codes = storage::voter_codes::summary(&ctx.db, *id).await?;
    answer["codes"] = serde_json::json!({
        "letters": codes.letters,
        "slips": codes.slips,
        "after_opening": codes.after_opening,
        "awaiting_approval": codes.awaiting_approval,
        "unrecorded": codes.unrecorded,
        "roll": codes.roll,
        "email": codes.email,
        "batches": codes.batches.len(),
        "batches_after_opening": codes.batches.iter().filter(|b| b.after_opening).count(),
        "ballots": codes.ballots,
    });
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(answer))
}

/// The consultation and its ballots in the exchange format, for recounting with
/// `pbvote tally`, once voting has closed. Ballots carry no voter key, receipt or time, and
/// none can be picked out by a rare area, channel or combination of services: those are
/// left out, or the ballots added up in `withheld` instead of listed (the file's `note`
/// says how many). Recounting it gives the published result exactly.
#[utoipa::path(
    tag = "results",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, description = "The exchange format (see docs/tally.md)", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/export")]
pub async fn export(ctx: web::Data<AppContext>, id: web::Path<Uuid>, user: MaybeSignedIn) -> Result<HttpResponse, AppError> {
    let consultation = check_access(&ctx, *id, &user).await?;
    let published = counting::published(&ctx, &consultation).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"consultation-{}.json\"", *id)))
        .body(published.election.as_str().to_owned()))
}
