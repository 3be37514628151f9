//! Residents cast ballots and check receipts.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{json::JsonBody, problem::Problem};
use crate::{
    app::AppContext,
    domain::Receipt,
    errors::{AppError, FieldContext},
    metrics::METRICS,
    storage,
    voting::{self, BallotForm},
};

/// The most ids a list may hold before we stop reading it (rank_depth is at most 20).
pub(super) const MAX_LIST: usize = 100;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotRequest {
    /// The code from the resident's letter; any case, with or without dashes.
    #[schema(example = "K7QF-M2XD-9PRT")]
    pub voter_code: String,
    /// Proposal ids, most wanted first.
    #[serde(default)]
    pub want: Vec<String>,
    /// Proposal ids, most strongly rejected first.
    #[serde(default)]
    pub dont_want: Vec<String>,
    /// Ids of the services the resident (or someone they care for) uses.
    #[serde(default)]
    pub uses: Vec<String>,
    /// One of the consultation's `areas`, if it lists any.
    #[schema(max_length = 100)]
    pub area: Option<String>,
    /// A service-user code a service provider (a day centre, a library) gave the resident:
    /// the ballot then counts as a verified user of that service. Only on consultations
    /// whose `settings.service_users` is not `declared`; each code counts with one ballot
    /// (the same ballot may give it again when it changes its vote). Empty or absent: none.
    #[schema(example = "M2XD-K7QF-9PRT", max_length = 40)]
    pub service_user_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BallotReceipt {
    /// Keep this: it proves the ballot arrived.
    #[schema(example = "R-7KQF-M2XD-9PRT-ABCD")]
    pub receipt: String,
    pub consultation_id: Uuid,
    pub received_at: DateTime<Utc>,
    /// True when this ballot replaced an earlier one cast with the same code.
    pub replaced: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptCheck {
    pub receipt: String,
    pub consultation_id: Uuid,
    pub consultation_title: String,
    /// The day (UTC) the ballot with this receipt arrived. Only the day is kept.
    pub received_on: chrono::NaiveDate,
}

/// Cast (or replace) a ballot with a voter code. The newest ballot for a code is the one
/// that counts.
#[utoipa::path(
    tag = "ballots",
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = BallotRequest,
    responses(
        (status = 201, body = BallotReceipt, description = "First ballot for this code"),
        (status = 200, body = BallotReceipt, description = "Replaced the earlier ballot for this code"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Voting is not open"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/ballots")]
pub async fn cast(
    ctx: web::Data<AppContext>,
    http: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBody<BallotRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.0;
    check_list_lengths(&req)?;
    let id = *id;
    let form = BallotForm {
        voter_code: req.voter_code,
        want: req.want,
        dont_want: req.dont_want,
        uses: req.uses,
        area: req.area,
        service_user_code: req.service_user_code,
        meeting: None,
        client: super::client_address(&http, ctx.settings.trusted_proxies),
    };
    answer(voting::cast_ballot(&ctx, id, form).await, id)
}

/// Refuse lists far longer than any ballot paper allows before reading them further.
pub(super) fn check_list_lengths(req: &BallotRequest) -> Result<(), AppError> {
    for (field, list) in [("want", &req.want), ("dont_want", &req.dont_want), ("uses", &req.uses)] {
        if list.len() > MAX_LIST {
            return Err(AppError::invalid(field, format!("has {} entries; that is far too many", list.len())));
        }
    }
    Ok(())
}

/// The answer to a ballot, counted in the metrics: 201 for a first ballot, 200 for a
/// replacement, or the problem.
pub(super) fn answer(outcome: Result<(Receipt, crate::storage::ballots::Stored), AppError>, id: Uuid) -> Result<HttpResponse, AppError> {
    let (receipt, stored) = match outcome {
        Ok(done) => done,
        Err(err) => {
            let reason = err.to_problem().kind.trim_start_matches("urn:pbvote:problem:").to_owned();
            METRICS.ballots_rejected.with_label_values(&[reason.as_str()]).inc();
            return Err(err);
        }
    };
    METRICS.ballots_accepted.with_label_values(&[if stored.replaced { "replaced" } else { "created" }]).inc();
    let body = BallotReceipt {
        receipt: receipt.as_str().to_owned(),
        consultation_id: id,
        received_at: stored.received_at,
        replaced: stored.replaced,
    };
    Ok(if stored.replaced { HttpResponse::Ok().json(body) } else { HttpResponse::Created().json(body) })
}

/// Check that a ballot with this receipt arrived. Every receipt ever given answers the
/// same way, including one whose ballot the voter later replaced (the latest ballot cast
/// with a code is the one counted): so a receipt shown to someone else does not tell them
/// whether its voter voted again.
#[utoipa::path(
    tag = "ballots",
    params(("receipt" = String, Path, description = "The receipt, e.g. R-7KQF-M2XD-9PRT-ABCD")),
    responses(
        (status = 200, body = ReceiptCheck),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/receipts/{receipt}")]
pub async fn check_receipt(ctx: web::Data<AppContext>, receipt: web::Path<String>) -> Result<web::Json<ReceiptCheck>, AppError> {
    let receipt = Receipt::parse(&receipt).field("receipt")?;
    let found = storage::receipts::check(&ctx.db, &ctx.keys.receipt_hash(&receipt)).await?;
    Ok(web::Json(ReceiptCheck {
        receipt: receipt.as_str().to_owned(),
        consultation_id: found.consultation_id,
        consultation_title: found.consultation_title,
        received_on: found.received_on,
    }))
}
