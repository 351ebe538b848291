//! TLS for every client klaxon opens (HTTP integrations, PostgreSQL): rustls with ring,
//! trusting the system's CAs plus a `ca_file`'s, the certificate always verified. The
//! system's CAs (some 150 files under /etc/ssl/certs, milliseconds to read) are read once per
//! process, at the first handshake that needs them: a command that talks plain HTTP never
//! reads them, and ten integrations do not read them ten times.

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// A client configuration trusting the system's CAs and `ca_file`'s (read now, so a file
/// that does not read is said at once), presenting `identity` if given: PEM holding the
/// certificate (chain) and its private key.
pub fn client_config(ca_file: Option<&Path>, identity: Option<&[u8]>) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let extra = match ca_file {
        Some(path) => {
            let shown = path.display();
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| format!("CA file {shown}: {e}"))?;
            let certs: Vec<_> = certs.collect::<Result<_, _>>().map_err(|e| format!("CA file {shown}: {e}"))?;
            if certs.is_empty() {
                return Err(format!("CA file {shown}: no certificate in it"));
            }
            // Each is checked as a trust anchor now, not at the first handshake.
            let mut anchors = rustls::RootCertStore::empty();
            for cert in &certs {
                anchors.add(cert.clone()).map_err(|e| format!("CA file {shown}: {e}"))?;
            }
            certs
        }
        None => Vec::new(),
    };
    let verifier = Arc::new(LazyVerifier { extra, provider: provider.clone(), built: OnceLock::new() });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match identity {
        None => Ok(builder.with_no_client_auth()),
        Some(pem) => {
            let bad = |e: &dyn std::fmt::Display| format!("client certificate or key does not read: {e}");
            let chain: Vec<_> = CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|e| bad(&e))?;
            if chain.is_empty() {
                return Err(bad(&"no certificate in it"));
            }
            let key = PrivateKeyDer::from_pem_slice(pem).map_err(|e| bad(&e))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| bad(&e))
        }
    }
}

/// ring, the one crypto provider of the process (smaller and faster to build than aws-lc).
fn provider() -> Arc<CryptoProvider> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// The system's CAs, read at the first call; a certificate that does not parse is skipped
/// (as every TLS library does with the system store).
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// WebPKI verification against the system's CAs and `extra`, its root store made at the
/// first certificate it checks. Signatures are checked with the provider's algorithms, as
/// `WebPkiServerVerifier` checks them, without the roots.
#[derive(Debug)]
struct LazyVerifier {
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    built: OnceLock<Result<Arc<WebPkiServerVerifier>, String>>,
}

impl LazyVerifier {
    fn inner(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        let built = self.built.get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.add_parsable_certificates(system_roots().iter().cloned());
            roots.add_parsable_certificates(self.extra.iter().cloned()); // checked when read
            if roots.is_empty() {
                return Err("no CA certificate: the system has none and no ca_file is set".into());
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| e.to_string())
        });
        built.as_ref().map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_identity_presents_none_and_an_unreadable_ca_file_or_identity_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let config = client_config(None, None).unwrap();
        assert!(!config.client_auth_cert_resolver.has_certs(), "no identity was given");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = client_config(Some(&empty), None).unwrap_err();
        assert!(e.starts_with(&format!("CA file {}", empty.display())), "{e}");
        let e = client_config(None, Some(b"-----BEGIN CERTIFICATE-----\nAAAA\n")).unwrap_err();
        assert!(e.starts_with("client certificate or key does not read"), "{e}");
    }
}
