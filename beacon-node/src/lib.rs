//! `ocm-beacon`'s parts: the measurement (sans-I/O window counting, a thin
//! tokio driver), the report and its transaction, and the chain link. The
//! binary (`main.rs`) wires them; the end-to-end tests reuse them.

pub mod chain;
pub mod measure;
pub mod multicast;
pub mod report;
pub mod window;
