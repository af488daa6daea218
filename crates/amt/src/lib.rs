//! Automatic Multicast Tunneling (RFC 7450), sans I/O.
//!
//! - [`message`]: the seven AMT messages, decoded without copying.
//! - [`membership`]: the IGMPv3 and MLDv2 queries and reports inside them.
//! - [`udp`]: the multicast datagrams that Multicast Data carries.
//! - [`mac`]: the relay's response MAC with a rotating secret.
//! - [`relay`]: the relay's state machine: handshakes, tunnels, groups.
//! - [`gateway`]: the gateway's: discovery, handshake, reports, refresh.
//!
//! Nothing here opens a socket or reads a clock: callers pass datagrams
//! and the time in, and send what comes out. The `tokio` feature adds
//! [`io`]: drivers on real sockets.

pub mod checksum;
pub mod gateway;
#[cfg(feature = "tokio")]
pub mod io;
pub mod mac;
pub mod membership;
pub mod message;
pub mod relay;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod udp;

pub use message::{DecodeError, Mac, Message, PORT};
