//! Builds the application: pool, migrations, templates, HTTP server and background worker.
//! `Application::build` binds the listener first, so tests can ask for port 0 and read back
//! the port they got.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use handlebars::Handlebars;

use crate::auth::rate_limit::LoginLimiter;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::Pool;
use crate::domain::working_days::BelgianCalendar;
use crate::i18n::Translations;
use crate::mail::sender::MailTransport;
use crate::mail::MailTemplates;
use crate::{api, assets, templating, web as pages};

/// What every request handler may use.
pub struct AppState {
    pub settings: Settings,
    pub pool: Pool,
    pub clock: SharedClock,
    pub templates: Handlebars<'static>,
    pub translations: Arc<Translations>,
    pub mail: MailTemplates,
    pub mail_transport: MailTransport,
    pub login_limiter: LoginLimiter,
    pub api_limiter: crate::auth::rate_limit::ClientLimiter,
    pub calendar: BelgianCalendar,
    pub catalogue_cache: crate::catalogue::cache::CatalogueCache,
    /// Orders placed at the same time share one commit.
    pub group_commit: crate::db::group_commit::GroupCommit,
}

impl AppState {
    /// The context ordering operations run in, at the clock's current time.
    pub fn ordering(&self) -> crate::ordering::OrderingContext<'_> {
        self.ordering_at(self.clock.now())
    }

    /// The context ordering operations run in, at `now`.
    pub fn ordering_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::ordering::OrderingContext<'_> {
        crate::ordering::OrderingContext {
            now,
            mail: &self.mail,
            settings: &self.settings,
            calendar: &self.calendar,
        }
    }
}

pub type State = web::Data<AppState>;

pub struct Application {
    port: u16,
    server: Server,
    state: State,
}

impl Application {
    /// Connects, migrates, and binds `settings.server.bind` (port 0 picks a free port).
    pub fn build(settings: Settings, clock: SharedClock) -> anyhow::Result<Application> {
        let pool = Pool::connect(&settings.database)?;
        let applied = pool.migrate()?;
        if applied > 0 {
            tracing::info!(
                applied,
                backend = pool.backend().name(),
                "database migrations applied"
            );
        }
        Self::build_with_pool(settings, clock, pool)
    }

    pub fn build_with_pool(
        settings: Settings,
        clock: SharedClock,
        pool: Pool,
    ) -> anyhow::Result<Application> {
        let translations = Arc::new(Translations::load()?);
        let templates = templating::build(translations.clone())?;
        let mail = MailTemplates::load(&settings.mail.from)?;
        let settings_api = settings.api.clone();
        let calendar = BelgianCalendar::new(settings.ordering.extra_closed_days.iter().copied());
        let mail_transport = MailTransport::from_settings(&settings.mail)?;
        let listener = TcpListener::bind(&settings.server.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        let group_commit = crate::db::group_commit::GroupCommit::start(pool.clone(), 64)?;
        let state = web::Data::new(AppState {
            settings,
            pool,
            clock,
            templates,
            translations,
            mail,
            mail_transport,
            login_limiter: LoginLimiter::new(),
            api_limiter: crate::auth::rate_limit::ClientLimiter::new(
                settings_api.rate_per_second,
                settings_api.burst,
            ),
            calendar,
            catalogue_cache: crate::catalogue::cache::CatalogueCache::new(),
            group_commit,
        });
        pages::errors::install(state.clone().into_inner());
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let security = pages::security_headers(&app_state.settings);
            App::new()
                .app_data(app_state.clone())
                .app_data(web::QueryConfig::default().error_handler(api::problem::query_error))
                .app_data(
                    web::JsonConfig::default()
                        .limit(256 * 1024)
                        .error_handler(api::problem::json_error),
                )
                .wrap(crate::auth::session::middleware(&app_state.settings))
                .wrap(security)
                .wrap(middleware::NormalizePath::trim())
                .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
                .route("/healthz", web::get().to(pages::health::healthz))
                .route("/readyz", web::get().to(pages::health::readyz))
                .route("/assets/{path:.*}", web::get().to(assets::serve_asset))
                .service(web::scope("/api/v1").configure(api::v1::configure))
                .configure(pages::configure)
                .default_service(web::to(pages::errors::not_found))
        })
        .workers(workers)
        .shutdown_timeout(20)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> State {
        self.state.clone()
    }

    /// Runs the HTTP server, and the background worker when enabled, until a shutdown signal.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let worker = if self.state.settings.worker.enabled {
            Some(crate::worker::spawn(self.state.clone()))
        } else {
            None
        };
        let served = self.server.await;
        handle.stop(true).await;
        if let Some(worker) = worker {
            worker.stop().await;
        }
        served.map_err(Into::into)
    }
}
