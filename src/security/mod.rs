//! Secrets at rest: password hashing (argon2id), keyed hashes of voter codes and session
//! tokens (HMAC-SHA-256 under the server secret). Nothing here talks to the database.
mod keys;
mod passwords;
pub mod totp;

pub use keys::{DeviceToken, Keys, SessionToken, load_or_create_key_file};
pub(crate) use passwords::dummy_hash;
pub use passwords::{hash_password, verify_password};
