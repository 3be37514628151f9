//! Sending e-mail: a resident's voter code when they register themselves
//! (`PBVOTE_SMTP_URL`, `PBVOTE_MAIL_FROM`). SMTP through `lettre`, on tokio with rustls.
//!
//! Nothing here logs a recipient's address or a message: an SMTP error is reported by its
//! kind and reply code only (a server's reply text often repeats the address).
use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

use crate::{config::MailSettings, domain::EmailAddress, errors::AppError};

/// How long one message may take to hand to the mail server (connect, TLS, the whole
/// exchange). A resident waits for it, so it is short: past it they are told to try again.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why a message was not sent.
#[derive(Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// The mail server refused the recipient for good (a 5xx reply such as 550 "no such
    /// user"): the address is wrong.
    Refused,
    /// Anything else: the server cannot be reached, timed out, refused us for now (4xx), or
    /// refused our sign-in. Trying again later may work.
    Unavailable,
}

impl Mailer {
    /// The mailer of these settings: the URL and the sender are checked here (at start-up),
    /// naming the setting that is wrong. Nothing connects until the first message.
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let url = transport_url(settings.smtp_url.expose_str());
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| {
                anyhow::anyhow!(
                    "PBVOTE_SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…, optionally with ?tls=required, ?tls=opportunistic or ?tls=none: {e}"
                )
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from: Mailbox = settings.from.parse().map_err(|e| {
            anyhow::anyhow!("PBVOTE_MAIL_FROM must be an address such as \"Riverside Council <vote@riverside.gov.uk>\": {e}")
        })?;
        Ok(Mailer { transport, from })
    }

    /// Send one plain-text message. Logs the failure's kind, never the address.
    pub async fn send(&self, to: &EmailAddress, subject: &str, body: String) -> Result<(), SendFailure> {
        let address = lettre::Address::new(to.local(), to.domain()).map_err(|_| SendFailure::Refused)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, address))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| {
                tracing::error!(error = %e, "could not build an e-mail");
                SendFailure::Unavailable
            })?;
        // The transport's own timeout covers each step; this bounds the whole exchange.
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                let code = e.status().map(u16::from);
                let refused = e.is_permanent() && matches!(code, Some(501 | 550 | 551 | 553));
                tracing::warn!(
                    smtp_code = code,
                    transient = e.is_transient(),
                    permanent = e.is_permanent(),
                    timeout = e.is_timeout(),
                    tls = e.is_tls(),
                    "an e-mail could not be sent"
                );
                Err(if refused { SendFailure::Refused } else { SendFailure::Unavailable })
            }
            Err(_) => {
                tracing::warn!(timeout = true, "an e-mail could not be sent within {} s", SEND_TIMEOUT.as_secs());
                Err(SendFailure::Unavailable)
            }
        }
    }
}

impl SendFailure {
    /// What the resident is told. Nothing was kept, so they can try again.
    pub fn into_error(self) -> AppError {
        match self {
            SendFailure::Refused => AppError::invalid(
                "email",
                "our mail server could not deliver to this address, so no code was made: please check it, or use another address",
            ),
            SendFailure::Unavailable => AppError::Unavailable {
                detail: "we could not send the e-mail just now, so no code was made; please try again in a few minutes".into(),
            },
        }
    }
}

/// The URL for lettre: `smtp://` without `tls=` tries STARTTLS when the server offers it
/// (lettre's `opportunistic`); `?tls=none` is plain SMTP (a relay on the same host);
/// `?tls=required` insists on STARTTLS; `smtps://` is TLS from the start.
fn transport_url(url: &str) -> String {
    if !url.starts_with("smtp://") {
        return url.to_owned();
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let tls = pairs.iter().find_map(|p| p.strip_prefix("tls="));
    let others: Vec<&str> = pairs.iter().copied().filter(|p| !p.starts_with("tls=")).collect();
    let tls = match tls {
        None => Some("opportunistic"),
        Some("none") => None,
        Some(other) => Some(other),
    };
    let mut query: Vec<String> = others.iter().map(|p| p.to_string()).collect();
    if let Some(tls) = tls {
        query.push(format!("tls={tls}"));
    }
    if query.is_empty() { base.to_owned() } else { format!("{base}?{}", query.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_try_starttls_unless_told_not_to() {
        assert_eq!(transport_url("smtp://mail.example.org:587"), "smtp://mail.example.org:587?tls=opportunistic");
        assert_eq!(transport_url("smtp://127.0.0.1:2525?tls=none"), "smtp://127.0.0.1:2525");
        assert_eq!(transport_url("smtp://u:p@mail.example.org?tls=required"), "smtp://u:p@mail.example.org?tls=required");
        assert_eq!(transport_url("smtps://u:p@mail.example.org"), "smtps://u:p@mail.example.org");
    }

    #[test]
    fn bad_settings_are_named() {
        let settings = |url: &str, from: &str| MailSettings::new(url, from).unwrap();
        let err = Mailer::new(&settings("ftp://mail.example.org", "vote@example.org")).err().unwrap().to_string();
        assert!(err.contains("PBVOTE_SMTP_URL"), "{err}");
        let err = Mailer::new(&settings("smtp://mail.example.org", "not an address")).err().unwrap().to_string();
        assert!(err.contains("PBVOTE_MAIL_FROM"), "{err}");
        assert!(Mailer::new(&settings("smtps://u:p@mail.example.org", "Riverside Council <vote@riverside.gov.uk>")).is_ok());
    }

    #[test]
    fn every_address_the_domain_type_takes_is_one_lettre_takes() {
        for raw in ["ann@example.org", "O'Brien+vote@Mail.Example.ORG", "a.b-c_d~e@xn--bcher-kva.example", "x!#$%&*/=?^`{|}@e.co"] {
            let a = EmailAddress::parse(raw).unwrap();
            assert!(lettre::Address::new(a.local(), a.domain()).is_ok(), "{raw}");
        }
    }
}
