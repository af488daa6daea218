//! Weights of the runtime's pallets, measured on OCM's reference machine by
//! `./scripts/benchmark` (FRAME benchmarks through frame-omni-bencher).
//! Pallets without a file here charge polkadot-sdk's published weights.

pub mod frame_system;
pub mod pallet_balances;
pub mod pallet_collective;
pub mod pallet_timestamp;
