//! Staff accounts: admins add, change, disable and re-enable them and issue one-time links
//! to set a password; anyone with such a link sets their password; everyone signed in may
//! turn on two-step sign-in for themselves.
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    auth::SignedIn,
    json::{JsonBody, SignedInJson},
    problem::Problem,
};
use crate::{
    app::AppContext,
    domain::{Email, Password, Role},
    errors::AppError,
    model::{Account, Invitation, User},
    security::{DeviceToken, hash_password, totp},
    storage,
};

/// How long a one-time link works.
pub const LINK_HOURS: i64 = 72;

/// Every staff account, by e-mail address.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Account>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/accounts")]
pub async fn list(ctx: web::Data<AppContext>, _admin: SignedIn) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(storage::accounts::list_accounts(&ctx.db).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(example = "officer@council.gov.uk", max_length = 254)]
    pub email: String,
    pub role: Role,
}

/// A one-time link, shown this once.
#[derive(Serialize, ToSchema)]
pub struct LinkIssued {
    pub account: Account,
    /// Give it to the person (it works once, for 72 hours): it opens the page where they set
    /// their password. The server keeps only a keyed hash of it.
    pub link: String,
    pub expires_at: chrono::DateTime<Utc>,
}

fn new_link(ctx: &AppContext, req: &HttpRequest) -> (DeviceToken, String, String, chrono::DateTime<Utc>) {
    let token = DeviceToken::generate();
    let link = format!("{}/console/welcome.html#{}", super::voter_codes::public_base(ctx, req), token.expose());
    let hash = ctx.keys.invitation_hash(&token);
    (token, link, hash, Utc::now() + chrono::Duration::hours(LINK_HOURS))
}

