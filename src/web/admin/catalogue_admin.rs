//! Lots, cascades, categories, products and supplier offers, as the authority edits them.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
