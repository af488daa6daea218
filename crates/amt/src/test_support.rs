//! For tests and benchmarks that need native multicast on real sockets
//! without touching the host's network: the calling thread moves into a
//! network namespace of its own whose loopback carries multicast. Threads
//! it starts later, and processes it spawns, share that namespace.

use std::{io, process::Command};

/// Unshares the calling thread's network namespace, brings loopback up
/// with multicast on and routes 224.0.0.0/4 to it. Needs root
/// (`CAP_SYS_ADMIN` and `CAP_NET_ADMIN`) and `ip` (iproute2).
pub fn enter_multicast_loopback_namespace() -> io::Result<()> {
	// SAFETY: unshare takes no pointers; it affects only this thread.
	if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
		let error = io::Error::last_os_error();
		return Err(io::Error::new(
			error.kind(),
			format!("unshare(CLONE_NEWNET), which needs root: {error}"),
		));
	}
	for args in [
		&["link", "set", "lo", "up"][..],
		&["link", "set", "lo", "multicast", "on"],
		&["route", "add", "224.0.0.0/4", "dev", "lo"],
	] {
		let status = Command::new("ip")
			.args(args)
			.status()
			.map_err(|e| io::Error::new(e.kind(), format!("ip (iproute2): {e}")))?;
		if !status.success() {
			return Err(io::Error::other(format!("ip {} failed", args.join(" "))));
		}
	}
	Ok(())
}

/// Runs `test` on a new thread in a fresh such namespace, on a
/// single-threaded runtime, and waits for it (panics propagate).
pub fn in_multicast_namespace<F: std::future::Future<Output = ()>>(
	test: impl FnOnce() -> F + Send + 'static,
) {
	std::thread::spawn(move || {
		enter_multicast_loopback_namespace().expect("a network namespace of the test's own");
		tokio::runtime::Builder::new_current_thread()
			.enable_all()
			.build()
			.expect("a runtime")
			.block_on(test());
	})
	.join()
	.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}
