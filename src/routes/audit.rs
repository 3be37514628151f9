//! The audit record, for admins: read it, check it, download it.
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{auth::SignedIn, problem::Problem};
use crate::{
    app::AppContext,
    audit::{AuditEntry, Broken},
    errors::AppError,
    storage,
};

/// Most entries in one page.
const MAX_PAGE: u64 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries after this number (0: from the first).
    #[param(minimum = 0)]
    pub after: Option<u64>,
    /// How many, 1 to 1,000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// One entry, with `before` and `after` as JSON (the hash is of their text as stored).
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: u64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<Uuid>,
    /// The account's e-mail address at the time, or the `pbvote` command.
    pub actor: String,
    #[schema(example = "consultation.open")]
    pub action: String,
    #[schema(example = "consultation:0b6d2c1e-…")]
    pub subject: String,
    pub consultation_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

fn json_of(text: Option<&str>) -> serde_json::Value {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or(serde_json::Value::Null)
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        AuditEntryView {
            before: json_of(e.before.as_deref()),
            after: json_of(e.after.as_deref()),
            seq: e.seq,
            at: e.at,
            actor_id: e.actor_id,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            consultation_id: e.consultation_id,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// How many entries the record holds.
    pub length: u64,
    pub entries: Vec<AuditEntryView>,
}

/// A page of the audit record, oldest first: every staff action with who, what, when, the
/// state before and after, and the hash chain.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, description = "The query string cannot be read (e.g. a number that is not one)", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/audit")]
pub async fn list(ctx: web::Data<AppContext>, _admin: SignedIn, query: web::Query<AuditQuery>) -> Result<HttpResponse, AppError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be 1 to {MAX_PAGE}")));
    }
    let entries = storage::audit::entries(&ctx.db, query.after.unwrap_or(0), limit).await?;
    let length = storage::audit::length(&ctx.db).await?;
    let page = AuditPage { length, entries: entries.into_iter().map(AuditEntryView::from).collect() };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(page))
}

#[derive(Serialize, ToSchema)]
pub struct Verified {
    /// Whether every entry checks.
    pub intact: bool,
    /// How many entries were checked (up to the first broken one).
    pub entries: u64,
    /// The first entry that does not check, and why; `null` when intact.
    pub broken: Option<Broken>,
}

/// Check the hash chain, as `pbvote audit verify` does.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Verified),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/audit/verify")]
pub async fn verify(ctx: web::Data<AppContext>, _admin: SignedIn) -> Result<HttpResponse, AppError> {
    let answer = match storage::audit::verify(&ctx.db).await? {
        Ok(entries) => Verified { intact: true, entries, broken: None },
        Err(broken) => Verified { intact: false, entries: broken.seq.saturating_sub(1), broken: Some(broken) },
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(answer))
}

/// The whole record as CSV (`seq,at,actor_id,actor,action,subject,consultation_id,before,after,prev_hash,hash`).
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The record", content_type = "text/csv", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/audit/export")]
pub async fn export(ctx: web::Data<AppContext>, _admin: SignedIn) -> Result<HttpResponse, AppError> {
    let mut all = Vec::new();
    loop {
        let page = storage::audit::entries(&ctx.db, all.last().map_or(0, |e: &AuditEntry| e.seq), 5000).await?;
        if page.is_empty() {
            break;
        }
        all.extend(page);
    }
    let body = crate::audit::csv(&all).map_err(|e| AppError::internal(format!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Disposition", "attachment; filename=\"pbvote-audit.csv\""))
        .body(body))
}
