//! After voting closes: breakdowns, who got nothing and turnout against population;
//! decisions with reasons; updates on what became of them; the downloads.
use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{auth::MaybeSignedIn, json::SignedInJson, problem::Problem};
use crate::{
    app::AppContext,
    domain::{Amount, BoundedText, Phase, ShortId},
    errors::{AppError, FieldContext},
    model::{Consultation, Decision, Population, Update, UpdateStatus},
    results::{self as counting, Published},
    review, storage,
};

/// Breakdowns, decisions and the downloads are for organisers and commissioners once voting
/// has closed, and for everyone once the result is published.
async fn readable(ctx: &AppContext, id: Uuid, user: &MaybeSignedIn) -> Result<(Consultation, std::sync::Arc<Published>), AppError> {
    let consultation = storage::consultations::get(&ctx.db, id).await?;
    match (consultation.phase, user.reviewer(), &user.0) {
        (Phase::Published, _, _) | (_, Some(_), _) => {}
        (Phase::Draft, None, _) => return Err(AppError::not_found("consultation")),
        (_, None, Some(_)) => return Err(AppError::forbidden("only organisers and commissioners can see this before it is published")),
        (_, None, None) => return Err(AppError::Unauthenticated),
    }
    let published = counting::published(ctx, &consultation).await?;
    Ok((consultation, published))
}

/// Each proposal's WANT / DON'T WANT counts, points and plain score by channel, by area and
/// by users and non-users of its service (no group of fewer than `min_group` ballots is
/// given as a number); who got nothing; turnout against population.
#[utoipa::path(
    tag = "results",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, description = "`{breakdowns, satisfaction, representativeness}` (see docs/api.md)", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/breakdowns")]
