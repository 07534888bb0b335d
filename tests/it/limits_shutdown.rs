//! Issue #12, shutdown: once asked to stop, the server stops accepting, lets
//! a request in flight finish, and returns within its grace period even with
//! a connection stuck in a half-sent request.

use std::time::{Duration, Instant};

use authconform::reference::serving::ServeLimits;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn shutdown_with_a_stuck_connection_ends_within_the_grace() {
    let server = ReferenceServer::new(ReferenceConfig {
        limits: ServeLimits {
            // Far beyond the grace: only the grace can end this connection.
            header_read_timeout: Duration::from_secs(60),
            body_idle_timeout: Duration::from_secs(60),
            body_total_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_millis(500),
            ..ServeLimits::default()
        },
        ..ReferenceConfig::for_tests()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        server
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await
    });
    // A half-sent request: its head is in, its body never comes.
    let mut stuck = TcpStream::connect(addr).await.unwrap();
    stuck
        .write_all(
            b"POST /limecraft/api/authentication/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    // A served, idle keep-alive connection: closed at once on shutdown.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /limecraft/api/authentication/user HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 2048];
    assert!(idle.read(&mut buf).await.unwrap() > 0);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    stop.send(()).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve returned within 5 s")
        .unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(450),
        "{took:?}: the grace was not given"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(outcome.abandoned, 1, "{outcome:?}");
    // No longer accepting.
    assert!(TcpStream::connect(addr).await.is_err());
    drop(stuck);
}
