//! HTTPS for viewers: rustls (ring) with the operator's certificate chain
//! and key (PEM), ALPN `h2` then `http/1.1`. The handshake runs in the
//! connection's own task under a deadline, so a client that never finishes
//! it holds one socket for that long and delays nobody else.

use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use std::{path::Path, sync::Arc, time::Duration};
use tokio_rustls::TlsAcceptor;

/// How long a client has to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The acceptor for `cert` (PEM chain, leaf first) and `key` (PEM, PKCS#8,
/// PKCS#1 or SEC1); every problem is an error naming the file.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
	let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
		.map_err(|e| format!("TLS certificate {}: {e}", cert.display()))?
		.collect::<Result<_, _>>()
		.map_err(|e| format!("TLS certificate {}: {e}", cert.display()))?;
	if certs.is_empty() {
		return Err(format!("TLS certificate {}: no certificate in the file", cert.display()));
	}
	let key =
		PrivateKeyDer::from_pem_file(key).map_err(|e| format!("TLS key {}: {e}", key.display()))?;
	let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
		rustls::crypto::ring::default_provider(),
	))
	.with_safe_default_protocol_versions()
	.map_err(|e| format!("TLS: {e}"))?
	.with_no_client_auth()
	.with_single_cert(certs, key)
	.map_err(|e| format!("TLS certificate and key: {e}"))?;
	config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
	Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn unreadable_or_empty_files_are_refused_with_their_name() {
		let dir = std::env::temp_dir().join(format!("ocm-tls-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let missing = acceptor(&dir.join("none.pem"), &dir.join("none.key")).err().unwrap();
		assert!(missing.contains("none.pem"), "{missing}");
		let empty = dir.join("empty.pem");
		std::fs::write(&empty, "not a certificate\n").unwrap();
		let err = acceptor(&empty, &empty).err().unwrap();
		assert!(err.contains("no certificate"), "{err}");
		let _ = std::fs::remove_dir_all(dir);
	}
}
