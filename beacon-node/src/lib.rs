//! `ocm-beacon`'s parts: the measurement (sans-I/O window counting, a thin
//! tokio driver), the report and its transaction, the chain link, and
//! delivery audits. The binary (`main.rs`) wires them; the end-to-end tests
//! reuse them.

pub mod audit;
pub mod chain;
pub mod measure;
pub mod multicast;
pub mod report;
pub mod window;
