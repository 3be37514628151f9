//! The council that runs the consultations: its name, logo, privacy notice and contact,
//! shown on every page.
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{app::AppContext, errors::AppError};

#[derive(Serialize, ToSchema)]
pub struct Council {
    pub name: String,
    /// `/council/logo`, or `null` when none is set.
    pub logo_url: Option<String>,
    pub privacy_url: Option<String>,
    pub contact: Option<String>,
}

/// The council every page names (settings `PBVOTE_COUNCIL_NAME`, `PBVOTE_COUNCIL_LOGO`,
/// `PBVOTE_PRIVACY_URL`, `PBVOTE_CONTACT`).
#[utoipa::path(tag = "operations", responses((status = 200, body = Council)))]
#[get("/api/v1/council")]
pub async fn council(ctx: web::Data<AppContext>) -> HttpResponse {
    let c = &ctx.settings.council;
    HttpResponse::Ok().insert_header(("Cache-Control", "max-age=300")).json(Council {
        name: c.name.clone(),
        logo_url: c.logo.as_ref().map(|_| "/council/logo".to_owned()),
        privacy_url: c.privacy_url.clone(),
        contact: c.contact.clone(),
    })
}

/// The council's logo file.
#[get("/council/logo")]
pub async fn logo(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let path = ctx.settings.council.logo.clone().ok_or_else(|| AppError::not_found("logo"))?;
    let content_type = crate::config::logo_content_type(&path).ok_or_else(|| AppError::not_found("logo"))?;
    let bytes = web::block(move || std::fs::read(path)).await.map_err(|e| AppError::internal(format!("logo: {e}")))?.map_err(|e| {
        tracing::warn!(error = %e, "cannot read the council's logo");
        AppError::not_found("logo")
    })?;
    Ok(HttpResponse::Ok().content_type(content_type).insert_header(("Cache-Control", "max-age=3600")).body(bytes))
}
