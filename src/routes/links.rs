//! Short links and QR codes: `/go#CODE` on letters and slips, `/go#JOINCD` on the projector.
//! The code travels after `#`, so it never reaches a server or proxy log: the page `go.html`
//! asks where it votes and opens the right ballot page.
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    json::{JsonBody, SignedInJson},
    problem::Problem,
};
use crate::{app::AppContext, errors::AppError, meetings as service};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindCodeRequest {
    #[schema(example = "K7QF-M2XD-9PRT", max_length = 40)]
    pub voter_code: String,
}

#[derive(Serialize, ToSchema)]
pub struct FoundCode {
    pub consultation_id: Uuid,
    /// For an admission slip: the meeting whose hall it votes in.
    pub meeting_id: Option<Uuid>,
}

/// Where a code from a short link votes. Wrong codes count against the client like wrong
/// ballots (a code is a secret).
#[utoipa::path(
    tag = "links",
    request_body = FindCodeRequest,
    responses(
        (status = 200, body = FoundCode),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/codes/find")]
pub async fn find_code(ctx: web::Data<AppContext>, http: HttpRequest, body: JsonBody<FindCodeRequest>) -> Result<HttpResponse, AppError> {
    let client = super::client_address(&http, ctx.settings.trusted_proxies);
    let (consultation_id, meeting_id) = service::find_code(&ctx, &body.0.voter_code, &client).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(FoundCode { consultation_id, meeting_id }))
}

/// The most QR codes one request draws.
pub const MAX_QR: usize = 200;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QrRequest {
    /// Short links of this service (`{base}/go#…`), 1 to 200.
    #[schema(min_items = 1, max_items = 200)]
    pub links: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct QrCodes {
    /// SVG QR codes as `data:` URIs, in the order of `links`.
    pub qr: Vec<String>,
}

/// QR codes of this service's short links, for printing letters and slips. Only short links
/// of this service are drawn (this is not a QR service for anything else).
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    request_body = QrRequest,
    responses(
        (status = 200, body = QrCodes),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/qr")]
pub async fn qr(ctx: web::Data<AppContext>, req: HttpRequest, staff: SignedInJson<QrRequest>) -> Result<HttpResponse, AppError> {
    let links = staff.body.0.links;
    if links.is_empty() || links.len() > MAX_QR {
        return Err(AppError::invalid("links", format!("must hold 1 to {MAX_QR} links")));
    }
    let prefix = format!("{}/go#", super::voter_codes::public_base(&ctx, &req));
    let mut qr = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let rest = link.strip_prefix(&prefix).filter(|r| (6..=12).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
        if rest.is_none() {
            return Err(AppError::invalid(format!("links[{i}]"), format!("must be a short link of this service, starting {prefix}")));
        }
        qr.push(crate::qr::svg_data_uri(link)?);
    }
    Ok(HttpResponse::Ok().json(QrCodes { qr }))
}

/// `/go` (the short links' address, with the code after `#`) is the page `go.html`.
pub fn short_link_page(cfg: &mut web::ServiceConfig, frontend_dir: &Path) {
    let page: PathBuf = frontend_dir.join("go.html");
    cfg.service(web::resource("/go").route(web::get().to(move || {
        let page = page.clone();
        async move { actix_files::NamedFile::open_async(page).await.map(|file| file.prefer_utf8(true)) }
    })));
}
