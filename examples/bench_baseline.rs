//! The throughput baseline for `bench/throughput.sh`: a bare axum 0.8 server
//! with one route returning a small constant JSON body, on the same kind of
//! runtime as `authconform serve` (tokio multi-thread, all drivers enabled), so
//! that the ratio "reference server / baseline" isolates what the reference
//! server adds per request (routing, token lookup, JSON building, logging).
//!
//! Usage: `cargo run --release --example bench_baseline -- 127.0.0.1:PORT`
//! (`GET /baseline` → `{"status":"ok"}`). Once bound it prints
//! `{"listening":"ADDR"}` on stdout.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// The whole response body: small, constant, JSON.
const BODY: &str = r#"{"status":"ok"}"#;

async fn constant() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

fn main() -> ExitCode {
    let Some(arg) = std::env::args().nth(1) else {
        eprintln!("usage: bench_baseline ADDR   (e.g. 127.0.0.1:8081)");
        return ExitCode::from(2);
    };
    let addr: SocketAddr = match arg.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_baseline: `{arg}` is not an address: {e}");
            return ExitCode::from(2);
        }
    };
    // The same runtime as `authconform serve` builds in src/main.rs.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_baseline: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("bench_baseline: cannot listen on {addr}: {e}");
                return ExitCode::from(2);
            }
        };
        if let Ok(local) = listener.local_addr() {
            // serde_json keeps the startup line machine-readable for scripts.
            println!("{}", serde_json::json!({ "listening": local.to_string() }));
        }
        let app = Router::new().route("/baseline", get(constant));
        match axum::serve(listener, app).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench_baseline: the server failed: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
