//! Builds the application: pool, migrations, templates, HTTP server and background worker.
//! `Application::build` binds the listener first, so tests can ask for port 0 and read back
//! the port they got.

use std::net::TcpListener;
use std::sync::Arc;

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Server, Service as _, ServiceResponse};
use actix_web::error::JsonPayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{middleware, web, App, HttpRequest, HttpResponse, HttpServer};
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
            catalogue: &self.catalogue_cache,
        }
    }
}

pub type State = web::Data<AppState>;

/// The largest JSON body any endpoint accepts, whether read through `web::Json` or as raw
/// bytes. A UBL Order Response may be larger: up to [`crate::ubl::MAX_INPUT_BYTES`], the
/// parser's own limit, set on its route.
pub const JSON_BODY_LIMIT: usize = 256 * 1024;

/// JSON bodies over the limit are 413, not 400; other JSON errors are the API's problems.
fn json_error(error: JsonPayloadError, request: &HttpRequest) -> actix_web::Error {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            actix_web::error::ErrorPayloadTooLarge("the request body is too large")
        }
        other => api::problem::json_error(other, request),
    }
}

/// Every 413 speaks the shop's language: a problem document under /api, an HTML page
/// elsewhere. Responses that already are one (the import endpoints') are kept as they are.
fn payload_too_large<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let formatted = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json") || v.starts_with("text/html"));
    if formatted {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let (request, _) = response.into_parts();
    let replacement = too_large_response(&request);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}

fn too_large_response(request: &HttpRequest) -> HttpResponse<BoxBody> {
    let path = request.path();
    if path.starts_with("/api/") {
        let limit = if path.trim_end_matches('/') == "/api/v1/supplier/order-responses" {
            crate::ubl::MAX_INPUT_BYTES
        } else {
            JSON_BODY_LIMIT
        };
        let body = serde_json::json!({
            "type": "/problems/too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": format!("the request body is larger than the {limit} bytes this endpoint accepts"),
        });
        HttpResponse::build(StatusCode::PAYLOAD_TOO_LARGE)
            .content_type("application/problem+json")
            .body(body.to_string())
    } else {
        let (language, _) = pages::page_language(request);
        pages::errors::error_page(StatusCode::PAYLOAD_TOO_LARGE, language, "error-too-large")
    }
}

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
        let timeouts = settings.server.clone();
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
                        .limit(JSON_BODY_LIMIT)
                        .error_handler(json_error),
                )
                // Raw bodies (`web::Bytes`): the same limit as JSON, explicitly.
                .app_data(web::PayloadConfig::new(JSON_BODY_LIMIT))
                .wrap(
                    ErrorHandlers::new().handler(StatusCode::PAYLOAD_TOO_LARGE, payload_too_large),
                )
                .wrap(crate::auth::session::middleware(&app_state.settings))
                .wrap(security)
                .wrap(middleware::NormalizePath::trim())
                .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
                .wrap_fn(|request, service| {
                    crate::memory::request_started();
                    service.call(request)
                })
                .route("/healthz", web::get().to(pages::health::healthz))
                .route("/readyz", web::get().to(pages::health::readyz))
                .route("/assets/{path:.*}", web::get().to(assets::serve_asset))
                .service(web::scope("/api/v1").configure(api::v1::configure))
                .configure(pages::configure)
                .default_service(web::to(pages::errors::not_found))
        })
        .workers(workers)
        .client_request_timeout(Duration::from_millis(timeouts.client_request_timeout_ms))
        .client_disconnect_timeout(Duration::from_millis(timeouts.client_disconnect_timeout_ms))
        .keep_alive(match timeouts.keep_alive_seconds {
            0 => actix_web::http::KeepAlive::Disabled,
            seconds => actix_web::http::KeepAlive::Timeout(Duration::from_secs(seconds)),
        })
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
