//! Suppliers and their API clients.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
