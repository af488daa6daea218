//! MAHP end to end, in network namespaces: a live HLS origin and an
//! `ocm-relay` multicast sender in a "source" namespace, an
//! `ocm-amt-relay` at the edge of the multicast network (joined to the
//! source by a veth that carries native multicast), a unicast-only "ISP"
//! namespace that routes but carries no multicast, dropping 5 % of the
//! tunnel's datagrams at random (nftables) through a shaped link (tbf), and
//! an edge `ocm-relay` whose AMT gateway receives the stream into its
//! cache. `ffmpeg` then plays the stream through the edge relay and reads
//! exactly what it reads from the origin. The AMT and ALC traffic captured
//! on the ISP link decodes in Wireshark's dissectors without errors.
//!
//! Needs root (namespaces), iproute2, nftables, ffmpeg and tshark; fails,
//! never skips, without them.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, header, Request, Response, StatusCode};
use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

fn run(args: &[&str]) -> String {
	let out = Command::new(args[0])
		.args(&args[1..])
		.output()
		.unwrap_or_else(|e| panic!("{}: {e}", args.join(" ")));
	assert!(
		out.status.success(),
		"{} failed: {}",
		args.join(" "),
		String::from_utf8_lossy(&out.stderr).trim()
	);
	String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Four namespaces in a line: source — multicast edge — ISP — edge.
struct Topology {
	names: [String; 4],
}

const SOURCE: usize = 0;
const MCAST: usize = 1;
const ISP: usize = 2;
const EDGE: usize = 3;

impl Topology {
	/// Subnets 10.78.{1,2,3}.0/24 between neighbours, in that order.
	fn new() -> Self {
		let pid = std::process::id() % 100_000;
		let names = ["s", "m", "i", "e"].map(|n| format!("mc{pid}{n}"));
		for name in &names {
			let _ = Command::new("ip").args(["netns", "del", name]).output();
			run(&["ip", "netns", "add", name]);
		}
		let topology = Self { names };
		for (i, name) in topology.names.iter().enumerate() {
			topology.exec(i, &["ip", "link", "set", "lo", "up"]);
			for (key, value) in [
				("net.ipv4.ip_forward", "1"),
				("net.ipv4.conf.all.rp_filter", "0"),
				("net.ipv4.conf.default.rp_filter", "0"),
			] {
				topology.exec(i, &["sysctl", "-qw", &format!("{key}={value}")]);
			}
			let _ = name;
		}
		// Link k joins namespace k (address .1) and k + 1 (address .2).
		for k in 0..3 {
			let (a, b) = (format!("l{k}a"), format!("l{k}b"));
			run(&[
				"ip",
				"link",
				"add",
				&a,
				"netns",
				&topology.names[k],
				"type",
				"veth",
				"peer",
				"name",
				&b,
				"netns",
				&topology.names[k + 1],
			]);
			topology.exec(k, &["ip", "addr", "add", &format!("10.78.{}.1/24", k + 1), "dev", &a]);
			topology
				.exec(k + 1, &["ip", "addr", "add", &format!("10.78.{}.2/24", k + 1), "dev", &b]);
			topology.exec(k, &["ip", "link", "set", &a, "up"]);
			topology.exec(k + 1, &["ip", "link", "set", &b, "up"]);
		}
		topology.exec(SOURCE, &["ip", "route", "add", "default", "via", "10.78.1.2"]);
		topology.exec(MCAST, &["ip", "route", "add", "default", "via", "10.78.2.2"]);
		topology.exec(ISP, &["ip", "route", "add", "10.78.1.0/24", "via", "10.78.2.1"]);
		topology.exec(EDGE, &["ip", "route", "add", "default", "via", "10.78.3.1"]);
		topology
	}

	fn exec(&self, ns: usize, args: &[&str]) -> String {
		let mut all = vec!["ip", "netns", "exec", self.names[ns].as_str()];
		all.extend_from_slice(args);
		run(&all)
	}

	fn spawn(&self, ns: usize, program: &Path, args: &[&str]) -> Killed {
		let child = Command::new("ip")
			.args(["netns", "exec", &self.names[ns]])
			.arg(program)
			.args(args)
			.env("NO_COLOR", "1")
			.stdout(Stdio::null())
			.stderr(Stdio::inherit())
			.spawn()
			.expect("spawn in namespace");
		Killed(child)
	}

	/// `ocm-relay` in namespace `ns` with `config` (TOML), one worker.
	fn start_relay(&self, ns: usize, dir: &Path, name: &str, config: &str) -> Killed {
		let path = dir.join(format!("{name}.toml"));
		std::fs::write(&path, config).unwrap();
		let logs = dir.join(format!("{name}-logs"));
		self.spawn(
			ns,
			&relay_binary(),
			&[
				"--config",
				path.to_str().unwrap(),
				"--log-dir",
				logs.to_str().unwrap(),
				"--workers",
				"1",
			],
		)
	}

	/// The sender: follows the origin's live playlist, multicasts it.
	fn start_sender(&self, dir: &Path) -> Killed {
		self.start_relay(
			SOURCE,
			dir,
			"source",
			"listen = \"127.0.0.1:8080\"\n[[multicast.send]]\nplaylist = \"http://10.78.1.1:8000/live/index.m3u8\"\n\
			 source = \"10.78.1.1\"\ngroup = \"232.7.7.7:5000\"\nrate_mbit = 50\npoll_ms = 250\n",
		)
	}

	/// The edge relay: receives the stream through the AMT relay.
	fn start_edge(&self, dir: &Path) -> Killed {
		self.start_relay(
			EDGE,
			dir,
			"edge",
			"listen = \"127.0.0.1:8080\"\n[[origins]]\nhost = \"127.0.0.1\"\nurl = \"http://10.78.1.1:8000\"\n\
			 [[multicast.receive]]\nhost = \"127.0.0.1\"\nsource = \"10.78.1.1\"\ngroup = \"232.7.7.7:5000\"\namt_relay = \"10.78.2.1:2268\"\n",
		)
	}

	/// The AMT relay, joining natively on its link to the source.
	fn start_amt_relay(&self) -> Killed {
		self.spawn(
			MCAST,
			&amt_relay_binary(),
			&[
				"--listen",
				"10.78.2.1:2268",
				"--upstream-interface",
				"l0b",
				"--data-port",
				"5000",
				"--metrics",
				"127.0.0.1:9102",
				"--log",
				"warn",
			],
		)
	}

	/// Bytes sent by interface `link` of namespace `ns`.
	fn tx_bytes(&self, ns: usize, link: &str) -> u64 {
		self.exec(ns, &["cat", &format!("/sys/class/net/{link}/statistics/tx_bytes")])
			.trim()
			.parse()
			.unwrap()
	}

	/// Runs `f` on a new thread inside namespace `ns`.
	fn thread<T: Send + 'static>(
		&self,
		ns: usize,
		f: impl FnOnce() -> T + Send + 'static,
	) -> std::thread::JoinHandle<T> {
		let path = format!("/var/run/netns/{}", self.names[ns]);
		std::thread::spawn(move || {
			let file = std::fs::File::open(&path).expect("namespace file");
			// SAFETY: a valid namespace fd; setns moves only this thread.
			let entered =
				unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&file), libc::CLONE_NEWNET) };
			assert_eq!(entered, 0, "setns: {}", std::io::Error::last_os_error());
			f()
		})
	}
}

