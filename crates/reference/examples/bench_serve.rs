//! `authconform serve --hash-cost test` as far as the serving path goes (the
//! reference server, its limits, the request log into a [`LogSink`] on
//! stderr), without the harness: built with this crate alone, so a change to
//! the serving path can be profiled (callgrind, perf) a few minutes sooner
//! than through the whole CLI. `bench/throughput.sh` measures the CLI itself.
//!
//! `cargo run --release -p authconform-reference --example bench_serve -- 127.0.0.1:PORT [--no-log]`

use authconform_reference::request_log::{LogSink, RequestLog};
use authconform_reference::secret::HashCost;
use authconform_reference::{ReferenceConfig, ReferenceServer};

fn main() {
    let mut args = std::env::args().skip(1);
    let addr: std::net::SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: bench_serve ADDR [--no-log]");
    let log = args.next().as_deref() != Some("--no-log");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let (sink, _flush) = LogSink::new(std::io::stderr());
        let config = ReferenceConfig {
            hash_cost: HashCost::Test,
            request_log: if log {
                RequestLog::Sink(sink)
            } else {
                RequestLog::Off
            },
            ..ReferenceConfig::default()
        };
        let server = ReferenceServer::new(config);
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        server.serve(listener, std::future::pending()).await;
    });
}
