//! Accounts and credentials: passwords, the acting principal, sessions, CSRF, login limits,
//! single-use links and API tokens.

pub mod api_client;
pub mod csrf;
pub mod jwt;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod session;
pub mod tokens;

pub use principal::Principal;
