//! The background worker that runs inside `serve`: periodic jobs that must happen whether or
//! not anyone visits. Each pass reads time from the application clock.

use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db::schema::supplier_offers;
use crate::db::{Conn, DbError};
use crate::mail::sender::{self, SendReport};
use crate::startup::State;
use crate::with_conn;

pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Asks the worker to stop after its current pass and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

pub fn spawn(state: State) -> WorkerHandle {
    let (stop, mut stopped) = watch::channel(false);
    let interval = Duration::from_millis(state.settings.worker.poll_interval_ms.max(50));
    let task = tokio::spawn(async move {
        tracing::info!("background worker started");
        loop {
            match run_pass(&state).await {
                // The senders stopped with mail or webhooks left: go on without a pause.
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "background pass failed; retrying next pass")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stopped.changed() => break,
            }
        }
        tracing::info!("background worker stopped");
    });
    WorkerHandle { stop, task }
}

/// One pass over every job.
pub async fn run_once(state: &State) -> Result<(), DbError> {
    run_pass(state).await.map(|_| ())
}

/// One pass; true when a sender stopped at its time limit with work left.
async fn run_pass(state: &State) -> Result<bool, DbError> {
    let today = state.clock.today();
    let restored = state
        .pool
        .run(move |conn| conn.transaction(|conn| restore_offers(conn, today)))
        .await?;
    if restored > 0 {
        tracing::info!(
            restored,
            "offers available again after their announced date"
        );
    }
    let routing_state = state.clone();
    let batch = state.settings.worker.sweep_batch;
    let (escalated, breaches) = tokio::task::spawn_blocking(move || {
        let ctx = routing_state.ordering();
        let mut conn = routing_state.pool.get()?;
        let escalated = crate::ordering::routing::escalate_overdue(&mut conn, &ctx, batch);
        let breaches = crate::ordering::routing::flag_breaches(&mut conn, &ctx, batch);
        Ok::<_, DbError>((escalated, breaches))
    })
    .await
    .map_err(|e| DbError::Task(e.to_string()))??;
    match escalated {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            orders = n,
            "orders moved down their cascade after a missed deadline"
        ),
        Err(error) => tracing::warn!(%error, "escalation sweep failed; retrying next pass"),
    }
    match breaches {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            orders = n,
            "orders flagged for breaking the 24-hour promise"
        ),
        Err(error) => tracing::warn!(%error, "breach sweep failed; retrying next pass"),
    }
    let started = std::time::Instant::now();
    match state.pool.run(crate::reports::refresh::catch_up).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            orders = n,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "report figures brought up to date"
        ),
        Err(error) => tracing::warn!(%error, "report refresh failed; retrying next pass"),
    }
    // Mail and webhooks last, so what the sweeps just queued leaves in this same pass.
    let started = std::time::Instant::now();
    send_mail(state).await?;
    let mail_cut_short = started.elapsed() >= sender::PASS_LIMIT;
    let started = std::time::Instant::now();
    send_webhooks(state).await?;
    let webhooks_cut_short = started.elapsed() >= crate::webhooks::PASS_LIMIT;
    Ok(mail_cut_short || webhooks_cut_short)
}

/// POSTs due webhook deliveries on a blocking thread.
pub async fn send_webhooks(state: &State) -> Result<crate::webhooks::WebhookReport, DbError> {
    let pool = state.pool.clone();
    let now = state.clock.now_naive();
    tokio::task::spawn_blocking(move || crate::webhooks::send_due(&pool, now))
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
}

/// Sends the outbox's due messages on a blocking thread (SMTP is synchronous).
pub async fn send_mail(state: &State) -> Result<SendReport, DbError> {
    let state = state.clone();
    let now = state.clock.now_naive();
    tokio::task::spawn_blocking(move || {
        sender::send_due(
            &state.pool,
            &state.mail_transport,
            &state.settings.mail.from,
            now,
        )
    })
    .await
    .map_err(|e| DbError::Task(e.to_string()))?
}

/// Offers that a supplier marked unavailable until a date become available on that date,
/// so feeds and reports see the same availability as routing does.
pub fn restore_offers(conn: &mut Conn, today: NaiveDate) -> Result<usize, DbError> {
    Ok(with_conn!(conn, |c| diesel::update(
        supplier_offers::table
            .filter(supplier_offers::available.eq(false))
            .filter(supplier_offers::unavailable_until.le(today))
    )
    .set((
        supplier_offers::available.eq(true),
        supplier_offers::unavailable_until.eq(None::<NaiveDate>)
    ))
    .execute(c))?)
}
