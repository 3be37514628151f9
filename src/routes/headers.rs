//! Two small middlewares about HTTP itself: HEAD wherever GET works, and no caching of
//! answers to signed-in requests.
use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{AUTHORIZATION, CACHE_CONTROL, HeaderValue},
    },
    middleware::Next,
};

/// Marks a request that was asked as HEAD and is routed as GET.
#[derive(Clone, Copy)]
pub(crate) struct AskedAsHead;

/// HEAD is answered wherever GET is (RFC 9110 §9.3.2): the request is routed as a GET, so it
/// gets the GET route's status and headers (`Content-Length` included); the HTTP layer then
/// sends no body, because it remembers the request was a HEAD. Logs and metrics, which look
/// before this middleware, still see HEAD; so does the 405 fallback (via [`AskedAsHead`]).
pub async fn head_as_get(mut req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(AskedAsHead);
    }
    next.call(req).await
}

/// Answers to requests that carry credentials are private: `Cache-Control: no-store`
/// unless the route chose its own caching.
pub async fn no_store_when_signed_in(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let signed_in = req.headers().contains_key(AUTHORIZATION);
    let mut response = next.call(req).await?;
    if signed_in && !response.headers().contains_key(CACHE_CONTROL) {
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
