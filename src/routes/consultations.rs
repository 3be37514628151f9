//! Consultations: listing, creating and editing drafts, and moving through the phases.
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    auth::{MaybeSignedIn, SignedIn},
    ballot_paper::{ProposalRequest, ServiceRequest, proposal_input, service_input},
    json::SignedInJson,
    problem::Problem,
};
use crate::{
    app::AppContext,
    domain::{Amount, BoundedText, Currency, Phase, Title},
    errors::{AppError, FieldContext},
    model::{Budget, Consultation, ConsultationListItem, TallySettings},
    storage::{self, consultations::ConsultationFields},
};

pub const MAX_SERVICES: usize = 100;
pub const MAX_PROPOSALS: usize = 300;
const MAX_AREAS: usize = 200;
const MAX_DESCRIPTION: usize = 20_000;

/// Budget figures in minor units; `null` or absent: none.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct BudgetRequest {
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub overall_budget: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub savings_target: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub development_budget: Option<i64>,
}

/// Counting settings; any left out keep their current value (defaults on creation).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    /// R: the most entries in each of WANT and DON'T WANT, and a first choice's points
    /// (default 5). docs/tally.md explains all five settings.
    #[schema(minimum = 1, maximum = 20)]
    pub rank_depth: Option<u32>,
    /// φ: the share of the say (percent) guaranteed to a service's users on a proposal
    /// touching that service (default 50).
    #[schema(minimum = 0, maximum = 90)]
    pub minority_share_percent: Option<u32>,
    /// W: the cap on a user's weight (default 10).
    #[schema(minimum = 1, maximum = 2147483647)]
    pub max_weight: Option<u32>,
    /// m: users needed before their weight is raised or a cut is protected (default 5).
    #[schema(minimum = 1, maximum = 2147483647)]
    pub min_group: Option<u32>,
    /// θ: the percentage of a service's users rejecting a cut that protects it (default 50).
    #[schema(minimum = 1, maximum = 100)]
    pub protect_threshold_percent: Option<u32>,
    /// Whose "I use this" counts towards a service's protected say: `declared` (default:
    /// the services residents tick), `declared_or_verified` (those, and the service of a
    /// service-user code given with the ballot), or `verified` (service-user codes only).
    /// docs/tally.md, "Verified service users".
    pub service_users: Option<crate::domain::ServiceUsers>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConsultationRequest {
    #[schema(example = "Riverside budget 2027", min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub description: String,
    /// ISO 4217 code; default GBP.
    #[schema(example = "GBP", pattern = r"^\s*[A-Za-z]{3}\s*$")]
    pub currency: Option<String>,
    pub budget: Option<BudgetRequest>,
    pub settings: Option<SettingsRequest>,
    pub areas: Option<Vec<String>>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub services: Option<Vec<ServiceRequest>>,
    pub proposals: Option<Vec<ProposalRequest>>,
}

/// Present-but-null is "clear it"; absent is "leave it".
fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A field that may be left out (keep it) but not sent as `null`: it has no empty value
/// to clear it to, and silently keeping it would hide the mistake.
fn not_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(d)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom("cannot be null: leave the field out to keep it as it is")),
    }
}

/// Change any of a draft's own fields; fields left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConsultationRequest {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, max_length = 20000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, example = "GBP", pattern = r"^\s*[A-Za-z]{3}\s*$")]
    pub currency: Option<String>,
    /// Replaces the whole budget: figures left out become `null`.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = BudgetRequest)]
    pub budget: Option<BudgetRequest>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = SettingsRequest)]
    pub settings: Option<SettingsRequest>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Vec<String>)]
    pub areas: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub opens_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub closes_at: Option<Option<DateTime<Utc>>>,
}

fn budget_from(req: &BudgetRequest) -> Result<Budget, AppError> {
    let money = |v: Option<i64>, field: &str| v.map(|v| Amount::parse(v).map(Amount::minor_units).field(field)).transpose();
    Ok(Budget {
        overall_budget: money(req.overall_budget, "budget.overall_budget")?,
        savings_target: money(req.savings_target, "budget.savings_target")?,
        development_budget: money(req.development_budget, "budget.development_budget")?,
    })
}

