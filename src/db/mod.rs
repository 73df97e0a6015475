//! Storage: one schema on two backends. SQLite (bundled, one file) is the default so a new
//! user needs nothing installed; PostgreSQL is the production backend.
//!
//! Query code is written once and compiled for each backend by [`with_conn!`], which hands
//! the body the concrete connection type. That keeps every diesel feature both backends share
//! (RETURNING, ON CONFLICT, ...) available, and the rare dialect-specific statement sits in
//! an explicit `match` on [`Conn`].
//!
//! A lookup by primary or unique key ends in `get_result`, not `first`: `first` adds
//! `LIMIT ?`, and SQLite compiles a statement again on every run when its LIMIT is a bound
//! parameter, which costs more than the lookup itself.

pub mod api_clients;
pub mod catalogue;
pub mod group_commit;
pub mod orders;
pub mod parties;
pub mod reference;
pub mod schema;

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseSettings;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Hands `$body` the concrete diesel connection inside a [`Conn`], once per backend.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite(pooled) => {
                let $c: &mut ::diesel::SqliteConnection = &mut *pooled;
                $body
            }
            $crate::db::Conn::Postgres(pooled) => {
                let $c: &mut ::diesel::PgConnection = &mut *pooled;
                $body
            }
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database task failed: {0}")]
    Task(String),
    #[error("database is locked: too many writers queued")]
    WriterQueueTimeout,
    #[error("every database connection stayed busy")]
    Saturated,
    #[error("shared transaction failed: {0}")]
    GroupCommit(String),
}

impl DbError {
    /// True for failures a caller may retry later (pool exhausted, database locked, busy,
    /// restarting or gone, connection lost), as opposed to a bug or a constraint violation.
    /// These answer 503 with `Retry-After`; everything else is a 500.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_)
            | DbError::WriterQueueTimeout
            | DbError::Saturated
            | DbError::GroupCommit(_) => true,
            // A transaction on a connection that broke underneath it (the pool drops such
            // connections when they come back).
            DbError::Query(Error::BrokenTransactionManager) => true,
            // A PostgreSQL transaction chosen as the victim of a deadlock or a serialisation
            // conflict was rolled back whole: the same request succeeds when sent again.
            DbError::Query(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::SerializationFailure,
                _,
            )) => true,
            DbError::Query(Error::DatabaseError(_, info)) => unavailable_message(info.message()),
            _ => false,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// Messages of SQLite and PostgreSQL (and libpq) that mean "not now" rather than "never":
/// SQLite busy or locked; PostgreSQL shutting down, starting up or terminating the session
/// (SQLSTATE 57P01, 57P02, 57P03) or rolling back a deadlock victim (40P01); the connection
/// refused, reset or closed (class 08).
/// diesel keeps the SQLSTATE to itself, so the server's wording is all there is to go by.
fn unavailable_message(message: &str) -> bool {
    const TRANSIENT: [&str; 17] = [
        // SQLite: SQLITE_BUSY, SQLITE_LOCKED
        "database is locked",
        "database table is locked",
        "database schema is locked",
        // PostgreSQL 57P01 admin_shutdown, 57P02 crash_shutdown
        "terminating connection",
        // 40P01 deadlock_detected: this transaction was rolled back so that others could go on
        "deadlock detected",
        // 57P03 cannot_connect_now
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        // libpq, class 08: the connection is gone
        "server closed the connection",
        "connection refused",
        "no connection to the server",
        "could not connect to server",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
        "ssl connection has been closed unexpectedly",
    ];
    let message = message.to_ascii_lowercase();
    message.contains("busy") || TRANSIENT.iter().any(|m| message.contains(m))
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool of either backend. An SQLite pool shares one [`WriteGate`] between its
/// connections.
#[derive(Clone)]
pub struct Pool {
    connections: Connections,
    /// Bounds the blocking tasks of [`Pool::run`] to the connections there are: a task
    /// beyond that would only park a thread waiting for a connection, and under load tokio
    /// would start hundreds of them (each with its own stack and allocator arena).
    slots: Arc<tokio::sync::Semaphore>,
    slot_timeout: Duration,
}

#[derive(Clone)]
enum Connections {
    Sqlite(
        r2d2::Pool<ConnectionManager<SqliteConnection>>,
        Arc<WriteGate>,
    ),
    Postgres(r2d2::Pool<PgManager>),
}

pub enum Conn {
    Sqlite(SqliteConn),
    Postgres(PgConn),
}

/// A pooled PostgreSQL connection.
pub struct PgConn(PooledConnection<PgManager>);

impl Deref for PgConn {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0.conn
    }
}

impl DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0.conn
    }
}

