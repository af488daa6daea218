//! Request routing for OCM, sans I/O.
//!
//! A player (or an upstream CDN on its behalf) asks for a delivery
//! contract's host; the router answers with the best Active relay for the
//! client's address:
//!
//! 1. [`table`]: the relays that serve each contract's hosts, indexed by
//!    footprint. A client matches the longest CIDR prefix first, then its
//!    network's ASN, then its country ([`table::Client`]); a tier with no
//!    healthy relay falls through to the next.
//! 2. Within the best tier, the relay with the most spare capacity: the
//!    load this router sent it lately ([`load`]) against the capacity it
//!    offers that footprint (its claim, capped by what proof of bandwidth
//!    verified).
//! 3. Relays that fail their health probes ([`health`]) get no players.
//!
//! [`redirection`] reads and writes RFC 7975's redirection messages,
//! [`fci`] merges relays' RFC 8008 advertisements into the marketplace's,
//! and [`control`] reads RFC 8007 trigger commands (purge, preposition).
//! No clock, no sockets: `ocm-router` drives them.

pub mod control;
pub mod fci;
pub mod health;
pub mod load;
pub mod prefix;
pub mod redirection;
pub mod table;

pub use table::{Client, Route, RouteError, Table};
