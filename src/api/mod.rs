//! The JSON API under `/api/v1`. Errors are RFC 9457 problem details.

pub mod auth;
pub mod problem;
pub mod v1;