pub async fn breakdowns(ctx: web::Data<AppContext>, id: web::Path<Uuid>, user: MaybeSignedIn) -> Result<HttpResponse, AppError> {
    let (consultation, published) = readable(&ctx, *id, &user).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(json!({
        "breakdowns": published.breakdowns,
        "satisfaction": published.satisfaction,
        "representativeness": review::representativeness(&consultation, &published.breakdowns, &published.result),
        "fingerprint": published.result["fingerprint"],
    })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationRequest {
    /// Area name (one of the consultation's areas) → people living there.
    #[serde(default)]
    pub areas: BTreeMap<String, u64>,
    /// Service id → people known to use it.
    #[serde(default)]
    pub services: BTreeMap<String, u64>,
}

/// Who lives in each area and uses each service, as the council knows: shown beside the
/// turnout, never counted. Any phase.
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = PopulationRequest,
    responses(
        (status = 200, body = Consultation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/consultations/{id}/population")]
pub async fn population(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<PopulationRequest>,
) -> Result<HttpResponse, AppError> {
    let consultation = storage::consultations::get(&ctx.db, *id).await?;
    let req = staff.body.0;
    for (area, n) in &req.areas {
        if !consultation.areas.contains(area) {
            return Err(AppError::invalid(format!("areas.{area}"), "is not one of the consultation's areas"));
        }
        if *n > 1_000_000_000 {
            return Err(AppError::invalid(format!("areas.{area}"), "must be at most 1,000,000,000"));
        }
    }
    for (service, n) in &req.services {
        if !consultation.services.iter().any(|s| &s.id == service) {
            return Err(AppError::invalid(format!("services.{service}"), "is not one of the consultation's services"));
        }
        if *n > 1_000_000_000 {
            return Err(AppError::invalid(format!("services.{service}"), "must be at most 1,000,000,000"));
        }
    }
    let population = Population { areas: req.areas, services: req.services };
    Ok(HttpResponse::Ok().json(storage::consultations::set_population(&ctx.db, *id, staff.user.actor(), &population).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[schema(example = "S1", min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9._/-]+$")]
    pub proposal: String,
    /// `adopt`, `reject`, `defer` or `amend`.
    #[schema(example = "reject")]
    pub decision: String,
    /// For `amend` only: the amended amount, in minor units.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub amount: Option<i64>,
    /// Why, in plain English. Required when the decision departs from the result (and for
    /// every protected cut).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Decisions {
    /// Every decision, oldest first: a change is a new entry, never an edit.
    pub history: Vec<Decision>,
    /// The latest decision per proposal.
    pub current: Vec<Decision>,
    /// Savings and new spending as decided, against the target and the budget.
    #[schema(value_type = Object)]
    pub budget: Value,
}

fn decisions_view(consultation: &Consultation, mut history: Vec<Decision>, public: bool) -> Decisions {
    if public {
        // The public page names no member of staff.
        history.iter_mut().for_each(|d| d.decided_by = None);
    }
    let mut latest: BTreeMap<String, Decision> = BTreeMap::new();
    for d in &history {
        latest.insert(d.proposal.clone(), d.clone());
    }
    let order = |id: &str| consultation.proposals.iter().position(|p| p.id == id).unwrap_or(usize::MAX);
    let mut current: Vec<Decision> = latest.into_values().collect();
    current.sort_by_key(|d| order(&d.proposal));
    let budget = review::decided_budget(consultation, &history);
    Decisions { history, current, budget }
}

/// Record a decision on a proposal, after voting has closed. A decision that departs from
/// the computed result — and any decision on a protected cut — needs a reason. Decisions
/// are never changed: a new one is a new entry, and the history is kept.
#[utoipa::path(
    tag = "results",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = DecisionRequest,
    responses(
        (status = 201, body = Decision),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/decisions")]
pub async fn decide(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<DecisionRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    let req = staff.body.0;
    let consultation = storage::consultations::get(&ctx.db, *id).await?;
    if !matches!(consultation.phase, Phase::Closed | Phase::Published) {
        return Err(AppError::wrong_phase("decisions are recorded once voting has closed"));
    }
    let proposal = ShortId::parse(&req.proposal).field("proposal")?;
    let kind = review::decision_kind(&req.decision)?;
    let amount = match (kind, req.amount) {
        (crate::model::DecisionKind::Amend, Some(a)) => Some(Amount::parse(a).field("amount")?.minor_units()),
        (crate::model::DecisionKind::Amend, None) => {
            return Err(AppError::invalid("amount", "an amended decision needs the amended amount"));
        }
        (_, Some(_)) => return Err(AppError::invalid("amount", "only an amended decision has an amount")),
        (_, None) => None,
    };
    let reason = BoundedText::parse(&req.reason, 2000).field("reason")?.into_string();
    let published = counting::published(&ctx, &consultation).await?;
    let computed = published.result["proposals"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == json!(proposal.as_str())))
        .cloned()
        .ok_or_else(|| AppError::invalid("proposal", format!("{:?} is not a proposal of this consultation", proposal.as_str())))?;
    let departs = review::departs(kind, amount, &computed);
    if departs && reason.is_empty() {
        let why = if computed["protected"] == json!(true) {
            "this cut is protected: the count left it to the commissioners, so every decision on it needs a reason"
        } else {
            "this decision departs from the result of the count, so it needs a reason residents can read"
        };
        return Err(AppError::invalid("reason", why));
    }
    let decision = storage::review::add_decision(
        &ctx.db,
        *id,
        user.id,
        storage::review::NewDecision { proposal: proposal.as_str().to_owned(), kind, amount, reason, departs },
    )
    .await?;
    Ok(HttpResponse::Created().json(decision))
}

/// The decisions, their history and the budget as decided (organisers and commissioners
/// after close; everyone once published, without staff names).
#[utoipa::path(
    tag = "results",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = Decisions),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/decisions")]
pub async fn decisions(ctx: web::Data<AppContext>, id: web::Path<Uuid>, user: MaybeSignedIn) -> Result<HttpResponse, AppError> {
    let (consultation, _) = readable(&ctx, *id, &user).await?;
    let history = storage::review::decisions(&ctx.db, *id).await?;
    let view = decisions_view(&consultation, history, user.reviewer().is_none());
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    #[schema(example = "S2", min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9._/-]+$")]
    pub proposal: String,
    #[schema(value_type = UpdateStatus)]
    pub status: String,
    /// Percent done (0 to 100), if known.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    /// For a saving: the money actually saved in a year.
    pub saved: Option<SavedRequest>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedRequest {
    #[schema(minimum = 2000, maximum = 2200)]
    pub year: i64,
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub amount: i64,
}

/// Post a dated milestone on a proposal of a published consultation ("we did").
#[utoipa::path(
    tag = "results",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = UpdateRequest,
    responses(
        (status = 201, body = Update),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/updates")]
pub async fn post_update(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<UpdateRequest>,
) -> Result<HttpResponse, AppError> {
    let user = staff.user.user();
    let req = staff.body.0;
    let consultation = storage::consultations::get(&ctx.db, *id).await?;
    let proposal = ShortId::parse(&req.proposal).field("proposal")?;
    let found = consultation
        .proposals
        .iter()
        .find(|p| p.id == proposal.as_str())
        .ok_or_else(|| AppError::invalid("proposal", format!("{:?} is not a proposal of this consultation", proposal.as_str())))?;
    let status = UpdateStatus::parse(&req.status).field("status")?;
    let progress = match req.progress {
        None => None,
        Some(p) if (0..=100).contains(&p) => Some(p as u8),
        Some(_) => return Err(AppError::invalid("progress", "must be a percentage from 0 to 100")),
    };
    let saved = match req.saved {
        None => None,
        Some(_) if found.kind != crate::domain::ProposalKind::Saving => {
            return Err(AppError::invalid("saved", "money saved is recorded for savings only"));
        }
        Some(s) => {
            if !(2000..=2200).contains(&s.year) {
                return Err(AppError::invalid("saved.year", "must be a year from 2000 to 2200"));
            }
            Some((s.year as i32, Amount::parse(s.amount).field("saved.amount")?.minor_units()))
        }
    };
    let note = BoundedText::parse(&req.note, 2000).field("note")?.into_string();
    let update = storage::review::add_update(
        &ctx.db,
        *id,
        user.id,
        storage::review::NewUpdate { proposal: proposal.as_str().to_owned(), status, progress, note, saved },
    )
    .await?;
    Ok(HttpResponse::Created().json(update))
}

/// The updates on a published consultation's proposals, oldest first (public).
#[utoipa::path(
    tag = "results",
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = Vec<Update>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/updates")]
pub async fn updates(ctx: web::Data<AppContext>, id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    let consultation = storage::consultations::get(&ctx.db, *id).await?;
    if !consultation.phase.is_public() {
        return Err(AppError::not_found("consultation"));
    }
    Ok(HttpResponse::Ok().json(storage::review::updates(&ctx.db, *id).await?))
}

/// A file to download, with its SHA-256 so anyone can check they have the published one.
fn download(body: String, content_type: &str, filename: String) -> HttpResponse {
    let digest = crate::review_files::sha256(&body);
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{filename}\"")))
        .insert_header(("X-Content-SHA256", digest))
        .body(body)
}

/// A download: `results.csv` (the ranked result), `breakdowns.csv`, `decisions.csv` or
/// `ballots.pb` (the published ballots' WANT lists as a pabulib file). The exchange file is
/// `…/export`. Same access as the results; each answer carries its SHA-256 in
/// `X-Content-SHA256`.
#[utoipa::path(
    tag = "results",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), ("file" = String, Path, description = "results.csv, breakdowns.csv, decisions.csv or ballots.pb")),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/files/{file}")]
pub async fn file(ctx: web::Data<AppContext>, path: web::Path<(Uuid, String)>, user: MaybeSignedIn) -> Result<HttpResponse, AppError> {
    let (id, name) = path.into_inner();
    let (consultation, published) = readable(&ctx, id, &user).await?;
    let stem = format!("consultation-{id}");
    Ok(match name.as_str() {
        "results.csv" => download(
            crate::review_files::results_csv(&consultation, &published.result)?,
            "text/csv; charset=utf-8",
            format!("{stem}-results.csv"),
        ),
        "breakdowns.csv" => download(
            crate::review_files::breakdowns_csv(&consultation, &published.breakdowns)?,
            "text/csv; charset=utf-8",
            format!("{stem}-breakdowns.csv"),
        ),
        "decisions.csv" => {
            let history = storage::review::decisions(&ctx.db, id).await?;
            let view = decisions_view(&consultation, history, user.reviewer().is_none());
            download(
                crate::review_files::decisions_csv(&consultation, &view.history)?,
                "text/csv; charset=utf-8",
                format!("{stem}-decisions.csv"),
            )
        }
        "ballots.pb" => download(published.pabulib.as_str().to_owned(), "text/plain; charset=utf-8", format!("{stem}.pb")),
        _ => return Err(AppError::not_found("file (results.csv, breakdowns.csv, decisions.csv or ballots.pb)")),
    })
}
