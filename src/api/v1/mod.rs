//! Version 1 of the API.

pub mod admin;
pub mod catalogue;
pub mod memberships;
pub mod oauth;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/catalogue/lots", web::get().to(catalogue::lots))
        .route("/catalogue/products", web::get().to(catalogue::products))
        .route("/memberships", web::post().to(memberships::apply))
        .service(oauth::resource())
        .route("/admin/institutions", web::get().to(admin::institutions))
        .route("/admin/suppliers", web::get().to(admin::suppliers))
        .route("/admin/lots", web::get().to(admin::lots))
        .service(
            web::resource("/admin/api-clients")
                .route(web::get().to(admin::api_clients))
                .route(web::post().to(admin::issue_client)),
        )
        .service(
            web::resource("/admin/api-clients/{client_id}")
                .route(web::delete().to(admin::revoke_client)),
        )
        .default_service(web::to(crate::web::errors::not_found));
}
