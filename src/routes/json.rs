//! `JsonBody<T>`: the JSON request extractor. Unlike `web::Json`, a body that does not
//! fit names the field to blame (`proposals[2].amount`), thanks to serde_path_to_error.
use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::{app::AppContext, errors::AppError};

pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppContext>>()
            .map(|ctx| ctx.settings.max_body_bytes)
            .unwrap_or(256 * 1024);
        let content_type_ok = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json") || v.contains("+json"))
            .unwrap_or(false);
        let declared_length = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_length.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge { limit });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| AppError::malformed(format!("the body could not be read: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(AppError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            if !content_type_ok {
                return Err(AppError::malformed("send a JSON body with 'Content-Type: application/json'"));
            }
            parse(&body).map(JsonBody)
        })
    }
}

/// Parse JSON, turning serde's error into a malformed-request (not JSON at all) or an
/// invalid-field problem (JSON, but a field is missing or of the wrong type).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        if let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
            let field = if path == "." { missing.to_owned() } else { format!("{path}.{missing}") };
            return AppError::invalid(field, "this field is required");
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
