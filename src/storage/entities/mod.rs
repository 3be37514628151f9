//! Table definitions, one module per table, mirroring the migrations exactly and holding
//! nothing else (the `_entities` convention): queries live in the sibling modules of
//! `storage`, and nothing outside `storage` sees these types.
pub mod audit_head;
pub mod audit_log;
pub mod ballots;
pub mod code_batches;
pub mod consultations;
pub mod decisions;
pub mod device_tokens;
pub mod invitations;
pub mod meeting_events;
pub mod meeting_joins;
pub mod meeting_officers;
pub mod meeting_results;
pub mod meetings;
pub mod paper_entries;
pub mod proposals;
pub mod rate_limits;
pub mod receipts;
pub mod registrations;
pub mod roll_entries;
pub mod services;
pub mod sessions;
pub mod stored_results;
pub mod updates;
pub mod users;
pub mod voter_codes;
