//! The domain, server-side only. Server functions and REST handlers call these functions and
//! nothing else writes: each write runs in one transaction from `Db::begin` and appends its audit
//! events in that same transaction. Every operation takes a `Caller` and authorises it itself.
//!
//! Tiers: `directory` serves the Account tier (the one directory of identities, Tenant pages);
//! `identities`, `assignments`, `catalog`, `hierarchy`, `access_checks` and `api_keys` serve one
//! environment of one application (Access Control and Integrations pages, the REST API).

pub mod access_cache;
pub mod access_checks;
pub mod access_journal;
pub mod admin_auth;
pub mod admin_security;
pub mod api_keys;
pub mod applications;
pub mod assignments;
pub mod audit;
pub mod audit_log;
pub mod caller;
pub mod catalog;
pub mod clock;
pub mod csv_import;
pub mod directory;
pub mod edge_limit;
pub mod evaluate;
pub mod failpoints;
pub mod hierarchy;
pub mod idempotency;
pub mod identities;
pub mod identity_auth;
pub mod identity_passwords;
pub mod invites;
pub mod jobs;
pub mod mail;
pub mod passwords;
pub mod rate_limit;
pub mod request_id;
pub mod rows;
pub mod shared_limits;
pub mod team;
pub mod tenancy;
pub mod throttle;
pub mod tokens;
pub mod workspace;

use crate::store::Db;
use std::sync::Arc;

pub use caller::Caller;
pub use clock::{Clock, ManualClock, SystemClock};

/// Session lifetimes for dashboard admins (ASVS 5.0 V7: idle and absolute limits).
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_timeout: time::Duration,
    pub absolute_lifetime: time::Duration,
    /// `Secure` attribute on the cookie; on whenever Arbor is served over https.
    pub secure_cookie: bool,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_timeout: time::Duration::minutes(30),
            absolute_lifetime: time::Duration::hours(12),
            secure_cookie: false,
        }
    }
}

/// Everything a service needs, injected once at start-up (and replaced piece by piece in tests):
/// its parts behind one `Arc`. Every request clones it several times (the state of each router
/// layer), so a clone is one counter increment rather than one per part.
#[derive(Clone)]
pub struct Services(Arc<Parts>);

/// The parts of `Services`: read them through it (`s.db`), change them with
/// `Services::parts_mut`.
#[derive(Clone)]
pub struct Parts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub passwords: passwords::PasswordHasher,
    pub throttle: Arc<throttle::LoginThrottle>,
    pub sessions: SessionPolicy,
    pub failpoints: failpoints::FailPoints,
    /// Evaluation snapshots per environment, invalidated by every write (`audit::commit`).
    pub access_cache: Arc<access_cache::AccessCache>,
    /// When each API key's use was last written (`last_used_at` is coalesced).
    pub api_key_usage: Arc<api_keys::UsageLedger>,
    /// Requests per minute per API key (shared by the nodes: `rate_limit`).
    pub api_rate: Arc<rate_limit::RateLimiter>,
    /// Evaluation requests per minute per API key: their own budget, apart from `api_rate`.
    pub evaluate_rate: Arc<rate_limit::RateLimiter>,
    /// The URL people open (`ARBOR_PUBLIC_URL`, no trailing slash): links in email start with it.
    pub public_url: Arc<str>,
    /// Woken after every commit so queued email leaves at once rather than at the next poll.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// Identity sign-in: lifetimes, lockout, answer floor.
    pub identity_sessions: identity_auth::IdentitySessionPolicy,
    /// Failed identity logins per client address.
    pub identity_login_limit: Arc<throttle::AddressLimiter>,
    /// Forgot-password and resend-verification requests per client address.
    pub identity_mail_limit: Arc<throttle::AddressLimiter>,
    /// Admin forgot-password requests per client address and per email.
    pub admin_forgot_by_address: Arc<throttle::AddressLimiter>,
    pub admin_forgot_by_email: Arc<throttle::AddressLimiter>,
    /// Proxies whose `X-Forwarded-For` names the client (`ARBOR_TRUSTED_PROXIES`): addresses or
    /// networks.
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// Whether queued mail is delivered over SMTP or held in the Dev mailbox.
    pub mail_delivery: mail::DeliveryMode,
    /// Costly unauthenticated requests (sign-up, sign-in, forgot-password, accepting an invite)
    /// per client address; the server applies it to the routes in `server::edge::LIMITED_PATHS`.
    pub edge_limit: Arc<edge_limit::EdgeLimiter>,
    /// The directory's stat cards per account, valid while the account's journal head stays.
    pub directory_cards: Arc<directory::HeadCache<crate::model::DirectorySummary>>,
    /// Each application's member count (Access Control › Identities), likewise.
    pub member_counts: Arc<directory::HeadCache<i64>>,
    /// This process among the nodes on the database: the owner of the job leases it takes.
    pub node_id: Arc<str>,
}

