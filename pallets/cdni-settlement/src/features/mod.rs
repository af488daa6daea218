//! The pallet's call logic, one concern per module.

pub mod commit;
pub mod contract;
pub mod dispute;
pub mod obligations;
pub mod service;
pub mod settle;
pub mod signing;
pub mod try_state;
