//! The audit record (`audit_log`, `audit_head`): appended to inside each staff action's own
//! transaction, read by admins, checked by `pbvote audit verify`. See [`crate::audit`].
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;
use uuid::Uuid;

use super::{
    Db,
    entities::{audit_head, audit_log, users},
};
use crate::{
    audit::{Actor, AuditEntry, Broken, Checker},
    errors::AppError,
};

/// One staff action, as it goes into the record.
pub struct Change<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub subject: String,
    pub consultation: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Change<'a> {
    pub fn new(actor: Actor, action: &'a str, subject: String) -> Self {
        Change { actor, action, subject, consultation: None, before: None, after: None }
    }

    pub fn consultation(mut self, id: Uuid) -> Self {
        self.consultation = Some(id);
        self
    }

    pub fn before(mut self, value: impl serde::Serialize) -> Self {
        self.before = serde_json::to_value(value).ok();
        self
    }

    pub fn after(mut self, value: impl serde::Serialize) -> Self {
        self.after = serde_json::to_value(value).ok();
        self
    }
}

/// Append an entry inside the action's transaction (`conn` must be one): it is written
/// exactly when the action is.
pub(super) async fn append<C: ConnectionTrait>(conn: &C, change: Change<'_>) -> Result<(), AppError> {
    // Lock the head: appends take turns in commit order (SQLite's one writer already does).
    let mut head = audit_head::Entity::find_by_id(1);
    if conn.get_database_backend() == DbBackend::Postgres {
        head = head.lock_exclusive();
    }
    let head = head.one(conn).await?.ok_or_else(|| AppError::internal("the audit record has no head row"))?;
    let (actor_id, actor) = match change.actor {
        Actor::Staff(id) => {
            let email: Option<String> =
                users::Entity::find_by_id(id).select_only().column(users::Column::Email).into_tuple().one(conn).await?;
            (Some(id), email.unwrap_or_else(|| format!("account {id}")))
        }
        Actor::Command(command) => (None, command.to_owned()),
    };
    let mut entry = AuditEntry {
        seq: head.seq as u64 + 1,
        at: crate::audit::now(),
        actor_id,
        actor,
        action: change.action.to_owned(),
        subject: change.subject,
        consultation_id: change.consultation,
        before: change.before.map(|v| v.to_string()),
        after: change.after.map(|v| v.to_string()),
        prev_hash: head.hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    audit_log::Entity::insert(audit_log::ActiveModel {
        seq: Set(entry.seq as i64),
        at: Set(entry.at),
        actor_id: Set(entry.actor_id),
        actor: Set(entry.actor.clone()),
        action: Set(entry.action.clone()),
        subject: Set(entry.subject.clone()),
        consultation_id: Set(entry.consultation_id),
        before: Set(entry.before.clone()),
        after: Set(entry.after.clone()),
        prev_hash: Set(entry.prev_hash.clone()),
        hash: Set(entry.hash.clone()),
    })
    .exec_without_returning(conn)
    .await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, sea_orm::sea_query::Expr::value(entry.seq as i64))
        .col_expr(audit_head::Column::Hash, sea_orm::sea_query::Expr::value(entry.hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(conn)
        .await?;
    Ok(())
}

fn to_entry(row: audit_log::Model) -> AuditEntry {
    AuditEntry {
        seq: row.seq as u64,
        at: row.at,
        actor_id: row.actor_id,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        consultation_id: row.consultation_id,
        before: row.before,
        after: row.after,
        prev_hash: row.prev_hash,
        hash: row.hash,
    }
}

/// Entries after number `after`, oldest first, at most `limit`.
pub async fn entries(db: &Db, after: u64, limit: u64) -> Result<Vec<AuditEntry>, AppError> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Seq.gt(after as i64))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .all(&db.read)
        .await?;
    Ok(rows.into_iter().map(to_entry).collect())
}

/// How many entries were written (the head's number).
pub async fn length(db: &Db) -> Result<u64, AppError> {
    let head =
        audit_head::Entity::find_by_id(1).one(&db.read).await?.ok_or_else(|| AppError::internal("the audit record has no head row"))?;
    Ok(head.seq as u64)
}

/// Check the whole chain up to the head as it is now (entries written meanwhile are left
/// for the next check). `Ok(Ok(n))`: `n` entries, intact; `Ok(Err(broken))`: the first
/// entry that does not check.
pub async fn verify(db: &Db) -> Result<Result<u64, Broken>, AppError> {
    const PAGE: u64 = 2000;
    let head =
        audit_head::Entity::find_by_id(1).one(&db.read).await?.ok_or_else(|| AppError::internal("the audit record has no head row"))?;
    let head_seq = head.seq as u64;
    let mut checker = Checker::default();
    let mut after = 0;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gt(after as i64))
            .filter(audit_log::Column::Seq.lte(head_seq as i64))
            .order_by_asc(audit_log::Column::Seq)
            .limit(PAGE)
            .all(&db.read)
            .await?;
        let Some(last) = rows.last().map(|r| r.seq as u64) else { break };
        for row in rows {
            if let Err(broken) = checker.check(&to_entry(row)) {
                return Ok(Err(broken));
            }
        }
        after = last;
    }
    Ok(checker.finish(head_seq, &head.hash))
}
