//! Wiring the web server: `Application::build` connects the database, runs migrations and
//! binds the port (port 0 picks a free one, which the tests use); `run_until_stopped`
//! serves until SIGTERM or Ctrl-C (SIGINT), then stops accepting connections and finishes
//! the requests in flight (for up to 30 seconds) before returning.
use std::{net::TcpListener, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use tracing_actix_web::TracingLogger;

use crate::{app::AppContext, config::Settings, routes, storage::Db};

pub struct Application {
    port: u16,
    server: Server,
    context: AppContext,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.check()?;
        let db = Db::connect(&settings.database).await?;
        db.migrate().await?;
        let keys = crate::security::Keys::new(settings.secret.clone());
        let moved = crate::storage::receipts::hash_moved_receipts(&db, &keys).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if moved > 0 {
            tracing::info!(receipts = moved, "replaced receipts moved from the ballots table by their keyed hashes");
        }
        Self::build_with_db(settings, db)
    }

    pub fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Self> {
        settings.check()?;
        let listener = TcpListener::bind(settings.bind_addr()?).map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let frontend_dir = settings.frontend_dir.clone();
        let context = AppContext::new(db, settings);
        spawn_housekeeping(context.db.clone(), context.settings.retention_days);
        spawn_credit_keeping(context.limiter.clone());
        crate::results::warm_up(&context);
        let data = web::Data::new(context.clone());
        let server = HttpServer::new(move || {
            let frontend_dir = frontend_dir.clone();
            App::new()
                // Innermost: HEAD is answered by the GET route (the body is dropped when sent).
                .wrap(middleware::from_fn(routes::head_as_get))
                .wrap(middleware::from_fn(routes::no_store_when_signed_in))
                .wrap(middleware::Compress::default())
                .wrap(
                    middleware::DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("X-Frame-Options", "DENY"))
                        // The pages (the API reference too) load nothing from elsewhere and run
                        // no inline script or style.
                        .add(("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")),
                )
                .wrap(middleware::from_fn(routes::observe))
                .wrap(TracingLogger::<routes::RequestSpan>::new())
                .app_data(data.clone())
                .configure(move |cfg| routes::configure(cfg, frontend_dir))
        })
        .listen(listener)?
        // actix's own limits, as set: the request head must arrive within 5 s (or 408), and a
        // closing connection gets 1 s to shut down. actix has none for the body: that deadline
        // is `Settings::body_timeout`, kept by the JSON extractor.
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .shutdown_timeout(30)
        // actix treats SIGINT as a forced stop; we want both signals to be graceful.
        .disable_signals()
        .run();
        Ok(Application { port, server, context })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn context(&self) -> &AppContext {
        &self.context
    }

    /// Serve until SIGTERM or SIGINT, then finish the requests in flight. The signals are
    /// watched from this call, before the returned future is first polled, so a caller can
    /// say "listening" after calling it and a stop sent at once is still graceful (not the
    /// default action, which kills the process).
    pub fn run_until_stopped(self) -> impl std::future::Future<Output = std::io::Result<()>> {
        let stop_signal = watch_stop_signals();
        let handle = self.server.handle();
        let context = self.context.clone();
        let server = self.server;
        async move {
            tokio::spawn(async move {
                if stop_signal.await {
                    tracing::info!("stop signal received; finishing requests in flight");
                    // Meeting streams never finish by themselves: end them, so the drain is
                    // quick and their clients reconnect to another instance.
                    context.begin_stopping();
                    handle.stop(true).await;
                }
            });
            server.await
        }
    }
}

/// Start watching for SIGTERM or SIGINT now; the future says true when one arrives, or false
/// at once if signals cannot be watched.
fn watch_stop_signals() -> impl std::future::Future<Output = bool> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            let (Ok(mut terminate), Ok(mut interrupt)) = (terminate, interrupt) else { return false };
            tokio::select! {
                _ = interrupt.recv() => true,
                _ = terminate.recv() => true,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async { tokio::signal::ctrl_c().await.is_ok() }
    }
}

/// Every second, add the credits that first ballots earned on this instance to the shared
/// counters (see `rate_limit`). A second's delay only makes the limit stricter meanwhile.
fn spawn_credit_keeping(limiter: crate::rate_limit::RateLimiter) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = limiter.add_credits().await {
                tracing::warn!(error = %e, "could not add rate-limit credits");
            }
        }
    });
}

/// Every ten minutes, forget expired sign-ins and device tokens, and rate-limit windows older
/// than a day.
/// (Expired sessions are refused anyway; this only keeps the tables small.)
fn spawn_housekeeping(db: Db, retention_days: Option<u32>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = chrono::Utc::now();
            if let Err(e) = crate::storage::accounts::purge_expired_sessions(&db, now).await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
            if let Err(e) = crate::storage::accounts::purge_expired_device_tokens(&db, now).await {
                tracing::warn!(error = %e, "could not purge expired device tokens");
            }
            if let Some(days) = retention_days
                && let Err(e) = crate::storage::rolls::purge_published(&db, now, days).await
            {
                tracing::warn!(error = %e, "could not delete voter rolls and e-mail registrations past their retention period");
            }
            if let Err(e) = crate::storage::rate_limits::purge(&db, now.timestamp() - 86_400).await {
                tracing::warn!(error = %e, "could not purge old rate-limit counters");
            }
        }
    });
}
