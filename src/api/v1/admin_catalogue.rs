//! Lots, cascades, categories, products and offers for admins (JSON).

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