/// Add a member of staff: the account, with no password yet, and a one-time link with which
/// they set one.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = InviteRequest,
    responses(
        (status = 201, body = LinkIssued),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/accounts")]
pub async fn invite(ctx: web::Data<AppContext>, req: HttpRequest, staff: SignedInJson<InviteRequest>) -> Result<HttpResponse, AppError> {
    let body = staff.body.0;
    let email = Email::parse(&body.email).map_err(|e| AppError::invalid("email", e))?;
    let (_, link, hash, expires_at) = new_link(&ctx, &req);
    let account = storage::accounts::invite(&ctx.db, staff.user.actor(), &email, body.role, hash, expires_at).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(LinkIssued { account, link, expires_at }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    /// A new role.
    pub role: Option<Role>,
    /// `true` disables the account (its sessions stop at once); `false` enables it again.
    pub disabled: Option<bool>,
}

/// Change an account's role, or disable or re-enable it. An admin cannot change their own.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "Account id")),
    request_body = AccountChange,
    responses(
        (status = 200, body = Account),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/accounts/{user_id}")]
pub async fn change(ctx: web::Data<AppContext>, id: web::Path<Uuid>, staff: SignedInJson<AccountChange>) -> Result<HttpResponse, AppError> {
    let body = staff.body.0;
    if *id == staff.user.user().id {
        return Err(AppError::conflict(None, "you cannot change or disable your own account; ask another admin"));
    }
    if body.role.is_none() && body.disabled.is_none() {
        return Err(AppError::invalid("role", "send a new role, or disabled: true or false"));
    }
    Ok(HttpResponse::Ok().json(storage::accounts::update(&ctx.db, staff.user.actor(), *id, body.role, body.disabled).await?))
}

/// Issue a password-reset link for an account (one-time, 72 hours; an older unused link
/// stops working).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 201, body = LinkIssued),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/accounts/{user_id}/reset")]
pub async fn reset(ctx: web::Data<AppContext>, req: HttpRequest, id: web::Path<Uuid>, admin: SignedIn) -> Result<HttpResponse, AppError> {
    let (_, link, hash, expires_at) = new_link(&ctx, &req);
    let account = storage::accounts::reset_link(&ctx.db, admin.actor(), *id, hash, expires_at).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(LinkIssued { account, link, expires_at }))
}

/// Turn two-step sign-in off for an account (a lost phone): its owner sets it up again.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "Account id")),
    responses(
        (status = 200, body = Account),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/accounts/{user_id}/totp")]
pub async fn clear_totp(ctx: web::Data<AppContext>, id: web::Path<Uuid>, admin: SignedIn) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(storage::accounts::clear_totp(&ctx.db, admin.actor(), *id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The part of the link after `#`.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub token: String,
}

fn link_hash(ctx: &AppContext, token: &str) -> Result<String, AppError> {
    let token = DeviceToken::parse(token).map_err(|_| AppError::invalid("token", "is not the code of a link from this service"))?;
    Ok(ctx.keys.invitation_hash(&token))
}

/// What a one-time link is for (the account's e-mail address), while it works.
#[utoipa::path(
    tag = "accounts",
    request_body = LinkRequest,
    responses(
        (status = 200, body = Invitation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/invitations/look")]
pub async fn look(ctx: web::Data<AppContext>, body: JsonBody<LinkRequest>) -> Result<HttpResponse, AppError> {
    let hash = link_hash(&ctx, &body.0.token)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(storage::accounts::look_up_link(&ctx.db, &hash, Utc::now()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub token: String,
    /// The new password: 10 to 1024 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

/// Set the account's password with a one-time link. The link is used up; the account's
/// sessions end. Then sign in as usual.
#[utoipa::path(
    tag = "accounts",
    request_body = SetPasswordRequest,
    responses(
        (status = 200, body = Invitation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/invitations/accept")]
pub async fn accept(ctx: web::Data<AppContext>, body: JsonBody<SetPasswordRequest>) -> Result<HttpResponse, AppError> {
    let body = body.0;
    let hash = link_hash(&ctx, &body.token)?;
    let password = Password::parse(&body.password).map_err(|e| AppError::invalid("password", e))?;
    storage::accounts::look_up_link(&ctx.db, &hash, Utc::now()).await?;
    let hashed = web::block(move || hash_password(&password))
        .await
        .map_err(|e| AppError::internal(format!("password hash: {e}")))?
        .map_err(|e| AppError::internal(format!("password hash: {e}")))?;
    Ok(HttpResponse::Ok().json(storage::accounts::use_link(&ctx.db, &hash, hashed, Utc::now()).await?))
}

/// A new two-step secret, shown once, to type or scan into an authenticator app.
#[derive(Serialize, ToSchema)]
pub struct TotpSetup {
    /// The secret in base32, to type into the app.
    pub secret: String,
    /// The same as an `otpauth://` address.
    pub otpauth_url: String,
    /// That address as a QR code for the app's camera: an SVG `data:` URI.
    pub qr: String,
}

/// Start setting up two-step sign-in for yourself: a new secret, which takes effect once a
/// code from it is confirmed.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TotpSetup),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/totp/setup")]
pub async fn totp_setup(ctx: web::Data<AppContext>, user: SignedIn) -> Result<HttpResponse, AppError> {
    let me = user.user();
    let secret = totp::new_secret();
    storage::accounts::set_pending_totp(&ctx.db, me.id, ctx.keys.seal_totp(me.id, &secret)).await?;
    let otpauth_url = totp::otpauth_url(&ctx.settings.council.name, &me.email, &secret);
    let qr = crate::qr::svg_data_uri(&otpauth_url)?;
    let answer = TotpSetup { secret: totp::base32(&secret), otpauth_url, qr };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(answer))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirm {
    /// The 6-digit code the app shows now.
    #[schema(example = "123456", max_length = 20)]
    pub code: String,
}

/// Confirm two-step sign-in with the app's first code: from now on signing in needs one.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = TotpConfirm,
    responses(
        (status = 200, body = User),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/totp/confirm")]
pub async fn totp_confirm(ctx: web::Data<AppContext>, staff: SignedInJson<TotpConfirm>) -> Result<HttpResponse, AppError> {
    let me = staff.user.user();
    let sealed = storage::accounts::pending_totp(&ctx.db, me.id)
        .await?
        .ok_or_else(|| AppError::conflict(None, "start setting up two-step sign-in first"))?;
    let secret = ctx.keys.open_totp(me.id, &sealed).ok_or_else(|| AppError::internal("a pending secret that does not open"))?;
    if !totp::check(&secret, &staff.body.0.code) {
        return Err(AppError::invalid("code", "is not the code the app shows now; check the app's clock and try the newest code"));
    }
    Ok(HttpResponse::Ok().json(storage::accounts::confirm_totp(&ctx.db, me.id, sealed).await?))
}
