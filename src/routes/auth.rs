//! Signing in and out, and the `SignedIn` extractor that guards staff routes.
use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, get, http::header::CACHE_CONTROL, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    access::{Access, Rule, rule_for},
    json::JsonBody,
    problem::Problem,
};
use crate::{
    app::AppContext,
    audit::Actor,
    domain::{Email, Role},
    errors::AppError,
    model::User,
    rate_limit,
    security::{DeviceToken, SessionToken, verify_password},
    storage,
};

/// The person behind a valid session token, allowed by the route's rule
/// ([`super::access::RULES`]): a role the rule does not name is refused here (`403`).
pub struct SignedIn(pub User);

impl SignedIn {
    pub fn user(&self) -> &User {
        &self.0
    }

    /// Who is acting, for the audit record.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.0.id)
    }
}

fn bearer_token(req: &HttpRequest) -> Option<SessionToken> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| SessionToken::from_client(token))
}

/// The rule of the route this request matched.
fn route_rule(req: &HttpRequest) -> Result<&'static Rule, AppError> {
    let pattern = req.match_pattern();
    let pattern = pattern.as_deref().unwrap_or("");
    rule_for(req.method().as_str(), pattern)
        .ok_or_else(|| AppError::internal(format!("{} {pattern} has no rule in routes/access.rs", req.method())))
}

async fn session_user(req: &HttpRequest) -> Result<Option<User>, AppError> {
    let ctx = req.app_data::<web::Data<AppContext>>().cloned().ok_or_else(|| AppError::internal("no app context"))?;
    let Some(token) = bearer_token(req) else { return Ok(None) };
    storage::accounts::session_user(&ctx.db, &token.hash(), Utc::now()).await
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = session_user(&req).await?.ok_or(AppError::Unauthenticated)?;
            let rule = route_rule(&req)?;
            if !rule.access.roles().contains(&user.role) {
                return Err(forbidden(rule));
            }
            let must_set_up_totp = user.role == Role::Admin
                && !user.totp
                && req.app_data::<web::Data<AppContext>>().is_some_and(|ctx| ctx.settings.require_totp_for_admins);
            if must_set_up_totp && !TOTP_SETUP_ROUTES.contains(&rule.path) {
                return Err(AppError::forbidden(
                    "admins must use two-step sign-in here (PBVOTE_REQUIRE_TOTP_FOR_ADMINS): set it up first, in the console's Two-step sign-in page",
                ));
            }
            Ok(SignedIn(user))
        })
    }
}

/// What an admin without two-step sign-in may still do when it is required.
const TOTP_SETUP_ROUTES: &[&str] = &["/api/v1/auth/me", "/api/v1/auth/sign-out", "/api/v1/auth/totp/setup", "/api/v1/auth/totp/confirm"];

fn forbidden(rule: &Rule) -> AppError {
    // "only organisers can …", never "only organiser can …".
    let names: Vec<String> = rule.access.roles().iter().map(|r| format!("{}s", r.as_str())).collect();
    AppError::forbidden(format!("only {} can {}", names.join(" or "), rule.action))
}

/// Where signing in is optional: drafts, and results before they are published, are for
/// the roles the route's rule names (organisers and commissioners); anyone else, officers
/// and admins included, sees what the public sees.
pub struct MaybeSignedIn(pub Option<User>, bool);

impl MaybeSignedIn {
    /// The signed-in user if the route's rule lets their role see more than the public.
    pub fn reviewer(&self) -> Option<&User> {
        self.0.as_ref().filter(|_| self.1)
    }
}

