//! The HTTP edge cache: RFC 9111 rules ([`policy`]), the memory tier
//! ([`store`]) over the optional disk tier ([`disk`]), and the caching
//! reverse proxy ([`proxy`]).

pub mod disk;
pub mod policy;
pub mod proxy;
pub mod store;
