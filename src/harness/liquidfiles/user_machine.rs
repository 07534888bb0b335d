//! The user's machine of seed 000's agent port: a listener on a random port
//! of 127.0.0.1 that records what is POSTed to it, over plain HTTP (the
//! seed's table: `http://localhost:agent_port`) or over TLS (the seed's
//! prose: "a HTTP POST will be made to https://localhost:12345").
//!
//! One port takes both, as a desktop client's listener might: a connection
//! whose first byte opens a TLS handshake (a record of type 22, RFC 8446
//! §5.1) is answered with TLS, with a self-signed certificate for
//! `localhost` and `127.0.0.1` (`fixtures/agent-port/`, **a public test
//! key**, good only because the browser the harness drives accepts insecure
//! certificates: `acceptInsecureCerts`); any other is plain HTTP. Either way
//! the bytes go on to the mock's [`AgentListener`], which records the
//! request and answers 204 (a browser that posts a form to it stays on the
//! page with the key).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::pem::PemObject};

use crate::mock::{AgentCallback, AgentListener, MockError};

const CERT: &[u8] = include_bytes!("../../../fixtures/agent-port/localhost-cert.pem");
const KEY: &[u8] = include_bytes!("../../../fixtures/agent-port/localhost-key.pem");

/// A TLS handshake record's first byte (`ContentType.handshake`).
const TLS_HANDSHAKE: u8 = 22;

/// How long a connection may take to send its first byte, or to finish
/// its TLS handshake.
const OPENING: Duration = Duration::from_secs(10);

/// The listener standing in for the user's machine; it closes when dropped.
pub struct UserMachine {
    recorder: AgentListener,
    port: u16,
    task: JoinHandle<()>,
    /// TLS handshakes that did not complete (a browser that refused the
    /// self-signed certificate).
    tls_refused: Arc<AtomicUsize>,
}

/// The TLS side of the port: the fixture's certificate, rustls' safe
/// defaults.
fn acceptor() -> Result<TlsAcceptor, String> {
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(CERT)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the agent port's certificate: {e}"))?;
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(KEY)
        .map_err(|e| format!("the agent port's key: {e}"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("the agent port's certificate: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

impl UserMachine {
    /// Binds a free port of 127.0.0.1 and starts recording.
    pub async fn start() -> Result<UserMachine, String> {
        let recorder = AgentListener::start_no_content()
            .await
            .map_err(|e| e.to_string())?;
        let tls = acceptor()?;
        let front = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| e.to_string())?;
        let port = front.local_addr().map_err(|e| e.to_string())?.port();
        let to = recorder.port();
        let tls_refused = Arc::new(AtomicUsize::new(0));
        let refused = tls_refused.clone();
        let task = tokio::spawn(async move {
            // Dropped with the task: every connection ends with the listener.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = front.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(relay(stream, tls.clone(), to, refused.clone()));
                        }
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(UserMachine {
            recorder,
            port,
            task,
            tls_refused,
        })
    }

    /// The port to pass as `agent_port`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many TLS handshakes did not complete: a browser refused the
    /// certificate (or gave up) and could send nothing over https.
    pub fn tls_refused(&self) -> usize {
        self.tls_refused.load(Ordering::Relaxed)
    }

    /// Every request received so far, oldest first.
    pub fn callbacks(&self) -> Vec<AgentCallback> {
        self.recorder.callbacks()
    }

    /// The key of the first POST with an `api_key` field, waiting up to
    /// `timeout` for it.
    pub async fn api_key(&self, timeout: Duration) -> Result<String, MockError> {
        self.recorder.api_key(timeout).await
    }
}

impl Drop for UserMachine {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection to the recorder, through TLS when it opens with a
/// handshake.
async fn relay(
    stream: TcpStream,
    tls: TlsAcceptor,
    to: u16,
    refused: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut first = [0u8; 1];
    let n = tokio::time::timeout(OPENING, stream.peek(&mut first)).await??;
    if n == 1 && first[0] == TLS_HANDSHAKE {
        let accepted = tokio::time::timeout(OPENING, tls.accept(stream)).await;
        let Ok(Ok(mut tls)) = accepted else {
            refused.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        let mut recorder = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], to))).await?;
        copy_bidirectional(&mut tls, &mut recorder).await?;
    } else {
        let mut plain = stream;
        let mut recorder = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], to))).await?;
        copy_bidirectional(&mut plain, &mut recorder).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same port takes a plain POST and one over TLS (accepting the
    /// self-signed certificate, as the browser is told to), and records both.
    #[tokio::test]
    async fn one_port_records_posts_over_http_and_https() {
        let machine = UserMachine::start().await.unwrap();
        let port = machine.port();
        let plain = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/"))
            .form(&[("api_key", "PLAIN")])
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 204);
        let secure = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap()
            .post(format!("https://localhost:{port}/"))
            .form(&[("api_key", "SECURE")])
            .send()
            .await
            .unwrap();
        assert_eq!(secure.status(), 204);
        let keys: Vec<String> = machine
            .callbacks()
            .iter()
            .filter_map(AgentCallback::api_key)
            .collect();
        assert_eq!(keys, ["PLAIN", "SECURE"]);
        assert_eq!(machine.tls_refused(), 0);
        // A client that does not take the certificate is counted.
        let strict = reqwest::Client::new()
            .post(format!("https://localhost:{port}/"))
            .send()
            .await;
        assert!(strict.is_err());
        for _ in 0..50 {
            if machine.tls_refused() > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(machine.tls_refused(), 1);
        assert_eq!(machine.callbacks().len(), 2);
    }
}
