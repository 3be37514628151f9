//! Prometheus metrics, served at `/metrics`. Each instance counts its own; Prometheus adds
//! them up across instances.
use std::sync::LazyLock;

use prometheus::{Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    /// Ballots stored, by `outcome`: `created` (a first ballot) or `replaced`.
    pub ballots_accepted: IntCounterVec,
    /// Ballots refused, by `reason` (the problem type: invalid-field, invalid-voter-code,
    /// wrong-phase, rate-limited, …).
    pub ballots_rejected: IntCounterVec,
    /// Request latency in seconds, by method, route pattern and status class.
    pub request_seconds: HistogramVec,
    /// Ballots written per transaction (group commit; 1 when ballots arrive one at a time).
    pub ballot_batch_size: Histogram,
    /// Seconds to write one such batch, commit included: the database's side of a ballot.
    pub ballot_batch_seconds: Histogram,
    /// Meeting streams (projectors, phones, consoles) open on this instance.
    pub streams_open: IntGauge,
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new_custom(Some("pbvote".into()), None).expect("valid prefix");
    let ballots_accepted = IntCounterVec::new(Opts::new("ballots_accepted_total", "Ballots stored"), &["outcome"]).expect("valid metric");
    let ballots_rejected =
        IntCounterVec::new(Opts::new("ballots_rejected_total", "Ballots refused, by reason"), &["reason"]).expect("valid metric");
    let request_seconds = HistogramVec::new(
        HistogramOpts::new("http_request_duration_seconds", "HTTP request latency")
            .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
        &["method", "route", "status"],
    )
    .expect("valid metric");
    let ballot_batch_size = Histogram::with_opts(
        HistogramOpts::new("ballot_batch_size", "Ballots written per transaction").buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
    )
    .expect("valid metric");
    let ballot_batch_seconds = Histogram::with_opts(
        HistogramOpts::new("ballot_batch_seconds", "Seconds to write a batch of ballots, commit included")
            .buckets(vec![0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0]),
    )
    .expect("valid metric");
    registry.register(Box::new(ballots_accepted.clone())).expect("registers once");
    registry.register(Box::new(ballots_rejected.clone())).expect("registers once");
    registry.register(Box::new(request_seconds.clone())).expect("registers once");
    registry.register(Box::new(ballot_batch_size.clone())).expect("registers once");
    registry.register(Box::new(ballot_batch_seconds.clone())).expect("registers once");
    let streams_open = IntGauge::new("meeting_streams_open", "Meeting streams open on this instance").expect("valid metric");
    registry.register(Box::new(streams_open.clone())).expect("registers once");
    Metrics { registry, ballots_accepted, ballots_rejected, request_seconds, ballot_batch_size, ballot_batch_seconds, streams_open }
});

impl Metrics {
    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }
}
