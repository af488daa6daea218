//! How fast a relay produces and a beacon verifies the PoB payload, per core.
//! The target: a beacon on one core verifies faster than a 1 Gbit/s link
//! (125 MB/s) delivers, so verification never limits a measurement.
//!
//! `cargo bench -p ocm-pob` prints throughput; the ratio against 1 Gbit/s is
//! the throughput in MB/s divided by 125.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocm_pob::payload::{PayloadStream, PayloadVerifier, StreamId};

const CHUNK: usize = 64 * 1024;

fn payload(c: &mut Criterion) {
	let id = StreamId { epoch_seed: [1; 32], relay: 7, beacon: [2; 32] };
	let stream = PayloadStream::new(&id);
	let mut buf = vec![0u8; CHUNK];
	let mut group = c.benchmark_group("pob payload (64 KiB chunks)");
	group.throughput(Throughput::Bytes(CHUNK as u64));
	let mut offset = 0u64;
	group.bench_function("relay generates", |b| {
		b.iter(|| {
			stream.fill_at(offset, &mut buf);
			offset = offset.wrapping_add(CHUNK as u64) % (1 << 40);
		})
	});
	let mut verifier = PayloadVerifier::new(&id);
	stream.fill_at(1 << 20, &mut buf);
	group.bench_function("beacon verifies", |b| b.iter(|| assert!(verifier.verify(1 << 20, &buf))));
	group.finish();
}

criterion_group!(benches, payload);
criterion_main!(benches);
