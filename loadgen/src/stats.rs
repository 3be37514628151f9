//! Latency histograms and status counts, merged from every worker.
use std::{collections::BTreeMap, time::Duration};

use hdrhistogram::Histogram;

/// What one worker (or all of them, merged) saw.
pub struct Tally {
    /// Latency of every request that got an answer, in microseconds.
    pub latency: Histogram<u64>,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused, timeout…), by kind.
    pub transport: BTreeMap<String, u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            // 1 µs to 120 s, 3 significant figures.
            latency: Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid bounds"),
            statuses: BTreeMap::new(),
            transport: BTreeMap::new(),
        }
    }
}

impl Tally {
    pub fn record(&mut self, took: Duration, status: u16) {
        let us = (took.as_micros() as u64).clamp(1, 120_000_000);
        self.latency.saturating_record(us);
        *self.statuses.entry(status).or_default() += 1;
    }

    pub fn failed(&mut self, err: &reqwest::Error) {
        // The whole chain of causes: hyper's "connection closed before message completed"
        // (a kept-alive connection the server closed as it was reused) is only in a source.
        let mut chain = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            chain.push_str(&format!(": {s}"));
            source = s.source();
        }
        let kind = if err.is_timeout() {
            "timeout"
        } else if err.is_connect() {
            "connect"
        } else if chain.contains("connection closed before message completed") || chain.contains("IncompleteMessage") {
            "closed"
        } else {
            "other"
        };
        *self.transport.entry(kind.to_owned()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        self.latency.add(&other.latency).expect("same bounds");
        for (k, v) in &other.statuses {
            *self.statuses.entry(*k).or_default() += v;
        }
        for (k, v) in &other.transport {
            *self.transport.entry(k.clone()).or_default() += v;
        }
    }

    /// Answers with a 2xx status.
    pub fn ok(&self) -> u64 {
        self.statuses.iter().filter(|(s, _)| (200..300).contains(*s)).map(|(_, n)| n).sum()
    }

    pub fn ms(&self, quantile: f64) -> f64 {
        if self.latency.is_empty() {
            return f64::NAN;
        }
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        if self.latency.is_empty() {
            return f64::NAN;
        }
        self.latency.max() as f64 / 1000.0
    }

    /// `201:100 409:3 timeout:1`, or `none`.
    pub fn error_list(&self) -> String {
        let mut parts: Vec<String> =
            self.statuses.iter().filter(|(s, _)| !(200..300).contains(*s)).map(|(s, n)| format!("{s}:{n}")).collect();
        parts.extend(self.transport.iter().map(|(k, n)| format!("{k}:{n}")));
        if parts.is_empty() { "none".into() } else { parts.join(",") }
    }

    /// Human lines plus one `RESULT` line of key=value pairs for scripts.
    pub fn report(&self, kind: &str, elapsed: Duration, extra: &[(&str, String)]) {
        let secs = elapsed.as_secs_f64();
        let ok = self.ok();
        let rate = ok as f64 / secs.max(1e-9);
        println!(
            "{kind}: {ok} ok in {secs:.2} s = {rate:.0}/s; latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}; errors {}",
            self.ms(0.50),
            self.ms(0.90),
            self.ms(0.99),
            self.max_ms(),
            self.error_list()
        );
        let mut line = format!(
            "RESULT kind={kind} ok={ok} secs={secs:.3} rate={rate:.1} p50={:.3} p90={:.3} p99={:.3} max={:.3} errors={}",
            self.ms(0.50),
            self.ms(0.90),
            self.ms(0.99),
            self.max_ms(),
            self.error_list()
        );
        for (k, v) in extra {
            line.push_str(&format!(" {k}={v}"));
        }
        println!("{line}");
    }
}
