//! `/metrics`, the request-latency middleware, the `X-Request-Id` header and the span each
//! request is logged in.
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
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

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

/// The span each request is logged in ([`tracing_actix_web::TracingLogger`]'s root span).
///
/// tracing-actix-web's own span logs the `User-Agent` and `Host` headers as the client sent
/// them, so in the text log a user agent `x forged=yes` reads as two fields; and its error
/// event logs the whole error, which for a refused ballot names the choices refused, next to
/// the client's address. This span logs:
///
/// - the method, the route's pattern, the path asked for and the client's address (as for
///   rate limits), with whatever could start a field of its own (spaces, control characters,
///   quotes, backslashes, anything beyond ASCII) percent-encoded;
/// - not the `User-Agent` (nor `Host`): it adds nothing an operator needs, and with the
///   address it fingerprints a resident;
/// - for an answer that is an error, one event with its status and problem type
///   (`invalid-field`, `not-found`…), never its detail, which may quote a ballot.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let trusted_proxies = request.app_data::<web::Data<AppContext>>().map_or(0, |ctx| ctx.settings.trusted_proxies);
        let client = super::client_address(request.request(), trusted_proxies);
        let request_id = request.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default();
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "HTTP request",
            http.method = %method_label(request.method()),
            http.route = %log_safe(&route),
            http.target = %log_safe(request.uri().path_and_query().map_or("", |p| p.as_str())),
            http.client_ip = %log_safe(&client),
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("http.status_code", status.as_u16());
        let Some(error) = error else { return };
        // Ours name their problem type; actix's own (rare: a bad request line) only a status.
        let problem = error
            .as_error::<AppError>()
            .map_or_else(|| "http-error".to_owned(), |e| e.to_problem().kind.trim_start_matches("urn:pbvote:problem:").to_owned());
        span.in_scope(|| {
            if status.is_server_error() {
                tracing::error!(status = status.as_u16(), %problem, "request failed");
            } else {
                tracing::warn!(status = status.as_u16(), %problem, "request refused");
            }
        });
    }
}

/// `text` with every byte that could end a log field or fake one (space, control
/// characters, `"`, `\`, `%` itself, anything beyond ASCII) percent-encoded, so what a client
/// sent stays inside its own field, in the text log and the JSON one alike.
fn log_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_byte = |b: u8| !b.is_ascii_graphic() || matches!(b, b'"' | b'\\' | b'%');
    if !text.bytes().any(unsafe_byte) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for b in text.bytes() {
        if unsafe_byte(b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::log_safe;

    #[test]
    fn what_a_client_sent_cannot_start_a_field_of_its_own() {
        assert_eq!(log_safe("/api/v1/consultations?format=csv"), "/api/v1/consultations?format=csv");
        assert_eq!(log_safe("x forged=yes\tuser=\"admin\""), "x%20forged=yes%09user=%22admin%22");
        assert_eq!(log_safe("100%"), "100%25");
        assert_eq!(log_safe("ŵ\u{202E}"), "%C5%B5%E2%80%AE");
    }
}
