//! Which address a request came from, for rate limits.
//!
//! Without a proxy it is the TCP peer. Behind reverse proxies (`PBVOTE_TRUST_PROXY=N`), the
//! peer is the nearest proxy, and the client is further back in `X-Forwarded-For`. Each
//! proxy *appends* the address it saw (nginx's `$proxy_add_x_forwarded_for`), and keeps
//! whatever the client sent before it. So only the last N entries were written by proxies
//! we trust; anything to their left may be made up by the client, who could then pick a
//! fresh rate-limit bucket for every request. We therefore take the N-th entry from the
//! right, never the first, and ignore the `Forwarded` header, which nginx passes on as the
//! client sent it.
use actix_web::{HttpRequest, http::header::HeaderName};

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client's address (without a port), given how many proxies stand in front of us.
pub(crate) fn client_address(req: &HttpRequest, trusted_proxies: u8) -> String {
    let peer = req.peer_addr().map(|a| a.ip().to_string());
    let forwarded = req.headers().get_all(&X_FORWARDED_FOR).filter_map(|v| v.to_str().ok());
    pick(peer, forwarded, trusted_proxies)
}

/// What the outermost of `trusted_proxies` proxies wrote in a forwarding header such as
/// `X-Forwarded-Host`; `None` with no trusted proxy or no such header.
pub(crate) fn forwarded_entry(req: &HttpRequest, name: &str, trusted_proxies: u8) -> Option<String> {
    outermost(req.headers().get_all(name).filter_map(|v| v.to_str().ok()), trusted_proxies).map(str::to_owned)
}

/// The entry `trusted_proxies` hops back in a forwarding header's list (several header
/// lines are one list, in order: RFC 9110 §5.3): the N-th from the right, the one the
/// outermost trusted proxy appended; with fewer entries than hops, the leftmost (every
/// entry was then written by a trusted proxy). `None` with no trusted proxy.
fn outermost<'a>(headers: impl Iterator<Item = &'a str>, trusted_proxies: u8) -> Option<&'a str> {
    if trusted_proxies == 0 {
        return None;
    }
    let entries: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).filter(|e| !e.is_empty()).collect();
    let index = entries.len().saturating_sub(usize::from(trusted_proxies));
    entries.get(index).copied()
}

/// The client's address: from `X-Forwarded-For` behind trusted proxies, else the peer.
fn pick<'a>(peer: Option<String>, forwarded_headers: impl Iterator<Item = &'a str>, trusted_proxies: u8) -> String {
    match outermost(forwarded_headers, trusted_proxies) {
        Some(entry) => bare_address(entry),
        None => peer.unwrap_or_else(|| "unknown".to_owned()),
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80` and `::1` all name one client.
fn bare_address(entry: &str) -> String {
    if let Ok(socket) = entry.parse::<std::net::SocketAddr>() {
        return socket.ip().to_string();
    }
    if let Ok(ip) = entry.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        return ip.to_string();
    }
    // Not an address (e.g. "unknown", or an obfuscated id): still one bucket, but a bounded one.
    entry.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::pick;

    fn peer() -> Option<String> {
        Some("10.0.0.2".into())
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(pick(peer(), ["6.6.6.6"].into_iter(), 0), "10.0.0.2");
    }

    #[test]
    fn one_proxy_means_the_last_entry_which_it_appended() {
        assert_eq!(pick(peer(), ["203.0.113.9"].into_iter(), 1), "203.0.113.9");
        // The client made up the first entry; nginx appended the real one.
        assert_eq!(pick(peer(), ["1.2.3.4, 203.0.113.9"].into_iter(), 1), "203.0.113.9");
        assert_eq!(pick(peer(), ["1.2.3.4", "203.0.113.9"].into_iter(), 1), "203.0.113.9");
    }

    #[test]
    fn two_proxies_mean_the_second_entry_from_the_right() {
        // client → load balancer (appends client) → nginx (appends the balancer).
        assert_eq!(pick(peer(), ["9.9.9.9, 203.0.113.9, 10.0.0.7"].into_iter(), 2), "203.0.113.9");
        assert_eq!(pick(peer(), ["203.0.113.9"].into_iter(), 2), "203.0.113.9");
    }

    #[test]
    fn no_header_falls_back_to_the_peer() {
        assert_eq!(pick(peer(), std::iter::empty(), 1), "10.0.0.2");
        assert_eq!(pick(None, [" , "].into_iter(), 1), "unknown");
    }

    #[test]
    fn ports_and_brackets_are_dropped() {
        assert_eq!(pick(peer(), ["203.0.113.9:4711"].into_iter(), 1), "203.0.113.9");
        assert_eq!(pick(peer(), ["[2001:db8::1]:443"].into_iter(), 1), "2001:db8::1");
        assert_eq!(pick(peer(), ["[2001:db8::1]"].into_iter(), 1), "2001:db8::1");
        assert_eq!(pick(peer(), ["x".repeat(500).as_str()].into_iter(), 1).len(), 64);
    }
}
