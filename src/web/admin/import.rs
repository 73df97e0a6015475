//! Catalogue import from CSV or XLSX: upload, preview, apply.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
