//! "A meeting changed": how every instance hears, within a second, that a meeting's numbers
//! or state moved (a ballot cast at it, voting opened or closed, a proposal put in focus),
//! so that every projector and phone following it is told — whichever instance they are
//! connected to and whichever instance took the ballot.
//!
//! - **PostgreSQL**: the transaction that changes a meeting runs
//!   `SELECT pg_notify('pbvote_meetings', <meeting id>)`. PostgreSQL delivers it at commit
//!   (never for a transaction that rolled back) to every session listening on the channel,
//!   the sender's own included, and folds repeats of the same payload in one transaction into
//!   one. Each instance keeps one listening connection ([`listen`]) and passes what it hears
//!   to [`Changes`]; the connection comes back by itself after the server restarts, and then
//!   says "everything may have changed" (anything sent while it was away is lost).
//! - **SQLite** (one instance): the writer announces the change itself after the commit.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The channel name on PostgreSQL.
const CHANNEL: &str = "pbvote_meetings";

/// What a listener is told: this meeting changed, or anything may have changed (after the
/// listening connection was lost, or the listener fell behind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Meeting(Uuid),
    Everything,
}

/// The in-process side: every part of this instance that follows meetings subscribes here.
#[derive(Clone, Debug)]
pub struct Changes {
    sender: broadcast::Sender<Change>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes { sender: broadcast::channel(4096).0 }
    }
}

impl Changes {
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    pub(super) fn announce(&self, change: Change) {
        // Nobody listening is fine.
        let _ = self.sender.send(change);
    }
}

/// Inside a transaction that changed `meeting`: on PostgreSQL, a NOTIFY delivered at commit.
pub(super) async fn in_transaction(txn: &DatabaseTransaction, meeting: Uuid) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), meeting.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}

/// Keep one connection listening on PostgreSQL and pass what it hears to `changes`, for as
/// long as the process runs. After any break it reconnects (waiting a little longer each
/// time, at most 2 s) and announces [`Change::Everything`].
pub(super) fn listen(url: String, changes: Changes) {
    tokio::spawn(async move {
        use sea_orm::sqlx::postgres::PgListener;
        let mut wait = Duration::from_millis(100);
        loop {
            let connected = async {
                let mut listener = PgListener::connect(&url).await?;
                listener.listen(CHANNEL).await?;
                Ok::<_, sea_orm::sqlx::Error>(listener)
            }
            .await;
            let mut listener = match connected {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for meeting changes; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                    continue;
                }
            };
            wait = Duration::from_millis(100);
            // Whatever happened while we were not listening is unknown.
            changes.announce(Change::Everything);
            loop {
                match listener.try_recv().await {
                    Ok(Some(note)) => match note.payload().parse::<Uuid>() {
                        Ok(id) => changes.announce(Change::Meeting(id)),
                        Err(_) => tracing::warn!(payload = note.payload(), "an odd meeting notification"),
                    },
                    // The connection was lost; sqlx reconnects on the next call, and we may
                    // have missed notifications meanwhile.
                    Ok(None) => {
                        tracing::warn!("the connection listening for meeting changes was lost; reconnecting");
                        changes.announce(Change::Everything);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "listening for meeting changes failed; reconnecting");
                        break;
                    }
                }
            }
            tokio::time::sleep(wait).await;
        }
    });
}
