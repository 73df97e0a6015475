//! `centrale backup DEST`: a consistent copy of the database, taken while the shop serves.
//!
//! - SQLite: `VACUUM INTO`, which reads one snapshot (WAL readers never block the writer, and
//!   the writer never blocks them), so the copy is the database as of one instant, compacted.
//!   The copy is checked (`PRAGMA quick_check`) before it takes its final name.
//! - PostgreSQL: `pg_dump --format=custom`, which also reads one snapshot. The password goes to
//!   pg_dump through `PGPASSWORD`, never on its command line. Without pg_dump on the PATH the
//!   command explains what to install and which pg_dump command to run, and fails.
//!
//! Either way the copy is written next to DEST under a `.partial` name and renamed into place
//! once complete and flushed, so DEST is never a half-written file; an existing DEST is only
//! replaced with `--force`.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use percent_encoding::percent_decode_str;

use crate::config::DatabaseSettings;
use crate::db::{sqlite_path, Backend};

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub path: PathBuf,
    pub backend: Backend,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Orders in the copy, when the copy can be read directly (SQLite).
    pub orders: Option<i64>,
}

impl fmt::Display for Backup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match self.backend {
            Backend::Sqlite => "SQLite VACUUM INTO, integrity checked",
            Backend::Postgres => "pg_dump custom format; restore with pg_restore",
        };
        write!(
            f,
            "backup written to {}: {}",
            self.path.display(),
            human_size(self.bytes)
        )?;
        if let Some(orders) = self.orders {
            write!(f, ", {orders} orders")?;
        }
        write!(f, ", in {:.2} s ({method})", self.elapsed.as_secs_f64())
    }
}

fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB * KIB {
        format!("{:.2} GiB", b / (KIB * KIB * KIB))
    } else if b >= KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else if b >= KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Copies the configured database to `dest`; refuses to replace an existing file unless
/// `force`.
pub fn run(settings: &DatabaseSettings, dest: &Path, force: bool) -> anyhow::Result<Backup> {
    if dest.is_dir() {
        bail!(
            "{} is a folder: give the name of the backup file to write",
            dest.display()
        );
    }
    if dest.exists() && !force {
        bail!(
            "{} already exists: choose another name, or pass --force to replace it",
            dest.display()
        );
    }
    let partial = partial_path(dest)?;
    if partial.exists() {
        // Left by a backup that was interrupted: never a valid copy.
        std::fs::remove_file(&partial)
            .with_context(|| format!("cannot remove the stale {}", partial.display()))?;
    }
    let started = Instant::now();
    let backend = Backend::of_url(&settings.url);
    let written = match backend {
        Backend::Sqlite => sqlite_backup(settings, &partial),
        Backend::Postgres => postgres_backup(&settings.url, &partial).map(|()| None),
    };
    let orders = match written {
        Ok(orders) => orders,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    File::open(&partial)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot flush {}", partial.display()))?;
    std::fs::rename(&partial, dest)
        .with_context(|| format!("cannot move the backup to {}", dest.display()))?;
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        // The rename is durable once the folder is flushed too.
        let _ = File::open(parent).and_then(|folder| folder.sync_all());
    }
    let bytes = std::fs::metadata(dest)?.len();
    Ok(Backup {
        path: dest.to_owned(),
        backend,
        bytes,
        elapsed: started.elapsed(),
        orders,
    })
}

/// `dest` with `.partial` appended, in the same folder (so the final rename stays on one
/// file system).
fn partial_path(dest: &Path) -> anyhow::Result<PathBuf> {
    let name = dest
        .file_name()
        .with_context(|| format!("{} does not name a file", dest.display()))?;
    let mut partial = name.to_owned();
    partial.push(".partial");
    Ok(dest.with_file_name(partial))
}