impl FromRequest for MaybeSignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let rule = route_rule(&req)?;
            match session_user(&req).await? {
                Some(user) => {
                    let reviewer = match rule.access {
                        Access::AnyoneOnceOpen(roles) | Access::AnyoneOncePublished(roles) => roles.contains(&user.role),
                        _ => false,
                    };
                    Ok(MaybeSignedIn(Some(user), reviewer))
                }
                None => Ok(MaybeSignedIn(None, false)),
            }
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[schema(example = "organiser@council.gov.uk")]
    pub email: String,
    pub password: String,
    /// The `device_token` this browser was given when it last signed in to this account, if
    /// any. A valid one makes this a known device, which strangers' wrong passwords for the
    /// account (`PBVOTE_SIGN_IN_ACCOUNT_LIMIT`) do not lock out. An unknown or expired one is
    /// no error: the sign-in is then from a new device.
    #[serde(default)]
    #[schema(example = json!(null), pattern = "^[0-9a-fA-F]{64}$")]
    pub device_token: Option<String>,
    /// For an account with two-step sign-in: the 6-digit code the authenticator app shows
    /// now. Without it such an account's right password answers `401 totp-required`.
    #[serde(default)]
    #[schema(example = json!(null), max_length = 20)]
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignInResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub user: User,
    /// Keep it on this device (it is not a sign-in by itself) and send it with the next
    /// sign-in to this account. A new one each time; the one sent stops working.
    pub device_token: String,
    pub device_token_expires_at: chrono::DateTime<Utc>,
}

/// How long a known-device token lasts: a browser that has not signed in to the account for
/// this long is a new device again.
const DEVICE_TOKEN_DAYS: i64 = 90;

/// Sign in with e-mail and password; returns a session token.
#[utoipa::path(
    tag = "accounts",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in", body = SignInResponse),
        (status = 400, description = "The body is not JSON, or not sent as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/sign-in")]
