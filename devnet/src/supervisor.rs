//! The devnet's child processes: started with their output in one log file
//! each, watched, measured, and stopped in reverse order of starting.
//!
//! No child outlives the devnet: each is in a process group of its own (a
//! terminal's Ctrl-C reaches only the devnet, which then stops them in
//! order) and asks the kernel for SIGTERM when the devnet dies
//! (`PR_SET_PDEATHSIG`), so even a devnet killed with SIGKILL leaves no
//! orphans.

use std::{
	fs::File,
	io::{BufRead, BufReader, Seek, SeekFrom},
	os::unix::process::CommandExt,
	path::{Path, PathBuf},
	process::{Child, Command, ExitStatus, Stdio},
	time::{Duration, Instant},
};

/// One started process.
pub struct Managed {
	/// What it is in the devnet, e.g. `edge-relay`.
	pub name: String,
	pub child: Child,
	pub log: PathBuf,
	/// Peak resident memory seen, in KiB (VmHWM, read while it runs).
	peak_kib: u64,
}

/// A child that exited while the devnet still needed it.
#[derive(Debug)]
pub struct Died {
	pub name: String,
	pub status: ExitStatus,
	pub log: PathBuf,
	/// The last lines it wrote.
	pub tail: String,
}

impl std::fmt::Display for Died {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(
			f,
			"{} exited ({}); the last lines of {}:\n{}",
			self.name,
			self.status,
			self.log.display(),
			self.tail
		)
	}
}

/// Memory of one process, for the devnet's closing table.
#[derive(Clone, Debug)]
pub struct Memory {
	pub name: String,
	pub pid: u32,
	pub peak_kib: u64,
}

/// The devnet's processes.
pub struct Supervisor {
	logs: PathBuf,
	children: Vec<Managed>,
}

impl Supervisor {
	/// Logs go to `logs/{name}.log`.
	pub fn new(logs: &Path) -> std::io::Result<Self> {
		std::fs::create_dir_all(logs)?;
		Ok(Self { logs: logs.to_path_buf(), children: Vec::new() })
	}

	/// Starts `command` as `name`, optionally inside the network namespace
	/// whose handle is `netns` (a file under `/run/netns`).
	///
	/// Must be called from a thread that lives as long as the devnet: the
	/// death signal follows the thread that forked, not the process.
	pub fn spawn(
		&mut self,
		name: &str,
		mut command: Command,
		netns: Option<&File>,
	) -> Result<u32, String> {
		let log = self.logs.join(format!("{name}.log"));
		let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
		let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
		let netns_fd = netns.map(std::os::fd::AsRawFd::as_raw_fd);
		// Plain text logs: tracing and ffmpeg colour only for terminals.
		command.env("NO_COLOR", "1").stdin(Stdio::null()).stdout(out).stderr(err).process_group(0);
		// SAFETY: between fork and exec only async-signal-safe system calls
		// run, on a file descriptor the parent keeps open until then.
		unsafe {
			command.pre_exec(move || {
				if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
					return Err(std::io::Error::last_os_error());
				}
				if let Some(fd) = netns_fd {
					if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
						return Err(std::io::Error::last_os_error());
					}
				}
				Ok(())
			});
		}
		let program = command.get_program().to_string_lossy().into_owned();
		let child = command.spawn().map_err(|e| format!("cannot start {name} ({program}): {e}"))?;
		let pid = child.id();
		self.children.push(Managed { name: name.into(), child, log, peak_kib: 0 });
		Ok(pid)
	}

	/// The first child that has exited, if any; also samples memory.
	pub fn check(&mut self) -> Option<Died> {
		for managed in &mut self.children {
			if let Some(kib) = peak_rss_kib(managed.child.id()) {
				managed.peak_kib = managed.peak_kib.max(kib);
			}
			if let Ok(Some(status)) = managed.child.try_wait() {
				return Some(Died {
					name: managed.name.clone(),
					status,
					log: managed.log.clone(),
					tail: tail(&managed.log, 15),
				});
			}
		}
		None
	}

	/// Memory of every child, as last sampled.
	pub fn memory(&mut self) -> Vec<Memory> {
		self.check();
		self.children
			.iter()
			.map(|m| Memory { name: m.name.clone(), pid: m.child.id(), peak_kib: m.peak_kib })
			.collect()
	}

	/// Stops every child, last started first: SIGTERM, then SIGKILL for
	/// any still running after `grace`. Returns the names of those killed.
	pub fn stop_all(&mut self, grace: Duration) -> Vec<String> {
		let mut killed = Vec::new();
		while let Some(mut managed) = self.children.pop() {
			if managed.child.try_wait().ok().flatten().is_some() {
				continue;
			}
			// SAFETY: kill(2) on our own child's pid, not yet reaped.
			unsafe { libc::kill(managed.child.id() as i32, libc::SIGTERM) };
			let deadline = Instant::now() + grace;
			loop {
				match managed.child.try_wait() {
					Ok(Some(_)) => break,
					Ok(None) if Instant::now() < deadline => {
						std::thread::sleep(Duration::from_millis(50))
					}
					_ => {
						let _ = managed.child.kill();
						let _ = managed.child.wait();
						killed.push(managed.name.clone());
						break;
					}
				}
			}
		}
		killed
	}
}

