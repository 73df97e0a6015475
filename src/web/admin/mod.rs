//! The purchasing authority's back office (admins only).

pub mod audit;
pub mod catalogue_admin;
pub mod import;
pub mod memberships;
pub mod orders;
pub mod reports;
pub mod suppliers;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/memberships", web::get().to(memberships::list))
        .route("/memberships/{id}", web::get().to(memberships::detail))
        .route(
            "/memberships/{id}/approve",
            web::post().to(memberships::approve),
        )
        .route(
            "/memberships/{id}/reject",
            web::post().to(memberships::reject),
        )
        .route(
            "/memberships/{id}/suspend",
            web::post().to(memberships::suspend),
        )
        .route(
            "/memberships/{id}/reactivate",
            web::post().to(memberships::reactivate),
        )
        .route(
            "/memberships/{id}/users",
            web::post().to(memberships::add_user),
        )
        .configure(catalogue_admin::configure)
        .configure(suppliers::configure)
        .configure(import::configure)
        .configure(reports::configure)
        .configure(audit::configure)
        .configure(orders::configure);
}
