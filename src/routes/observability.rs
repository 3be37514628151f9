//! `/metrics`, the request-latency middleware and the `X-Request-Id` header.
use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    get,
    http::{
        Method,
        header::{AUTHORIZATION, CACHE_CONTROL, HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use tracing_actix_web::RequestId;

use crate::{app::AppContext, errors::AppError, metrics::METRICS};

/// Prometheus metrics for this instance. They show live turnout and ballot timing, so they
/// are not for the public:
///
/// - with `PBVOTE_METRICS_TOKEN` set, every request must carry it as a bearer token;
/// - without it, behind trusted proxies (`PBVOTE_TRUST_PROXY`), a request that came through
///   them (it carries `X-Forwarded-For`) is refused: scrape each instance directly;
/// - without either (no proxy, no token), they are served to anyone who can reach the port,
///   as before, so keep that port off the internet or set the token.
#[get("/metrics")]
pub async fn metrics(ctx: web::Data<AppContext>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    match &ctx.settings.metrics_token {
        Some(token) => {
            let given = req
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            if !given.is_some_and(|t| token.matches(t.as_bytes())) {
                return Err(AppError::Unauthenticated);
            }
        }
        None if ctx.settings.trusted_proxies > 0 && req.headers().contains_key(&X_FORWARDED_FOR) => {
            return Err(AppError::forbidden(
                "the metrics are not served through the proxy; scrape the instance directly, or set PBVOTE_METRICS_TOKEN and send it as a bearer token",
            ));
        }
        None => {}
    }
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").insert_header((CACHE_CONTROL, "no-store")).body(METRICS.render()))
}

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The method as a metrics label: one of a fixed set, so made-up methods cannot each make
/// a series of their own.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Time each request, and echo its id (the one in the logs) as `X-Request-Id`.
///
/// Labels are bounded: the method is one of a fixed set, and the route is the pattern of
/// the route that answered (`/api/v1/consultations/{id}`), never the path asked for.
pub async fn observe(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let method = method_label(req.method());
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut response = next.call(req).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = format!("{}xx", response.status().as_u16() / 100);
    METRICS.request_seconds.with_label_values(&[method, route.as_str(), status.as_str()]).observe(started.elapsed().as_secs_f64());
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(response)
}