pub async fn sign_in(ctx: web::Data<AppContext>, req: HttpRequest, body: JsonBody<SignInRequest>) -> Result<HttpResponse, AppError> {
    let body = body.0;
    let email = Email::parse(&body.email).map_err(|e| AppError::invalid("email", e))?;
    let device = body.device_token.as_deref().map(DeviceToken::parse).transpose().map_err(|e| AppError::invalid("device_token", e))?;
    let limits = &ctx.limiter.limits;
    let client = rate_limit::client_group(&super::client_address(&req, ctx.settings.trusted_proxies));
    // Every attempt from a client counts, on every instance, before the (slow) password check.
    ctx.limiter.record("sign-in-client", &client, limits.sign_ins_per_client).await?;
    // Wrong passwords count per (e-mail, client), so that someone elsewhere cannot lock the
    // owner out with a few wrong tries. Checked against the shared counter (and the tries in
    // flight) before the password is.
    let pair = ctx
        .limiter
        .begin("sign-in-failures", &format!("{}\n{client}", email.as_str()), limits.sign_in_failures_per_email_and_client, true)
        .await?;
    let found = storage::accounts::find_for_sign_in(&ctx.db, &email).await?;
    // They also count per e-mail address from all clients together, with a higher cap against
    // guessing from many addresses — except from a known device: one that was given a device
    // token for this account, still valid, and not used for more wrong passwords than one
    // client may send (so a token taken from a browser buys no more guesses than a client
    // gets). Its failures count against the token instead, and strangers reaching the cap
    // cannot lock the owner out.
    let device_hash = device.as_ref().map(|d| ctx.keys.device_token_hash(d));
    let known = match (&found, &device_hash) {
        (Some(account), Some(hash)) => storage::accounts::device_token_user(&ctx.db, hash, Utc::now()).await? == Some(account.user.id),
        _ => false,
    };
    let from_device = match device_hash.as_deref().filter(|_| known) {
        Some(hash) => match ctx.limiter.begin("sign-in-device-failures", hash, limits.sign_in_failures_per_email_and_client, true).await {
            Ok(attempt) => Some(attempt),
            Err(AppError::RateLimited { .. }) => None,
            Err(other) => return Err(other),
        },
        None => None,
    };
    let wider = match from_device {
        Some(attempt) => attempt,
        None => ctx.limiter.begin("sign-in-account-failures", email.as_str(), limits.sign_in_failures_per_email, true).await?,
    };
    // Verify against a dummy hash when the account is unknown, so timing does not tell.
    let (account, ok) = match found {
        Some(account) => {
            let ok = verify_in_background(body.password, account.password_hash.clone()).await?;
            (Some(account), ok)
        }
        None => {
            verify_in_background(body.password, crate::security::dummy_hash().to_owned()).await?;
            (None, false)
        }
    };
    // Two-step sign-in: a right password also needs the app's code now. A missing code is
    // not a failure (the console asks for it next); a wrong one counts like a wrong password,
    // and so does a code that already signed in (each code works once: its step is spent).
    let totp = match (&account, ok) {
        (Some(a), true) => match a.totp_secret.as_deref().map(|sealed| ctx.keys.open_totp(a.user.id, sealed)) {
            None => Ok(()),
            Some(None) => Err(AppError::internal("a two-step secret that does not open under this key")),
            Some(Some(secret)) => match body.totp.as_deref() {
                None | Some("") => Err(AppError::TotpRequired { wrong: false }),
                Some(code) => match crate::security::totp::matching_step(&secret, code) {
                    Some(step) if storage::accounts::spend_totp_step(&ctx.db, a.user.id, step).await? => Ok(()),
                    _ => Err(AppError::TotpRequired { wrong: true }),
                },
            },
        },
        _ => Ok(()),
    };
    let two_step = account.as_ref().is_some_and(|a| a.totp_secret.is_some());
    let user = match (account, ok, totp) {
        // A disabled account is refused like a wrong password (and not counted).
        (Some(account), true, _) if account.disabled => return Err(AppError::WrongCredentials),
        (Some(_), true, Err(AppError::TotpRequired { wrong: false })) => return Err(AppError::TotpRequired { wrong: false }),
        (Some(account), true, Ok(())) => account.user,
        (_, _, totp) => {
            // Count both, even if the first refuses; a failure that cannot be counted is an error.
            let (by_pair, by_wider) = (pair.failed().await, wider.failed().await);
            by_pair?;
            by_wider?;
            return Err(match totp {
                Err(e @ AppError::TotpRequired { .. }) => e,
                Err(other) if ok => other,
                _ => AppError::WrongCredentials,
            });
        }
    };
    drop((pair, wider));
    let token = SessionToken::generate();
    let expires_at = chrono::Duration::from_std(ctx.settings.session_ttl)
        .ok()
        .and_then(|ttl| Utc::now().checked_add_signed(ttl))
        .ok_or_else(|| AppError::internal("PBVOTE_SESSION_HOURS is out of range"))?;
    storage::accounts::create_session(&ctx.db, user.id, token.hash(), expires_at, two_step).await?;
    // A new device token each time: the one sent (if it was this account's) stops working.
    let device_token = DeviceToken::generate();
    let device_token_expires_at = Utc::now() + chrono::Duration::days(DEVICE_TOKEN_DAYS);
    let replaced = device_hash.as_deref().filter(|_| known);
    storage::accounts::renew_device_token(&ctx.db, user.id, replaced, ctx.keys.device_token_hash(&device_token), device_token_expires_at)
        .await?;
    // The answer carries the tokens: no cache may keep it.
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(SignInResponse {
        token: token.expose().to_owned(),
        expires_at,
        user,
        device_token: device_token.expose().to_owned(),
        device_token_expires_at,
    }))
}

/// argon2 is deliberately slow: keep it off the async workers.
async fn verify_in_background(password: String, hash: String) -> Result<bool, AppError> {
    web::block(move || verify_password(&password, &hash)).await.map_err(|e| AppError::internal(format!("password check: {e}")))
}

/// Sign out: the token stops working at once, on every instance.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/sign-out")]
pub async fn sign_out(ctx: web::Data<AppContext>, req: HttpRequest, user: SignedIn) -> Result<HttpResponse, AppError> {
    if let Some(token) = bearer_token(&req) {
        storage::accounts::delete_session(&ctx.db, user.user().id, &token.hash()).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Who is signed in.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = User),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/auth/me")]
pub async fn me(user: SignedIn) -> HttpResponse {
    HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(user.0)
}
