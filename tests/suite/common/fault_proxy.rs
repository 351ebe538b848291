//! A TCP proxy that injects faults between klaxon and a real server (Alertmanager,
//! PostgreSQL, a Zabbix mock), on a free loopback port. The fault is switched while tests
//! run; switching closes every connection open through the proxy, so a pooled connection
//! made under one fault never carries the next.
//!
//! It works on bytes, not on a protocol: a "request" is whatever the client sent last, and
//! its "response" is what the server sends after it. That holds for HTTP/1.1 and for
//! PostgreSQL, whose clients wait for each answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways untouched.
    Pass,
    /// Forward, each chunk held back this long in each direction.
    Latency(Duration),
    /// Accept and never answer (nor connect upstream).
    Hang,
    /// Accept and reset the connection at once (RST: SO_LINGER 0).
    Reset,
    /// Forward the request; of the response only the first `n` bytes, then close.
    Truncate(usize),
    /// Forward the request upstream, read the server's answer, then close the client's
    /// connection without sending it: the request was processed, its answer lost. `when`
    /// empty: the first request's answer; else the answer to the request in which the
    /// client has sent each of these byte strings, in order, on the connection (earlier
    /// requests pass).
    DropResponse { when: Vec<Vec<u8>> },
}

impl std::fmt::Debug for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Pass => write!(f, "Pass"),
            Fault::Latency(d) => write!(f, "Latency({d:?})"),
            Fault::Hang => write!(f, "Hang"),
            Fault::Reset => write!(f, "Reset"),
            Fault::Truncate(n) => write!(f, "Truncate({n})"),
            Fault::DropResponse { when } => {
                let when: Vec<_> = when.iter().map(|w| String::from_utf8_lossy(w)).collect();
                write!(f, "DropResponse{when:?}")
            }
        }
    }
}

impl Fault {
    /// The answer lost of the request that completes `needles` (in order).
    pub fn drop_response_to(needles: &[&str]) -> Fault {
        Fault::DropResponse { when: needles.iter().map(|n| n.as_bytes().to_vec()).collect() }
    }
}

#[derive(Default)]
struct Counters {
    accepted: AtomicUsize,
    dropped: AtomicUsize,
}

pub struct FaultProxy {
    pub port: u16,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    mode: watch::Sender<Fault>,
    counters: Arc<Counters>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FaultProxy {
    /// A proxy to `upstream` (a loopback port), passing until told otherwise.
    pub fn start(upstream: u16) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("fault-proxy")
            .build()
            .expect("a runtime for the proxy");
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let (mode, _) = watch::channel(Fault::Pass);
        let counters = Arc::new(Counters::default());
        let upstream: SocketAddr = ([127, 0, 0, 1], upstream).into();
        let (modes, stats) = (mode.clone(), counters.clone());
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                stats.accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(client, upstream, modes.subscribe(), stats.clone()));
            }
        });
        FaultProxy { port, url: format!("http://127.0.0.1:{port}"), mode, counters, runtime: Some(runtime) }
    }

    /// From now on, new connections get `fault`; open ones are closed.
    pub fn set(&self, fault: Fault) {
        self.mode.send_replace(fault);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.counters.accepted.load(Ordering::SeqCst)
    }

    /// Responses read from the server and not delivered (`DropResponse`).
    pub fn dropped(&self) -> usize {
        self.counters.dropped.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn serve(client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Fault>, stats: Arc<Counters>) {
    let fault = mode.borrow_and_update().clone();
    match fault {
        Fault::Reset => {
            let _ = client.set_zero_linger();
            drop(client);
        }
        Fault::Hang => {
            // Read and ignore, so the client's writes never block; answer nothing.
            let mut client = client;
            let mut buf = [0u8; 4096];
            tokio::select! {
                _ = async { while matches!(client.read(&mut buf).await, Ok(n) if n > 0) {} } => {}
                _ = mode.changed() => {}
            }
        }
        _ => {
            let Ok(server) = TcpStream::connect(upstream).await else { return };
            tokio::select! {
                _ = relay(client, server, fault, stats) => {}
                _ = mode.changed() => {}
            }
        }
    }
}

/// Both directions until either side closes or the fault ends the connection.
async fn relay(client: TcpStream, server: TcpStream, fault: Fault, stats: Arc<Counters>) {
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let delay = match fault {
        Fault::Latency(d) => Some(d),
        _ => None,
    };
    // Set once a request to drop the answer of has gone upstream.
    let armed = AtomicBool::new(false);
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        // The tail of what was sent before, so a needle split over two reads is found.
        let mut seen: Vec<u8> = Vec::new();
        // How many of `when`'s needles have been sent, in order.
        let mut found = 0;
        loop {
            let n = match client_rx.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            if let Fault::DropResponse { when } = &fault {
                seen.extend_from_slice(&buf[..n]);
                while let Some(needle) = when.get(found) {
                    match seen.windows(needle.len()).position(|w| w == needle.as_slice()) {
                        Some(at) => {
                            seen.drain(..at + needle.len());
                            found += 1;
                        }
                        None => {
                            let cut = seen.len().saturating_sub(needle.len());
                            seen.drain(..cut);
                            break;
                        }
                    }
                }
                if found == when.len() {
                    armed.store(true, Ordering::SeqCst);
                }
            }
            if server_tx.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        let mut sent = 0usize;
        loop {
            let n = match server_rx.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if armed.load(Ordering::SeqCst) {
                // The server answered the request: it was processed. The client never hears.
                stats.dropped.fetch_add(1, Ordering::SeqCst);
                return;
            }
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let n = match fault {
                Fault::Truncate(limit) => n.min(limit - sent),
                _ => n,
            };
            if client_tx.write_all(&buf[..n]).await.is_err() {
                return;
            }
            sent += n;
            if matches!(fault, Fault::Truncate(limit) if sent >= limit) {
                return;
            }
        }
    };
    // Whichever side ends first ends the connection: both halves are dropped here.
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}
