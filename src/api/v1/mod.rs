//! Version 1 of the API.

pub mod admin;
pub mod admin_memberships;
pub mod catalogue;
pub mod memberships;
pub mod oauth;
pub mod orders;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/catalogue/lots", web::get().to(catalogue::lots))
        .route("/catalogue/products", web::get().to(catalogue::products))
        .route("/memberships", web::post().to(memberships::apply))
        .route("/admin/memberships", web::get().to(admin_memberships::list))
        .route(
            "/admin/memberships/{id}",
            web::get().to(admin_memberships::show),
        )
        .route(
            "/admin/memberships/{id}/approve",
            web::post().to(admin_memberships::approve),
        )
        .route(
            "/admin/memberships/{id}/reject",
            web::post().to(admin_memberships::reject),
        )
        .route(
            "/admin/institutions/{id}/suspend",
            web::post().to(admin_memberships::suspend),
        )
        .route(
            "/admin/institutions/{id}/reactivate",
            web::post().to(admin_memberships::reactivate),
        )
        .route(
            "/admin/institutions/{id}/users",
            web::post().to(admin_memberships::add_user),
        )
        .route("/orders", web::post().to(orders::create))
        .route("/orders", web::get().to(orders::list))
        .route("/orders/{id}", web::get().to(orders::show))
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
