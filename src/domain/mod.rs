//! Types that parse, not validate: once you hold a `VoterCode`, an `Amount` or a `ShortId`,
//! it cannot hold a bad value. Each `parse` returns a [`ParseError`](crate::errors::ParseError)
//! in plain English; the caller adds the field name.
mod account;
mod email_address;
mod meeting;
mod money;
mod phase;
mod receipt;
mod service_users;
mod short_id;
mod text;
mod voter_code;

pub use account::{Email, Password, Role};
pub use email_address::EmailAddress;
pub use meeting::{JoinCode, MeetingPhase, PaperSerial};
pub use money::{Amount, Currency};
pub use phase::Phase;
pub use receipt::Receipt;
pub use service_users::ServiceUsers;
pub use short_id::ShortId;
pub use text::{BoundedText, Title};
pub use voter_code::VoterCode;

/// How a ballot reached us, shared with the counting rule.
pub use pbvote_tally::Channel;
/// The kind of a proposal, shared with the counting rule.
pub use pbvote_tally::ProposalKind;
