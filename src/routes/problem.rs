//! AppError as RFC 9457 problem details, and the extractor error handlers that make bad
//! paths and queries answer with problems too.
use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::errors::AppError;

/// An error answer (RFC 9457 problem details).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:pbvote:problem:<kind>`; see docs/api.md for the list.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// What went wrong this time, in plain English.
    pub detail: String,
    /// The field to blame, as a JSON path (`proposals[2].amount`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `Retry-After` on every `503`: long enough for a restarting database to come back,
/// short enough that a resident's retry is soon.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            AppError::Malformed { .. } => (StatusCode::BAD_REQUEST, "malformed-request", "The request could not be read"),
            AppError::Unauthenticated | AppError::WrongCredentials => (StatusCode::UNAUTHORIZED, "unauthenticated", "Please sign in"),
            AppError::TotpRequired { .. } => (StatusCode::UNAUTHORIZED, "totp-required", "Enter the code from your authenticator app"),
            AppError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            AppError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            AppError::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed"),
            AppError::WrongPhase { .. } => (StatusCode::CONFLICT, "wrong-phase", "Not possible at this stage"),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "That clashes with what is already there"),
            AppError::RequestTimeout { .. } => (StatusCode::REQUEST_TIMEOUT, "request-timeout", "The request took too long to arrive"),
            AppError::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "The request is too large"),
            AppError::InvalidField { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", "A field is not valid"),
            AppError::InvalidVoterCode => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-voter-code", "Voter code not recognised"),
            AppError::InvalidServiceUserCode => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid-service-user-code", "Service-user code not recognised")
            }
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many attempts"),
            AppError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (status, kind, title) = self.parts();
        let (detail, field) = match self {
            AppError::Malformed { detail, field } => (detail.clone(), field.clone()),
            AppError::Unauthenticated => ("sign in first; send the token as 'Authorization: Bearer <token>'".to_owned(), None),
            AppError::WrongCredentials => ("the e-mail address or the password is wrong".to_owned(), None),
            AppError::TotpRequired { wrong: false } => (
                "this account uses two-step sign-in: send the 6-digit code from the authenticator app as totp".to_owned(),
                Some("totp".to_owned()),
            ),
            AppError::TotpRequired { wrong: true } => {
                ("the code from the authenticator app is not right, or was used already; use the one it shows now (each code works once)".to_owned(), Some("totp".to_owned()))
            }
            AppError::Forbidden { detail } | AppError::WrongPhase { detail } | AppError::Unavailable { detail } => (detail.clone(), None),
            AppError::NotFound { what } => (format!("no such {what}"), None),
            AppError::MethodNotAllowed { method, path, allowed } => (format!("{path} answers {}, not {method}", allowed.join(", ")), None),
            AppError::Conflict { detail, field } => (detail.clone(), field.clone()),
            AppError::RequestTimeout { seconds } => (format!("the whole body must arrive within {seconds} seconds"), None),
            AppError::PayloadTooLarge { limit } => (format!("send at most {limit} bytes"), None),
            AppError::InvalidField { field, detail } => (detail.clone(), Some(field.clone())),
            AppError::InvalidVoterCode => (
                "we do not recognise this voter code for this consultation; please check it against your letter".to_owned(),
                Some("voter_code".to_owned()),
            ),
            AppError::InvalidServiceUserCode => (
                "we do not recognise this service-user code for this consultation; please check it against the card your service gave you, or leave the box empty".to_owned(),
                Some("service_user_code".to_owned()),
            ),
            AppError::RateLimited { retry_after_seconds } => (format!("please wait {retry_after_seconds} seconds and try again"), None),
            AppError::Internal(_) => ("the error has been logged; please try again later".to_owned(), None),
        };
        Problem { kind: format!("urn:pbvote:problem:{kind}"), title: title.to_owned(), status: status.as_u16(), detail, field }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let AppError::RateLimited { retry_after_seconds } = self {
            response.insert_header(("Retry-After", retry_after_seconds.to_string()));
        }
        if let AppError::Unavailable { .. } = self {
            // The database restarting, slow or out of disk: say when to come back, so
            // clients and proxies retry rather than give up (and never see a 500).
            response.insert_header(("Retry-After", UNAVAILABLE_RETRY_AFTER_SECONDS.to_string()));
        }
        if let AppError::MethodNotAllowed { allowed, .. } = self {
            response.insert_header(("Allow", allowed.join(", ")));
        }
        response.json(self.to_problem())
    }
}

/// Bad path segments (an id that is not a UUID) name nothing: answer 404.
pub fn path_error(err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %err, "bad path");
    AppError::not_found("resource with that id").into()
}

pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    AppError::malformed(format!("the query string is not valid: {err}")).into()
}

/// Unknown API routes (404) and known paths asked with a method they do not answer (405,
/// with `Allow`).
pub async fn no_such_route(req: actix_web::HttpRequest) -> Result<HttpResponse, AppError> {
    use actix_web::HttpMessage;
    // HEAD is routed as GET (`headers::head_as_get`); name the method the client used.
    let asked_as_head = req.extensions().get::<super::headers::AskedAsHead>().is_some();
    let method = if asked_as_head { "HEAD".to_owned() } else { req.method().to_string() };
    let path = req.path().to_owned();
    match super::methods::allowed(&path) {
        Some(allowed) => Err(AppError::MethodNotAllowed { method, path, allowed }),
        None => Err(AppError::NotFound { what: format!("API route {method} {path}") }),
    }
}

/// An address that names no page: pbvote's own "page not found" page, with status 404 (not
/// the browser's bare one).
pub async fn not_found_page(req: &actix_web::HttpRequest, page: &std::path::Path) -> actix_web::HttpResponse {
    let body = match tokio::fs::read_to_string(page).await {
        Ok(html) => match req.app_data::<actix_web::web::Data<crate::app::AppContext>>() {
            Some(ctx) => crate::public_page::not_found(&crate::public_page::EN, &ctx.settings.council, &html),
            None => html,
        },
        Err(_) => "Page not found".to_owned(),
    };
    let mut response = actix_web::HttpResponse::NotFound();
    response.insert_header(("Cache-Control", "no-cache"));
    if req.method() == actix_web::http::Method::HEAD {
        return response.content_type("text/html; charset=utf-8").finish();
    }
    response.content_type("text/html; charset=utf-8").body(body)
}
