//! `ocm-beacon`'s measurement against a real `ocm-relay`, and against a
//! relay that replays another epoch's stream: every byte is checked before
//! it counts.

use ocm_beacon::measure::{self, TestPlan};
use ocm_e2e::{free_port, relay_binary, wait_listening, Process};
use ocm_pob::payload::{PayloadStream, StreamId};
use std::process::{Command, Stdio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn plan(endpoint: String, seed: u8) -> TestPlan {
	TestPlan {
		endpoint,
		stream: StreamId { epoch_seed: [seed; 32], relay: 3, beacon: [4; 32] },
		window_start_ms: measure::now_ms() + 300,
		window_secs: 2,
		connections: 4,
		request_bytes: 1 << 20,
		max_bytes: u64::MAX,
		max_rate_mbps: 0,
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_beacon_counts_only_the_streams_bytes() {
	let port = free_port();
	let relay = Process(
		Command::new(relay_binary())
			.args(["--listen", &format!("127.0.0.1:{port}"), "--log", "warn"])
			.stdout(Stdio::null())
			.spawn()
			.expect("start ocm-relay"),
	);
	wait_listening(&format!("127.0.0.1:{port}"), "ocm-relay");
	let honest =
		measure::run(plan(format!("http://127.0.0.1:{port}/.well-known/ocm/pob/v1/"), 1)).await;
	drop(relay);
	assert_eq!(honest.rejected_bytes, 0, "{:?}", honest.errors);
	assert_eq!(honest.bytes_per_second.len(), 2);
	assert!(honest.bytes_per_second.iter().all(|b| *b > 1 << 20), "{:?}", honest.bytes_per_second);

	// A relay that serves the stream of another seed (an earlier epoch's,
	// cached) with the right status and length.
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let replay_port = listener.local_addr().unwrap().port();
	tokio::spawn(async move {
		let stale =
			PayloadStream::new(&StreamId { epoch_seed: [9; 32], relay: 3, beacon: [4; 32] });
		loop {
			let Ok((mut socket, _)) = listener.accept().await else { return };
			let stale = stale.clone();
			tokio::spawn(async move {
				let mut buf = vec![0u8; 4096];
				let mut offset = 0u64;
				while let Ok(n) = socket.read(&mut buf).await {
					if n == 0 {
						return;
					}
					let mut body = vec![0u8; 1 << 20];
					stale.fill_at(offset, &mut body);
					offset += body.len() as u64;
					let head = format!(
						"HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes 0-{}/1099511627776\r\n\r\n",
						body.len(),
						body.len() - 1
					);
					if socket.write_all(head.as_bytes()).await.is_err()
						|| socket.write_all(&body).await.is_err()
					{
						return;
					}
				}
			});
		}
	});
	let replayed =
		measure::run(plan(format!("http://127.0.0.1:{replay_port}/.well-known/ocm/pob/v1"), 1))
			.await;
	assert_eq!(replayed.bytes_per_second, vec![0, 0], "nothing counts");
	assert!(replayed.rejected_bytes > 0);
	assert!(replayed.errors.iter().any(|e| e.contains("not the stream")), "{:?}", replayed.errors);
}
