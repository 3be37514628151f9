//! Staff accounts (admins, organisers, commissioners, officers), and their sign-in sessions.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::{device_tokens, sessions, users},
};
use crate::{
    audit::Actor,
    domain::{Email, Role},
    errors::AppError,
    model::User,
};

fn to_user(row: users::Model) -> Result<User, AppError> {
    let role = Role::parse(&row.role).map_err(|e| AppError::internal(format!("stored role: {e}")))?;
    Ok(User { id: row.id, email: row.email, role })
}

/// Add an account. A taken e-mail address is a `Conflict` naming `email`.
pub async fn create_user(db: &Db, by: Actor, email: &Email, password_hash: String, role: Role) -> Result<User, AppError> {
    let txn = db.begin_write().await?;
    let row = users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict(Some("email"), "an account with this e-mail address already exists"),
        other => other,
    })?;
    let user = to_user(row)?;
    audit::append(&txn, Change::new(by, "account.add", format!("account:{}", user.id)).after(&user)).await?;
    txn.commit().await?;
    Ok(user)
}

/// Every account, by e-mail address.
pub async fn list_users(db: &Db) -> Result<Vec<User>, AppError> {
    let rows = users::Entity::find().order_by_asc(users::Column::Email).all(&db.read).await?;
    rows.into_iter().map(to_user).collect()
}

/// The account and its password hash, for sign-in.
pub async fn find_for_sign_in(db: &Db, email: &Email) -> Result<Option<(User, String)>, AppError> {
    let row = users::Entity::find().filter(users::Column::Email.eq(email.as_str())).one(&db.read).await?;
    row.map(|r| {
        let hash = r.password_hash.clone();
        to_user(r).map(|u| (u, hash))
    })
    .transpose()
}

pub async fn create_session(db: &Db, user: Uuid, token_hash: String, expires_at: DateTime<Utc>) -> Result<(), AppError> {
    sessions::ActiveModel { token_hash: Set(token_hash), user_id: Set(user), created_at: Set(Utc::now()), expires_at: Set(expires_at) }
        .insert(&db.write)
        .await?;
    Ok(())
}

/// The signed-in user for a session token hash, if the session exists and has not expired.
/// Sessions live in the database so every instance of the service honours them.
pub async fn session_user(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, AppError> {
    let found = sessions::Entity::find_by_id(token_hash.to_owned()).find_also_related(users::Entity).one(&db.read).await?;
    match found {
        Some((session, Some(user))) if session.expires_at > now => Ok(Some(to_user(user)?)),
        _ => Ok(None),
    }
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), AppError> {
    sessions::Entity::delete_by_id(token_hash.to_owned()).exec(&db.write).await?;
    Ok(())
}

/// Remove expired sessions (run now and then; expired ones are refused anyway).
pub async fn purge_expired_sessions(db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    let result = sessions::Entity::delete_many().filter(sessions::Column::ExpiresAt.lte(now)).exec(&db.write).await?;
    Ok(result.rows_affected)
}

/// Known devices kept per account: a new one past this many forgets the oldest (which then
/// signs in as a new device would).
pub const MAX_DEVICES_PER_ACCOUNT: u64 = 20;

/// The account a known-device token (by its keyed hash) was given to, unless it has expired.
pub async fn device_token_user(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Uuid>, AppError> {
    let row = device_tokens::Entity::find_by_id(token_hash.to_owned()).one(&db.read).await?;
    Ok(row.filter(|r| r.expires_at > now).map(|r| r.user_id))
}

/// Record a new known-device token for `user`, forgetting `replaced` (the token that device
/// sent, if it was this account's) and the account's oldest beyond [`MAX_DEVICES_PER_ACCOUNT`].
pub async fn renew_device_token(
    db: &Db,
    user: Uuid,
    replaced: Option<&str>,
    token_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(old) = replaced {
        device_tokens::Entity::delete_many()
            .filter(device_tokens::Column::TokenHash.eq(old))
            .filter(device_tokens::Column::UserId.eq(user))
            .exec(&db.write)
            .await?;
    }
    device_tokens::ActiveModel {
        token_hash: Set(token_hash),
        user_id: Set(user),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
    }
    .insert(&db.write)
    .await?;
    let kept: Vec<String> = device_tokens::Entity::find()
        .select_only()
        .column(device_tokens::Column::TokenHash)
        .filter(device_tokens::Column::UserId.eq(user))
        .order_by_desc(device_tokens::Column::CreatedAt)
        .limit(MAX_DEVICES_PER_ACCOUNT)
        .into_tuple()
        .all(&db.write)
        .await?;
    if kept.len() as u64 == MAX_DEVICES_PER_ACCOUNT {
        device_tokens::Entity::delete_many()
            .filter(device_tokens::Column::UserId.eq(user))
            .filter(device_tokens::Column::TokenHash.is_not_in(kept))
            .exec(&db.write)
            .await?;
    }
    Ok(())
}

/// Remove expired known-device tokens (run now and then; expired ones are ignored anyway).
pub async fn purge_expired_device_tokens(db: &Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    let result = device_tokens::Entity::delete_many().filter(device_tokens::Column::ExpiresAt.lte(now)).exec(&db.write).await?;
    Ok(result.rows_affected)
}
