//! The one error type of the service: [`AppError`].
//!
//! Every fallible operation that a request can reach returns `Result<T, AppError>`; the
//! HTTP layer (`routes::problem`) turns it into an RFC 9457 problem document. Which variant
//! to use:
//!
//! - [`AppError::Malformed`] (400): the request could not be read at all — not JSON, wrong
//!   shape, a query string that does not parse. Use [`AppError::malformed`].
//! - [`AppError::Unauthenticated`] (401): no session token, or an unknown or expired one.
//! - [`AppError::Forbidden`] (403): signed in, but the role may not do this.
//! - [`AppError::NotFound`] (404): an id in the path names nothing. Use [`AppError::not_found`].
//!   Database "record not found" maps here once, in `storage`.
//! - [`AppError::MethodNotAllowed`] (405): the path exists, the method does not; carries the
//!   methods it does answer, for the `Allow` header. Only the router's fallback uses it.
//! - [`AppError::WrongPhase`] (409): the consultation is in the wrong phase for this action
//!   (voting while closed, editing while open).
//! - [`AppError::Conflict`] (409): the request clashes with what is stored (an id already
//!   taken, a service still in use). Unique-constraint violations map here once, in `storage`.
//! - [`AppError::RequestTimeout`] (408): the body did not arrive in time (actix closes the
//!   connection after the answer, since the rest of the body was never read).
//! - [`AppError::PayloadTooLarge`] (413).
//! - [`AppError::InvalidField`] (422): the request was read, but a field's value is not
//!   allowed. Always name the field (a JSON path such as `proposals[2].amount`). Use
//!   [`AppError::invalid`]. Domain types' parse errors convert into this.
//! - [`AppError::InvalidVoterCode`] (422): a voter code that was not issued for this
//!   consultation. Kept apart so the page can put the message next to the code field and
//!   so metrics can count guessing.
//! - [`AppError::InvalidServiceUserCode`] (422): the same for a service-user code given
//!   with a ballot (field `service_user_code`); counted against the client like a wrong
//!   voter code.
//! - [`AppError::RateLimited`] (429).
//! - [`AppError::Unavailable`] (503): the database cannot be reached.
//! - [`AppError::Internal`] (500): a bug or an unexpected failure. The detail is logged,
//!   never shown to the client.
use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("malformed request: {detail}")]
    Malformed { detail: String, field: Option<String> },
    #[error("not signed in")]
    Unauthenticated,
    /// A sign-in with a wrong e-mail address or password (401, but a clearer message).
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    /// A right password for an account with two-step sign-in, without the app's code
    /// (`wrong: false`) or with a wrong one (401, naming the field `totp`).
    #[error("two-step sign-in code needed")]
    TotpRequired { wrong: bool },
    #[error("forbidden: {detail}")]
    Forbidden { detail: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("method not allowed: {method} {path}")]
    MethodNotAllowed { method: String, path: String, allowed: Vec<&'static str> },
    #[error("wrong phase: {detail}")]
    WrongPhase { detail: String },
    #[error("conflict: {detail}")]
    Conflict { detail: String, field: Option<String> },
    #[error("request body not received within {seconds} s")]
    RequestTimeout { seconds: u64 },
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    #[error("{field}: {detail}")]
    InvalidField { field: String, detail: String },
    #[error("invalid voter code")]
    InvalidVoterCode,
    #[error("invalid service-user code")]
    InvalidServiceUserCode,
    #[error("rate limited")]
    RateLimited { retry_after_seconds: u64 },
    #[error("service unavailable: {detail}")]
    Unavailable { detail: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn malformed(detail: impl fmt::Display) -> Self {
        AppError::Malformed { detail: detail.to_string(), field: None }
    }

    pub fn invalid(field: impl Into<String>, detail: impl fmt::Display) -> Self {
        AppError::InvalidField { field: field.into(), detail: detail.to_string() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }

    pub fn wrong_phase(detail: impl fmt::Display) -> Self {
        AppError::WrongPhase { detail: detail.to_string() }
    }

    pub fn conflict(field: Option<&str>, detail: impl fmt::Display) -> Self {
        AppError::Conflict { detail: detail.to_string(), field: field.map(str::to_owned) }
    }

    pub fn forbidden(detail: impl fmt::Display) -> Self {
        AppError::Forbidden { detail: detail.to_string() }
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        AppError::Internal(detail.to_string())
    }

    /// Prefix the field of a field error with a parent path, e.g. `amount` becomes
    /// `proposals[2].amount`, so nested errors still name the exact field.
    pub fn within(self, parent: &str) -> Self {
        match self {
            AppError::InvalidField { field, detail } => AppError::InvalidField { field: format!("{parent}.{field}"), detail },
            AppError::Conflict { detail, field: Some(field) } => AppError::Conflict { detail, field: Some(format!("{parent}.{field}")) },
            other => other,
        }
    }
}

/// A field-level parse failure from a domain type; the caller knows the field's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Attach a field name to a domain parse error: `Title::parse(x).field("title")?`.
pub trait FieldContext<T> {
    fn field(self, name: &str) -> Result<T, AppError>;
}

impl<T> FieldContext<T> for Result<T, ParseError> {
    fn field(self, name: &str) -> Result<T, AppError> {
        self.map_err(|e| AppError::invalid(name, e))
    }
}
