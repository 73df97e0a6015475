//! The background worker that runs inside `serve`: periodic jobs that must happen whether or
//! not anyone visits. Each pass reads time from the application clock.
//!
//! Two loops run side by side, so a slow SMTP server or webhook receiver never delays the
//! cascade:
//! - the sweeps (offers back in stock, the catalogue snapshot kept current, escalation of
//!   missed deadlines, breaches of the 24-hour promise, report figures), a task on the
//!   server's runtime;
//! - the senders (outbox mail, then webhook deliveries), on a thread of their own, since both
//!   talk to the network synchronously.
//!
//! Both check the stop signal between every step. On shutdown the sweeps finish the step they
//! are in (a transaction or a few) and stop; the senders get [`crate::config::WorkerSettings`]
//! `stop_timeout_seconds` to finish the batch they hold, after which the process leaves
//! without them: what they had claimed is sent again once its lease runs out, under the same
//! Message-ID or delivery id (at-least-once).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::prelude::*;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::db::orders::EscalationShare;
use crate::db::schema::supplier_offers;
use crate::db::{Backend, Conn, DbError};
use crate::mail::sender::{self, SendReport};
use crate::startup::State;
use crate::with_conn;

/// The stop request, readable from async tasks and from plain threads.
#[derive(Default)]
struct StopFlag {
    stopped: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl StopFlag {
    fn request(&self) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    fn is_set(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Sleeps up to `pause`; true as soon as a stop is requested.
    fn wait(&self, pause: Duration) -> bool {
        let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (_guard, _) = self
            .wake
            .wait_timeout_while(guard, pause, |_| !self.is_set())
            .unwrap_or_else(PoisonError::into_inner);
        self.is_set()
    }
}

pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    flag: Arc<StopFlag>,
    sweeps: JoinHandle<()>,
    senders_done: oneshot::Receiver<()>,
    stop_timeout: Duration,
}

impl WorkerHandle {
    /// Asks both loops to stop after their current step and waits for them: the sweeps to
    /// the end of their step, the senders at most `stop_timeout_seconds`.
    pub async fn stop(self) {
        tracing::info!("background worker stopping");
        self.flag.request();
        let _ = self.stop.send(true);
        let _ = self.sweeps.await;
        match tokio::time::timeout(self.stop_timeout, self.senders_done).await {
            Ok(_) => tracing::info!("background worker stopped"),
            Err(_) => tracing::warn!(
                waited_s = self.stop_timeout.as_secs(),
                "background worker stopped; the mail and webhook sender was still busy and is left behind: what it had claimed is sent again after its lease"
            ),
        }
    }
}

pub fn spawn(state: State) -> WorkerHandle {
    let (stop, stopped) = watch::channel(false);
    let flag = Arc::new(StopFlag::default());
    let interval = Duration::from_millis(state.settings.worker.poll_interval_ms.max(50));
    let stop_timeout = Duration::from_secs(state.settings.worker.stop_timeout_seconds);
    tracing::info!("background worker started");
    let sweeps = tokio::spawn(sweep_loop(state.clone(), stopped, interval));
    let (done, senders_done) = oneshot::channel();
    let sender_flag = flag.clone();
    let spawned = std::thread::Builder::new()
        .name("centrale-senders".into())
        .spawn(move || {
            sender_loop(&state, &sender_flag, interval);
            let _ = done.send(());
        });
    let senders_done = match spawned {
        Ok(_) => senders_done,
        Err(error) => {
            // Without its thread the outbox would silently fill up: say so loudly.
            tracing::error!(%error, "the mail and webhook sender could not start");
            let (done, senders_done) = oneshot::channel();
            let _ = done.send(());
            senders_done
        }
    };
    WorkerHandle {
        stop,
        flag,
        sweeps,
        senders_done,
        stop_timeout,
    }
}

/// The report refresh's share of a pass. Escalations and breaches come first: they keep the
/// shop's promises to institutions, while report figures may follow a moment later (a report
/// page brings them up to date itself before it answers).
const REPORT_PASS_LIMIT: Duration = Duration::from_secs(1);

/// The sweeps, one step at a time, until a stop is requested. A pass that left work behind
/// (report changes past the refresh's share) is followed by the next without a pause.
async fn sweep_loop(state: State, mut stopped: watch::Receiver<bool>, interval: Duration) {
    loop {
        let mut work_left = false;
        for step in Sweep::ALL {
            if *stopped.borrow() {
                return;
            }
            match run_sweep(&state, step).await {
                Ok(left) => work_left |= left,
                Err(error) => {
                    tracing::warn!(%error, step = step.name(), "background step failed; retrying next pass")
                }
            }
        }
        if work_left {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Mail then webhooks, again and again, until a stop is requested. A sender that stopped at
/// its time limit with work left goes on without a pause.
fn sender_loop(state: &State, stop: &StopFlag, interval: Duration) {
    loop {
        if stop.is_set() {
            return;
        }
        let started = Instant::now();
        if let Err(error) = send_mail_now(state) {
            tracing::warn!(%error, "mail sending failed; retrying next pass");
        }
        let mail_cut_short = started.elapsed() >= sender::PASS_LIMIT;
        if stop.is_set() {
            return;
        }
        let started = Instant::now();
        if let Err(error) = send_webhooks_now(state) {
            tracing::warn!(%error, "webhook sending failed; retrying next pass");
        }
        let webhooks_cut_short = started.elapsed() >= crate::webhooks::PASS_LIMIT;
        if mail_cut_short || webhooks_cut_short {
            continue;
        }
        if stop.wait(interval) {
            return;
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Sweep {
    RestoreOffers,
    Catalogue,
    Escalate,
    Breaches,
    Reports,
}

impl Sweep {
    const ALL: [Sweep; 5] = [
        Sweep::RestoreOffers,
        Sweep::Catalogue,
        Sweep::Escalate,
        Sweep::Breaches,
        Sweep::Reports,
    ];

    fn name(self) -> &'static str {
        match self {
            Sweep::RestoreOffers => "restore offers",
            Sweep::Catalogue => "catalogue snapshot",
            Sweep::Escalate => "escalation",
            Sweep::Breaches => "breaches",
            Sweep::Reports => "report refresh",
        }
    }
}

/// Runs one step; returns whether it left work for the next pass.
async fn run_sweep(state: &State, step: Sweep) -> Result<bool, DbError> {
    match step {
        Sweep::RestoreOffers => {
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
        }
        Sweep::Catalogue => {
            // Checkouts route from the snapshot only while it is current and never build one
            // themselves; after a change this rebuilds it within a pass.
            let today = state.clock.today();
            let cached = state.clone();
            state
                .pool
                .run(move |conn| cached.catalogue_cache.published(conn, today))
                .await?;
        }
        Sweep::Escalate => {
            let escalated = escalation_sweep(state).await?;
            match escalated {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    orders = n,
                    "orders moved down their cascade after a missed deadline"
                ),
                Err(error) => tracing::warn!(%error, "escalation sweep failed; retrying next pass"),
            }
        }
        Sweep::Breaches => {
            let breaches = finished(start_routing_sweep(state, |conn, ctx, batch| {
                crate::ordering::routing::flag_breaches(conn, ctx, batch)
            }))
            .await?;
            match breaches {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    orders = n,
                    "orders flagged for breaking the 24-hour promise"
                ),
                Err(error) => tracing::warn!(%error, "breach sweep failed; retrying next pass"),
            }
        }
        Sweep::Reports => {
            let started = Instant::now();
            let refreshed = state
                .pool
                .run(|conn| {
                    let batch = crate::reports::refresh::live_batch(conn.backend());
                    crate::reports::refresh::catch_up_for(conn, batch, REPORT_PASS_LIMIT)
                })
                .await;
            match refreshed {
                Ok(done) => {
                    if done.refreshed > 0 {
                        tracing::info!(
                            orders = done.refreshed,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            pending = done.pending,
                            "report figures refreshed"
                        );
                    }
                    return Ok(done.pending);
                }
                Err(error) => tracing::warn!(%error, "report refresh failed; retrying next pass"),
            }
        }
    }
    Ok(false)
}

/// A routing sweep's outcome: the orders it handled, or why it stopped.
type SweepOutcome = Result<Result<usize, crate::error::ServiceError>, DbError>;

/// Waits for a routing sweep started by [`start_routing_sweep`].
async fn finished(sweep: JoinHandle<SweepOutcome>) -> SweepOutcome {
    sweep.await.map_err(|e| DbError::Task(e.to_string()))?
}

/// Starts a routing sweep on a blocking thread with its own connection; it runs whether or
/// not the handle is awaited yet.
fn start_routing_sweep<F>(state: &State, sweep: F) -> JoinHandle<SweepOutcome>
where
    F: FnOnce(
            &mut Conn,
            &crate::ordering::OrderingContext<'_>,
            i64,
        ) -> Result<usize, crate::error::ServiceError>
        + Send
        + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let ctx = state.ordering();
        let batch = state.settings.worker.sweep_batch;
        let mut conn = state.pool.get()?;
        Ok(sweep(&mut conn, &ctx, batch))
    })
}

/// The escalation sweep. On PostgreSQL its shares run side by side, each on a blocking thread
/// with its own connection; SQLite writes one transaction at a time, so there it is one sweep.
async fn escalation_sweep(state: &State) -> SweepOutcome {
    let shares = match state.pool.backend() {
        Backend::Postgres => state.settings.worker.escalation_shares,
        Backend::Sqlite => 1,
    };
    let running: Vec<_> = EscalationShare::all(shares)
        .map(|share| {
            start_routing_sweep(state, move |conn, ctx, batch| {
                crate::ordering::routing::escalate_overdue(conn, ctx, batch, share)
            })
        })
        .collect();
    let mut moved = Ok(0);
    for share in running {
        let outcome = finished(share).await?;
        moved = match (moved, outcome) {
            (Ok(total), Ok(n)) => Ok(total + n),
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
    }
    Ok(moved)
}

/// One pass over every job, in order: the sweeps, then mail and webhooks (so what the
/// sweeps just queued leaves in this same pass). Tests drive the worker with it.
pub async fn run_once(state: &State) -> Result<(), DbError> {
    for step in Sweep::ALL {
        run_sweep(state, step).await?;
    }
    send_mail(state).await?;
    send_webhooks(state).await?;
    Ok(())
}

/// POSTs due webhook deliveries on a blocking thread.
pub async fn send_webhooks(state: &State) -> Result<crate::webhooks::WebhookReport, DbError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || send_webhooks_now(&state))
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
}

/// Sends the outbox's due messages on a blocking thread (SMTP is synchronous).
pub async fn send_mail(state: &State) -> Result<SendReport, DbError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || send_mail_now(&state))
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
}

fn send_webhooks_now(state: &State) -> Result<crate::webhooks::WebhookReport, DbError> {
    crate::webhooks::send_due_with(
        &state.pool,
        state.clock.now_naive(),
        &state.settings.webhooks,
    )
}

fn send_mail_now(state: &State) -> Result<SendReport, DbError> {
    sender::send_due(
        &state.pool,
        &state.mail_transport,
        &state.settings.mail.from,
        state.clock.now_naive(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_wakes_a_waiting_sender_at_once() {
        let flag = Arc::new(StopFlag::default());
        let waiter = flag.clone();
        let started = Instant::now();
        let thread = std::thread::spawn(move || waiter.wait(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(50));
        flag.request();
        assert!(thread.join().unwrap(), "the wait reports the stop");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            flag.wait(Duration::from_secs(30)),
            "a set flag does not wait"
        );
    }

    #[test]
    fn an_idle_wait_times_out_unstopped() {
        let flag = StopFlag::default();
        assert!(!flag.wait(Duration::from_millis(20)));
    }
}
