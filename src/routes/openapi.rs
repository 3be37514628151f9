//! The OpenAPI document at `/api/v1/openapi.json` and a readable reference at `/api/docs`.
use actix_web::{HttpResponse, get};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::ApiDoc;

pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The token from POST /api/v1/auth/sign-in")).build(),
            ),
        );
    }
}

/// The machine-readable description of the whole API.
#[get("/api/v1/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// A plain, accessible reference page that renders the document; no CDN, no framework.
/// Its script and style are files of their own (below), so it runs under the same strict
/// Content-Security-Policy as every other page (set in `startup`).
#[get("/api/docs")]
pub async fn reference_page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(include_str!("api_reference.html"))
}

#[get("/api/docs/reference.js")]
pub async fn reference_script() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body(include_str!("api_reference.js"))
}

#[get("/api/docs/reference.css")]
pub async fn reference_style() -> HttpResponse {
    HttpResponse::Ok().content_type("text/css; charset=utf-8").body(include_str!("api_reference.css"))
}
