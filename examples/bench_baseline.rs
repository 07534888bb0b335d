//! The throughput baselines for `bench/throughput.sh`, on the same kind of
//! runtime as `authconform serve` (tokio multi-thread, all drivers enabled):
//!
//! - **bare**: `GET /baseline` returns a small constant JSON body, no check;
//! - **ideal** (with `IDEAL_DIR`): for each vendor, the reference server's
//!   token-validated route as a hand-written axum route would serve it: the
//!   same credential-check shape (the bearer token, LAC's auth token or
//!   LiquidFiles' Basic API key looked up in a `HashMap`; FileVerbs' HS256 JWT
//!   verified, its `exp` checked and its `sub` looked up) and the same answer
//!   bytes and `Content-Type` as the reference server gave. What the reference
//!   server adds beyond that (its serving limits, the request log, its general
//!   routing and stores) is what `reference / ideal` measures.
//!
//! Usage: `bench_baseline ADDR [IDEAL_DIR]`. `IDEAL_DIR` holds, per vendor
//! (`limecraft`, `lac`, `fileverbs`, `liquidfiles`; any may be missing):
//! `V.path` (the route), `V.auth` (the `Authorization` value the reference
//! server accepted), `V.body` and `V.type` (its answer's body and content type).
//! The ideal server writes `V.auth.ideal`: the `Authorization` value it accepts
//! (the same as `V.auth`, except FileVerbs' JWT, signed again with the ideal
//! server's own key). Once bound it prints `{"listening":"ADDR"}` on stdout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The whole response body of the bare route: small, constant, JSON.
const BODY: &str = r#"{"status":"ok"}"#;

async fn constant() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

/// How a vendor's credential is read from `Authorization`.
#[derive(Clone, Copy)]
enum Shape {
    /// `Bearer <token>` (Limecraft).
    Bearer,
    /// `CALiveAPICreator <token>:1` (LAC).
    Lac,
    /// `Basic base64(<key>:<anything>)` (LiquidFiles).
    Basic,
    /// `Bearer <HS256 JWT>` with `sub` and `exp` (FileVerbs).
    Jwt,
}

/// One vendor's ideal route.
struct Ideal {
    shape: Shape,
    /// Credential → answer body (for `Jwt`: the JWT's `sub` → body).
    known: HashMap<String, Bytes>,
    content_type: HeaderValue,
    /// `Jwt` only: the ideal server's own signing key.
    jwt_key: Hmac<Sha256>,
}

#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
}

impl Ideal {
    /// The answer body for this request's credential, if it is known.
    fn check(&self, headers: &HeaderMap) -> Option<&Bytes> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        match self.shape {
            Shape::Bearer => self.known.get(value.strip_prefix("Bearer ")?),
            Shape::Lac => {
                let token = value
                    .strip_prefix("CALiveAPICreator ")?
                    .strip_suffix(":1")?;
                self.known.get(token)
            }
            Shape::Basic => {
                let raw = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
                let userpass = std::str::from_utf8(&raw).ok()?;
                self.known.get(userpass.split_once(':')?.0)
            }
            Shape::Jwt => {
                let jwt = value.strip_prefix("Bearer ")?;
                let (signed, signature) = jwt.rsplit_once('.')?;
                let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
                let mut mac = self.jwt_key.clone();
                mac.update(signed.as_bytes());
                mac.verify_slice(&signature).ok()?;
                let payload = URL_SAFE_NO_PAD.decode(signed.split_once('.')?.1).ok()?;
                let claims: Claims = serde_json::from_slice(&payload).ok()?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_secs() as i64;
                (now < claims.exp).then_some(())?;
                self.known.get(&claims.sub)
            }
        }
    }
}

