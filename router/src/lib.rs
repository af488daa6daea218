//! `ocm-router`: request routing for the marketplace's delivery contracts.
//!
//! - [`state`]: the routing table (rebuilt from the chain), relays' health
//!   and load, and the decisions made from them.
//! - [`http`]: players' requests (302 to a relay), RFC 7975 redirection
//!   requests from upstream CDNs, the RFC 8008 advertisement, health and
//!   metrics.
//! - [`chain`]: follows the chain's relays and contracts.
//! - [`logs`]: each contract's committed CDNi log batches.
//! - [`probe`]: probes every relay's `/healthz` each second.
//! - [`triggers`]: RFC 8007 purge and preposition, signed by the provider,
//!   sent to every relay serving the host.
//! - [`signing`]: URI Signing tokens (RFC 9246) on player redirects, with
//!   a key providers delegate to the router.
//!
//! The decisions themselves are `ocm_routing`'s, sans I/O.

pub mod chain;
pub mod http;
pub mod logs;
pub mod metadata;
pub mod probe;
pub mod signing;
pub mod state;
pub mod triggers;