impl std::ops::Deref for Services {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl Services {
    pub fn new(db: Db, clock: Arc<dyn Clock>, sessions: SessionPolicy) -> Self {
        Services(Arc::new(Parts {
            db,
            clock: clock.clone(),
            passwords: passwords::PasswordHasher::new(),
            throttle: Arc::new(throttle::LoginThrottle::default()),
            sessions,
            failpoints: failpoints::FailPoints::default(),
            access_cache: Arc::default(),
            api_key_usage: Arc::default(),
            api_rate: Arc::new(rate_limit::RateLimiter::new(
                "api",
                rate_limit::DEFAULT_PER_MINUTE,
            )),
            evaluate_rate: Arc::new(rate_limit::RateLimiter::new(
                "evaluate",
                rate_limit::DEFAULT_EVALUATE_PER_MINUTE,
            )),
            public_url: Arc::from("http://127.0.0.1:3000"),
            mail_wake: Arc::default(),
            identity_sessions: identity_auth::IdentitySessionPolicy {
                secure_cookie: sessions.secure_cookie,
                ..Default::default()
            },
            identity_login_limit: Arc::new(throttle::AddressLimiter::new(
                "identity_sign_in",
                identity_auth::LOGIN_FAILURES_PER_ADDRESS,
                identity_auth::ADDRESS_WINDOW,
            )),
            identity_mail_limit: Arc::new(throttle::AddressLimiter::new(
                "identity_mail",
                identity_auth::MAIL_REQUESTS_PER_ADDRESS,
                identity_auth::ADDRESS_WINDOW,
            )),
            admin_forgot_by_address: Arc::new(throttle::AddressLimiter::new(
                "admin_forgot_address",
                admin_security::FORGOT_PER_ADDRESS,
                admin_security::FORGOT_WINDOW,
            )),
            admin_forgot_by_email: Arc::new(throttle::AddressLimiter::new(
                "admin_forgot_email",
                admin_security::FORGOT_PER_EMAIL,
                admin_security::FORGOT_WINDOW,
            )),
            trusted_proxies: Arc::from(Vec::new()),
            mail_delivery: mail::DeliveryMode::default(),
            edge_limit: Arc::new(edge_limit::EdgeLimiter::new(
                edge_limit::DEFAULT_PER_MINUTE,
                clock.clone(),
            )),
            directory_cards: Arc::default(),
            member_counts: Arc::default(),
            node_id: Arc::from(clock::uuid_v7_at(clock.now()).to_string()),
        }))
    }

    /// The parts to change while setting up (start-up, tests). A handle that was already cloned
    /// gets a copy of its own first, so no other holder sees the change.
    pub fn parts_mut(&mut self) -> &mut Parts {
        Arc::make_mut(&mut self.0)
    }

    /// The client's address for limits and records: the TCP peer, unless the peer is a trusted
    /// proxy — then the nearest `X-Forwarded-For` entry that is not one (walking from the right,
    /// as each proxy appends; entries left of an untrusted one could be forged by the client).
    pub fn client_address(
        &self,
        peer: Option<std::net::IpAddr>,
        headers: &http::HeaderMap,
    ) -> Option<String> {
        client_address_behind(&self.trusted_proxies, peer, headers)
    }

