//! Version 1 of the API.

pub mod catalogue;
pub mod memberships;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/catalogue/lots", web::get().to(catalogue::lots))
        .route("/catalogue/products", web::get().to(catalogue::products))
        .route("/memberships", web::post().to(memberships::apply))
        .default_service(web::to(crate::web::errors::not_found));
}
