//! The command line: one binary for the server, migrations, demo data and first admin.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::auth::{api_client, Principal};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::Pool;
use crate::parties::{self, Credential, Role, UserInput};
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "centrale",
    version,
    about = "Central purchasing e-shop for public procurement",
    long_about = "centrale — central purchasing e-shop for public procurement.\n\n\
        A purchasing authority publishes framework-contract lots, each with a cascade of up to \
        five ranked suppliers; member institutions order from a bilingual (FR/NL) catalogue and \
        each order goes to the first supplier of the cascade able to serve it.\n\n\
        Settings come from config/default.toml, then config/<profile>.toml, then environment \
        variables CENTRALE__SECTION__KEY (e.g. CENTRALE__DATABASE__URL=postgres://...).",
    after_help = "Quick start: centrale serve --demo   (then open http://127.0.0.1:8080/)"
)]
pub struct Cli {
    /// Settings profile: development, test, production, or any config/<name>.toml.
    #[arg(
        long,
        global = true,
        env = "CENTRALE_PROFILE",
        default_value = "development"
    )]
    profile: String,

    /// Folder holding default.toml and <profile>.toml.
    #[arg(
        long,
        global = true,
        env = "CENTRALE_CONFIG_DIR",
        default_value = "config"
    )]
    config_dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web shop and its background worker (applies pending migrations first).
    Serve {
        /// Load the demo data first when the database has no lots yet.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load demo lots, suppliers, institutions and accounts into an empty database, and print
    /// the logins created.
    Demo,
    /// Create an authority administrator account. The password is read from
    /// CENTRALE_ADMIN_PASSWORD or, failing that, from standard input.
    CreateAdmin {
        /// Email address the admin logs in with.
        #[arg(long)]
        email: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// Language of the admin's pages and emails: fr or nl.
        #[arg(long, default_value = "fr")]
        language: String,
    },
    /// Issue or revoke API credentials (OAuth 2.0 client credentials for /api/v1).
    #[command(subcommand)]
    ApiClient(ApiClientCommand),
    /// Write a consistent copy of the database while the shop keeps serving (SQLite: VACUUM
    /// INTO; PostgreSQL: pg_dump, which must be on the PATH).
    #[command(
        long_about = "Write a consistent copy of the database while the shop keeps serving.\n\n\
            SQLite: VACUUM INTO reads one snapshot (the shop's writers are not blocked) and \
            writes a compacted copy, checked with PRAGMA quick_check.\n\
            PostgreSQL: runs pg_dump --format=custom (one snapshot too), passing the password \
            through PGPASSWORD. Without pg_dump on the PATH it prints the pg_dump command to \
            run, password hidden, and fails.\n\n\
            The copy is written as DEST.partial and renamed to DEST once complete, so DEST is \
            never half-written. Prints the size and the time taken.",
        after_help = "Restore (SQLite), with the shop stopped:\n  \
            cp DEST data/centrale.db && rm -f data/centrale.db-wal data/centrale.db-shm\n\
            Restore (PostgreSQL), into an empty database:\n  \
            createdb NEW_DB && pg_restore --no-owner --dbname=NEW_DB DEST"
    )]
    Backup {
        /// The file to write, e.g. backups/centrale-2026-11-24.db (or .dump on PostgreSQL).
        dest: PathBuf,
        /// Replace DEST if it already exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ApiClientCommand {
    /// Issue a client id and secret. Prints one JSON object {"client_id", "client_secret"}
    /// on standard output; the secret is shown this once and cannot be recovered.
    #[command(
        after_help = "Example: centrale api-client issue --role supplier --for 3 --name \"ERP of MediSupply\"\n\
        Then: curl -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials \
        http://127.0.0.1:8080/api/v1/oauth/token"
    )]
    Issue {
        /// What the client may do: admin (the purchasing authority), institution or supplier.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Id of the institution or supplier the client acts for (not for admin).
        #[arg(long = "for", value_name = "ID")]
        for_id: Option<i64>,
        /// A name saying which program uses the client, shown in listings and the audit log.
        #[arg(long)]
        name: Option<String>,
    },
    /// Revoke a client at once: it gets no new tokens and its current tokens stop working.
    Revoke {
        /// The client id (cl_...).
        client_id: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Institution,
    Supplier,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Institution => Role::Institution,
            RoleArg::Supplier => Role::Supplier,
        }
    }
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(&cli.config_dir, &cli.profile)?;
    match cli.command {
        Command::Serve { demo } => serve(settings, demo),
        Command::Migrate => {
            let pool = Pool::connect(&settings.database)?;
            let applied = pool.migrate()?;
            println!(
                "{applied} migration(s) applied ({} database)",
                pool.backend().name()
            );
            Ok(())
        }
        Command::Demo => {
            let pool = Pool::connect(&settings.database)?;
            pool.migrate()?;
            load_demo(&pool, true)
        }
        Command::CreateAdmin {
            email,
            name,
            language,
        } => {
            let pool = Pool::connect(&settings.database)?;
            pool.migrate()?;
            let password = admin_password()?;
            let now = SystemClock.now_naive();
            let mut conn = pool.get()?;
            let id = parties::create_user(
                &mut conn,
                now,
                &UserInput {
                    email: &email,
                    name: &name,
                    role: Role::Admin,
                    institution_id: None,
                    supplier_id: None,
                    language: &language,
                    password: Some(Credential::Password(&password)),
                },
            )
            .map_err(|e| anyhow::anyhow!("the admin was not created: {e}"))?;
            println!("admin {email} created (id {id})");
            Ok(())
        }
        Command::ApiClient(command) => {
            let pool = Pool::connect(&settings.database)?;
            pool.migrate()?;
            api_client_command(&pool, command)
        }
        Command::Backup { dest, force } => {
            let backup = crate::backup::run(&settings.database, &dest, force)?;
            println!("{backup}");
            Ok(())
        }
    }
}