impl Drop for Supervisor {
	fn drop(&mut self) {
		self.stop_all(Duration::from_secs(5));
	}
}

/// Peak resident memory (VmHWM) of `pid`, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
	let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
	status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// The last `lines` lines of the file at `path` (at most its last 64 KiB).
pub fn tail(path: &Path, lines: usize) -> String {
	let Ok(mut file) = File::open(path) else { return String::new() };
	let length = file.metadata().map(|m| m.len()).unwrap_or(0);
	let _ = file.seek(SeekFrom::Start(length.saturating_sub(64 * 1024)));
	let all: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
	all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_child_that_dies_is_reported_with_its_last_words() {
		let dir = std::env::temp_dir().join(format!("ocm-devnet-sup-{}", std::process::id()));
		let mut supervisor = Supervisor::new(&dir).unwrap();
		let mut command = Command::new("sh");
		command.args(["-c", "echo starting; echo 'no key given' >&2; exit 3"]);
		supervisor.spawn("relay", command, None).unwrap();
		let died = (0..100)
			.find_map(|_| {
				std::thread::sleep(Duration::from_millis(20));
				supervisor.check()
			})
			.expect("the child's exit is seen");
		assert_eq!(died.name, "relay");
		assert_eq!(died.status.code(), Some(3));
		assert!(died.tail.contains("no key given"), "{}", died.tail);
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn stopping_terminates_and_if_need_be_kills_every_child() {
		let dir = std::env::temp_dir().join(format!("ocm-devnet-stop-{}", std::process::id()));
		let mut supervisor = Supervisor::new(&dir).unwrap();
		let mut polite = Command::new("sleep");
		polite.arg("600");
		let mut stubborn = Command::new("sh");
		stubborn.args(["-c", "trap '' TERM; while true; do sleep 0.1; done"]);
		let polite_pid = supervisor.spawn("polite", polite, None).unwrap();
		let stubborn_pid = supervisor.spawn("stubborn", stubborn, None).unwrap();
		std::thread::sleep(Duration::from_millis(200));
		assert!(supervisor.check().is_none(), "both run");
		let killed = supervisor.stop_all(Duration::from_millis(500));
		assert_eq!(killed, vec!["stubborn".to_string()]);
		for pid in [polite_pid, stubborn_pid] {
			assert!(!Path::new(&format!("/proc/{pid}")).exists(), "{pid} is gone");
		}
		let _ = std::fs::remove_dir_all(dir);
	}
}
