//! OCM's end-to-end tests: each starts its own real `ocm-node` processes on
//! free loopback ports and talks to them over RPC. One test binary, so that
//! cargo runs them in parallel: they spend most of their time waiting for
//! blocks.

mod audit;
mod beacon;
mod board;
mod capacity;
mod governance;
mod local_testnet;
mod multicast;
mod node;
mod pob;
mod relay;
mod router;
mod settlement;
mod signing;
