//! Accounts and credentials: passwords, the acting principal, sessions and API tokens.

pub mod password;
pub mod principal;

pub use principal::Principal;