/// How long after it last proved healthy a PostgreSQL connection is handed out again without
/// a round trip to check it.
const PG_TRUSTED_FOR: Duration = Duration::from_secs(1);

/// PostgreSQL connections for the pool, checked before reuse unless they just proved healthy.
///
/// A connection the server dropped (restart, `pg_terminate_backend`, network) must not be
/// handed out again, so a connection is checked with a round trip when taken from the pool,
/// unless work on it succeeded within the last second (see [`Pool::run`]): under load each
/// connection is reused every few milliseconds, and the checks were two of the seventeen
/// round trips of an order placed through the API. A connection that broke in that second
/// fails its next statement, which answers 503 like any lost connection, and the failure
/// withdraws the trust, so it is checked (and replaced) before anyone gets it again. Diesel
/// cannot be relied on to notice: a statement that fails while being prepared leaves the
/// connection looking healthy. Work on connections taken outside `Pool::run` (the worker's
/// sweeps and senders) neither grants nor withdraws trust.
struct PgManager(ConnectionManager<PgConnection>);

/// A pooled PostgreSQL connection and when work on it last succeeded.
struct TrackedPg {
    conn: PgConnection,
    healthy_at: Option<Instant>,
}

impl r2d2::ManageConnection for PgManager {
    type Connection = TrackedPg;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<TrackedPg, Self::Error> {
        Ok(TrackedPg {
            conn: self.0.connect()?,
            healthy_at: Some(Instant::now()),
        })
    }

    fn is_valid(&self, conn: &mut TrackedPg) -> Result<(), Self::Error> {
        if conn
            .healthy_at
            .is_some_and(|at| at.elapsed() < PG_TRUSTED_FOR)
        {
            return Ok(());
        }
        self.0.is_valid(&mut conn.conn)?;
        conn.healthy_at = Some(Instant::now());
        Ok(())
    }

    fn has_broken(&self, conn: &mut TrackedPg) -> bool {
        self.0.has_broken(&mut conn.conn)
    }
}

/// A pooled SQLite connection with its pool's write gate.
pub struct SqliteConn {
    conn: PooledConnection<ConnectionManager<SqliteConnection>>,
    gate: Arc<WriteGate>,
}

impl Deref for SqliteConn {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for SqliteConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

/// SQLite lets one writer in at a time, and a connection refused the lock sleeps in its busy
/// handler (1, 2, 5 ... 100 ms) before trying again, so under load writers wait far longer
/// than the writes take. The gate queues this process's writers first, in arrival order, so
/// each asks SQLite for the lock only when the previous one has committed. The busy timeout
/// stays as the guard against other processes (the command line, a backup).
pub struct WriteGate {
    queue: Mutex<GateQueue>,
    turn: Condvar,
    timeout: Duration,
}

#[derive(Default)]
struct GateQueue {
    held: bool,
    waiting: VecDeque<u64>,
    next_ticket: u64,
}

/// The right to write until dropped.
pub struct GatePass<'a>(&'a WriteGate, Instant);

impl WriteGate {
    pub fn new(timeout: Duration) -> WriteGate {
        WriteGate {
            queue: Mutex::new(GateQueue::default()),
            turn: Condvar::new(),
            timeout,
        }
    }

