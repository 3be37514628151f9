//! Issuing voter codes for letters or a mail merge.
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{auth::SignedIn, json::SignedInJson, problem::Problem};
use crate::{
    app::AppContext,
    domain::VoterCode,
    errors::AppError,
    model::{CodeBatch, CodeSummary},
    storage,
};

pub const MAX_CODES_PER_BATCH: u32 = 10_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCodesRequest {
    /// How many codes to make (1 to 10,000).
    #[schema(example = 100, minimum = 1, maximum = 10000)]
    pub count: u32,
    /// Make service-user codes for this service (one of the consultation's service ids)
    /// instead of voting codes: a provider hands them to the service's users, who give one
    /// with their ballot to count as a verified user. Needs `settings.service_users` other
    /// than `declared`. Absent: voting codes for letters.
    #[schema(example = "day-centre", max_length = 40)]
    pub service: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct IssueCodesQuery {
    /// `csv` for a `text/csv` file with the columns `code,ballot_url`; otherwise JSON.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedCodes {
    pub consultation_id: Uuid,
    pub count: u32,
    /// The address residents vote at.
    pub ballot_url: String,
    /// The codes, shown this once only.
    pub codes: Vec<String>,
    /// Each code's short link (`{base}/go#K7QFM2XD9PRT`), in the order of `codes`: it opens
    /// the ballot with the code filled in. Their QR codes come from `POST /api/v1/qr`. None
    /// for service-user codes.
    pub links: Vec<String>,
    /// The batch's record: who made it, when, whether after voting opened, and whether its
    /// codes wait for a commissioner's approval (`needs_approval` and no `approved_at`).
    pub batch: CodeBatch,
}

#[derive(Serialize, ToSchema)]
pub struct CodeStats {
    pub issued: u64,
    /// Codes that have cast a ballot: the turnout. While voting is open, rounded down to
    /// a whole number of `step`s, so that watching it never shows the moment one person
    /// voted (see docs/privacy.md).
    pub used: u64,
    /// While voting is open, `used` moves in steps of this many (the consultation's
    /// `min_group`); 1 once voting has closed.
    pub step: u32,
    /// Whether `used` is exact.
    pub exact: bool,
}

/// The address residents vote at: `PBVOTE_PUBLIC_URL` if set, else where this request went.
pub fn ballot_url(ctx: &AppContext, req: &HttpRequest, consultation: Uuid) -> String {
    format!("{}/vote.html?c={consultation}", public_base(ctx, req))
}

/// `PBVOTE_PUBLIC_URL` if set, else where this request went; no trailing `/`.
pub fn public_base(ctx: &AppContext, req: &HttpRequest) -> String {
    let base = ctx.settings.public_url.clone().unwrap_or_else(|| request_origin(req, ctx.settings.trusted_proxies));
    base.trim_end_matches('/').to_owned()
}

/// `scheme://host` of the request: the `Host` header and the connection's own scheme, or,
/// behind trusted proxies only, `X-Forwarded-Host` / `X-Forwarded-Proto` as the outermost
/// proxy set them. (actix's `connection_info` believes those headers, and `Forwarded`, from
/// anyone.)
fn request_origin(req: &HttpRequest, trusted_proxies: u8) -> String {
    let forwarded = |name: &str| super::client_address::forwarded_entry(req, name, trusted_proxies);
    let scheme = forwarded("x-forwarded-proto")
        .map(|p| p.to_ascii_lowercase())
        .filter(|p| p == "http" || p == "https")
        .unwrap_or_else(|| if req.app_config().secure() { "https" } else { "http" }.to_owned());
    let host = forwarded("x-forwarded-host")
        .filter(|h| is_host(h))
        .or_else(|| {
            req.headers().get(actix_web::http::header::HOST).and_then(|h| h.to_str().ok()).filter(|h| is_host(h)).map(str::to_owned)
        })
        .or_else(|| req.uri().authority().map(|a| a.to_string()).filter(|h| is_host(h)))
        .unwrap_or_else(|| req.app_config().host().to_owned());
    format!("{scheme}://{host}")
}

/// A host name or address with an optional port, and nothing that could bend a URL.
fn is_host(host: &str) -> bool {
    !host.is_empty() && host.len() <= 255 && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

/// Make a batch of voter codes. They are shown once: the server keeps only keyed hashes.
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), IssueCodesQuery),
    request_body = IssueCodesRequest,
    responses(
        (status = 201, description = "JSON, or CSV with `?format=csv` (columns `code,ballot_url`)", content(
            (IssuedCodes = "application/json"),
            (String = "text/csv", example = json!("code,ballot_url\r\nK7QF-M2XD-9PRT,https://vote.example.gov.uk/vote.html?c=0b6d...\r\n")),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/voter-codes")]
pub async fn issue(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<IssueCodesQuery>,
    staff: SignedInJson<IssueCodesRequest>,
) -> Result<HttpResponse, AppError> {
    let SignedInJson { user, body } = staff;
    let count = body.0.count;
    if count == 0 || count > MAX_CODES_PER_BATCH {
        return Err(AppError::invalid("count", format!("must be between 1 and {MAX_CODES_PER_BATCH}")));
    }
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(AppError::invalid("format", format!("must be csv or json, got {other:?}"))),
    };
    let id = *id;
    let codes: Vec<VoterCode> = (0..count).map(|_| VoterCode::generate()).collect();
    let hashes = codes.iter().map(|c| ctx.keys.new_code(id, c)).collect();
    let service = body.0.service.as_deref().map(str::trim);
    let batch = storage::voter_codes::issue(&ctx.db, id, user.actor(), hashes, service).await?;
    let url = ballot_url(&ctx, &req, id);
    let shown: Vec<String> = codes.iter().map(VoterCode::display).collect();
    let base = public_base(&ctx, &req);
    if csv {
        let mut body = String::from("code,ballot_url\r\n");
        for code in &shown {
            body.push_str(&format!("{code},{url}\r\n"));
        }
        return Ok(HttpResponse::Created()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"voter-codes-{id}.csv\"")))
            .insert_header(("Cache-Control", "no-store"))
            .body(body));
    }
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(IssuedCodes {
        consultation_id: id,
        count,
        ballot_url: url,
        codes: shown,
        links: if batch.service.is_some() { Vec::new() } else { codes.iter().map(|c| crate::meetings::code_link(&base, c)).collect() },
        batch,
    }))
}

