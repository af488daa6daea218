//! Network namespaces joined to the test's own by a veth pair, with the
//! namespace's egress shaped by `tc tbf`: a relay in one sends to beacons in
//! the root namespace at a known rate. Needs root (CAP_NET_ADMIN), `ip` and
//! `tc` (iproute2); a test that cannot create one fails, it does not skip.

use std::process::Command;

fn run(args: &[&str]) {
	let out = Command::new(args[0])
		.args(&args[1..])
		.output()
		.unwrap_or_else(|e| panic!("{}: {e} (iproute2 installed?)", args.join(" ")));
	assert!(
		out.status.success(),
		"{} failed: {} (network namespaces need root)",
		args.join(" "),
		String::from_utf8_lossy(&out.stderr).trim()
	);
}

/// A namespace with one veth link to the root namespace; removed on drop.
pub struct Netns {
	pub name: String,
	/// The root namespace's end of the link.
	pub host_ip: String,
	/// The namespace's end of the link.
	pub ns_ip: String,
	host_link: String,
}

impl Netns {
	/// Namespace number `index` (0..=63) of this test process, its egress
	/// shaped to `rate_mbit` Mbit/s.
	pub fn shaped(index: u8, rate_mbit: u32) -> Self {
		assert!(index < 64);
		let tag = format!("{}{index}", std::process::id() % 100_000);
		let name = format!("ocm{tag}");
		let host_link = format!("oh{tag}");
		let ns_link = format!("on{tag}");
		// A /30 per namespace inside 10.201.0.0/16, from the pid and index.
		let block = (std::process::id() % 64) as u8;
		let host_ip = format!("10.201.{}.{}", block * 4 + index / 64, (index % 64) * 4 + 1);
		let ns_ip = format!("10.201.{}.{}", block * 4 + index / 64, (index % 64) * 4 + 2);
		let _ = Command::new("ip").args(["netns", "del", &name]).output();
		let _ = Command::new("ip").args(["link", "del", &host_link]).output();
		run(&["ip", "netns", "add", &name]);
		let ns = Self {
			name: name.clone(),
			host_ip: host_ip.clone(),
			ns_ip: ns_ip.clone(),
			host_link: host_link.clone(),
		};
		run(&["ip", "link", "add", &host_link, "type", "veth", "peer", "name", &ns_link]);
		run(&["ip", "link", "set", &ns_link, "netns", &name]);
		run(&["ip", "addr", "add", &format!("{host_ip}/30"), "dev", &host_link]);
		run(&["ip", "link", "set", &host_link, "up"]);
		let exec = |args: &[&str]| {
			let mut all = vec!["ip", "netns", "exec", name.as_str()];
			all.extend_from_slice(args);
			run(&all);
		};
		exec(&["ip", "addr", "add", &format!("{ns_ip}/30"), "dev", &ns_link]);
		exec(&["ip", "link", "set", &ns_link, "up"]);
		exec(&["ip", "link", "set", "lo", "up"]);
		// Burst: a few milliseconds at the rate, at least 32 KiB, so tbf
		// holds the rate without starving TCP.
		let burst = (u64::from(rate_mbit) * 1_000_000 / 8 / 250).max(32 * 1024);
		exec(&[
			"tc",
			"qdisc",
			"add",
			"dev",
			&ns_link,
			"root",
			"tbf",
			"rate",
			&format!("{rate_mbit}mbit"),
			"burst",
			&burst.to_string(),
			"latency",
			"50ms",
		]);
		ns
	}

	/// `program args` run inside the namespace.
	pub fn command(&self, program: &std::path::Path) -> Command {
		let mut command = Command::new("ip");
		command.args(["netns", "exec", &self.name]).arg(program);
		command
	}
}

impl Drop for Netns {
	fn drop(&mut self) {
		let _ = Command::new("ip").args(["link", "del", &self.host_link]).output();
		let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
	}
}
