//! Staff accounts (admins, organisers, commissioners, officers), and their sign-in sessions.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Db,
    audit::{self, Change},
    entities::{device_tokens, invitations, sessions, users},
};
use crate::{
    audit::Actor,
    domain::{Email, Role},
    errors::AppError,
    model::{Account, Invitation, User},
};

fn to_user(row: users::Model) -> Result<User, AppError> {
    let role = Role::parse(&row.role).map_err(|e| AppError::internal(format!("stored role: {e}")))?;
    Ok(User { id: row.id, email: row.email, role, totp: row.totp_secret.is_some() })
}

/// What an invited account holds until its owner sets a password: no password matches it.
const NO_PASSWORD: &str = "!";

fn to_account(row: users::Model) -> Result<Account, AppError> {
    let (password_set, disabled_at, created_at) = (row.password_hash != NO_PASSWORD, row.disabled_at, row.created_at);
    let user = to_user(row)?;
    Ok(Account { id: user.id, email: user.email, role: user.role, totp: user.totp, password_set, disabled_at, created_at })
}

fn state(account: &Account) -> serde_json::Value {
    serde_json::json!({"email": account.email, "role": account.role, "disabled": account.disabled_at.is_some(), "totp": account.totp})
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
        ..Default::default()
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
pub async fn list_accounts(db: &Db) -> Result<Vec<Account>, AppError> {
    let rows = users::Entity::find().order_by_asc(users::Column::Email).all(&db.read).await?;
    rows.into_iter().map(to_account).collect()
}

/// What sign-in needs of an account.
pub struct SignInAccount {
    pub user: User,
    pub password_hash: String,
    /// Sealed under the server key.
    pub totp_secret: Option<String>,
    pub disabled: bool,
}

/// The account, its password hash and two-step secret, for sign-in.
pub async fn find_for_sign_in(db: &Db, email: &Email) -> Result<Option<SignInAccount>, AppError> {
    let row = users::Entity::find().filter(users::Column::Email.eq(email.as_str())).one(&db.read).await?;
    row.map(|r| {
        let (password_hash, totp_secret, disabled) = (r.password_hash.clone(), r.totp_secret.clone(), r.disabled_at.is_some());
        to_user(r).map(|user| SignInAccount { user, password_hash, totp_secret, disabled })
    })
    .transpose()
}

/// Invite a new member of staff: the account (with no password yet) and its one-time link,
/// in one transaction with the audit entry.
pub async fn invite(
    db: &Db,
    by: Actor,
    email: &Email,
    role: Role,
    token_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<Account, AppError> {
    let txn = db.begin_write().await?;
    let id = Uuid::new_v4();
    users::ActiveModel {
        id: Set(id),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(NO_PASSWORD.to_owned()),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict(Some("email"), "an account with this e-mail address already exists"),
        other => other,
    })?;
    add_link(&txn, id, "invite", by, token_hash, expires_at).await?;
    let account = account_in(&txn, id).await?;
    audit::append(&txn, Change::new(by, "account.invite", format!("account:{id}")).after(state(&account))).await?;
    txn.commit().await?;
    Ok(account)
}

async fn add_link(
    txn: &DatabaseTransaction,
    user: Uuid,
    purpose: &str,
    by: Actor,
    token_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    // A new link replaces any unused one.
    invitations::Entity::delete_many()
        .filter(invitations::Column::UserId.eq(user))
        .filter(invitations::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    invitations::ActiveModel {
        token_hash: Set(token_hash),
        user_id: Set(user),
        purpose: Set(purpose.to_owned()),
        created_by: Set(match by {
            Actor::Staff(id) => Some(id),
            Actor::Command(_) => None,
        }),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(())
}

async fn account_in<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Account, AppError> {
    to_account(users::Entity::find_by_id(id).one(conn).await?.ok_or_else(|| AppError::not_found("account"))?)
}

/// An admin issues a password-reset link for an account (the old unused link stops working).
pub async fn reset_link(db: &Db, by: Actor, id: Uuid, token_hash: String, expires_at: DateTime<Utc>) -> Result<Account, AppError> {
    let txn = db.begin_write().await?;
    let account = account_in(&txn, id).await?;
    add_link(&txn, id, "reset", by, token_hash, expires_at).await?;
    audit::append(&txn, Change::new(by, "account.reset-link", format!("account:{id}")).after(state(&account))).await?;
    txn.commit().await?;
    Ok(account)
}

/// Change an account's role, or disable or re-enable it. Disabling ends its sessions and
/// forgets its known devices at once (and `session_user` refuses a disabled account's
/// sessions in any case).
pub async fn update(db: &Db, by: Actor, id: Uuid, role: Option<Role>, disabled: Option<bool>) -> Result<Account, AppError> {
    let txn = db.begin_write().await?;
    let before = account_in(&txn, id).await?;
    let mut update = users::Entity::update_many().filter(users::Column::Id.eq(id));
    if let Some(role) = role {
        update = update.col_expr(users::Column::Role, Expr::value(role.as_str()));
    }
    if let Some(disabled) = disabled {
        let at = if disabled { before.disabled_at.or(Some(Utc::now())) } else { None };
        update = update.col_expr(users::Column::DisabledAt, Expr::value(at));
    }
    update.exec(&txn).await?;
    if disabled == Some(true) {
        sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(id)).exec(&txn).await?;
        device_tokens::Entity::delete_many().filter(device_tokens::Column::UserId.eq(id)).exec(&txn).await?;
    }
    let after = account_in(&txn, id).await?;
    audit::append(&txn, Change::new(by, "account.update", format!("account:{id}")).before(state(&before)).after(state(&after))).await?;
    txn.commit().await?;
    Ok(after)
}

/// An admin turns two-step sign-in off for an account (a lost phone); its owner sets it up again.
pub async fn clear_totp(db: &Db, by: Actor, id: Uuid) -> Result<Account, AppError> {
    let txn = db.begin_write().await?;
    let before = account_in(&txn, id).await?;
    users::Entity::update_many()
        .col_expr(users::Column::TotpSecret, Expr::value(Option::<String>::None))
        .col_expr(users::Column::TotpPending, Expr::value(Option::<String>::None))
        .filter(users::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let after = account_in(&txn, id).await?;
    audit::append(&txn, Change::new(by, "account.totp-off", format!("account:{id}")).before(state(&before)).after(state(&after))).await?;
    txn.commit().await?;
    Ok(after)
}

async fn valid_link<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(invitations::Model, users::Model), AppError> {
    let gone = || AppError::not_found("link (it was used, replaced or has expired: ask an admin for a new one)");
    let link = invitations::Entity::find_by_id(token_hash.to_owned()).one(conn).await?.ok_or_else(gone)?;
    if link.used_at.is_some() || link.expires_at <= now {
        return Err(gone());
    }
    let user = users::Entity::find_by_id(link.user_id).one(conn).await?.ok_or_else(gone)?;
    if user.disabled_at.is_some() {
        return Err(gone());
    }
    Ok((link, user))
}

/// What a one-time link is for, while it is valid.
pub async fn look_up_link(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Invitation, AppError> {
    let (link, user) = valid_link(&db.read, token_hash, now).await?;
    Ok(Invitation { email: user.email, purpose: link.purpose, expires_at: link.expires_at })
}

/// Set the password with a one-time link: the link is used up, and every session of the
/// account ends (a reset locks out whoever had the old password).
pub async fn use_link(db: &Db, token_hash: &str, password_hash: String, now: DateTime<Utc>) -> Result<Invitation, AppError> {
    let txn = db.begin_write().await?;
    let (link, user) = valid_link(&txn, token_hash, now).await?;
    let used = invitations::Entity::update_many()
        .col_expr(invitations::Column::UsedAt, Expr::value(Some(now)))
        .filter(invitations::Column::TokenHash.eq(token_hash))
        .filter(invitations::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(AppError::not_found("link (it was used a moment ago)"));
    }
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
        .filter(users::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user.id)).exec(&txn).await?;
    let action = if link.purpose == "reset" { "account.password-reset" } else { "account.password-set" };
    audit::append(&txn, Change::new(Actor::Staff(user.id), action, format!("account:{}", user.id))).await?;
    txn.commit().await?;
    Ok(Invitation { email: user.email, purpose: link.purpose, expires_at: link.expires_at })
}

/// Start setting up two-step sign-in: keep the new (sealed) secret as pending.
pub async fn set_pending_totp(db: &Db, id: Uuid, sealed: String) -> Result<(), AppError> {
    users::Entity::update_many()
        .col_expr(users::Column::TotpPending, Expr::value(Some(sealed)))
        .filter(users::Column::Id.eq(id))
        .exec(&db.write)
        .await?;
    Ok(())
}

/// The pending (sealed) secret being set up, if any.
pub async fn pending_totp(db: &Db, id: Uuid) -> Result<Option<String>, AppError> {
    Ok(users::Entity::find_by_id(id).one(&db.write).await?.and_then(|u| u.totp_pending))
}

/// The first code matched: the pending secret becomes the account's.
pub async fn confirm_totp(db: &Db, id: Uuid, sealed: String) -> Result<User, AppError> {
    let txn = db.begin_write().await?;
    users::Entity::update_many()
        .col_expr(users::Column::TotpSecret, Expr::value(Some(sealed)))
        .col_expr(users::Column::TotpPending, Expr::value(Option::<String>::None))
        .filter(users::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::append(&txn, Change::new(Actor::Staff(id), "account.totp-on", format!("account:{id}"))).await?;
    let user = to_user(users::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("account"))?)?;
    txn.commit().await?;
    Ok(user)
}

/// Spend an authenticator code's time step for a sign-in: true if it is later than the last
/// one spent (the database decides, so two sign-ins racing with one code cannot both pass).
pub async fn spend_totp_step(db: &Db, id: Uuid, step: i64) -> Result<bool, AppError> {
    let spent = users::Entity::update_many()
        .col_expr(users::Column::TotpLastStep, Expr::value(Some(step)))
        .filter(users::Column::Id.eq(id))
        .filter(Condition::any().add(users::Column::TotpLastStep.is_null()).add(users::Column::TotpLastStep.lt(step)))
        .exec(&db.write)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// A new session for a signed-in account, recorded in the audit record (`auth.sign-in`,
/// with whether two-step sign-in was used) in the same transaction. Failed sign-ins are not
/// recorded there: anyone can make them (they are counted by the rate limits instead).
pub async fn create_session(db: &Db, user: Uuid, token_hash: String, expires_at: DateTime<Utc>, two_step: bool) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    sessions::ActiveModel { token_hash: Set(token_hash), user_id: Set(user), created_at: Set(Utc::now()), expires_at: Set(expires_at) }
        .insert(&txn)
        .await?;
    let change = Change::new(Actor::Staff(user), "auth.sign-in", format!("account:{user}"));
    audit::append(&txn, change.after(serde_json::json!({"two_step": two_step, "expires_at": expires_at}))).await?;
    txn.commit().await?;
    Ok(())
}

/// The signed-in user for a session token hash, if the session exists and has not expired.
/// Sessions live in the database so every instance of the service honours them.
pub async fn session_user(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, AppError> {
    let found = sessions::Entity::find_by_id(token_hash.to_owned()).find_also_related(users::Entity).one(&db.read).await?;
    match found {
        // A disabled account's sessions stop at once (disabling also deletes them).
        Some((session, Some(user))) if session.expires_at > now && user.disabled_at.is_none() => Ok(Some(to_user(user)?)),
        _ => Ok(None),
    }
}

/// End a session (signing out), recorded in the audit record (`auth.sign-out`).
pub async fn delete_session(db: &Db, user: Uuid, token_hash: &str) -> Result<(), AppError> {
    let txn = db.begin_write().await?;
    let gone = sessions::Entity::delete_by_id(token_hash.to_owned()).exec(&txn).await?;
    if gone.rows_affected == 1 {
        audit::append(&txn, Change::new(Actor::Staff(user), "auth.sign-out", format!("account:{user}"))).await?;
    }
    txn.commit().await?;
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
