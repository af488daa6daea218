//! The disk tier with real processes: objects survive a relay restart
//! (served as hits without asking the origin again) and the tier keeps its
//! configured size on disk.

mod common;

use bytes::Bytes;
use common::Relay;
use http_body_util::Full;
use std::{
	path::Path,
	process::Command,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

const OBJECT: usize = 100_000;

fn get(relay: &Relay, path: &str) -> (String, Vec<u8>) {
	let out = Command::new("curl")
		.args(["-sS", "--max-time", "20", "-D", "-", "-H", "Host: video.test"])
		.arg(relay.url(path))
		.output()
		.unwrap();
	let split = out.stdout.windows(4).position(|w| w == b"\r\n\r\n").expect("headers") + 4;
	(String::from_utf8_lossy(&out.stdout[..split]).to_lowercase(), out.stdout[split..].to_vec())
}

fn entries(dir: &Path) -> (usize, u64) {
	std::fs::read_dir(dir)
		.unwrap()
		.flatten()
		.filter(|e| e.file_name().to_string_lossy().ends_with(".entry"))
		.fold((0, 0), |(n, bytes), e| (n + 1, bytes + e.metadata().unwrap().len()))
}

#[test]
fn objects_survive_a_restart_and_the_tier_keeps_its_size() {
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let asked = Arc::new(AtomicUsize::new(0));
	let counter = asked.clone();
	let origin = common::start_origin(&runtime, move |request| {
		let counter = counter.clone();
		async move {
			counter.fetch_add(1, Ordering::SeqCst);
			let n = request.uri().path().bytes().last().unwrap_or(b'0');
			Ok(hyper::Response::builder()
				.header("cache-control", "max-age=3600")
				.header("content-type", "video/mp2t")
				.body(Full::new(Bytes::from(vec![n; OBJECT])))
				.unwrap())
		}
	});
	let dir = tempfile::tempdir().unwrap();
	let disk = dir.path().join("cache");
	let args = [
		"--origin".to_string(),
		format!("video.test=http://127.0.0.1:{origin}"),
		"--cache-disk-dir".into(),
		disk.to_str().unwrap().into(),
		"--cache-disk-bytes".into(),
		(3 * OBJECT + 10_000).to_string(),
	];
	let args: Vec<&str> = args.iter().map(String::as_str).collect();

	let relay = Relay::start(&args);
	let (head, body) = get(&relay, "/seg/1");
	assert!(head.contains("x-cache: miss"), "{head}");
	assert_eq!(body, vec![b'1'; OBJECT]);
	// The disk write runs beside the response.
	let deadline = Instant::now() + Duration::from_secs(10);
	while entries(&disk).0 == 0 {
		assert!(Instant::now() < deadline, "no entry written");
		std::thread::sleep(Duration::from_millis(20));
	}
	drop(relay);

	let relay = Relay::start(&args);
	let (head, body) = get(&relay, "/seg/1");
	assert!(head.contains("x-cache: hit"), "served from disk after the restart: {head}");
	assert_eq!(body, vec![b'1'; OBJECT]);
	assert_eq!(asked.load(Ordering::SeqCst), 1, "the origin was asked once");

	// Eight objects into room for three: the tier evicts down to its size.
	for n in 2..=9 {
		get(&relay, &format!("/seg/{n}"));
	}
	std::thread::sleep(Duration::from_millis(300));
	let metrics = Command::new("curl").args(["-sS", &relay.url("/metrics")]).output().unwrap();
	let metrics = String::from_utf8_lossy(&metrics.stdout);
	let indexed: u64 = metrics
		.lines()
		.find(|l| !l.starts_with('#') && l.contains("cache_disk_bytes"))
		.and_then(|l| l.split_whitespace().last()?.parse().ok())
		.expect("cache_disk_bytes in /metrics");
	let (files, bytes) = entries(&disk);
	assert!(indexed <= (3 * OBJECT + 10_000) as u64, "{indexed}");
	assert!(bytes <= (3 * OBJECT + 10_000) as u64, "{files} files, {bytes} bytes on disk");
	assert!(files >= 1);
}