impl Drop for Topology {
	fn drop(&mut self) {
		for name in &self.names {
			let _ = Command::new("ip").args(["netns", "del", name]).output();
		}
	}
}

struct Killed(Child);
impl Drop for Killed {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

fn ffmpeg_in(topology: &Topology, ns: usize, args: &[&str]) {
	let mut all = vec!["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"];
	all.extend_from_slice(args);
	topology.exec(ns, &all);
}

/// Requests that reached the origin: (client address, path).
type Seen = Arc<Mutex<Vec<(std::net::IpAddr, String)>>>;

/// A live origin: segment i of `dir` is published `i` seconds after the
/// first playlist request, the playlist slides over them and ends with
/// EXT-X-ENDLIST once all are out.
struct Live {
	dir: PathBuf,
	segments: Vec<String>,
	header: String,
	durations: Vec<String>,
	started: Mutex<Option<Instant>>,
	/// Set once a playlist with EXT-X-ENDLIST has been served.
	ended: std::sync::atomic::AtomicBool,
}

impl Live {
	fn playlist(&self) -> String {
		let started = *self.started.lock().unwrap().get_or_insert_with(Instant::now);
		let out = (started.elapsed().as_secs() as usize + 2).min(self.segments.len());
		let mut text = self.header.clone();
		for i in 0..out {
			text.push_str(&format!("{}\n{}\n", self.durations[i], self.segments[i]));
		}
		if out == self.segments.len() {
			text.push_str("#EXT-X-ENDLIST\n");
			self.ended.store(true, std::sync::atomic::Ordering::SeqCst);
		}
		text
	}
}

async fn serve(
	request: Request<Incoming>,
	live: Arc<Live>,
	seen: Seen,
	peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
	let path = request.uri().path().to_string();
	seen.lock().unwrap().push((peer.ip(), path.clone()));
	let name = path.trim_start_matches("/live/");
	let response = if name == "index.m3u8" {
		Response::builder()
			.header(header::CONTENT_TYPE, "application/vnd.apple.mpegurl")
			.header(header::CACHE_CONTROL, "max-age=1")
			.body(Full::new(Bytes::from(live.playlist())))
	} else if live.segments.iter().any(|s| s == name) {
		Response::builder()
			.header(header::CONTENT_TYPE, "video/mp2t")
			.header(header::CACHE_CONTROL, "max-age=3600")
			.body(Full::new(Bytes::from(std::fs::read(live.dir.join(name)).unwrap())))
	} else {
		Response::builder().status(StatusCode::NOT_FOUND).body(Full::new(Bytes::new()))
	};
	Ok(response.unwrap())
}

fn start_origin(topology: &Topology, live: Arc<Live>, seen: Seen) {
	topology.thread(SOURCE, move || {
		let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
		runtime.block_on(async move {
			let listener = tokio::net::TcpListener::bind("10.78.1.1:8000").await.unwrap();
			loop {
				let (stream, peer) = listener.accept().await.unwrap();
				let (live, seen) = (live.clone(), seen.clone());
				tokio::spawn(async move {
					let service = hyper::service::service_fn(move |r| {
						serve(r, live.clone(), seen.clone(), peer)
					});
					let _ = hyper_util::server::conn::auto::Builder::new(
						hyper_util::rt::TokioExecutor::new(),
					)
					.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
					.await;
				});
			}
		});
	});
}

/// The value of the first metric line starting with `prefix`.
fn metric(text: &str, prefix: &str) -> u64 {
	text.lines()
		.filter(|l| l.starts_with(prefix))
		.filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
		.map(|v| v as u64)
		.sum()
}

fn metrics(topology: &Topology, ns: usize) -> String {
	topology.exec(ns, &["curl", "-sS", "http://127.0.0.1:8080/metrics"])
}

fn amt_relay_binary() -> PathBuf {
	PathBuf::from(env!("CARGO_BIN_EXE_ocm-amt-relay"))
}
fn relay_binary() -> PathBuf {
	PathBuf::from(env!("CARGO_BIN_EXE_ocm-relay"))
}

/// A live origin over `seconds` of a fresh stream in `dir`/live.
fn live_stream(dir: &Path, seconds: u32) -> Arc<Live> {
	let (segments, header, durations) = make_stream(&dir.join("live"), seconds);
	Arc::new(Live {
		dir: dir.join("live"),
		segments,
		header,
		durations,
		started: Mutex::new(None),
		ended: false.into(),
	})
}

fn make_stream(dir: &Path, seconds: u32) -> (Vec<String>, String, Vec<String>) {
	std::fs::create_dir_all(dir).unwrap();
	let out = Command::new("ffmpeg")
		.args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
		// Noise keeps the bit rate near a real stream's (3 Mbit/s).
		.arg(format!("testsrc2=duration={seconds}:size=640x360:rate=25,noise=alls=30:allf=t"))
		.args(["-f", "lavfi", "-i"])
		.arg(format!("sine=frequency=440:duration={seconds}"))
		.args([
			"-c:v",
			"libx264",
			"-preset",
			"ultrafast",
			"-g",
			"25",
			"-b:v",
			"3M",
			"-maxrate",
			"3M",
			"-bufsize",
			"1M",
			"-c:a",
			"aac",
			"-f",
			"hls",
			"-hls_time",
			"1",
			"-hls_list_size",
			"0",
			"-hls_segment_filename",
		])
		.arg(dir.join("seg%03d.ts"))
		.arg(dir.join("vod.m3u8"))
		.output()
		.expect("ffmpeg (Debian package ffmpeg)");
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let vod = std::fs::read_to_string(dir.join("vod.m3u8")).unwrap();
	let mut header = String::new();
	let (mut durations, mut segments) = (Vec::new(), Vec::new());
	for line in vod.lines() {
		if line.starts_with("#EXTINF") {
			durations.push(line.to_string());
		} else if line.ends_with(".ts") {
			segments.push(line.to_string());
		} else if line.starts_with("#EXT")
			&& !line.starts_with("#EXT-X-ENDLIST")
			&& !line.starts_with("#EXT-X-PLAYLIST-TYPE")
		{
			header.push_str(line);
			header.push('\n');
		}
	}
	(segments, header, durations)
}

/// The namespaces and ports are fixed: the scenarios run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn at_5_percent_loss_fec_carries_the_stream_and_it_plays_byte_for_byte_at_the_edge() {
	let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let outcome = scenario(5);
	assert!(outcome.received >= outcome.segments, "segments come by multicast: {outcome:?}");
	assert!(outcome.repair_symbols_used > 0, "the loss was real and FEC covered it");
}

