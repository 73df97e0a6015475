//! Public open data: the OCDS release package.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
