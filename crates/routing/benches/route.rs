//! Routing decisions per second: a table of 1,000 relays over 256 /16s,
//! ASNs and countries, each decision a longest-prefix match and a pick by
//! load per capacity.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocm_primitives::footprint::Footprint;
use ocm_routing::{
	load::LoadTracker,
	table::{RelayRecord, ServiceRecord},
	Client, Table,
};

fn table() -> Table {
	let relays: Vec<RelayRecord> = (0..1_000u32)
		.map(|id| {
			let prefix = format!("10.{}.0.0/16", id % 256);
			let fine = format!("10.{}.{}.0/24", id % 256, id % 7);
			RelayRecord {
				id,
				http: format!("http://relay{id}.example"),
				footprints: vec![
					(Footprint::parse(b"ipv4cidr", prefix.as_bytes()).unwrap(), 100 + id),
					(Footprint::parse(b"ipv4cidr", fine.as_bytes()).unwrap(), 50),
					(
						Footprint::parse(b"asn", format!("as{}", 64_500 + id % 50).as_bytes())
							.unwrap(),
						100,
					),
				],
			}
		})
		.collect();
	let services = vec![ServiceRecord {
		contract: 0,
		hosts: vec!["video.example".into()],
		relays: (0..1_000).collect(),
	}];
	Table::build(relays, &services)
}

fn bench(c: &mut Criterion) {
	let table = table();
	let mut load = LoadTracker::default();
	let mut group = c.benchmark_group("route");
	group.throughput(Throughput::Elements(1));
	let mut i = 0u32;
	group.bench_function("lpm_and_pick", |b| {
		b.iter(|| {
			i = i.wrapping_add(7919);
			let client = Client {
				address: Some(
					std::net::Ipv4Addr::new(10, (i % 256) as u8, (i % 9) as u8, 1).into(),
				),
				..Default::default()
			};
			let now = f64::from(i) * 1e-4;
			let route =
				table.route("video.example", &client, |_| true, |r| load.load(r, now)).unwrap();
			let relay = route.relay;
			load.record(relay, now);
			relay
		})
	});
	group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