#[test]
fn at_20_percent_loss_what_fec_cannot_rebuild_is_repaired_by_unicast() {
	let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let outcome = scenario(20);
	assert!(outcome.repaired > 0, "beyond the 5 % FEC is sized for, unicast repairs: {outcome:?}");
}

#[derive(Debug)]
struct Outcome {
	segments: u64,
	received: u64,
	repaired: u64,
	repair_symbols_used: u64,
}

/// Streams through the topology with `loss` percent of the tunnel's
/// datagrams dropped; checks what every scenario must (the player reads
/// the origin's bytes, the edge fetched nothing it did not have to, the
/// capture decodes) and returns the counts.
fn scenario(loss: u32) -> Outcome {
	let loss_text = loss.to_string();
	let dir = std::env::temp_dir().join(format!("ocm-mahp-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let live = live_stream(&dir, 10);
	assert!(live.segments.len() >= 8, "{:?}", live.segments);
	let topology = Topology::new();

	// The ISP: 5 % of the tunnel's datagrams dropped, the link shaped.
	topology.exec(ISP, &["nft", "add", "table", "inet", "lossy"]);
	topology.exec(
		ISP,
		&[
			"nft",
			"add",
			"chain",
			"inet",
			"lossy",
			"forward",
			"{ type filter hook forward priority 0; }",
		],
	);
	topology.exec(
		ISP,
		&[
			"nft", "add", "rule", "inet", "lossy", "forward", "udp", "sport", "2268", "numgen",
			"random", "mod", "100", "<", &loss_text, "counter", "drop",
		],
	);
	topology.exec(
		ISP,
		&[
			"tc", "qdisc", "add", "dev", "l2a", "root", "tbf", "rate", "200mbit", "burst", "256kb",
			"latency", "50ms",
		],
	);
	let capture = dir.join("isp.pcap");
	let mut tshark = Killed(
		Command::new("ip")
			.args(["netns", "exec", &topology.names[ISP], "tshark", "-q", "-i", "l2a", "-w"])
			.arg(&capture)
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("tshark (Debian package tshark)"),
	);

	let seen = Seen::default();
	start_origin(&topology, live.clone(), seen.clone());

	let _amt = topology.start_amt_relay();
	let _edge = topology.start_edge(&dir);
	// The edge's gateway opens its tunnel and the AMT relay joins natively.
	let deadline = Instant::now() + Duration::from_secs(20);
	while Command::new("ip")
		.args([
			"netns",
			"exec",
			&topology.names[EDGE],
			"curl",
			"-sf",
			"http://127.0.0.1:8080/healthz",
		])
		.output()
		.map_or(true, |o| !o.status.success())
	{
		assert!(Instant::now() < deadline, "edge relay did not start");
		std::thread::sleep(Duration::from_millis(100));
	}
	std::thread::sleep(Duration::from_secs(2));

	let source_tx = topology.tx_bytes(SOURCE, "l0a");
	let _sender = topology.start_sender(&dir);

	// Every segment and the final playlist reach the edge's cache by
	// multicast or, where FEC could not, by unicast repair: the stream has
	// ended and the edge's count has settled.
	let objects = live.segments.len() as u64;
	let deadline = Instant::now() + Duration::from_secs(90);
	let (mut last, mut settled) = (0, 0);
	let edge = loop {
		let m = metrics(&topology, EDGE);
		let done = metric(
			&m,
			"ocm_relay_multicast_objects_total{group=\"232.7.7.7:5000\",result=\"received\"}",
		) + metric(
			&m,
			"ocm_relay_multicast_objects_total{group=\"232.7.7.7:5000\",result=\"repaired\"}",
		);
		settled = if done == last { settled + 1 } else { 0 };
		last = done;
		if live.ended.load(std::sync::atomic::Ordering::SeqCst) && done > objects && settled >= 4 {
			break m;
		}
		assert!(Instant::now() < deadline, "stream did not arrive: edge\n{m}");
		std::thread::sleep(Duration::from_millis(500));
	};
	let source = metrics(&topology, SOURCE);
	// The AMT relay's own metrics: one tunnel, the stream forwarded, nothing spoofed.
	let amt = topology.exec(MCAST, &["curl", "-sS", "http://127.0.0.1:9102/metrics"]);
	assert_eq!(metric(&amt, "ocm_amt_relay_tunnels "), 1, "{amt}");
	assert!(metric(&amt, "ocm_amt_relay_datagrams_forwarded_total") > 1000, "{amt}");
	assert_eq!(metric(&amt, "ocm_amt_relay_refused_total{reason=\"bad_mac\"}"), 0, "{amt}");
	let source_tx = topology.tx_bytes(SOURCE, "l0a") - source_tx;
	let dropped = topology.exec(ISP, &["nft", "list", "chain", "inet", "lossy", "forward"]);

	// The segments the edge asked the origin for: only repairs.
	let edge_fetches: Vec<String> = seen
		.lock()
		.unwrap()
		.iter()
		.filter(|(ip, p)| ip.to_string() == "10.78.3.2" && p.ends_with(".ts"))
		.map(|(_, p)| p.clone())
		.collect();
	let received = metric(
		&edge,
		"ocm_relay_multicast_objects_total{group=\"232.7.7.7:5000\",result=\"received\"}",
	);
	let repaired = metric(
		&edge,
		"ocm_relay_multicast_objects_total{group=\"232.7.7.7:5000\",result=\"repaired\"}",
	);
	let object_bytes = metric(&source, "ocm_relay_multicast_sent_object_bytes_total");
	let wire_bytes = metric(&source, "ocm_relay_multicast_sent_bytes_total");
	println!(
		"MAHP over AMT at {loss} % loss: {} objects sent, {received} rebuilt from multicast, {repaired} repaired by unicast \
		 ({} segment fetches at the origin from the edge); {} FEC repair symbols used; sender wire bytes {:.1} % over \
		 object bytes; the source link carried {source_tx} bytes (multicast, and the origin's unicast repairs) for {object_bytes} bytes of objects; ISP nft: {}",
		metric(&source, "ocm_relay_multicast_sent_objects_total"),
		edge_fetches.len(),
		metric(&edge, "ocm_relay_multicast_repair_symbols_used_total"),
		(wire_bytes as f64 / object_bytes as f64 - 1.0) * 100.0,
		dropped.lines().find(|l| l.contains("drop")).unwrap_or("").trim(),
	);
	assert!(
		edge_fetches.len() as u64 <= repaired,
		"the edge fetched only what it repaired: {edge_fetches:?}"
	);

	// A player through the edge reads what it reads from the origin.
	let out = dir.join("out");
	std::fs::create_dir_all(&out).unwrap();
	let direct = out.join("direct.ts");
	let through = out.join("edge.ts");
	ffmpeg_in(
		&topology,
		SOURCE,
		&[
			"-i",
			"http://10.78.1.1:8000/live/index.m3u8",
			"-c",
			"copy",
			"-f",
			"mpegts",
			direct.to_str().unwrap(),
		],
	);
	let before = seen.lock().unwrap().len();
	ffmpeg_in(
		&topology,
		EDGE,
		&[
			"-i",
			"http://127.0.0.1:8080/live/index.m3u8",
			"-c",
			"copy",
			"-f",
			"mpegts",
			through.to_str().unwrap(),
		],
	);
	let (direct, through) = (std::fs::read(direct).unwrap(), std::fs::read(through).unwrap());
	assert!(through.len() > 500_000, "{} bytes played", through.len());
	assert!(through == direct, "the player read other bytes through the edge");
	let played_from_origin: Vec<String> = seen.lock().unwrap()[before..]
		.iter()
		.filter(|(_, p)| p.ends_with(".ts"))
		.map(|(_, p)| p.clone())
		.collect();
	assert!(
		played_from_origin.is_empty(),
		"segments came from the edge's cache: {played_from_origin:?}"
	);

	// Wireshark's AMT and ALC dissectors read the capture without errors.
	let _ = tshark.0.kill();
	let _ = tshark.0.wait();
	std::thread::sleep(Duration::from_millis(300));
	let read = |filter: &str| {
		let out = Command::new("tshark")
			.args(["-r"])
			.arg(&capture)
			.args(["-d", "udp.port==5000,alc", "-Y", filter])
			.output()
			.unwrap();
		assert!(out.status.success(), "tshark: {}", String::from_utf8_lossy(&out.stderr));
		String::from_utf8_lossy(&out.stdout).lines().count()
	};
	let amt = read("amt");
	let alc = read("alc");
	let fdt = read("xml");
	// Only the project's protocols: repairs carry MPEG-TS over HTTP, whose
	// continuity counters jump between segments by design.
	let bad = read("(udp.port == 2268) && (_ws.malformed || _ws.expert.severity >= error)");
	println!("tshark: {amt} AMT frames, {alc} ALC, {fdt} FDT (XML), {bad} malformed or in error");
	assert!(amt > 100 && alc > 100 && fdt > 0, "{amt} {alc} {fdt}");
	assert_eq!(bad, 0, "frames Wireshark calls malformed");
	let _ = std::fs::remove_dir_all(&dir);
	Outcome {
		segments: objects,
		received,
		repaired,
		repair_symbols_used: metric(&edge, "ocm_relay_multicast_repair_symbols_used_total"),
	}
}

/// One stream to `n` AMT gateways in the edge namespace (no loss): bytes
/// out of the sender's link, out of the AMT relay's link to the ISP, and
/// the fewest bytes any gateway received, with the objects' bytes.
fn egress_run(n: usize) -> (u64, u64, u64, u64) {
	use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
	let dir = std::env::temp_dir().join(format!("ocm-mahp-egress-{}-{n}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let live = live_stream(&dir, 6);
	let topology = Topology::new();
	start_origin(&topology, live.clone(), Seen::default());
	let _amt = topology.start_amt_relay();

	let stop = Arc::new(AtomicBool::new(false));
	let received: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
	let open = Arc::new(AtomicU64::new(0));
	let gateways = {
		let (stop, received, open) = (stop.clone(), received.clone(), open.clone());
		topology.thread(EDGE, move || {
			let runtime =
				tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
			runtime.block_on(async move {
				let channel = ocm_amt::relay::Channel {
					source: "10.78.1.1".parse().unwrap(),
					group: "232.7.7.7".parse().unwrap(),
				};
				let mut handles = Vec::new();
				for i in 0..n {
					let (gateway, mut datagrams) = ocm_amt::io::gateway::spawn(
						ocm_amt::gateway::GatewayConfig::new("10.78.2.1:2268".parse().unwrap()),
						"10.78.3.2:0".parse().unwrap(),
						4096,
					)
					.unwrap();
					gateway.join(channel).await.unwrap();
					let received = received.clone();
					tokio::spawn(async move {
						while let Some(d) = datagrams.recv().await {
							received[i].fetch_add(d.payload.len() as u64, Ordering::Relaxed);
						}
					});
					handles.push(gateway);
				}
				// Open once every gateway's tunnel is.
				loop {
					let opened = handles.iter().filter(|g| g.status().borrow().open).count();
					open.store(opened as u64, Ordering::SeqCst);
					if stop.load(Ordering::SeqCst) {
						break;
					}
					tokio::time::sleep(Duration::from_millis(100)).await;
				}
				for gateway in handles {
					gateway.close().await;
				}
			});
		})
	};
	let deadline = Instant::now() + Duration::from_secs(30);
	while open.load(std::sync::atomic::Ordering::SeqCst) < n as u64 {
		assert!(Instant::now() < deadline, "gateways did not open their tunnels");
		std::thread::sleep(Duration::from_millis(100));
	}
	std::thread::sleep(Duration::from_secs(1));

	let (source_before, amt_before) =
		(topology.tx_bytes(SOURCE, "l0a"), topology.tx_bytes(MCAST, "l1a"));
	let _sender = topology.start_sender(&dir);
	let deadline = Instant::now() + Duration::from_secs(60);
	while !live.ended.load(std::sync::atomic::Ordering::SeqCst) {
		assert!(Instant::now() < deadline, "the stream did not end");
		std::thread::sleep(Duration::from_millis(200));
	}
	std::thread::sleep(Duration::from_secs(3));
	let sent = metrics(&topology, SOURCE);
	let object_bytes = metric(&sent, "ocm_relay_multicast_sent_object_bytes_total");
	let source = topology.tx_bytes(SOURCE, "l0a") - source_before;
	let amt = topology.tx_bytes(MCAST, "l1a") - amt_before;
	stop.store(true, std::sync::atomic::Ordering::SeqCst);
	gateways.join().unwrap();
	let least =
		received.iter().map(|r| r.load(std::sync::atomic::Ordering::SeqCst)).min().unwrap_or(0);
	let _ = std::fs::remove_dir_all(&dir);
	(source, amt, least, object_bytes)
}

#[test]
fn the_senders_egress_is_one_stream_for_1_10_and_100_receivers() {
	let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let mut runs = Vec::new();
	for n in [1usize, 10, 100] {
		let (source, amt, least, objects) = egress_run(n);
		println!(
			"N = {n:>3}: sender egress {source:>9} bytes ({:.2}x the objects' {objects}), AMT relay egress {amt:>10} \
			 bytes ({:.1}x the sender's), the least any receiver got {least} bytes",
			source as f64 / objects as f64,
			amt as f64 / source as f64
		);
		runs.push((n, source, amt, least, objects));
	}
	for &(n, source, amt, least, objects) in &runs {
		// One stream plus FEC and framing, whatever N is.
		let per_object_byte = source as f64 / objects as f64;
		assert!(
			(1.0..1.3).contains(&per_object_byte),
			"N = {n}: sender sent {per_object_byte:.2} bytes per object byte"
		);
		// The unicast copies are the AMT relay's, one per gateway.
		assert!(amt as f64 >= 0.9 * n as f64 * source as f64, "N = {n}: AMT relay sent {amt}");
		assert!(
			least as f64 >= 0.9 * objects as f64,
			"N = {n}: a receiver got only {least} of {objects}"
		);
	}
}
