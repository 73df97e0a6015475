//! Accounts and credentials: passwords, the acting principal, sessions and API tokens.

pub mod api_client;
pub mod jwt;
pub mod password;
pub mod principal;

pub use principal::Principal;