fn api_client_command(pool: &Pool, command: ApiClientCommand) -> anyhow::Result<()> {
    let actor = Principal::system("cli");
    let now = SystemClock.now_naive();
    let mut conn = pool.get()?;
    match command {
        ApiClientCommand::Issue { role, for_id, name } => {
            let role = Role::from(role);
            let name = name.unwrap_or_else(|| format!("{} API client", role.code()));
            let issued = api_client::issue(&mut conn, now, &actor, role, for_id, &name)
                .map_err(|e| anyhow::anyhow!("the API client was not issued: {e}"))?;
            // Standard output carries only the JSON, so scripts can parse it as is.
            println!(
                "{}",
                serde_json::json!({
                    "client_id": issued.client.client_id,
                    "client_secret": issued.client_secret,
                })
            );
            eprintln!("Store the secret now: it is shown only once.");
            Ok(())
        }
        ApiClientCommand::Revoke { client_id } => {
            api_client::revoke(&mut conn, now, &actor, &client_id)
                .map_err(|e| anyhow::anyhow!("the API client was not revoked: {e}"))?;
            println!("API client {client_id} revoked");
            Ok(())
        }
    }
}

fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("CENTRALE_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password for the new admin (at least 12 characters, shown as typed): ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn load_demo(pool: &Pool, report_existing: bool) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    if crate::db::catalogue::count_lots(&mut conn)? > 0 {
        if report_existing {
            println!(
                "The database already holds lots; demo data is only loaded into an empty database."
            );
        }
        return Ok(());
    }
    let report = crate::demo::load(&mut conn, SystemClock.now_naive())?;
    println!("{report}");
    Ok(())
}

fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    if settings.uses_development_keys() {
        tracing::warn!(profile = %settings.profile, "using development keys: set CENTRALE__SECRETS__SESSION_KEY and CENTRALE__SECRETS__JWT_KEY for anything public");
    }
    actix_web::rt::System::new().block_on(async move {
        let pool = Pool::connect(&settings.database)?;
        let applied = pool.migrate()?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        if demo {
            let demo_pool = pool.clone();
            tokio::task::spawn_blocking(move || load_demo(&demo_pool, false)).await??;
        }
        let host = settings
            .server
            .bind
            .rsplit_once(':')
            .map(|(h, _)| h.to_owned())
            .unwrap_or_default();
        let application = Application::build_with_pool(settings, Arc::new(SystemClock), pool)?;
        println!(
            "centrale is serving on http://{host}:{}/ (Ctrl+C to stop)",
            application.port()
        );
        let stopped = application.run_until_stopped().await;
        tracing::info!("centrale stopped");
        stopped
    })
}
