//! Two-step sign-in with an authenticator app: RFC 6238 time-based codes (6 digits, 30 s,
//! SHA-1, one step either side allowed), with the `totp-rs` crate.
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

/// A new secret: 160 random bits (RFC 4226's recommended length).
pub fn new_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// The secret as an authenticator app takes it by hand: base32, no padding.
pub fn base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` address an authenticator app reads (as a QR code or pasted).
pub fn otpauth_url(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret.to_vec()).ok()
}

/// Whether `code` (spaces allowed) is the secret's code now, or one step before or after.
pub fn check(secret: &[u8], code: &str) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && totp(secret).and_then(|t| t.check_current(&code).ok()).unwrap_or(false)
}

/// The time step (Unix time / 30) whose code `code` is: now, or one step before or after.
/// Sign-in spends it (`storage::accounts::spend_totp_step`), so a code works once.
pub fn matching_step(secret: &[u8], code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // No skew here: each step is tried on its own (the check compares in constant time).
    let exact = TOTP::new(Algorithm::SHA1, 6, 0, 30, secret.to_vec()).ok()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let step = (now / 30) as i64;
    [step - 1, step, step + 1].into_iter().find(|s| *s >= 0 && exact.check(&code, (*s as u64) * 30))
}

/// The code now (for tests and the demo).
pub fn current(secret: &[u8]) -> Option<String> {
    totp(secret)?.generate_current().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_checks_and_a_wrong_one_does_not() {
        let secret = new_secret();
        let code = current(&secret).unwrap();
        assert!(check(&secret, &code));
        assert!(check(&secret, &format!("{} {}", &code[..3], &code[3..])));
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 500_000) % 1_000_000);
        assert!(!check(&secret, &wrong));
        assert!(!check(&secret, "12345"));
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / 30;
        let step = matching_step(&secret, &code).expect("the code now has a step");
        assert!((now - 1..=now).contains(&step), "{step} against {now}");
        assert_eq!(matching_step(&secret, &wrong), None);
        assert_eq!(base32(&secret).len(), 32);
        assert!(otpauth_url("pbvote", "ann@council.example", &secret).starts_with("otpauth://totp/pbvote:ann@council.example?secret="));
    }

    /// RFC 6238's SHA-1 test vector (the 20-byte ASCII secret "12345678901234567890").
    #[test]
    fn rfc_6238_test_vector() {
        let t = TOTP::new(Algorithm::SHA1, 8, 1, 30, b"12345678901234567890".to_vec()).unwrap();
        assert_eq!(t.generate(59), "94287082");
    }
}
