//! Pallet configuration, one module per concern.

mod governance;
mod system;

pub use governance::*;
pub use system::*;