    /// An absolute link to `path_and_query` (which starts with `/`) on this Arbor.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.public_url.trim_end_matches('/'))
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// A fresh UUIDv7 whose timestamp comes from the injected clock.
    pub fn new_id(&self) -> String {
        clock::uuid_v7_at(self.clock.now()).to_string()
    }
}

/// `Services::client_address` for a given list of trusted proxies.
///
/// Every `X-Forwarded-For` line counts, in order, as one list (RFC 9110 lets a proxy add a line
/// instead of extending the last). A hop may carry a port (`192.0.2.1:443`, `[2001:db8::1]:443`).
/// A hop that cannot be read ends the walk at the trusted proxy that forwarded it: what lies to
/// its left was written by someone we cannot vouch for.
pub fn client_address_behind(
    trusted_proxies: &[ipnet::IpNet],
    peer: Option<std::net::IpAddr>,
    headers: &http::HeaderMap,
) -> Option<String> {
    let peer = peer?;
    let trusted = |ip: &std::net::IpAddr| trusted_proxies.iter().any(|n| n.contains(ip));
    if !trusted(&peer) {
        return Some(peer.to_string());
    }
    let hops: Vec<Option<std::net::IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(line) => line.split(',').map(forwarded_hop).collect(),
            Err(_) => vec![None],
        })
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(hop) if trusted(hop) => client = *hop,
            Some(hop) => return Some(hop.to_string()),
            None => break,
        }
    }
    Some(client.to_string())
}

/// One `X-Forwarded-For` entry: an address, optionally with a port.
fn forwarded_hop(hop: &str) -> Option<std::net::IpAddr> {
    let hop = hop.trim();
    hop.parse()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = ["10.0.0.0/8", "2001:db8::1/128"]
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        assert_eq!(trusted.len(), 2);
        let at = |peer: &str, lines: &[&[u8]]| {
            let mut headers = http::HeaderMap::new();
            for line in lines {
                if let Ok(value) = http::HeaderValue::from_bytes(line) {
                    headers.append("x-forwarded-for", value);
                }
            }
            client_address_behind(&trusted, peer.parse::<IpAddr>().ok(), &headers)
        };
        // An untrusted peer is the client, whatever it claims.
        assert_eq!(at("203.0.113.7", &[b"1.2.3.4"]), Some("203.0.113.7".into()));
        // Behind trusted proxies: the nearest hop that is not one of them.
        assert_eq!(
            at("10.1.2.3", &[b"6.6.6.6, 198.51.100.4, 10.9.9.9"]),
            Some("198.51.100.4".into())
        );
        assert_eq!(
            at("2001:db8::1", &[b"198.51.100.5"]),
            Some("198.51.100.5".into())
        );
        // A trusted peer that forwards nothing is itself the client.
        assert_eq!(at("10.1.2.3", &[]), Some("10.1.2.3".into()));
        // Several lines are one list, in order.
        assert_eq!(
            at("10.1.2.3", &[b"6.6.6.6, 198.51.100.4", b"10.9.9.9"]),
            Some("198.51.100.4".into())
        );
        // Hops with ports.
        assert_eq!(
            at("10.1.2.3", &[b"198.51.100.6:51234, 10.9.9.9:443"]),
            Some("198.51.100.6".into())
        );
        assert_eq!(
            at("10.1.2.3", &[b"[2001:db8::7]:443"]),
            Some("2001:db8::7".into())
        );
        // An unreadable hop ends the walk at the trusted proxy that forwarded it: the forged
        // address left of it is never taken.
        assert_eq!(
            at("10.1.2.3", &[b"6.6.6.6, unknown, 10.9.9.9"]),
            Some("10.9.9.9".into())
        );
        assert_eq!(
            at("10.1.2.3", &[b"6.6.6.6", b"\xff"]),
            Some("10.1.2.3".into())
        );
        // All hops trusted: the farthest of them.
        assert_eq!(
            at("10.1.2.3", &[b"10.0.0.9, 10.0.0.8"]),
            Some("10.0.0.9".into())
        );
        let no_peer = client_address_behind(&trusted, None, &http::HeaderMap::new());
        assert_eq!(no_peer, None);
    }
}
