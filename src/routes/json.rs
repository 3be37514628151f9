//! `JsonBody<T>`: the JSON request extractor. Unlike `web::Json`, a body that does not
//! fit names the field to blame (`proposals[2].amount`), thanks to serde_path_to_error.
use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::auth::SignedIn;
use crate::{app::AppContext, errors::AppError};

pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let settings = req.app_data::<web::Data<AppContext>>().map(|ctx| (ctx.settings.max_body_bytes, ctx.settings.body_timeout));
        let (limit, deadline) =
            settings.unwrap_or((256 * 1024, std::time::Duration::from_secs(crate::config::DEFAULT_BODY_TIMEOUT_SECONDS)));
        // A voter roll is the one body that may be large.
        let limit =
            if req.match_pattern().as_deref() == Some("/api/v1/consultations/{id}/roll") { super::rolls::MAX_ROLL_BYTES } else { limit };
        let content_type_ok =
            req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json_media_type);
        let declared_length =
            req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_length.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge { limit });
            }
            let read_whole = async {
                let mut body = web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|e| AppError::malformed(format!("the body could not be read: {e}")))?;
                    if body.len() + chunk.len() > limit {
                        return Err(AppError::PayloadTooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            // One deadline for the whole body, however it is split: a byte now and then
            // would keep a per-read timeout happy for ever.
            let body = tokio::time::timeout(deadline, read_whole)
                .await
                .map_err(|_| AppError::RequestTimeout { seconds: deadline.as_secs() })??;
            if !content_type_ok {
                return Err(AppError::malformed("send a JSON body with 'Content-Type: application/json'"));
            }
            parse(&body).map(JsonBody)
        })
    }
}

/// A staff request with a JSON body: the session token is checked first, and the body is
/// read only for someone signed in. (actix polls all of a handler's extractors together, and
/// the first to fail answers: a `SignedIn` beside a `JsonBody` let a body that does not
/// parse answer 400 or 422 while the made-up token was still being looked up.)
pub struct SignedInJson<T> {
    pub user: SignedIn,
    pub body: JsonBody<T>,
}

impl<T: DeserializeOwned + 'static> FromRequest for SignedInJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = SignedIn::from_request(req, payload);
        // Nothing of the body is read until this future is polled.
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            Ok(SignedInJson { user, body: body.await? })
        })
    }
}

/// `application/json` or `application/<anything>+json` (e.g. `application/merge-patch+json`),
/// parameters such as `; charset=utf-8` aside. The media type is what comes before the first
/// `;`: a parameter that merely mentions json (`text/plain;a=+json`) does not count, since
/// `text/plain` is a type a cross-site page may send without asking first (CORS).
fn is_json_media_type(header: &str) -> bool {
    let media_type = header.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media_type.split_once('/') {
        Some(("application", "json")) => true,
        Some(("application", subtype)) => subtype
            .strip_suffix("+json")
            .is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.".contains(&b))),
        _ => false,
    }
}

/// The largest value of an integer type as serde names it in "expected u64", if it is one.
fn integer_range(expected: &str) -> Option<(i128, u128)> {
    Some(match expected {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" => (0, u64::MAX.into()),
        "i8" => (i8::MIN.into(), i8::MAX as u128),
        "i16" => (i16::MIN.into(), i16::MAX as u128),
        "i32" => (i32::MIN.into(), i32::MAX as u128),
        "i64" | "isize" => (i64::MIN.into(), i64::MAX as u128),
        _ => return None,
    })
}

/// serde's "invalid type: floating point `1e+20`, expected i64" (an integer too large for
/// the type arrives as a float) and the like, as a message a person can act on.
fn number_message(message: &str) -> Option<String> {
    let expected = message.split(", expected ").nth(1)?.split(" at line ").next()?.trim();
    let (min, max) = integer_range(expected)?;
    let got = message.strip_prefix("invalid ").and_then(|m| m.split(", expected ").next()).unwrap_or("");
    if got.starts_with("type: floating point") {
        let value: f64 = got.split('`').nth(1).and_then(|v| v.parse().ok()).unwrap_or(0.5);
        if value.fract() == 0.0 && value > max as f64 {
            return Some(format!("must be a whole number no larger than {max}"));
        }
        if value.fract() == 0.0 && value < min as f64 {
            return Some(format!("must be a whole number no smaller than {min}"));
        }
        return Some("must be a whole number, without a fractional part".to_owned());
    }
    if got.starts_with("value: integer") && min == 0 {
        return Some(format!("must be a whole number from 0 to {max}"));
    }
    if got.starts_with("value: integer") {
        return Some(format!("must be a whole number from {min} to {max}"));
    }
    // A string, a boolean, a list…
    Some(format!(
        "must be a whole number, not {}",
        got.trim_start_matches("type: ").split_whitespace().next().unwrap_or("that").trim_end_matches(',')
    ))
}

/// Parse JSON, turning serde's error into a malformed-request (not JSON at all) or an
/// invalid-field problem (JSON, but a field is missing or of the wrong type).
///
/// Every request body of this API is a JSON object: anything else at the top is refused
/// before serde sees it (serde would read a list as the struct's fields in order).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => AppError::malformed("the body must be a JSON object ({ … })"),
            Err(e) => AppError::malformed(format!("the body is not valid JSON: {e}")),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let child = |name: &str| if path == "." { name.to_owned() } else { format!("{path}.{name}") };
        if let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
            return AppError::invalid(child(missing), "this field is required");
        }
        if let Some(duplicate) = message.strip_prefix("duplicate field `").and_then(|m| m.split('`').next()) {
            return AppError::invalid(child(duplicate), "appears twice; send each field once");
        }
        if inner.classify() == serde_json::error::Category::Data
            && path != "."
            && !path.starts_with('[')
            && let Some(detail) = number_message(&message)
        {
            return AppError::invalid(path, detail);
        }
        if let Some(unknown) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
            // serde_path_to_error's path already ends with the unknown key.
            let field = if path == "." { unknown.to_owned() } else { path };
            return AppError::invalid(field, format!("is not a field here ({message})"));
        }
        match inner.classify() {
            serde_json::error::Category::Data if path != "." && !path.starts_with('[') => AppError::invalid(path, inner),
            serde_json::error::Category::Data => AppError::malformed(format!("the body is not of the expected shape: {inner}")),
            _ => AppError::malformed(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| AppError::malformed(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        for yes in ["application/json", "APPLICATION/JSON; charset=utf-8", "application/problem+json", "application/vnd.api+json;v=1"] {
            assert!(is_json_media_type(yes), "{yes}");
        }
        for no in [
            "text/plain;a=+json",
            "text/plain; charset=\"application/json\"",
            "application/+json",
            "text/json",
            "application/jsonx",
            "application/json+x",
            "",
            "json",
        ] {
            assert!(!is_json_media_type(no), "{no}");
        }
    }

    #[test]
    fn integer_messages() {
        assert_eq!(
            number_message("invalid type: floating point `1e+20`, expected i64 at line 1 column 9").unwrap(),
            format!("must be a whole number no larger than {}", i64::MAX)
        );
        assert_eq!(
            number_message("invalid value: integer `-1`, expected u32").unwrap(),
            format!("must be a whole number from 0 to {}", u32::MAX)
        );
        assert!(number_message("invalid type: floating point `1.5`, expected u32").unwrap().contains("fractional"));
        assert_eq!(number_message("invalid type: string \"5\", expected u32").unwrap(), "must be a whole number, not string");
        assert_eq!(number_message("invalid type: string \"5\", expected a string"), None);
    }
}