#[derive(QueryableByName)]
struct CheckRow {
    #[diesel(sql_type = Text)]
    quick_check: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `VACUUM INTO` the partial file, then checks the copy; returns how many orders it holds.
fn sqlite_backup(settings: &DatabaseSettings, partial: &Path) -> anyhow::Result<Option<i64>> {
    let source = sqlite_path(&settings.url);
    if !Path::new(source).is_file() {
        bail!("there is no SQLite database at {source} (database.url, CENTRALE__DATABASE__URL)");
    }
    let target = partial
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    let mut conn = SqliteConnection::establish(source)
        .with_context(|| format!("cannot open the SQLite database {source}"))?;
    // The shop may be writing: wait for a moment of calm as its own writers do.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {};",
        settings.busy_timeout_ms
    ))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(&mut conn)
        .with_context(|| format!("VACUUM INTO {target} failed"))?;
    drop(conn);

    let mut copy = SqliteConnection::establish(target)
        .with_context(|| format!("cannot open the copy {target}"))?;
    let check: Vec<CheckRow> = diesel::sql_query("PRAGMA quick_check").load(&mut copy)?;
    let problems: Vec<&str> = check
        .iter()
        .map(|r| r.quick_check.as_str())
        .filter(|r| *r != "ok")
        .collect();
    if check.is_empty() || !problems.is_empty() {
        bail!(
            "the copy failed its integrity check: {}",
            problems.join("; ")
        );
    }
    // A database the shop never migrated has no orders table: the copy is still a copy.
    let orders = diesel::sql_query("SELECT COUNT(*) AS n FROM orders")
        .get_result::<CountRow>(&mut copy)
        .ok()
        .map(|row| row.n);
    Ok(orders)
}

/// The parts of a PostgreSQL URL that pg_dump needs, the password kept apart.
#[derive(Debug, PartialEq, Eq)]
pub struct PgTarget {
    /// The URL without its password, as pg_dump's `--dbname`.
    pub url_without_password: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub dbname: Option<String>,
}

impl PgTarget {
    pub fn parse(url: &str) -> anyhow::Result<PgTarget> {
        let (scheme, rest) = url
            .split_once("://")
            .context("a PostgreSQL URL starts with postgres://")?;
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, dbname) = match rest.split_once('/') {
            Some((authority, db)) => (authority, Some(db)),
            None => (rest, None),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (Some(user), Some(password)),
                None => (Some(info), None),
            },
            None => (None, None),
        };
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            // [IPv6]:port
            match bracketed.split_once(']') {
                Some((host, tail)) => (Some(host), tail.strip_prefix(':')),
                None => (Some(hostport), None),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (Some(host), Some(port)),
                None => (Some(hostport), None),
            }
        };
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        fn non_empty(s: Option<&str>) -> Option<&str> {
            s.filter(|s| !s.is_empty())
        }
        let mut url_without_password = format!("{scheme}://");
        if let Some(user) = non_empty(user) {
            url_without_password.push_str(user);
            url_without_password.push('@');
        }
        url_without_password.push_str(hostport);
        if let Some(db) = dbname {
            url_without_password.push('/');
            url_without_password.push_str(db);
        }
        if let Some(query) = query {
            url_without_password.push('?');
            url_without_password.push_str(query);
        }
        Ok(PgTarget {
            url_without_password,
            user: non_empty(user).map(decode),
            password: password.map(decode),
            host: non_empty(host).map(str::to_owned),
            port: non_empty(port).map(str::to_owned),
            dbname: non_empty(dbname).map(decode),
        })
    }

    /// The pg_dump command an operator can run, the password shown as `...`.
    pub fn pg_dump_command(&self, dest: &Path) -> String {
        let mut command = String::new();
        if self.password.is_some() {
            command.push_str("PGPASSWORD=... ");
        }
        command.push_str("pg_dump --format=custom");
        command.push_str(&format!(" --file={}", dest.display()));
        if let Some(host) = &self.host {
            command.push_str(&format!(" --host={host}"));
        }
        if let Some(port) = &self.port {
            command.push_str(&format!(" --port={port}"));
        }
        if let Some(user) = &self.user {
            command.push_str(&format!(" --username={user}"));
        }
        if let Some(db) = &self.dbname {
            command.push_str(&format!(" {db}"));
        }
        command
    }

    /// What an operator is told when pg_dump cannot be run here.
    pub fn guidance(&self, dest: &Path) -> String {
        format!(
            "pg_dump was not found on the PATH, and a PostgreSQL backup is made with it.\n\
             Install the PostgreSQL client tools (the server's major version or newer; on Debian: \
             apt-get install postgresql-client) and run this command again, or run pg_dump \
             yourself:\n\n    {}\n\n\
             It reads one consistent snapshot while the shop keeps serving. To restore, into an \
             empty database, with the shop stopped:\n\n    \
             createdb NEW_DB && pg_restore --no-owner --dbname=NEW_DB {}\n\n\
             then point CENTRALE__DATABASE__URL at NEW_DB and start the shop.",
            self.pg_dump_command(dest),
            dest.display()
        )
    }
}