fn settings_from(req: &SettingsRequest, base: &TallySettings) -> TallySettings {
    TallySettings {
        rank_depth: req.rank_depth.unwrap_or(base.rank_depth),
        minority_share_percent: req.minority_share_percent.unwrap_or(base.minority_share_percent),
        max_weight: req.max_weight.unwrap_or(base.max_weight),
        min_group: req.min_group.unwrap_or(base.min_group),
        protect_threshold_percent: req.protect_threshold_percent.unwrap_or(base.protect_threshold_percent),
        service_users: req.service_users.unwrap_or(base.service_users),
    }
}

fn areas_from(raw: &[String]) -> Result<Vec<String>, AppError> {
    if raw.len() > MAX_AREAS {
        return Err(AppError::invalid("areas", format!("at most {MAX_AREAS} areas")));
    }
    let mut areas: Vec<String> = Vec::with_capacity(raw.len());
    for (i, area) in raw.iter().enumerate() {
        let field = format!("areas[{i}]");
        let title = Title::parse(area).field(&field)?;
        if title.as_str().chars().count() > 100 {
            return Err(AppError::invalid(field, "must be at most 100 characters"));
        }
        if areas.iter().any(|a| a == title.as_str()) {
            return Err(AppError::invalid(field, format!("{:?} is listed twice", title.as_str())));
        }
        areas.push(title.into_string());
    }
    Ok(areas)
}

/// Checks that involve several fields at once, by building the counting rule's paper.
/// The largest count setting the database column holds.
const MAX_COUNT_SETTING: u32 = i32::MAX as u32;

fn check_together(fields: &ConsultationFields, consultation: &Consultation) -> Result<(), AppError> {
    for (field, value) in [("opens_at", fields.opens_at), ("closes_at", fields.closes_at)] {
        if let Some(at) = value
            && !(2000..=2999).contains(&chrono::Datelike::year(&at))
        {
            return Err(AppError::invalid(field, "must be a date between the years 2000 and 2999"));
        }
    }
    if let (Some(opens), Some(closes)) = (fields.opens_at, fields.closes_at)
        && closes <= opens
    {
        return Err(AppError::invalid("closes_at", "must be after opens_at"));
    }
    for (field, value) in [("settings.max_weight", fields.settings.max_weight), ("settings.min_group", fields.settings.min_group)] {
        if value > MAX_COUNT_SETTING {
            return Err(AppError::invalid(field, format!("must be at most {MAX_COUNT_SETTING}")));
        }
    }
    consultation.ballot_paper().map(|_| ()).map_err(|e| {
        let path = e.path();
        let field = if let Some(rest) = path.strip_prefix("config.") {
            if rest == "savings_target" || rest == "development_budget" { format!("budget.{rest}") } else { format!("settings.{rest}") }
        } else {
            path
        };
        let message = e.to_string();
        let detail = message.split_once(": ").map(|(_, m)| m.to_owned()).unwrap_or(message);
        AppError::invalid(field, detail)
    })
}

