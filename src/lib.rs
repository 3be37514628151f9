//! pbvote: participatory budgeting with ranked WANT / DON'T WANT ballots, where the users
//! of a service have a protected say on proposals that touch it.
//!
//! A map for newcomers:
//! - [`tally`] (the `tally/` crate): the counting rule, pure and exact.
//! - [`domain`]: small types that cannot hold bad values (voter codes, amounts, ids).
//! - [`model`]: the service's data as plain structs.
//! - [`storage`]: the database (the only module that imports sea-orm).
//! - [`routes`]: the HTTP API (with [`startup`], the only modules that import actix-web).
//! - [`voting`], [`results`], [`meetings`], [`demo`]: what the service does, between HTTP and
//!   storage.
//! - [`audit`]: the audit record's hash chain (every staff action, append-only).
//! - [`security`]: password hashing and keyed hashes.
//! - [`cli`]: the `pbvote` command.
pub use pbvote_tally as tally;

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod errors;
pub mod mail;
pub mod meetings;
pub mod metrics;
pub mod model;
pub mod public_page;
pub mod qr;
pub mod rate_limit;
pub mod results;
pub mod review;
pub mod review_files;
pub mod rolls;
pub mod routes;
pub mod security;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod voting;
