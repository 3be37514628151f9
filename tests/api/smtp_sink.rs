//! A local SMTP sink for the tests: a small tokio server that speaks enough SMTP for a
//! client to hand it mail (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS, no
//! AUTH) and keeps every message it was given. One per test, on a port of its own.
//! (Also used by `tests/logs.rs`, which needs only part of it.)
#![allow(dead_code)]
use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (CRLF line ends, dot-stuffing undone).
    pub data: String,
}

impl Mail {
    /// The body, with quoted-printable undone when the message uses it.
    pub fn text(&self) -> String {
        let (headers, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", &self.data));
        if !headers.to_ascii_lowercase().contains("content-transfer-encoding: quoted-printable") {
            return body.to_owned();
        }
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The voter code in the message (`XXXX-XXXX-XXXX`), if there is one.
    pub fn code(&self) -> Option<String> {
        let text = self.text();
        let alphabet = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit();
        text.split(|c: char| !(alphabet(c) || c == '-'))
            .find(|w| w.len() == 14 && w.split('-').count() == 3 && w.split('-').all(|p| p.len() == 4))
            .map(str::to_owned)
    }
}

pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// A sink on a free port.
    pub async fn start() -> SmtpSink {
        SmtpSink::on(0).await
    }

    /// A sink on a given port (one a test kept free for it).
    pub async fn on(port: u16) -> SmtpSink {
        SmtpSink::serving(port, false).await
    }

    /// A sink that refuses every recipient for good (`550 no such user`), as a mail server
    /// does for an address it has no mailbox for.
    pub async fn refusing_recipients() -> SmtpSink {
        SmtpSink::serving(0, true).await
    }

    async fn serving(port: u16, refuse: bool) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("the sink listens");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, kept.clone(), refuse));
            }
        });
        SmtpSink { port, mails, task }
    }

    /// `PBVOTE_SMTP_URL` for this sink (plain SMTP: it offers no STARTTLS).
    pub fn url(&self) -> String {
        url_for(self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn url_for(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}?tls=none")
}

/// A port nothing listens on (bound, then let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn serve(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>, refuse: bool) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink.test ESMTP test sink\r\n").await.is_err() {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            from = command[command.len() - rest.len()..].trim().trim_start_matches('<').split('>').next().unwrap_or("").to_owned();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") && refuse {
            b"550 5.1.1 no such user here\r\n"
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            to.push(command[command.len() - rest.len()..].trim().trim_start_matches('<').split('>').next().unwrap_or("").to_owned());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            mails.lock().unwrap().push(Mail { from: from.clone(), to: std::mem::take(&mut to), data });
            b"250 OK: queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
