//! `POST /api/v1/memberships`: the membership application as JSON, for institutions that
//! apply from their own systems. Same rules and emails as the web form.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::api::problem::ApiError;
use crate::membership::{self, ApplicationInput, BuyerInput, Context};
use crate::parties::{AddressInput, InstitutionInput};
use crate::startup::State;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressJson {
    #[serde(default)]
    label: String,
    street: String,
    postcode: String,
    city: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstitutionJson {
    name: String,
    enterprise_number: String,
    competent_authority: String,
    sector: String,
    language: String,
    billing: AddressJson,
    delivery: Vec<AddressJson>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonJson {
    name: String,
    email: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipApplication {
    institution: InstitutionJson,
    contact: PersonJson,
    buyers: Vec<PersonJson>,
}

fn address(a: &AddressJson) -> AddressInput<'_> {
    AddressInput {
        label: &a.label,
        street: &a.street,
        postcode: &a.postcode,
        city: &a.city,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/memberships",
    tag = "memberships",
    summary = "Apply for membership",
    description = "An institution applies with its addresses, contact and buyers; the purchasing authority reviews the application.",
    operation_id = "memberships_apply",
    request_body = MembershipApplication,
    security(()),
    responses(
        (status = 201, description = "Application received (Location names it)", body = super::openapi::MembershipCreated, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn apply(
    state: State,
    body: web::Json<MembershipApplication>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.institution.delivery.len() > 20 {
        return Err(ApiError::BadRequest("at most 20 delivery addresses".into()));
    }
    let now = state.clock.now_naive();
    let service_state = state.clone();
    let id = state
        .pool
        .run(move |conn| {
            let ctx = Context {
                now,
                mail: &service_state.mail,
                settings: &service_state.settings,
            };
            let input = ApplicationInput {
                institution: InstitutionInput {
                    enterprise_number: &body.institution.enterprise_number,
                    name: &body.institution.name,
                    authority_code: &body.institution.competent_authority,
                    sector: &body.institution.sector,
                    language: &body.institution.language,
                    billing: address(&body.institution.billing),
                    delivery: body.institution.delivery.iter().map(address).collect(),
                    status: "pending",
                },
                contact_name: &body.contact.name,
                contact_email: &body.contact.email,
                buyers: body
                    .buyers
                    .iter()
                    .map(|b| BuyerInput {
                        name: &b.name,
                        email: &b.email,
                    })
                    .collect(),
            };
            membership::apply(conn, &ctx, &input)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/admin/memberships/{id}")))
        .json(json!({ "id": id, "status": "pending" })))
}
