//! Editing a draft's services and proposals.
use actix_web::{HttpResponse, delete, post, put, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    auth::SignedIn,
    consultations::{MAX_PROPOSALS, MAX_SERVICES},
    json::SignedInJson,
    problem::Problem,
};
use crate::{
    app::AppContext,
    domain::{Amount, BoundedText, ProposalKind, ShortId, Title},
    errors::{AppError, FieldContext},
    model::{Consultation, Proposal, Service},
    storage::{
        self,
        consultations::{ProposalInput, ServiceInput},
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRequest {
    /// Short id (letters, digits, `. _ / -`); made from the name if left out. When
    /// replacing, leave it out or give the id in the address.
    #[schema(example = "day-centre", min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9._/-]+$")]
    pub id: Option<String>,
    #[schema(example = "Day centre", min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalRequest {
    /// Short id; `S1`, `S2`… or `D1`, `D2`… if left out. When replacing, leave it out or
    /// give the id in the address.
    #[schema(example = "S1", min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9._/-]+$")]
    pub id: Option<String>,
    // Read as text so that a wrong kind gets our message naming the field and the choices.
    #[schema(value_type = crate::model::ProposalKindName)]
    pub kind: String,
    #[schema(example = "Close the day centre", min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub summary: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub details: String,
    /// Minor units (pence): what it saves or costs.
    #[schema(example = 8000000, minimum = 0, maximum = 1000000000000000_i64)]
    pub amount: i64,
    /// Id of the service it touches; empty or left out: none.
    #[schema(max_length = 40, pattern = r"^[A-Za-z0-9._/-]*$")]
    pub service: Option<String>,
}

/// Parse a service; `fixed_id` is the id from the path when replacing one.
pub(super) fn service_input(req: &ServiceRequest, fixed_id: Option<&str>, taken: &[String]) -> Result<ServiceInput, AppError> {
    let name = Title::parse(&req.name).field("name")?;
    let id = match (fixed_id, &req.id) {
        (Some(path_id), body_id) => same_id(path_id, body_id.as_deref(), "service")?,
        (None, Some(id)) => ShortId::parse(id).field("id")?,
        (None, None) => {
            let base = ShortId::slug_of(name.as_str());
            let mut candidate = base.clone();
            let mut n = 2;
            while taken.iter().any(|t| t == candidate.as_str()) {
                candidate = ShortId::parse(&format!("{}-{n}", base.as_str())).field("id")?;
                n += 1;
            }
            candidate
        }
    };
    if fixed_id.is_none() && taken.iter().any(|t| t == id.as_str()) {
        return Err(AppError::conflict(Some("id"), format!("there is already a service with the id {:?}", id.as_str())));
    }
    Ok(ServiceInput { id, name, description: BoundedText::parse(&req.description, 5_000).field("description")? })
}

/// When replacing, the path names the item; an `id` in the body may repeat it but not
/// change it (ids are what ballots refer to: to rename, delete and add).
/// A path id that is not even an id names nothing: 404.
fn same_id(path_id: &str, body_id: Option<&str>, what: &str) -> Result<ShortId, AppError> {
    let id = ShortId::parse(path_id).map_err(|_| AppError::not_found(what))?;
    if let Some(body_id) = body_id
        && body_id != id.as_str()
    {
        return Err(AppError::invalid(
            "id",
            format!("must be the id in the address ({:?}) or left out; to change an id, delete the item and add it again", id.as_str()),
        ));
    }
    Ok(id)
}

fn parse_kind(raw: &str) -> Result<ProposalKind, AppError> {
    match raw {
        "saving" => Ok(ProposalKind::Saving),
        "development" => Ok(ProposalKind::Development),
        other => Err(AppError::invalid("kind", format!("must be \"saving\" or \"development\", got {other:?}"))),
    }
}

pub(super) fn proposal_input(req: &ProposalRequest, fixed_id: Option<&str>, taken: &[String]) -> Result<ProposalInput, AppError> {
    let kind = parse_kind(&req.kind)?;
    let id = match (fixed_id, &req.id) {
        (Some(path_id), body_id) => same_id(path_id, body_id.as_deref(), "proposal")?,
        (None, Some(id)) => ShortId::parse(id).field("id")?,
        (None, None) => {
            let prefix = if kind == ProposalKind::Saving { "S" } else { "D" };
            let n = (1..).find(|n| !taken.iter().any(|t| *t == format!("{prefix}{n}"))).unwrap_or(1);
            ShortId::parse(&format!("{prefix}{n}")).field("id")?
        }
    };
    if fixed_id.is_none() && taken.iter().any(|t| t == id.as_str()) {
        return Err(AppError::conflict(Some("id"), format!("there is already a proposal with the id {:?}", id.as_str())));
    }
    Ok(ProposalInput {
        id,
        kind,
        title: Title::parse(&req.title).field("title")?,
        summary: BoundedText::parse(&req.summary, 2_000).field("summary")?,
        details: BoundedText::parse(&req.details, 20_000).field("details")?,
        amount: Amount::parse(req.amount).field("amount")?,
        service: req.service.as_deref().filter(|s| !s.is_empty()).map(ShortId::parse).transpose().field("service")?,
    })
}

pub(super) fn service_model(s: &ServiceInput) -> Service {
    Service { id: s.id.as_str().to_owned(), name: s.name.as_str().to_owned(), description: s.description.clone().into_string() }
}

pub(super) fn proposal_model(p: &ProposalInput) -> Proposal {
    Proposal {
        id: p.id.as_str().to_owned(),
        kind: p.kind,
        title: p.title.as_str().to_owned(),
        summary: p.summary.clone().into_string(),
        details: p.details.clone().into_string(),
        amount: p.amount.minor_units(),
        service: p.service.as_ref().map(|s| s.as_str().to_owned()),
    }
}

/// Add a service to a draft.
#[utoipa::path(
    tag = "ballot paper",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = ServiceRequest,
    responses(
        (status = 201, body = Consultation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/services")]
pub async fn add_service(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<ServiceRequest>,
) -> Result<HttpResponse, AppError> {
    let SignedInJson { user, body } = staff;
    let request = body.0;
    let added =
        storage::consultations::add_service(&ctx.db, *id, user.actor(), MAX_SERVICES, move |taken| service_input(&request, None, taken))
            .await?;
    Ok(HttpResponse::Created().json(added))
}

/// Rename or re-describe a draft's service.
#[utoipa::path(
    tag = "ballot paper",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), ("service_id" = String, Path, description = "Service id")),
    request_body = ServiceRequest,
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
#[put("/api/v1/consultations/{id}/services/{service_id}")]
pub async fn replace_service(
    ctx: web::Data<AppContext>,
    path: web::Path<(Uuid, String)>,
    staff: SignedInJson<ServiceRequest>,
) -> Result<web::Json<Consultation>, AppError> {
    let SignedInJson { user, body } = staff;
    let (id, service_id) = path.into_inner();
    let input = service_input(&body.0, Some(&service_id), &[])?;
    Ok(web::Json(storage::consultations::replace_service(&ctx.db, id, user.actor(), input).await?))
}

/// Remove a draft's service (refused while a proposal touches it).
#[utoipa::path(
    tag = "ballot paper",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), ("service_id" = String, Path, description = "Service id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/consultations/{id}/services/{service_id}")]
