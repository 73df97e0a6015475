//! Storage: one schema on two backends. SQLite (bundled, one file) is the default so a new
//! user needs nothing installed; PostgreSQL is the production backend.
//!
//! Query code is written once and compiled for each backend by [`with_conn!`], which hands
//! the body the concrete connection type. That keeps every diesel feature both backends share
//! (RETURNING, ON CONFLICT, ...) available, and the rare dialect-specific statement sits in
//! an explicit `match` on [`Conn`].

pub mod api_clients;
pub mod catalogue;
pub mod orders;
pub mod parties;
pub mod reference;
pub mod schema;

use std::path::Path;
use std::time::Duration;

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
}

impl DbError {
    /// True for failures a caller may retry later (pool exhausted, database locked or gone),
    /// as opposed to a bug or a constraint violation.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) => true,
            DbError::Query(diesel::result::Error::DatabaseError(_, info)) => {
                let message = info.message();
                message.contains("database is locked") || message.contains("busy")
            }
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

/// A connection pool of either backend.
#[derive(Clone)]
pub enum Pool {
    Sqlite(r2d2::Pool<ConnectionManager<SqliteConnection>>),
    Postgres(r2d2::Pool<ConnectionManager<PgConnection>>),
}

pub enum Conn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
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
                Ok(Pool::Sqlite(pool))
            }
            Backend::Postgres => {
                let pool = r2d2::Pool::builder()
                    .max_size(settings.pool_size)
                    .connection_timeout(timeout)
                    .build(ConnectionManager::<PgConnection>::new(&settings.url))
                    .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
                Ok(Pool::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn get(&self) -> DbResult<Conn> {
        Ok(match self {
            Pool::Sqlite(pool) => Conn::Sqlite(pool.get()?),
            Pool::Postgres(pool) => Conn::Postgres(pool.get()?),
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
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
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
    /// On SQLite the transaction takes the write lock up front (`BEGIN IMMEDIATE`), so two
    /// writers queue on the busy timeout instead of failing halfway with SQLITE_BUSY.
    pub fn transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E>,
        E: From<DbError>,
    {
        let begun = match self {
            Conn::Sqlite(c) => {
                let c: &mut SqliteConnection = c;
                let nested = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::transaction_manager_status_mut(c)
                    .transaction_depth()
                    .map(|depth| depth.is_some())
                    .unwrap_or(false);
                if nested {
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

    /// A trivial round trip, for readiness probes.
    pub fn ping(&mut self) -> DbResult<()> {
        with_conn!(self, |c| c.batch_execute("SELECT 1"))?;
        Ok(())
    }
}
