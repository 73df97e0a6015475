//! Accounts: password hashing (and, with membership, sessions and tokens).

pub mod password;