pub async fn delete_service(ctx: web::Data<AppContext>, user: SignedIn, path: web::Path<(Uuid, String)>) -> Result<HttpResponse, AppError> {
    let (id, service_id) = path.into_inner();
    let service = ShortId::parse(&service_id).map_err(|_| AppError::not_found("service"))?;
    storage::consultations::delete_service(&ctx.db, id, user.actor(), service).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a proposal to a draft.
#[utoipa::path(
    tag = "ballot paper",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = ProposalRequest,
    responses(
        (status = 201, body = Consultation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/proposals")]
pub async fn add_proposal(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<ProposalRequest>,
) -> Result<HttpResponse, AppError> {
    let SignedInJson { user, body } = staff;
    let request = body.0;
    let added =
        storage::consultations::add_proposal(&ctx.db, *id, user.actor(), MAX_PROPOSALS, move |taken| proposal_input(&request, None, taken))
            .await?;
    Ok(HttpResponse::Created().json(added))
}

/// Replace a draft's proposal (its id stays).
#[utoipa::path(
    tag = "ballot paper",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), ("proposal_id" = String, Path, description = "Proposal id")),
    request_body = ProposalRequest,
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
#[put("/api/v1/consultations/{id}/proposals/{proposal_id}")]
pub async fn replace_proposal(
    ctx: web::Data<AppContext>,
    path: web::Path<(Uuid, String)>,
    staff: SignedInJson<ProposalRequest>,
) -> Result<web::Json<Consultation>, AppError> {
    let SignedInJson { user, body } = staff;
    let (id, proposal_id) = path.into_inner();
    let input = proposal_input(&body.0, Some(&proposal_id), &[])?;
    Ok(web::Json(storage::consultations::replace_proposal(&ctx.db, id, user.actor(), input).await?))
}

/// Remove a draft's proposal.
#[utoipa::path(
    tag = "ballot paper",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), ("proposal_id" = String, Path, description = "Proposal id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/consultations/{id}/proposals/{proposal_id}")]
pub async fn delete_proposal(
    ctx: web::Data<AppContext>,
    user: SignedIn,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, proposal_id) = path.into_inner();
    let proposal = ShortId::parse(&proposal_id).map_err(|_| AppError::not_found("proposal"))?;
    storage::consultations::delete_proposal(&ctx.db, id, user.actor(), proposal).await?;
    Ok(HttpResponse::NoContent().finish())
}
