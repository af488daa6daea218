//! Tokio drivers for the state machines: thin loops that move datagrams
//! and time between sockets and [`crate::relay::Relay`] or
//! [`crate::gateway::Gateway`], and the few socket options they need.

pub mod gateway;
pub mod relay;
pub mod sys;