/// A consultation as it would be, for `check_together`.
fn preview(fields: &ConsultationFields, services: Vec<crate::model::Service>, proposals: Vec<crate::model::Proposal>) -> Consultation {
    Consultation {
        id: Uuid::nil(),
        title: fields.title.as_str().to_owned(),
        description: String::new(),
        phase: Phase::Draft,
        currency: fields.currency.as_str().to_owned(),
        budget: fields.budget.clone(),
        settings: fields.settings.clone(),
        areas: fields.areas.clone(),
        opens_at: fields.opens_at,
        closes_at: fields.closes_at,
        services,
        proposals,
        population: Default::default(),
        fingerprint: String::new(),
        self_registration: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

pub(super) fn check_draft_after_edit(current: &Consultation) -> Result<(), AppError> {
    let fields = fields_of(current)?;
    check_together(&fields, current)
}

fn fields_of(c: &Consultation) -> Result<ConsultationFields, AppError> {
    Ok(ConsultationFields {
        title: Title::parse(&c.title).field("title")?,
        description: BoundedText::parse(&c.description, MAX_DESCRIPTION).field("description")?,
        currency: Currency::parse(&c.currency).field("currency")?,
        budget: c.budget.clone(),
        settings: c.settings.clone(),
        areas: c.areas.clone(),
        opens_at: c.opens_at,
        closes_at: c.closes_at,
    })
}

/// Open, closed and published consultations, newest first.
#[utoipa::path(tag = "consultations", responses((status = 200, body = [ConsultationListItem])))]
#[get("/api/v1/consultations")]
pub async fn list_public(ctx: web::Data<AppContext>) -> Result<web::Json<Vec<ConsultationListItem>>, AppError> {
    Ok(web::Json(storage::consultations::list(&ctx.db, false).await?))
}

/// Every consultation, drafts included (staff).
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    responses(
        (status = 200, body = [ConsultationListItem]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/manage/consultations")]
pub async fn list_all(ctx: web::Data<AppContext>, _user: SignedIn) -> Result<web::Json<Vec<ConsultationListItem>>, AppError> {
    Ok(web::Json(storage::consultations::list(&ctx.db, true).await?))
}

/// Create a draft consultation, optionally with its services and proposals.
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    request_body = CreateConsultationRequest,
    responses(
        (status = 201, body = Consultation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations")]
pub async fn create(ctx: web::Data<AppContext>, staff: SignedInJson<CreateConsultationRequest>) -> Result<HttpResponse, AppError> {
    let SignedInJson { user, body } = staff;
    let req = body.0;
    let fields = ConsultationFields {
        title: Title::parse(&req.title).field("title")?,
        description: BoundedText::parse(&req.description, MAX_DESCRIPTION).field("description")?,
        currency: req.currency.as_deref().map(Currency::parse).transpose().field("currency")?.unwrap_or_default(),
        budget: req.budget.as_ref().map(budget_from).transpose()?.unwrap_or_default(),
        settings: settings_from(&req.settings.unwrap_or_default(), &TallySettings::default()),
        areas: areas_from(req.areas.as_deref().unwrap_or_default())?,
        opens_at: req.opens_at,
        closes_at: req.closes_at,
    };
    let service_reqs = req.services.unwrap_or_default();
    let proposal_reqs = req.proposals.unwrap_or_default();
    if service_reqs.len() > MAX_SERVICES {
        return Err(AppError::invalid("services", format!("at most {MAX_SERVICES} services")));
    }
    if proposal_reqs.len() > MAX_PROPOSALS {
        return Err(AppError::invalid("proposals", format!("at most {MAX_PROPOSALS} proposals")));
    }
    let mut services = Vec::with_capacity(service_reqs.len());
    for (i, s) in service_reqs.iter().enumerate() {
        let taken: Vec<String> = services.iter().map(|x: &storage::consultations::ServiceInput| x.id.as_str().to_owned()).collect();
        services.push(service_input(s, None, &taken).map_err(|e| e.within(&format!("services[{i}]")))?);
    }
    let mut proposals = Vec::with_capacity(proposal_reqs.len());
    for (i, p) in proposal_reqs.iter().enumerate() {
        let taken: Vec<String> = proposals.iter().map(|x: &storage::consultations::ProposalInput| x.id.as_str().to_owned()).collect();
        proposals.push(proposal_input(p, None, &taken).map_err(|e| e.within(&format!("proposals[{i}]")))?);
    }
    let consultation = preview(
        &fields,
        services.iter().map(super::ballot_paper::service_model).collect(),
        proposals.iter().map(super::ballot_paper::proposal_model).collect(),
    );
    check_together(&fields, &consultation)?;
    let created = storage::consultations::create(&ctx.db, user.actor(), &fields, &services, &proposals).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The ballot paper: the consultation with its services and proposals. Drafts are visible
/// to staff only.
#[utoipa::path(
    tag = "consultations",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = Consultation),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}")]
pub async fn get_one(ctx: web::Data<AppContext>, id: web::Path<Uuid>, user: MaybeSignedIn) -> Result<web::Json<Consultation>, AppError> {
    let consultation = storage::consultations::get(&ctx.db, *id).await?;
    if !consultation.phase.is_public() && user.reviewer().is_none() {
        return Err(AppError::not_found("consultation"));
    }
    Ok(web::Json(consultation))
}

/// Change a draft's own fields.
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = UpdateConsultationRequest,
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
#[patch("/api/v1/consultations/{id}")]
pub async fn update(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<UpdateConsultationRequest>,
) -> Result<web::Json<Consultation>, AppError> {
    let SignedInJson { user, body } = staff;
    let req = body.0;
    Ok(web::Json(storage::consultations::update_fields(&ctx.db, *id, user.actor(), move |current| changed_fields(current, &req)).await?))
}

/// The draft's fields with the request's changes, checked together.
fn changed_fields(current: &Consultation, req: &UpdateConsultationRequest) -> Result<ConsultationFields, AppError> {
    let mut fields = fields_of(current)?;
    if let Some(title) = &req.title {
        fields.title = Title::parse(title).field("title")?;
    }
    if let Some(description) = &req.description {
        fields.description = BoundedText::parse(description, MAX_DESCRIPTION).field("description")?;
    }
    if let Some(currency) = &req.currency {
        fields.currency = Currency::parse(currency).field("currency")?;
    }
    if let Some(budget) = &req.budget {
        fields.budget = budget_from(budget)?;
    }
    if let Some(settings) = &req.settings {
        fields.settings = settings_from(settings, &current.settings);
    }
    if let Some(areas) = &req.areas {
        fields.areas = areas_from(areas)?;
    }
    if let Some(opens_at) = req.opens_at {
        fields.opens_at = opens_at;
    }
    if let Some(closes_at) = req.closes_at {
        fields.closes_at = closes_at;
    }
    check_together(&fields, &preview(&fields, current.services.clone(), current.proposals.clone()))?;
    Ok(fields)
}

async fn advance(ctx: &AppContext, user: &SignedIn, id: Uuid, to: Phase) -> Result<web::Json<Consultation>, AppError> {
    let after = storage::consultations::advance_phase(&ctx.db, id, user.actor(), to, |c| {
        if to == Phase::Open {
            if c.proposals.is_empty() {
                return Err(AppError::wrong_phase("add at least one proposal before opening the vote"));
            }
            // Such a vote could never take a ballot.
            if let Some(closes_at) = c.closes_at
                && closes_at <= chrono::Utc::now()
            {
                return Err(AppError::wrong_phase(format!(
                    "the closing time ({closes_at}) has already passed; change or clear it before opening the vote"
                )));
            }
            check_draft_after_edit(c)?;
        }
        Ok(())
    })
    .await?;
    Ok(web::Json(after))
}

/// Open the vote (draft → open). The ballot paper can no longer change.
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = Consultation),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/open")]
pub async fn open(ctx: web::Data<AppContext>, user: SignedIn, id: web::Path<Uuid>) -> Result<web::Json<Consultation>, AppError> {
    advance(&ctx, &user, *id, Phase::Open).await
}

/// Close the vote (open → closed).
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = Consultation),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/close")]
pub async fn close(ctx: web::Data<AppContext>, user: SignedIn, id: web::Path<Uuid>) -> Result<web::Json<Consultation>, AppError> {
    advance(&ctx, &user, *id, Phase::Closed).await
}

/// Publish the results (closed → published): they become public.
#[utoipa::path(
    tag = "consultations",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = Consultation),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/publish")]
pub async fn publish(ctx: web::Data<AppContext>, user: SignedIn, id: web::Path<Uuid>) -> Result<web::Json<Consultation>, AppError> {
    advance(&ctx, &user, *id, Phase::Published).await
}