fn postgres_backup(url: &str, partial: &Path) -> anyhow::Result<()> {
    let target = PgTarget::parse(url)?;
    let mut command = Command::new("pg_dump");
    command
        .arg("--format=custom")
        .arg("--file")
        .arg(partial)
        .arg("--dbname")
        .arg(&target.url_without_password);
    if let Some(password) = &target.password {
        command.env("PGPASSWORD", password);
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            bail!("{}", target.guidance(&final_name(partial)))
        }
        Err(error) => return Err(error).context("cannot run pg_dump"),
    };
    if !output.status.success() {
        bail!(
            "pg_dump failed ({}): {}\nThe command was: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            target.pg_dump_command(&final_name(partial))
        );
    }
    Ok(())
}

/// The backup's own name, from its partial file's.
fn final_name(partial: &Path) -> PathBuf {
    let name = partial
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    partial.with_file_name(name.strip_suffix(".partial").unwrap_or(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_splits_into_pg_dump_arguments() {
        let target =
            PgTarget::parse("postgres://centrale:s%40cret@db.internal:5433/shop?sslmode=disable")
                .unwrap();
        assert_eq!(target.user.as_deref(), Some("centrale"));
        assert_eq!(target.password.as_deref(), Some("s@cret"));
        assert_eq!(target.host.as_deref(), Some("db.internal"));
        assert_eq!(target.port.as_deref(), Some("5433"));
        assert_eq!(target.dbname.as_deref(), Some("shop"));
        assert_eq!(
            target.url_without_password,
            "postgres://centrale@db.internal:5433/shop?sslmode=disable"
        );
    }

    #[test]
    fn the_guidance_never_shows_the_password() {
        let target = PgTarget::parse("postgresql://u:topsecret@[::1]:5432/centrale").unwrap();
        assert_eq!(target.host.as_deref(), Some("::1"));
        let text = target.guidance(Path::new("/backups/centrale.dump"));
        assert!(!text.contains("topsecret"), "{text}");
        assert!(text.contains("PGPASSWORD=... pg_dump --format=custom --file=/backups/centrale.dump --host=::1 --port=5432 --username=u centrale"), "{text}");
        assert!(text.contains("pg_restore"), "{text}");
    }

    #[test]
    fn a_url_without_user_or_port_leaves_them_to_libpq() {
        let target = PgTarget::parse("postgres://localhost/centrale").unwrap();
        assert_eq!(target.user, None);
        assert_eq!(target.password, None);
        assert_eq!(target.port, None);
        assert_eq!(target.url_without_password, "postgres://localhost/centrale");
        assert_eq!(
            target.pg_dump_command(Path::new("b.dump")),
            "pg_dump --format=custom --file=b.dump --host=localhost centrale"
        );
    }

    #[test]
    fn the_partial_file_sits_next_to_the_backup() {
        let partial = partial_path(Path::new("/var/backups/centrale.db")).unwrap();
        assert_eq!(partial, Path::new("/var/backups/centrale.db.partial"));
        assert_eq!(final_name(&partial), Path::new("/var/backups/centrale.db"));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(2048), "2.0 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 + 1024 * 100), "5.1 MiB");
    }
}
