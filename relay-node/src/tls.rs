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

/// The client side, for `https://` origins: the system's roots
/// (`rustls-native-certs`) plus, for a private origin, the CA certificates
/// in `extra_ca` (PEM).
pub fn origin_client_config(extra_ca: Option<&Path>) -> Result<rustls::ClientConfig, String> {
	let mut roots = rustls::RootCertStore::empty();
	let native = rustls_native_certs::load_native_certs();
	let (added, _ignored) = roots.add_parsable_certificates(native.certs);
	if let Some(path) = extra_ca {
		let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
			.map_err(|e| format!("origin CA {}: {e}", path.display()))?
			.collect::<Result<_, _>>()
			.map_err(|e| format!("origin CA {}: {e}", path.display()))?;
		if certs.is_empty() {
			return Err(format!("origin CA {}: no certificate in the file", path.display()));
		}
		for cert in certs {
			roots.add(cert).map_err(|e| format!("origin CA {}: {e}", path.display()))?;
		}
	} else if added == 0 {
		tracing::warn!("no system CA certificates: https:// origins will not verify");
	}
	Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
		rustls::crypto::ring::default_provider(),
	))
	.with_safe_default_protocol_versions()
	.map_err(|e| format!("TLS: {e}"))?
	.with_root_certificates(roots)
	.with_no_client_auth())
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
