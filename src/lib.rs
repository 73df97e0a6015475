//! centrale: a central purchasing e-shop for public procurement. Framework contracts are
//! split into lots, each with a cascade of up to five ranked suppliers; registered
//! institutions order from a bilingual catalogue and each order goes to the first supplier of
//! the cascade able to serve it.

pub mod accounts;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod catalogue;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod i18n;
pub mod mail;
pub mod membership;
pub mod memory;
pub mod open_data;
pub mod ordering;
pub mod overview;
pub mod parties;
pub mod reports;
pub mod startup;
pub mod telemetry;
pub mod templating;
pub mod ubl;
pub mod validation;
pub mod web;
pub mod webhooks;
pub mod worker;