    /// Waits for this writer's turn; gives up after the timeout, as the busy handler would.
    pub fn enter(&self) -> Result<GatePass<'_>, DbError> {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if !queue.held && queue.waiting.is_empty() {
            queue.held = true;
            return Ok(GatePass(self, Instant::now()));
        }
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push_back(ticket);
        let give_up = Instant::now() + self.timeout;
        loop {
            if !queue.held && queue.waiting.front() == Some(&ticket) {
                queue.waiting.pop_front();
                queue.held = true;
                return Ok(GatePass(self, Instant::now()));
            }
            let left = give_up.saturating_duration_since(Instant::now());
            if left.is_zero() {
                queue.waiting.retain(|t| *t != ticket);
                // The next in line may have been waiting behind this ticket.
                self.turn.notify_all();
                return Err(DbError::WriterQueueTimeout);
            }
            queue = self
                .turn
                .wait_timeout(queue, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for GatePass<'_> {
    fn drop(&mut self) {
        let held = self.1.elapsed();
        if held > Duration::from_secs(1) {
            // Every other writer of this process waited as long: worth an operator's look.
            tracing::warn!(
                held_ms = held.as_millis() as u64,
                thread = std::thread::current().name().unwrap_or("unnamed"),
                "a write transaction held the database"
            );
        }
        let mut queue = self.0.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.held = false;
        drop(queue);
        self.0.turn.notify_all();
    }
}

/// Settings every SQLite connection gets when the pool opens it: WAL so readers never wait
/// for the writer, `synchronous=FULL` so an acknowledged order survives a power cut,
/// foreign keys enforced, and a busy timeout instead of immediate "database is locked".
#[derive(Debug)]
struct SqlitePragmas {
    busy_timeout_ms: u64,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON;",
            self.busy_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Accepts `sqlite://path`, `sqlite:path` or a bare path.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

impl Pool {
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Pool> {
        let timeout = Duration::from_millis(settings.connect_timeout_ms);
        match Backend::of_url(&settings.url) {
            Backend::Sqlite => {
                let path = sqlite_path(&settings.url);
                if let Some(parent) = Path::new(path).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            anyhow::anyhow!(
                                "cannot create database folder {}: {e}",
                                parent.display()
                            )
                        })?;
                    }
                }
                let pool = r2d2::Pool::builder()
                    .max_size(settings.pool_size)
                    .connection_timeout(timeout)
                    .connection_customizer(Box::new(SqlitePragmas {
                        busy_timeout_ms: settings.busy_timeout_ms,
                    }))
                    .build(ConnectionManager::<SqliteConnection>::new(path))
                    .map_err(|e| anyhow::anyhow!("cannot open SQLite database {path}: {e}"))?;
                let gate = WriteGate::new(Duration::from_millis(settings.busy_timeout_ms));
                Ok(Pool::new(
                    Connections::Sqlite(pool, Arc::new(gate)),
                    settings,
                ))
            }
            Backend::Postgres => {
                // Connections that sat idle are checked when taken (see `PgManager`).
                let pool = r2d2::Pool::builder()
                    .max_size(settings.pool_size)
                    .connection_timeout(timeout)
                    .test_on_check_out(true)
                    .build(PgManager(ConnectionManager::<PgConnection>::new(
                        &settings.url,
                    )))
                    .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
                Ok(Pool::new(Connections::Postgres(pool), settings))
            }
        }
    }

    fn new(connections: Connections, settings: &DatabaseSettings) -> Pool {
        Pool {
            connections,
            slots: Arc::new(tokio::sync::Semaphore::new(
                settings.pool_size.max(1) as usize
            )),
            slot_timeout: Duration::from_millis(settings.connect_timeout_ms),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.connections {
            Connections::Sqlite(..) => Backend::Sqlite,
            Connections::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn get(&self) -> DbResult<Conn> {
        Ok(match &self.connections {
            Connections::Sqlite(pool, gate) => Conn::Sqlite(SqliteConn {
                conn: pool.get()?,
                gate: gate.clone(),
            }),
            Connections::Postgres(pool) => Conn::Postgres(PgConn(pool.get()?)),
        })
    }

    /// Runs blocking database work on tokio's blocking threads, so the async executor keeps
    /// serving requests; the pool size bounds how many run at once.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let slot = tokio::time::timeout(self.slot_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| E::from(DbError::Saturated))?
            .map_err(|_| E::from(DbError::Saturated))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let mut conn = pool.get()?;
            let done = work(&mut conn);
            conn.vouch(done.is_ok());
            done
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Applies pending migrations; returns how many were applied.
    pub fn migrate(&self) -> DbResult<usize> {
        let mut conn = self.get()?;
        let applied = match &mut conn {
            Conn::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| DbError::Migration(e.to_string()))?,
            Conn::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| DbError::Migration(e.to_string()))?,
        };
        Ok(applied)
    }
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    /// On SQLite the transaction takes the write lock up front (`BEGIN IMMEDIATE`), after
    /// waiting its turn at the pool's [`WriteGate`], so two writers queue instead of failing
    /// halfway with SQLITE_BUSY or sleeping in the busy handler.
    pub fn transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E>,
        E: From<DbError>,
    {
        let gate = match self {
            Conn::Sqlite(c) => {
                let nested = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::transaction_manager_status_mut(&mut c.conn)
                    .transaction_depth()
                    .map(|depth| depth.is_some())
                    .unwrap_or(false);
                (!nested).then(|| c.gate.clone())
            }
            Conn::Postgres(_) => None,
        };
        // Held until the transaction has committed or rolled back.
        let _pass = gate.as_deref().map(WriteGate::enter).transpose()?;
        let begun = match self {
            Conn::Sqlite(c) => {
                let c: &mut SqliteConnection = c;
                if gate.is_none() {
                    // Inside an outer transaction this becomes a savepoint.
                    AnsiTransactionManager::begin_transaction(c)
                } else {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                }
            }
            Conn::Postgres(c) => AnsiTransactionManager::begin_transaction(&mut **c),
        };
        begun.map_err(|e| E::from(DbError::from(e)))?;
        match work(self) {
            Ok(value) => {
                with_conn!(self, |c| AnsiTransactionManager::commit_transaction(c))
                    .map_err(|e| E::from(DbError::from(e)))?;
                Ok(value)
            }
            Err(error) => {
                // The original error matters more than a failed rollback, which the pool
                // notices anyway when the connection is broken.
                let _ = with_conn!(self, |c| AnsiTransactionManager::rollback_transaction(c));
                Err(error)
            }
        }
    }

    /// Records whether work on this connection just succeeded: a PostgreSQL connection that
    /// did is handed out for the next second without a check, one that failed is checked
    /// before its next use (see [`PgManager`]).
    fn vouch(&mut self, succeeded: bool) {
        if let Conn::Postgres(c) = self {
            c.0.healthy_at = succeeded.then(Instant::now);
        }
    }

    /// A trivial round trip, for readiness probes.
    pub fn ping(&mut self) -> DbResult<()> {
        with_conn!(self, |c| c.batch_execute("SELECT 1"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

    /// Starts a writer that queues at the gate, then reports `name` once in.
    fn writer(gate: &Arc<WriteGate>, name: u32, log: &mpsc::Sender<u32>) -> thread::JoinHandle<()> {
        let (queued, log) = (gate.clone(), log.clone());
        let handle = thread::spawn(move || {
            if let Ok(_pass) = queued.enter() {
                log.send(name).unwrap();
                thread::sleep(Duration::from_millis(5));
            }
        });
        // Let it reach the queue before the next one arrives.
        while gate.queue.lock().unwrap().waiting.len() < name as usize {
            thread::yield_now();
        }
        handle
    }

    fn failed(kind: diesel::result::DatabaseErrorKind, message: &str) -> DbError {
        DbError::Query(diesel::result::Error::DatabaseError(
            kind,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn a_lost_or_busy_database_is_unavailable_and_a_bad_query_is_not() {
        use diesel::result::DatabaseErrorKind::{ClosedConnection, UniqueViolation, Unknown};
        for (kind, message) in [
            (ClosedConnection, "anything at all"),
            (Unknown, "database is locked"),
            (
                Unknown,
                "terminating connection due to administrator command",
            ),
            (
                Unknown,
                "terminating connection due to crash of another server process",
            ),
            (Unknown, "FATAL:  the database system is shutting down"),
            (Unknown, "FATAL:  the database system is starting up"),
            (
                Unknown,
                "server closed the connection unexpectedly\n\tThis probably means ...",
            ),
            (
                Unknown,
                "connection to server at \"127.0.0.1\", port 5432 failed: Connection refused",
            ),
            (Unknown, "no connection to the server"),
            (Unknown, "deadlock detected"),
            (
                diesel::result::DatabaseErrorKind::SerializationFailure,
                "could not serialize access due to concurrent update",
            ),
        ] {
            assert!(failed(kind, message).is_unavailable(), "{message}");
        }
        assert!(DbError::Query(diesel::result::Error::BrokenTransactionManager).is_unavailable());
        for (kind, message) in [
            (
                UniqueViolation,
                "duplicate key value violates unique constraint",
            ),
            (Unknown, "syntax error at or near \"SELEC\""),
            (Unknown, "relation \"orders\" does not exist"),
        ] {
            assert!(!failed(kind, message).is_unavailable(), "{message}");
        }
        assert!(!DbError::Query(diesel::result::Error::NotFound).is_unavailable());
    }

    #[test]
    fn writers_go_in_the_order_they_arrived() {
        let gate = Arc::new(WriteGate::new(Duration::from_secs(10)));
        let (log, entered) = mpsc::channel();
        let first = gate.enter().unwrap();
        let writers: Vec<_> = (1..=5).map(|name| writer(&gate, name, &log)).collect();
        drop(first);
        for handle in writers {
            handle.join().unwrap();
        }
        let order: Vec<u32> = entered.try_iter().collect();
        assert_eq!(order, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_writer_gives_up_after_the_timeout_without_blocking_the_next() {
        let gate = Arc::new(WriteGate::new(Duration::from_millis(50)));
        let held = gate.enter().unwrap();
        let waiting = {
            let gate = gate.clone();
            thread::spawn(move || gate.enter().map(|_| ()))
        };
        assert!(matches!(
            waiting.join().unwrap(),
            Err(DbError::WriterQueueTimeout)
        ));
        assert!(DbError::WriterQueueTimeout.is_unavailable(), "answered 503");
        assert!(gate.queue.lock().unwrap().waiting.is_empty());
        drop(held);
        assert!(gate.enter().is_ok(), "free again once released");
    }
}
