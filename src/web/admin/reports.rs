//! Reports for the authority and its users' council.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
