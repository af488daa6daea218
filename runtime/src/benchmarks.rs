//! The pallets `frame-omni-bencher` (or `ocm-node benchmark pallet`) measures
//! in this runtime; OCM's own pallets join the list as they land.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_collective, Council]
	[pallet_membership, CouncilMembership]
	[pallet_capacity_registry, CapacityRegistry]
	[pallet_ocm_governance, Governance]
	[pallet_proof_of_bandwidth, ProofOfBandwidth]
	[pallet_cdni_settlement, CdniSettlement]
);

use crate::Runtime;

impl frame_system_benchmarking::Config for Runtime {}
impl frame_benchmarking::baseline::Config for Runtime {}
