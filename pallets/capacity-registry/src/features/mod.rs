//! The pallet's call logic, one concern per module; `lib.rs` keeps only the
//! call signatures, origins and weights.

pub mod judging;
pub mod provider;
pub mod query;
pub mod relay;
#[cfg(any(feature = "try-runtime", test))]
pub mod try_state;
