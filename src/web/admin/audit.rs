//! Every change made by admins and API clients, filterable.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
