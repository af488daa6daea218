//! The durable spool: one append-only file of record lines per contract
//! and period, written by one thread in arrival order.
//!
//! Each record is written to its file as soon as it arrives (one `write`,
//! no user-space buffer), so a relay that crashes or restarts keeps every
//! record it had handed over; sealing syncs the file to disk. A record that
//! arrives for a period already sealed (a response that finished after its
//! period closed) goes to the next period, whose file is still open: it is
//! never lost and never changes a sealed batch.

use std::{
	collections::{HashMap, HashSet},
	fs::{File, OpenOptions},
	io::Write,
	path::{Path, PathBuf},
	sync::mpsc,
};

/// A batch's address on this relay: contract and period.
pub type BatchId = (u32, u32);

pub enum Message {
	Record {
		batch: BatchId,
		line: Vec<u8>,
	},
	/// Closes and syncs the period's file, answers with its path (or `None`
	/// if it has no records), and sends later records to the next period.
	Seal {
		batch: BatchId,
		reply: tokio::sync::oneshot::Sender<std::io::Result<Option<PathBuf>>>,
	},
}

pub fn spool_path(dir: &Path, (contract, period): BatchId) -> PathBuf {
	dir.join(contract.to_string()).join(format!("{period}.spool"))
}

/// Writes records until every sender is gone.
pub fn run(dir: PathBuf, messages: mpsc::Receiver<Message>) {
	let mut open: HashMap<BatchId, File> = HashMap::new();
	let mut sealed: HashSet<BatchId> = HashSet::new();
	for message in messages {
		match message {
			Message::Record { batch: (contract, mut period), line } => {
				while sealed.contains(&(contract, period)) {
					period += 1;
				}
				let batch = (contract, period);
				let file = match open.entry(batch) {
					std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
					std::collections::hash_map::Entry::Vacant(e) => {
						let path = spool_path(&dir, batch);
						let opened = path
							.parent()
							.map_or(Ok(()), std::fs::create_dir_all)
							.and_then(|_| OpenOptions::new().create(true).append(true).open(&path));
						match opened {
							Ok(file) => e.insert(file),
							Err(error) => {
								tracing::error!(path = %path.display(), %error, "cannot open the log spool; record dropped");
								continue;
							}
						}
					}
				};
				let mut bytes = line;
				bytes.push(b'\n');
				if let Err(error) = file.write_all(&bytes) {
					tracing::error!(contract, period, %error, "cannot write a log record");
				}
			}
			Message::Seal { batch, reply } => {
				sealed.insert(batch);
				let path = spool_path(&dir, batch);
				let result = match open.remove(&batch) {
					Some(file) => file.sync_all().map(|_| Some(path)),
					// Records written before a restart are in the file already.
					None if path.exists() => {
						File::open(&path).and_then(|f| f.sync_all()).map(|_| Some(path))
					}
					None => Ok(None),
				};
				let _ = reply.send(result);
			}
		}
	}
	for (_, file) in open {
		let _ = file.sync_all();
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn records_go_to_their_period_and_late_ones_to_the_next() {
		let dir = std::env::temp_dir().join(format!("ocm-spool-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		let (tx, rx) = mpsc::channel();
		let writer = std::thread::spawn({
			let dir = dir.clone();
			move || run(dir, rx)
		});
		tx.send(Message::Record { batch: (1, 0), line: b"a".to_vec() }).unwrap();
		tx.send(Message::Record { batch: (1, 0), line: b"b".to_vec() }).unwrap();
		let (reply, sealed) = tokio::sync::oneshot::channel();
		tx.send(Message::Seal { batch: (1, 0), reply }).unwrap();
		let path = sealed.await.unwrap().unwrap().unwrap();
		assert_eq!(std::fs::read(&path).unwrap(), b"a\nb\n");
		tx.send(Message::Record { batch: (1, 0), line: b"late".to_vec() }).unwrap();
		let (reply, empty) = tokio::sync::oneshot::channel();
		tx.send(Message::Seal { batch: (1, 7), reply }).unwrap();
		assert!(empty.await.unwrap().unwrap().is_none());
		drop(tx);
		writer.join().unwrap();
		assert_eq!(std::fs::read(&path).unwrap(), b"a\nb\n");
		assert_eq!(std::fs::read(spool_path(&dir, (1, 1))).unwrap(), b"late\n");
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
