//! A plain-TCP front for a TLS-only server (Icinga 2's API): the fault proxy works on the
//! bytes of requests and answers, which TLS hides, so a test that loses one of Icinga's
//! answers puts the proxy in front of this bridge, and the bridge speaks TLS upstream
//! (verifying the server against its CA, as klaxon does when it talks to it directly).

use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::path::Path;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

pub struct TlsBridge {
    pub port: u16,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TlsBridge {
    /// Plain TCP on a free loopback port; TLS to `upstream` on loopback, for `server_name`.
    pub fn start(upstream: u16, server_name: &str, ca: &Path) -> TlsBridge {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).expect("CA file") {
            roots.add(cert.expect("CA certificate")).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = ServerName::try_from(server_name.to_owned()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        runtime.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let (connector, name) = (connector.clone(), name.clone());
                tokio::spawn(async move {
                    let Ok(tcp) = TcpStream::connect(("127.0.0.1", upstream)).await else { return };
                    let Ok(mut tls) = connector.connect(name, tcp).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut tls).await;
                });
            }
        });
        TlsBridge { port, runtime: Some(runtime) }
    }
}

impl Drop for TlsBridge {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
