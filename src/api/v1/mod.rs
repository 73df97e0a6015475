//! Version 1 of the API.

pub mod admin;
pub mod admin_audit;
pub mod admin_catalogue;
pub mod admin_import;
pub mod admin_memberships;
pub mod admin_reports;
pub mod admin_suppliers;
pub mod catalogue;
pub mod memberships;
pub mod oauth;
pub mod open_data;
pub mod openapi;
pub mod orders;
pub mod supplier;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(crate::api::problem::path_error))
        .route("/openapi.json", web::get().to(openapi::serve))
        .route("/docs", web::get().to(crate::web::api_docs::reference))
        .route("/catalogue/lots", web::get().to(catalogue::lots))
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
        .route("/supplier/orders", web::get().to(supplier::feed))
        .route("/supplier/orders/{id}", web::get().to(supplier::show))
        .route(
            "/supplier/orders/{id}/accept",
            web::post().to(supplier::accept),
        )
        .route(
            "/supplier/orders/{id}/decline",
            web::post().to(supplier::decline),
        )
        .route("/supplier/orders/{id}/ship", web::post().to(supplier::ship))
        .route(
            "/supplier/orders/{id}/deliver",
            web::post().to(supplier::deliver),
        )
        .route(
            "/supplier/orders/{id}/cancellation",
            web::post().to(supplier::cancellation),
        )
        .route(
            "/supplier/availability",
            web::put().to(supplier::availability),
        )
        .service(
            // A UBL document may be as large as its parser accepts, more than a JSON body.
            web::resource("/supplier/order-responses")
                .app_data(web::PayloadConfig::new(crate::ubl::MAX_INPUT_BYTES))
                .route(web::post().to(supplier::order_response)),
        )
        .route(
            "/supplier/webhook",
            web::put().to(supplier::register_webhook),
        )
        .route(
            "/supplier/webhook",
            web::delete().to(supplier::delete_webhook),
        )
        .route(
            "/supplier/webhook/deliveries",
            web::get().to(supplier::webhook_deliveries),
        )
        .route(
            "/admin/webhook-deliveries",
            web::get().to(admin::webhook_deliveries),
        )
        .route("/orders", web::post().to(orders::create))
        .route("/orders", web::get().to(orders::list))
        .route("/orders/{id}", web::get().to(orders::show))
        .service(oauth::resource())
        .route("/admin/institutions", web::get().to(admin::institutions))
        .route("/admin/suppliers", web::get().to(admin::suppliers))
        .service(
            web::resource("/admin/api-clients")
                .route(web::get().to(admin::api_clients))
                .route(web::post().to(admin::issue_client)),
        )
        .service(
            web::resource("/admin/api-clients/{client_id}")
                .route(web::delete().to(admin::revoke_client)),
        )
        .configure(admin_catalogue::configure)
        .configure(admin_suppliers::configure)
        .configure(admin_import::configure)
        .configure(admin_reports::configure)
        .configure(admin_audit::configure)
        .configure(open_data::configure)
        .default_service(web::to(crate::web::errors::not_found));
}
