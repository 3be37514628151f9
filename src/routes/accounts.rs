//! Staff accounts, for admins.
use actix_web::{HttpResponse, get, web};

use super::{auth::SignedIn, problem::Problem};
use crate::{app::AppContext, errors::AppError, model::User, storage};

/// Every staff account, by e-mail address.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<User>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/accounts")]
pub async fn list(ctx: web::Data<AppContext>, _admin: SignedIn) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(storage::accounts::list_users(&ctx.db).await?))
}
