//! The public membership application (`/apply`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::forms::{kept_values, translated_errors, value, FormData};
use super::{Page, WebError};
use crate::db::reference;
use crate::error::ServiceError;
use crate::membership::{self, ApplicationInput, BuyerInput, Context};
use crate::parties::{AddressInput, InstitutionInput};
use crate::startup::State;
use crate::validation::ValidationErrors;

pub const DELIVERY_SLOTS: usize = 3;
pub const BUYER_SLOTS: usize = 5;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apply", web::get().to(form))
        .route("/apply", web::post().to(submit));
}

async fn choices(page: &Page<'_>) -> Result<Value, WebError> {
    let language = page.language;
    let (authorities, sectors) = page
        .state
        .pool
        .run(|conn| {
            Ok::<_, crate::db::DbError>((reference::authorities(conn)?, reference::sectors(conn)?))
        })
        .await
        .map_err(|e| WebError::db(language, e))?;
    let pick = |fr: &str, nl: &str| match language {
        crate::domain::Language::Fr => fr.to_owned(),
        crate::domain::Language::Nl => nl.to_owned(),
    };
    Ok(json!({
        "authorities": authorities.iter().filter(|a| a.active).map(|a| json!({"code": a.code, "name": pick(&a.name_fr, &a.name_nl)})).collect::<Vec<_>>(),
        "sectors": sectors.iter().map(|s| json!({"code": s.code, "name": pick(&s.name_fr, &s.name_nl)})).collect::<Vec<_>>(),
    }))
}

fn slots(count: usize) -> Vec<usize> {
    (0..count).collect()
}

async fn render_form(
    page: &Page<'_>,
    status: StatusCode,
    values: Value,
    errors: Option<&ValidationErrors>,
) -> Result<HttpResponse, WebError> {
    let error_count = errors.map(|e| e.errors.len()).unwrap_or(0);
    let data = json!({
        "csrf": page.csrf(),
        "choices": choices(page).await?,
        "values": values,
        "errors": errors.map(|e| translated_errors(page, e)).unwrap_or(json!({})),
        "error_count": error_count,
        "delivery_slots": slots(DELIVERY_SLOTS),
        "buyer_slots": slots(BUYER_SLOTS),
    });
    page.render_with_status(status, "membership/apply", page.t("apply-title"), data)
}

pub async fn form(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let values = json!({ "language": page.language.code() });
    render_form(&page, StatusCode::OK, values, None).await
}

fn filled(form: &FormData, keys: &[String]) -> bool {
    keys.iter().any(|k| !value(form, k).trim().is_empty())
}

/// Reads the application from the form: empty extra slots are ignored, the first of each
/// kind always counts (so leaving it empty is reported).
pub fn application_from_form(form: &FormData) -> ApplicationInput<'_> {
    let mut delivery = Vec::new();
    for slot in 0..DELIVERY_SLOTS {
        let key = |part: &str| format!("delivery_{slot}_{part}");
        if slot == 0 || filled(form, &[key("street"), key("postcode"), key("city")]) {
            delivery.push(AddressInput {
                label: form.get(&key("label")).map(String::as_str).unwrap_or(""),
                street: form.get(&key("street")).map(String::as_str).unwrap_or(""),
                postcode: form.get(&key("postcode")).map(String::as_str).unwrap_or(""),
                city: form.get(&key("city")).map(String::as_str).unwrap_or(""),
            });
        }
    }
    let mut buyers = Vec::new();
    for slot in 0..BUYER_SLOTS {
        let key = |part: &str| format!("buyers_{slot}_{part}");
        if slot == 0 || filled(form, &[key("name"), key("email")]) {
            buyers.push(BuyerInput {
                name: form.get(&key("name")).map(String::as_str).unwrap_or(""),
                email: form.get(&key("email")).map(String::as_str).unwrap_or(""),
            });
        }
    }
    ApplicationInput {
        institution: InstitutionInput {
            enterprise_number: value(form, "enterprise_number"),
            name: value(form, "name"),
            authority_code: value(form, "competent_authority"),
            sector: value(form, "sector"),
            language: value(form, "language"),
            billing: AddressInput {
                label: "",
                street: value(form, "billing_street"),
                postcode: value(form, "billing_postcode"),
                city: value(form, "billing_city"),
            },
            delivery,
            status: "pending",
        },
        contact_name: value(form, "contact_name"),
        contact_email: value(form, "contact_email"),
        buyers,
    }
}

pub async fn submit(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let form = form.into_inner();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let now = state.clock.now_naive();
    let service_state = state.clone();
    let submitted = form.clone();
    let result = state
        .pool
        .run(move |conn| {
            let ctx = Context {
                now,
                mail: &service_state.mail,
                settings: &service_state.settings,
            };
            membership::apply(conn, &ctx, &application_from_form(&submitted))
        })
        .await;
    match result {
        Ok(_) => {
            let data = json!({ "institution": value(&form, "name").trim(), "email": value(&form, "contact_email").trim() });
            page.render(
                "membership/submitted",
                page.t("apply-submitted-title"),
                data,
            )
        }
        Err(ServiceError::Invalid(errors)) => {
            render_form(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                kept_values(&form),
                Some(&errors),
            )
            .await
        }
        Err(ServiceError::Db(db)) => Err(WebError::db(page.language, db)),
        Err(other) => Err(WebError::internal(page.language, other)),
    }
}
