//! The pallet's logic, one concern per module; `lib.rs` only declares.

mod beacon;
mod epoch;
mod report;
pub use report::signing_payload;
mod try_state;
