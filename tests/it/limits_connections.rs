//! Issue #12, the connection cap: a flood of idle connections beyond
//! `max_connections` neither takes a connection already being served down nor
//! keeps a well-formed client from being served.

use std::time::{Duration, Instant};

use authconform::reference::serving::ServeLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::limits_timeouts::spawn_with;

const REQUEST: &[u8] = b"GET /limecraft/api/authentication/user HTTP/1.1\r\nHost: x\r\n\r\n";

/// Sends one request on `stream` and reads its (small) answer's status.
async fn status_on(stream: &mut TcpStream) -> u16 {
    stream.write_all(REQUEST).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_connection_flood_leaves_served_and_new_clients_served() {
    let server = spawn_with(ServeLimits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 8,
        ..ServeLimits::default()
    })
    .await;
    // A client already being served, on a kept-alive connection.
    let mut served = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(status_on(&mut served).await, 401);
    // Five times the cap in idle connections (they sit in the backlog or hold
    // a slot until the header timeout closes them).
    let mut flood = Vec::new();
    for _ in 0..40 {
        flood.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // The one already served is not harmed.
    assert_eq!(status_on(&mut served).await, 401);
    drop(served);
    // A new well-formed client gets in once idle ones time out.
    let started = Instant::now();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let r = client
        .get(format!(
            "{}/limecraft/api/authentication/user",
            server.url()
        ))
        .send()
        .await
        .expect("served despite the flood");
    assert_eq!(r.status(), 401);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    drop(flood);
}