/// Every batch of codes of a consultation (who made it, when, how many, for which meeting,
/// whether after voting opened and whether approved), and the codes against the ballots.
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = CodeSummary),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/code-batches")]
pub async fn batches(ctx: web::Data<AppContext>, _user: SignedIn, id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(storage::voter_codes::summary(&ctx.db, *id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeApprovalRequest {
    /// Whether letters made after voting opens need a commissioner's approval before they work.
    pub required: bool,
}

/// Ask (or stop asking) for a commissioner's approval of letters made after voting opens.
/// Only while the consultation is a draft: once voting opens it can no longer be turned off.
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    request_body = CodeApprovalRequest,
    responses(
        (status = 200, body = CodeSummary),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/consultations/{id}/code-approval")]
pub async fn code_approval(
    ctx: web::Data<AppContext>,
    id: web::Path<Uuid>,
    staff: SignedInJson<CodeApprovalRequest>,
) -> Result<HttpResponse, AppError> {
    storage::consultations::set_code_approval(&ctx.db, *id, staff.user.actor(), staff.body.0.required).await?;
    Ok(HttpResponse::Ok().json(storage::voter_codes::summary(&ctx.db, *id).await?))
}

/// A commissioner approves a batch of letters made after voting opened: its codes work
/// from now on.
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("batch" = Uuid, Path, description = "Code batch id")),
    responses(
        (status = 200, body = CodeBatch),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/code-batches/{batch}/approve")]
pub async fn approve(ctx: web::Data<AppContext>, user: SignedIn, batch: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(storage::voter_codes::approve(&ctx.db, *batch, user.actor()).await?))
}

/// How many codes were issued and how many have voted (in steps while voting is open).
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id")),
    responses(
        (status = 200, body = CodeStats),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/voter-codes/stats")]
pub async fn stats(ctx: web::Data<AppContext>, _user: SignedIn, id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    let consultation = storage::consultations::get(&ctx.db, *id).await?;
    let (issued, used) = storage::voter_codes::stats(&ctx.db, *id).await?;
    let turnout = crate::results::turnout(&consultation, used);
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(CodeStats {
        issued,
        used: turnout.ballots,
        step: turnout.step,
        exact: turnout.exact,
    }))
}
