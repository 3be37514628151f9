use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{config::Secret, domain::VoterCode, errors::ParseError};

type HmacSha256 = Hmac<Sha256>;

/// The keyed hashes the database stores instead of secrets.
///
/// Two different hashes are taken of a voter code, under different labels:
/// - the **lookup hash** finds the issued code (`voter_codes.code_hash`);
/// - the **voter key** marks the ballot (`ballots.voter_key`) so a second ballot with the
///   same code replaces the first and the unique index allows only one.
///
/// Without the code, nobody — not even someone holding the database and the key — can tell
/// which issued code a ballot belongs to, so a voter roll attached to codes later cannot
/// be joined to ballot contents.
#[derive(Clone, Debug)]
pub struct Keys {
    secret: Secret,
}

impl Keys {
    pub fn new(secret: Secret) -> Self {
        Keys { secret }
    }

    fn mac(&self, label: &str, parts: &[&[u8]]) -> String {
        let mut mac = HmacSha256::new_from_slice(self.secret.expose()).expect("HMAC takes keys of any length");
        mac.update(label.as_bytes());
        for part in parts {
            // Length-prefix each part so ("ab","c") and ("a","bc") differ.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn code_lookup_hash(&self, consultation: Uuid, code: &VoterCode) -> String {
        self.mac("pbvote/voter-code/lookup/v1", &[consultation.as_bytes(), code.canonical().as_bytes()])
    }

    pub fn voter_key(&self, consultation: Uuid, code: &VoterCode) -> String {
        self.mac("pbvote/voter-code/ballot/v1", &[consultation.as_bytes(), code.canonical().as_bytes()])
    }

    /// What the database keeps of a new code: its lookup and short-link hashes.
    pub fn new_code(&self, consultation: Uuid, code: &VoterCode) -> crate::storage::voter_codes::NewCode {
        crate::storage::voter_codes::NewCode { code_hash: self.code_lookup_hash(consultation, code), link_hash: self.link_hash(code) }
    }

    /// A code's short-link hash (`voter_codes.link_hash`): the code alone, without its
    /// consultation, so `/go#CODE` can find where the code votes.
    pub fn link_hash(&self, code: &VoterCode) -> String {
        self.mac("pbvote/voter-code/link/v1", &[code.canonical().as_bytes()])
    }

    /// A code admitted to a meeting (`meeting_joins.join_hash`): a label of its own, so the
    /// table joins no other.
    pub fn join_hash(&self, meeting: Uuid, code: &VoterCode) -> String {
        self.mac("pbvote/meeting/join/v1", &[meeting.as_bytes(), code.canonical().as_bytes()])
    }

    /// The ballot key of a paper ballot whose serial is not a slip of the meeting.
    pub fn paper_key(&self, meeting: Uuid, serial: &str) -> String {
        self.mac("pbvote/meeting/paper/v1", &[meeting.as_bytes(), serial.as_bytes()])
    }

    /// What `receipts.receipt_hash` holds for a receipt: the table never holds a receipt
    /// itself, so whoever reads the database cannot check anyone's receipt.
    pub fn receipt_hash(&self, receipt: &crate::domain::Receipt) -> String {
        self.mac("pbvote/receipt/v1", &[receipt.as_str().as_bytes()])
    }

    /// What `registrations.email_hash` holds for a resident's e-mail address (its
    /// normalised form, `EmailAddress::normalised`): keyed and per consultation, so the
    /// database holds no address, and the same address in two consultations cannot be
    /// matched. The unique index on it is what allows one code per address.
    pub fn registration_hash(&self, consultation: Uuid, email: &crate::domain::EmailAddress) -> String {
        self.mac("pbvote/registration/email/v1", &[consultation.as_bytes(), email.normalised().as_bytes()])
    }

    /// The stored name of a rate-limit counter: `kind:` and a keyed hash of what is counted
    /// (an e-mail address, a client address), so the name has a fixed length (at most
    /// `kind.len() + 65` characters) and the table holds neither addresses nor e-mails.
    pub fn rate_limit_bucket(&self, kind: &str, identifier: &str) -> String {
        format!("{kind}:{}", self.mac("pbvote/rate-limit/v1", &[kind.as_bytes(), identifier.as_bytes()]))
    }

    /// The stored form of an invitation or password-reset link's token
    /// (`invitations.token_hash`).
    pub fn invitation_hash(&self, token: &DeviceToken) -> String {
        self.mac("pbvote/invitation/v1", &[token.0.as_bytes()])
    }

    /// A two-step sign-in secret as the database keeps it: a random nonce and the secret
    /// XORed with HMAC-SHA-256(key, label, account, nonce) — a one-time pad from a PRF — so a
    /// copy of the database alone cannot make sign-in codes. Hex, nonce first.
    pub fn seal_totp(&self, account: Uuid, secret: &[u8]) -> String {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let pad = self.totp_pad(account, &nonce);
        let sealed: Vec<u8> = secret.iter().zip(pad.iter()).map(|(a, b)| a ^ b).collect();
        format!("{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// The secret [`Keys::seal_totp`] sealed, if it was sealed for this account under this key's label.
    pub fn open_totp(&self, account: Uuid, sealed: &str) -> Option<Vec<u8>> {
        let bytes = hex::decode(sealed).ok()?;
        if bytes.len() <= 16 || bytes.len() > 48 {
            return None;
        }
        let (nonce, body) = bytes.split_at(16);
        let pad = self.totp_pad(account, nonce);
        Some(body.iter().zip(pad.iter()).map(|(a, b)| a ^ b).collect())
    }

    fn totp_pad(&self, account: Uuid, nonce: &[u8]) -> Vec<u8> {
        hex::decode(self.mac("pbvote/totp-seal/v1", &[account.as_bytes(), nonce])).unwrap_or_default()
    }

    /// The stored form of a known-device token (`device_tokens.token_hash`): keyed, so that a
    /// copy of the database alone cannot even tell whether a token is one of them.
    pub fn device_token_hash(&self, token: &DeviceToken) -> String {
        self.mac("pbvote/device-token/v1", &[token.0.as_bytes()])
    }
}

/// A known-device token: 256 random bits, given to a browser when it signs in to an account
/// and sent back with its next sign-in, so that strangers' wrong passwords cannot lock the
/// owner out (see `routes::auth::sign_in`). The database keeps only a keyed hash.
pub struct DeviceToken(String);

impl DeviceToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        DeviceToken(hex::encode(bytes))
    }

    /// A token as the client sent it: 64 hexadecimal digits (any case).
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let token = raw.trim().to_ascii_lowercase();
        if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(DeviceToken(token))
        } else {
            Err(ParseError("must be the device_token of an earlier sign-in (64 hexadecimal digits), or left out".into()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A sign-in token: 256 random bits, given to the client once; the database keeps its
/// SHA-256 (a fast hash is right here: the token is random, not a password).
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        SessionToken(hex::encode(bytes))
    }

    pub fn from_client(raw: &str) -> Self {
        SessionToken(raw.trim().to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// The server key when `PBVOTE_SECRET` is not set: read from `path`, or made from the
/// CSPRNG and written there (mode 0600) on first run, so restarts keep working codes.
pub fn load_or_create_key_file(path: &std::path::Path) -> anyhow::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            Secret::new(text.trim().as_bytes().to_vec()).map_err(|e| anyhow::anyhow!("the key file {} is not valid: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            let key = hex::encode(bytes);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            use std::io::Write;
            let mut file = options.open(path).map_err(|e| anyhow::anyhow!("cannot create the key file {}: {e}", path.display()))?;
            file.write_all(key.as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created a new server key");
            Secret::new(key.into_bytes())
        }
        Err(e) => Err(anyhow::anyhow!("cannot read the key file {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> Keys {
        Keys::new(Secret::new(vec![byte; 32]).unwrap())
    }

    #[test]
    fn the_two_hashes_of_a_code_differ_and_depend_on_key_and_consultation() {
        let code = VoterCode::generate();
        let c1 = Uuid::new_v4();
        let c2 = Uuid::new_v4();
        let k = keys(1);
        assert_ne!(k.code_lookup_hash(c1, &code), k.voter_key(c1, &code));
        assert_ne!(k.code_lookup_hash(c1, &code), k.code_lookup_hash(c2, &code));
        assert_ne!(k.code_lookup_hash(c1, &code), keys(2).code_lookup_hash(c1, &code));
        assert_eq!(k.code_lookup_hash(c1, &code), k.code_lookup_hash(c1, &code));
        assert!(!k.code_lookup_hash(c1, &code).contains(code.canonical()));
    }

    #[test]
    fn device_tokens_are_random_and_kept_as_a_keyed_hash() {
        let token = DeviceToken::generate();
        assert_eq!(token.expose().len(), 64);
        assert_ne!(token.expose(), DeviceToken::generate().expose());
        let again = DeviceToken::parse(&format!(" {} ", token.expose().to_uppercase())).unwrap();
        assert_eq!(keys(1).device_token_hash(&again), keys(1).device_token_hash(&token));
        assert_ne!(keys(1).device_token_hash(&token), keys(2).device_token_hash(&token));
        assert!(!keys(1).device_token_hash(&token).contains(token.expose()));
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(65)] {
            assert!(DeviceToken::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn session_tokens_are_random_and_hashed() {
        let t = SessionToken::generate();
        assert_eq!(t.expose().len(), 64);
        assert_ne!(t.hash(), t.expose());
        assert_eq!(SessionToken::from_client(t.expose()).hash(), t.hash());
    }
}
