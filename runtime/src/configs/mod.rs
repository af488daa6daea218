//! Pallet configuration, one module per concern.

mod governance;
mod marketplace;
mod system;

pub use governance::*;
pub use marketplace::*;
pub use system::*;
