//! The HTTP API, driven the way a client meets it. Runs on SQLite by default and on
//! PostgreSQL when TEST_DATABASE_URL is set.
mod accounts;
mod audit;
mod ballots;
mod code_batches;
mod consultations;
mod display_text;
mod guessing;
mod hardening;
mod helpers;
mod meetings;
mod openapi;
mod operations;
mod registrations;
mod results;
mod review;
mod roles;
mod rolls;
mod secrecy;
mod service_users;
mod slow_clients;
mod smtp_sink;
mod staff_accounts;
mod staff_auth;