async fn ideal(State(ideal): State<Arc<Ideal>>, headers: HeaderMap) -> Response {
    match ideal.check(&headers) {
        Some(body) => (
            [(header::CONTENT_TYPE, ideal.content_type.clone())],
            body.clone(),
        )
            .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Reads `dir/V.*` for each vendor present and builds its route; writes `V.auth.ideal`.
fn ideal_routes(dir: &Path) -> Result<Router, String> {
    let read = |name: String| {
        std::fs::read_to_string(dir.join(&name))
            .map(|s| s.trim_end_matches('\n').to_owned())
            .map_err(|e| format!("{name}: {e}"))
    };
    let mut router = Router::new();
    for (vendor, shape) in [
        ("limecraft", Shape::Bearer),
        ("lac", Shape::Lac),
        ("fileverbs", Shape::Jwt),
        ("liquidfiles", Shape::Basic),
    ] {
        if !dir.join(format!("{vendor}.path")).exists() {
            continue;
        }
        let path = read(format!("{vendor}.path"))?;
        let auth = read(format!("{vendor}.auth"))?;
        let body = Bytes::from(
            std::fs::read(dir.join(format!("{vendor}.body")))
                .map_err(|e| format!("{vendor}.body: {e}"))?,
        );
        let content_type = HeaderValue::from_str(&read(format!("{vendor}.type"))?)
            .map_err(|e| format!("{vendor}.type: {e}"))?;
        let mut key = [0u8; 32];
        rand_bytes(&mut key);
        let jwt_key = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
        let (credential, accepted) = match shape {
            Shape::Bearer => {
                let t = auth
                    .strip_prefix("Bearer ")
                    .ok_or("limecraft.auth: not Bearer")?;
                (t.to_owned(), auth.clone())
            }
            Shape::Lac => {
                let t = auth
                    .strip_prefix("CALiveAPICreator ")
                    .and_then(|t| t.strip_suffix(":1"))
                    .ok_or("lac.auth: not CALiveAPICreator <token>:1")?;
                (t.to_owned(), auth.clone())
            }
            Shape::Basic => {
                let raw = auth
                    .strip_prefix("Basic ")
                    .and_then(|b| STANDARD.decode(b).ok())
                    .ok_or("liquidfiles.auth: not Basic")?;
                let userpass = String::from_utf8(raw).map_err(|e| e.to_string())?;
                let key = userpass.split_once(':').map_or(&*userpass, |(k, _)| k);
                (key.to_owned(), auth.clone())
            }
            Shape::Jwt => {
                // The reference server's JWT, signed again with this server's key:
                // the same header and claims, so the same bytes to decode.
                let jwt = auth
                    .strip_prefix("Bearer ")
                    .ok_or("fileverbs.auth: not Bearer")?;
                let (signed, _) = jwt.rsplit_once('.').ok_or("fileverbs.auth: not a JWT")?;
                let payload = signed.split_once('.').ok_or("fileverbs.auth: not a JWT")?.1;
                let claims: Claims = URL_SAFE_NO_PAD
                    .decode(payload)
                    .ok()
                    .and_then(|p| serde_json::from_slice(&p).ok())
                    .ok_or("fileverbs.auth: no sub/exp claims")?;
                let mut mac = jwt_key.clone();
                mac.update(signed.as_bytes());
                let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
                (claims.sub, format!("Bearer {signed}.{signature}"))
            }
        };
        std::fs::write(dir.join(format!("{vendor}.auth.ideal")), &accepted)
            .map_err(|e| format!("{vendor}.auth.ideal: {e}"))?;
        let state = Arc::new(Ideal {
            shape,
            known: HashMap::from([(credential, body)]),
            content_type,
            jwt_key,
        });
        router = router.route(&path, get(ideal).with_state(state));
    }
    Ok(router)
}

/// Random bytes from the OS (a signing key nobody else knows).
fn rand_bytes(out: &mut [u8]) {
    use std::io::Read;
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(out);
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(arg) = args.next() else {
        eprintln!("usage: bench_baseline ADDR [IDEAL_DIR]   (e.g. 127.0.0.1:8081)");
        return ExitCode::from(2);
    };
    let addr: SocketAddr = match arg.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_baseline: `{arg}` is not an address: {e}");
            return ExitCode::from(2);
        }
    };
    let mut app = Router::new().route("/baseline", get(constant));
    if let Some(dir) = args.next() {
        match ideal_routes(Path::new(&dir)) {
            Ok(routes) => app = app.merge(routes),
            Err(e) => {
                eprintln!("bench_baseline: {e}");
                return ExitCode::from(2);
            }
        }
    }
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
        match axum::serve(listener, app).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench_baseline: the server failed: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
