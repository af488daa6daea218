//! The AMT relay's forwarding rate on one core: a source multicasts
//! 1316-byte payloads (seven MPEG-TS packets, as IPTV sends them) as fast
//! as it can on loopback in a network namespace of this process's own; the
//! relay (its driver on one thread, pinned to core 0) joins natively and
//! forwards each datagram through one tunnel to a gateway. Prints
//! datagrams/s and Mbit/s of payload forwarded, and what the gateway got.
//!
//! `cargo bench -p ocm-amt --bench forwarding` (root: it makes a namespace).
//! `SECONDS` sets the measured time [5], `GATEWAYS` the tunnels [1].

use ocm_amt::{
	gateway::{Gateway, GatewayConfig},
	io::relay::{RelayDriver, RelayDriverConfig},
	relay::{Channel, RelayConfig},
};
use std::{
	net::{SocketAddr, UdpSocket},
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

const PAYLOAD: usize = 1316;
const PORT: u16 = 5000;

fn pin(core: usize) {
	// SAFETY: a zeroed cpu_set_t is empty; CPU_SET writes inside it.
	unsafe {
		let mut set: libc::cpu_set_t = std::mem::zeroed();
		libc::CPU_SET(core, &mut set);
		libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
	}
}

/// A gateway on a blocking socket: handshake and join, then counts data.
fn gateway(
	relay: SocketAddr,
	channel: Channel,
	ready: Arc<AtomicU64>,
	stop: Arc<AtomicBool>,
	got: Arc<AtomicU64>,
) {
	pin(1);
	let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
	let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(16 << 20);
	socket.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
	let mut g = Gateway::new(GatewayConfig::new(relay), Instant::now(), 99);
	g.join(Instant::now(), channel).unwrap();
	let mut buffer = vec![0u8; 65_536];
	let mut counted = false;
	while !stop.load(Ordering::Relaxed) {
		while let Some(t) = g.poll_transmit() {
			socket.send_to(&t.bytes, t.to).unwrap();
		}
		if g.is_open() && !counted {
			ready.fetch_add(1, Ordering::SeqCst);
			counted = true;
		}
		match socket.recv_from(&mut buffer) {
			Ok((n, from)) => {
				if g.handle(Instant::now(), from, &buffer[..n]).is_some() {
					got.fetch_add(1, Ordering::Relaxed);
				}
			}
			Err(_) => g.handle_timeout(Instant::now()),
		}
	}
}

/// Sends `count` copies of `payload` on a connected socket with one
/// `sendmmsg`; how many went.
fn send_batch(socket: &UdpSocket, payload: &[u8], count: usize) -> u64 {
	let mut iovecs: Vec<libc::iovec> = (0..count)
		.map(|_| libc::iovec { iov_base: payload.as_ptr() as *mut _, iov_len: payload.len() })
		.collect();
	// SAFETY: zeroed mmsghdr is valid (no name, no control); each points at
	// one live iovec, which points at `payload`, alive for the call.
	let mut messages: Vec<libc::mmsghdr> = iovecs
		.iter_mut()
		.map(|iov| {
			let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
			m.msg_hdr.msg_iov = iov;
			m.msg_hdr.msg_iovlen = 1;
			m
		})
		.collect();
	let sent = unsafe {
		libc::sendmmsg(
			std::os::fd::AsRawFd::as_raw_fd(socket),
			messages.as_mut_ptr(),
			count as libc::c_uint,
			0,
		)
	};
	sent.max(0) as u64
}

/// User plus system CPU seconds of thread `tid` of this process.
fn thread_cpu_seconds(tid: i32) -> f64 {
	let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
	// Fields after the parenthesised name; utime and stime are 14 and 15.
	let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
	let ticks: f64 =
		fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
	// SAFETY: sysconf has no preconditions.
	ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

fn main() {
	let seconds: u64 = std::env::var("SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
	let gateways: usize = std::env::var("GATEWAYS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
	// Before any other thread exists: all threads made later share it.
	ocm_amt::test_support::enter_multicast_loopback_namespace().expect("a namespace of our own");

	let relay_tid = Arc::new(std::sync::atomic::AtomicI32::new(0));
	let (relay_address, status) = {
		let (tx, rx) = std::sync::mpsc::channel();
		let tid = relay_tid.clone();
		std::thread::spawn(move || {
			pin(0);
			// SAFETY: gettid has no preconditions.
			tid.store(unsafe { libc::gettid() }, Ordering::SeqCst);
			let runtime =
				tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
			runtime.block_on(async move {
				let driver = RelayDriver::bind(RelayDriverConfig {
					relay: RelayConfig {
						address: "127.0.0.1".parse().unwrap(),
						..Default::default()
					},
					listen: "127.0.0.1:0".parse().unwrap(),
					upstream_interface: 0,
					data_port: PORT,
					secret_rotation: Duration::from_secs(3600),
				})
				.unwrap();
				tx.send((driver.local_addr().unwrap(), driver.status())).unwrap();
				driver.run(std::future::pending()).await.unwrap();
			});
		});
		rx.recv().unwrap()
	};

	let source = UdpSocket::bind("127.0.0.1:0").unwrap();
	let channel =
		Channel { source: source.local_addr().unwrap().ip(), group: "232.1.1.1".parse().unwrap() };
	let (ready, stop, got) = (
		Arc::new(AtomicU64::new(0)),
		Arc::new(AtomicBool::new(false)),
		Arc::new(AtomicU64::new(0)),
	);
	let mut threads = Vec::new();
	for _ in 0..gateways {
		let (ready, stop, got) = (ready.clone(), stop.clone(), got.clone());
		threads.push(std::thread::spawn(move || gateway(relay_address, channel, ready, stop, got)));
	}
	while ready.load(Ordering::SeqCst) < gateways as u64 {
		std::thread::sleep(Duration::from_millis(10));
	}
	std::thread::sleep(Duration::from_millis(300));

	pin(1);
	let group: SocketAddr = format!("232.1.1.1:{PORT}").parse().unwrap();
	let payload = vec![0x47u8; PAYLOAD];
	let forwarded = |s: &tokio::sync::watch::Receiver<ocm_amt::io::relay::RelayStatus>| {
		s.borrow().counters.datagrams_forwarded
	};
	let mut status = status;
	let _ = status.borrow_and_update();
	let (start_forwarded, start_got) = (forwarded(&status), got.load(Ordering::SeqCst));
	let tid = relay_tid.load(Ordering::SeqCst);
	let cpu_before = thread_cpu_seconds(tid);
	let start = Instant::now();
	let mut sent = 0u64;
	source.connect(group).unwrap();
	while start.elapsed() < Duration::from_secs(seconds) {
		// 64 datagrams per system call: the source must outrun the relay
		// from the other core, which one send per call does not.
		sent += send_batch(&source, &payload, 64);
	}
	let elapsed = start.elapsed().as_secs_f64();
	let relay_cpu = thread_cpu_seconds(tid) - cpu_before;
	// The counters as of the first publication after the run.
	std::thread::sleep(Duration::from_millis(1100));
	let relayed = forwarded(&status) - start_forwarded;
	let received = got.load(Ordering::SeqCst) - start_got;
	stop.store(true, Ordering::SeqCst);
	for t in threads {
		let _ = t.join();
	}
	let rate = relayed as f64 / elapsed;
	let per_datagram_us = relay_cpu * 1e6 / relayed.max(1) as f64;
	println!(
		"AMT relay, one core, {PAYLOAD}-byte payloads, {gateways} tunnel(s), {seconds} s: source sent {sent} ({:.0}/s); \
		 relay forwarded {relayed} datagrams: {:.0} datagrams/s, {:.0} Mbit/s of payload ({:.0} Mbit/s on the wire \
		 with AMT's 50 bytes of headers); the gateway(s) received {received}. The relay's thread used \
		 {relay_cpu:.2} s of CPU ({:.0} % of its core), {per_datagram_us:.2} µs per datagram: one core's \
		 ceiling is {:.0} datagrams/s, {:.0} Mbit/s of payload",
		sent as f64 / elapsed,
		rate,
		rate * PAYLOAD as f64 * 8.0 / 1e6,
		rate * (PAYLOAD + 50) as f64 * 8.0 / 1e6,
		relay_cpu / elapsed * 100.0,
		1e6 / per_datagram_us,
		1e6 / per_datagram_us * PAYLOAD as f64 * 8.0 / 1e6,
	);
}
