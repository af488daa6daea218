//! The HTTP edge cache: RFC 9111 rules ([`policy`]), the memory tier
//! ([`store`]) and the caching reverse proxy ([`proxy`]).

pub mod policy;
pub mod proxy;
pub mod store;
