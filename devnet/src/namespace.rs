//! The devnet's multicast network: a network namespace whose loopback
//! carries multicast, joined to the host by a veth pair. The upstream relay
//! multicasts the live stream on the namespace's loopback and the AMT relay
//! joins it there natively; the edge relay, on the host, reaches the AMT
//! relay by unicast over the veth, as an ISP's edge reaches a multicast
//! network's AMT relay. The host's own interfaces are not touched.

use std::{fs::File, process::Command};

/// The namespace's link: host end `.1`, namespace end `.2`.
pub const SUBNET: &str = "10.79.0";

/// A namespace, removed (with its veth) on drop.
pub struct MulticastNamespace {
	pub name: String,
	/// The host's end of the veth.
	pub host_ip: String,
	/// The namespace's end.
	pub ns_ip: String,
	/// An open handle, for `setns` in the children started inside.
	pub handle: File,
}

fn ip(args: &[&str]) -> Result<(), String> {
	let out = Command::new("ip")
		.args(args)
		.output()
		.map_err(|e| format!("ip {}: {e} (install iproute2)", args.join(" ")))?;
	if out.status.success() {
		Ok(())
	} else {
		Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
	}
}

impl MulticastNamespace {
	/// Whether a namespace called `name` exists (one a killed devnet left).
	pub fn exists(name: &str) -> bool {
		std::path::Path::new("/run/netns").join(name).exists()
	}

	/// Removes namespace `name` and its veth, if they exist.
	pub fn remove(name: &str) {
		let _ = Command::new("ip").args(["link", "del", &host_link(name)]).output();
		let _ = Command::new("ip").args(["netns", "del", name]).output();
	}

	/// Creates namespace `name`. Needs root (`CAP_SYS_ADMIN`, `CAP_NET_ADMIN`).
	pub fn create(name: &str) -> Result<Self, String> {
		let (host, inner) = (host_link(name), format!("{name}-ns"));
		ip(&["netns", "add", name])?;
		let handle = File::open(format!("/run/netns/{name}"))
			.map_err(|e| format!("/run/netns/{name}: {e}"))?;
		let namespace = Self {
			name: name.into(),
			host_ip: format!("{SUBNET}.1"),
			ns_ip: format!("{SUBNET}.2"),
			handle,
		};
		let inside = |args: &[&str]| {
			let mut all = vec!["-n", name];
			all.extend_from_slice(args);
			ip(&all)
		};
		ip(&["link", "add", &host, "type", "veth", "peer", "name", &inner, "netns", name])?;
		ip(&["addr", "add", &format!("{}/30", namespace.host_ip), "dev", &host])?;
		ip(&["link", "set", &host, "up"])?;
		inside(&["addr", "add", &format!("{}/30", namespace.ns_ip), "dev", &inner])?;
		inside(&["link", "set", &inner, "up"])?;
		inside(&["link", "set", "lo", "up"])?;
		inside(&["link", "set", "lo", "multicast", "on"])?;
		inside(&["route", "add", "224.0.0.0/4", "dev", "lo"])?;
		Ok(namespace)
	}
}

/// The host end of the namespace's veth (at most 15 bytes, as Linux wants).
fn host_link(name: &str) -> String {
	let short: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect();
	format!("{short}-h")
}

impl Drop for MulticastNamespace {
	fn drop(&mut self) {
		Self::remove(&self.name);
	}
}
