//! `ocm-devnet`: the whole marketplace on one machine in one command.
//!
//! A dev chain (or three validators), an origin with a live HLS stream, an
//! upstream relay multicasting it into a multicast network (a network
//! namespace) where an AMT relay joins it, an edge relay that receives it
//! through AMT into its cache and serves players, beacons that verify the
//! edge relay, the request router, and the provider's delivery contract.
//! [`plan`] checks the machine first; [`devnet`] brings it up in order,
//! watches it, and takes it down; [`supervisor`] makes sure no process
//! outlives it.

pub mod board;
pub mod calls;
pub mod devnet;
pub mod namespace;
pub mod origin;
pub mod plan;
pub mod supervisor;
