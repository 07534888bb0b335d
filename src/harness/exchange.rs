//! One HTTP exchange with the server under test: the request the harness sends,
//! the response it gets, checked against the vendor's spec, and how to show
//! both in a report (secrets redacted, with a `curl` line that reproduces it).

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::harness::console::neutral;
use crate::redact::Secrets;
use crate::spec::{Spec, SpecViolation};

/// The most of a response body the harness reads: a conforming answer of
/// any of these APIs is a few kilobytes, and the spec check needs no more.
/// Beyond it the exchange is a transport error that says so, and the rest is
/// never read (a server under test once sent 2 GB and cost `check` 5.5 GB).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Why a body was not read whole.
#[derive(Debug)]
pub enum BodyError {
    /// More than the cap: declared by `Content-Length` (not read at all),
    /// or found while reading (the bytes read so far).
    TooLarge {
        declared: Option<u64>,
        read: usize,
    },
    Transport(reqwest::Error),
}

impl BodyError {
    /// What the server did, in one line.
    pub fn describe(&self, cap: usize) -> String {
        match self {
            BodyError::TooLarge {
                declared: Some(n), ..
            } => format!(
                "the answer declares a body of {n} bytes (Content-Length), over the {cap} bytes the harness reads; not read"
            ),
            BodyError::TooLarge { read, .. } => format!(
                "the answer's body went past the {cap} bytes the harness reads; stopped reading after {read} bytes"
            ),
            BodyError::Transport(e) => describe_reqwest_error(e),
        }
    }
}

/// Reads `response`'s body, at most `cap` bytes: a body declared larger is
/// not read, one that grows larger is cut where it passes the cap, so an
/// endless body costs `cap` bytes of memory and the time to read them.
pub async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = response.content_length();
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(BodyError::TooLarge { declared, read: 0 });
    }
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(cap));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > cap {
            return Err(BodyError::TooLarge {
                declared: None,
                read: body.len() + chunk.len(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A request body as a step builds it.
#[derive(Clone, Debug)]
pub enum Body {
    Json(Value),
    Form(Vec<(String, String)>),
    /// Bytes sent as they are, for malformed-input probes.
    Raw {
        content_type: String,
        bytes: Vec<u8>,
    },
}

/// An HTTP method as a feature names it (`{method}`: GET, POST, PUT, DELETE…).
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "method", regex = "GET|HEAD|POST|PUT|PATCH|DELETE")]
pub struct HttpMethod(pub Method);

impl std::str::FromStr for HttpMethod {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, Self::Err> {
        words
            .parse()
            .map(HttpMethod)
            .map_err(|_| format!("`{words}` is not an HTTP method"))
    }
}

/// A request relative to the target's base URL.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    /// The spec's path template (`/user/{id}/enable2fa`): which operation this is.
    pub operation: &'static str,
    /// The concrete path (`/user/1003/enable2fa`).
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    /// Send to this base URL instead of the target's: another API of the same
    /// deployment (LAC: one whose properties or provider differ).
    pub base_url: Option<String>,
}

impl Call {
    pub fn new(method: Method, operation: &'static str) -> Self {
        Call {
            method,
            operation,
            path: operation.to_owned(),
            query: vec![],
            headers: vec![],
            body: None,
            base_url: None,
        }
    }

    pub fn on_base_url(mut self, base_url: &str) -> Self {
        self.base_url = Some(base_url.trim_end_matches('/').to_owned());
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.to_owned(), v.to_owned()));
        self
    }

    /// A header, its name sent exactly as written here (`SecretKey`,
    /// `Authorization`: the documents' spelling, as curl keeps it).
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn json(mut self, v: Value) -> Self {
        self.body = Some(Body::Json(v));
        self
    }

    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.body = Some(Body::Form(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ));
        self
    }

    pub fn raw(mut self, content_type: &str, bytes: Vec<u8>) -> Self {
        self.body = Some(Body::Raw {
            content_type: content_type.to_owned(),
            bytes,
        });
        self
    }
}

/// A request as sent and the response as received.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub operation: &'static str,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// The response body, when it is JSON.
    pub json: Option<Value>,
    /// What the spec says is wrong with the response, if anything.
    pub spec_violation: Option<SpecViolation>,
}

impl Exchange {
    /// A string field of the JSON body.
    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.json.as_ref()?.get(name)?.as_str()
    }

    pub fn field(&self, name: &str) -> Option<&Value> {
        self.json.as_ref()?.get(name)
    }

    /// Every `Set-Cookie` header of the response.
    pub fn set_cookies(&self) -> impl Iterator<Item = &str> {
        self.response_headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
    }

    /// The `Set-Cookie` header that sets the cookie `name`, parsed.
    pub fn set_cookie(&self, name: &str) -> Option<cookie::Cookie<'static>> {
        self.set_cookies()
            .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
            .find(|c| c.name() == name)
    }

    /// The exchange as a report shows it, every secret masked.
    pub fn render(&self, secrets: &Secrets) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "request:  {} {}\n",
            self.method,
            secrets.redact_url(&self.url)
        ));
        out.push_str(&format!("response: HTTP {}\n", self.status));
        // What the server sent is shown with its control characters and
        // workflow-command lines escaped (`console::neutral`).
        for (k, v) in &self.response_headers {
            out.push_str(&format!(
                "  {}: {}\n",
                neutral(k),
                neutral(&secrets.redact_header(k, v))
            ));
        }
        let body = neutral(&shown(secrets, &self.response_body, 2000)).into_owned();
        if body.is_empty() {
            out.push_str("  (empty body)\n");
        } else {
            out.push_str(&format!("  {body}\n"));
        }
        out.push_str(&format!("reproduce:\n  {}\n", self.curl(secrets)));
        out
    }

    /// A `curl` command that sends the same request; secrets appear as `<redacted>`
    /// placeholders for the reader to fill in.
    pub fn curl(&self, secrets: &Secrets) -> String {
        let mut parts = vec![
            "curl -sS -i".to_owned(),
            format!("-X {}", self.method),
            shell_quote(&secrets.redact_url(&self.url)),
        ];
        for (k, v) in &self.request_headers {
            parts.push(format!(
                "-H {}",
                shell_quote(&format!("{k}: {}", secrets.redact_header(k, v)))
            ));
        }
        if let Some(body) = &self.request_body {
            parts.push(format!(
                "--data-raw {}",
                shell_quote(&truncate(&secrets.redact(body), 2000))
            ));
        }
        parts.join(" ")
    }
}

/// The first `max` bytes of `body` as a report shows them, redacted: only a
/// prefix (with room for a secret that straddles the cut) is redacted, not
/// a body of megabytes.
fn shown(secrets: &Secrets, body: &str, max: usize) -> String {
    let prefix = truncate_at(body, max + 1024);
    let redacted = secrets.redact(prefix);
    let visible = truncate_at(&redacted, max);
    if visible.len() < redacted.len() || prefix.len() < body.len() {
        format!("{visible}… ({} bytes in all)", body.len())
    } else {
        visible.to_owned()
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn truncate_at(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// Single-quotes a string for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The HTTP client of one run: a base URL, the spec to check against, the
/// secrets to mask.
///
/// Header names go on the wire exactly as the call writes them
/// (`SecretKey: …`, `Authorization: …`), as the documents write them and
/// curl sends them: a server that matches a header name case-sensitively is
/// then judged by the scenario that checks other spellings (RFC 9110 §5.1),
/// not by every scenario at once. hyper, and so reqwest, can only lower-case
/// or Title-Case names (its original-case map is private: hyper issue #2695);
/// ureq 3's `header_raw` keeps them. ureq is blocking: each request runs on
/// tokio's blocking pool.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    base_url: String,
    /// The vendor's OpenAPI document every answer is checked against, if it has one.
    spec: Option<&'static Spec>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &self.base_url)
            .field("spec", &self.spec.map(|s| s.vendor))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{method} {url} failed: {message}")]
pub struct TransportError {
    pub method: String,
    pub url: String,
    pub message: String,
    /// The status, when the server answered but its body was not read
    /// (larger than [`MAX_BODY_BYTES`], or broken off).
    pub answered: Option<u16>,
    /// What went wrong, for a message that says what to fix.
    pub kind: TransportKind,
}

/// What kind of transport error a request met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection (refused, no route, DNS, connect timeout).
    Connect,
    /// Connected, but no (whole) answer within the timeout.
    NoAnswer,
    /// `https://` to a server that speaks plain HTTP.
    PlainHttp,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// It answered, but its body could not be read whole (too large, cut).
    Body,
    Other,
}

impl TransportKind {
    /// The kind of `e`, whose whole chain of causes reads `chain`.
    fn of(e: &ureq::Error, chain: &str) -> TransportKind {
        if chain.contains("InvalidContentType") || chain.contains("corrupt message") {
            TransportKind::PlainHttp
        } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("TLS") {
            TransportKind::Tls
        } else if is_refused(e) {
            TransportKind::Connect
        } else if matches!(e, ureq::Error::Timeout(_)) {
            TransportKind::NoAnswer
        } else {
            TransportKind::Other
        }
    }
}

impl HttpClient {
    pub fn new(
        spec: Option<&'static Spec>,
        base_url: &str,
        insecure_tls: bool,
        timeout: Duration,
    ) -> Result<Self, String> {
        let tls = ureq::tls::TlsConfig::builder()
            .disable_verification(insecure_tls)
            .build();
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // Redirects are part of what is tested, never followed silently.
            .max_redirects(0)
            .max_redirects_will_error(false)
            // Every status is an answer to judge, not an error.
            .http_status_as_error(false)
            .tls_config(tls)
            // Under the reference server's keep-alive idle limit (10 s): a
            // pooled connection is never one the server is closing.
            .max_idle_age(Duration::from_secs(5))
            .build();
        Ok(HttpClient {
            agent: config.into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            spec,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn url_of(&self, call: &Call) -> String {
        let base = call.base_url.as_deref().unwrap_or(&self.base_url);
        let mut url = format!("{base}{}", call.path);
        if !call.query.is_empty() {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(call.query.iter())
                .finish();
            url.push('?');
            url.push_str(&q);
        }
        url
    }

    pub async fn send(&self, call: &Call) -> Result<Exchange, TransportError> {
        let url = self.url_of(call);
        let mut headers = call.headers.clone();
        let body: Option<Vec<u8>> = match &call.body {
            Some(Body::Json(v)) => {
                headers.push(("Content-Type".into(), "application/json".into()));
                Some(v.to_string().into_bytes())
            }
            Some(Body::Form(pairs)) => {
                let text: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.iter())
                    .finish();
                headers.push((
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
                Some(text.into_bytes())
            }
            Some(Body::Raw {
                content_type,
                bytes,
            }) => {
                headers.push(("Content-Type".into(), content_type.clone()));
                Some(bytes.clone())
            }
            None => None,
        };
        let request_body = body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let method = call.method.to_string();
        let (agent, sent_method, sent_url, sent_headers) = (
            self.agent.clone(),
            call.method.clone(),
            url.clone(),
            headers.clone(),
        );
        let answer = tokio::task::spawn_blocking(move || {
            exchange_blocking(&agent, &sent_method, &sent_url, &sent_headers, body)
        })
        .await
        .unwrap_or_else(|e| {
            Err((
                None,
                TransportKind::Other,
                format!("the request was abandoned: {e}"),
            ))
        });
        let (status, response_headers, bytes) =
            answer.map_err(|(answered, kind, message)| TransportError {
                method: method.clone(),
                url: crate::redact::redact_query(&url),
                message,
                answered,
                kind,
            })?;
        let spec_violation = self.spec.and_then(|spec| {
            spec.check_response(&method, call.operation, status, &bytes)
                .err()
        });
        Ok(Exchange {
            method,
            operation: call.operation,
            url,
            request_headers: headers,
            request_body,
            status,
            response_headers,
            json: serde_json::from_slice(&bytes).ok(),
            response_body: String::from_utf8_lossy(&bytes).into_owned(),
            spec_violation,
        })
    }
}

/// The status, headers and body of one request, every header name as given;
/// or why not (with the status when the server answered).
type Answer = Result<(u16, Vec<(String, String)>, Vec<u8>), (Option<u16>, TransportKind, String)>;

fn exchange_blocking(
    agent: &ureq::Agent,
    method: &reqwest::Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<Vec<u8>>,
) -> Answer {
    macro_rules! with_headers {
        ($builder:expr) => {{
            let mut b = $builder;
            for (k, v) in headers {
                b = b.header_raw(k, v.as_bytes());
            }
            b
        }};
    }
    let sent = match method.as_str() {
        "POST" => with_headers!(agent.post(url)).send(body.unwrap_or_default()),
        "PUT" => with_headers!(agent.put(url)).send(body.unwrap_or_default()),
        "PATCH" => with_headers!(agent.patch(url)).send(body.unwrap_or_default()),
        other => {
            let b = match other {
                "GET" => agent.get(url),
                "HEAD" => agent.head(url),
                "DELETE" => agent.delete(url),
                "OPTIONS" => agent.options(url),
                _ => {
                    return Err((
                        None,
                        TransportKind::Other,
                        format!("the harness does not send {other} requests"),
                    ));
                }
            };
            let b = with_headers!(b);
            match body {
                Some(body) => b.force_send_body().send(body),
                None => b.call(),
            }
        }
    };
    let mut response = sent.map_err(|e| {
        let message = describe_error(&e);
        (None, TransportKind::of(&e, &message), message)
    })?;
    let status = response.status().as_u16();
    let response_headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    // At most MAX_BODY_BYTES: a body declared larger is not read, one that
    // grows larger is cut where it passes the cap (as `read_capped`).
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let too_large =
        |declared, read| BodyError::TooLarge { declared, read }.describe(MAX_BODY_BYTES);
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err((
            Some(status),
            TransportKind::Body,
            format!("HTTP {status}: {}", too_large(declared, 0)),
        ));
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES as u64)
        .read_to_vec()
        .map_err(|e| {
            let why = match e {
                ureq::Error::BodyExceedsLimit(_) => too_large(None, MAX_BODY_BYTES + 1),
                other => describe_error(&other),
            };
            (
                Some(status),
                TransportKind::Body,
                format!("HTTP {status}: {why}"),
            )
        })?;
    Ok((status, response_headers, bytes))
}

fn describe_error(e: &ureq::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    if is_refused(e) {
        msg.push_str(" (is the server running, and is base_url right?)");
    } else if matches!(e, ureq::Error::Timeout(_)) {
        msg.push_str(" (the server did not answer in time; raise timeout_seconds in the target file if it is slow)");
    }
    msg
}

/// No connection: refused, reset, no such host.
fn is_refused(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::ConnectionFailed | ureq::Error::HostNotFound)
        || matches!(e, ureq::Error::Io(io) if matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
        ))
}

/// A reqwest error as one line (the control API's client, which is reqwest).
pub fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_connect() {
        msg.push_str(" (is the server running, and is base_url right?)");
    } else if e.is_timeout() {
        msg.push_str(" (the server did not answer in time; raise timeout_seconds in the target file if it is slow)");
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Exchange {
        Exchange {
            method: "POST".into(),
            operation: "/authentication/login",
            url: "http://h/api/authentication/login?access_token=tok123456".into(),
            request_headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Authorization".into(), "Bearer tok123456".into()),
            ],
            request_body: Some(r#"{"username":"alice","password":"pw-it's-secret"}"#.into()),
            status: 200,
            response_headers: vec![(
                "set-cookie".into(),
                "MOJITO_SESSION_ID_V2=tok123456; Path=/".into(),
            )],
            response_body: r#"{"token":"tok123456"}"#.into(),
            json: None,
            spec_violation: None,
        }
    }

    #[test]
    fn reports_never_show_secrets() {
        let secrets = Secrets::default();
        secrets.register("pw-it's-secret");
        let text = sample().render(&secrets);
        assert!(!text.contains("tok123456"), "{text}");
        assert!(!text.contains("pw-it"), "{text}");
        assert!(text.contains("curl -sS -i -X POST"), "{text}");
        assert!(text.contains("Authorization: Bearer <redacted>"), "{text}");
    }

    /// What a server reads: the request head, byte for byte.
    fn head_received(call: Call) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .unwrap();
            String::from_utf8(head).unwrap()
        });
        let client = HttpClient::new(None, &base, false, Duration::from_secs(5)).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let x = runtime.block_on(client.send(&call)).unwrap();
        assert_eq!(x.status, 200);
        server.join().unwrap()
    }

    #[test]
    fn header_names_go_on_the_wire_as_written() {
        let call = Call::new(Method::GET, "/endpoint")
            .header("SecretKey", "k1")
            .header("Authorization", "CALiveAPICreator k2:1")
            .header("SECRETKEY", "k3");
        let head = head_received(call);
        for line in [
            "\r\nSecretKey: k1\r\n",
            "\r\nAuthorization: CALiveAPICreator k2:1\r\n",
            "\r\nSECRETKEY: k3\r\n",
        ] {
            assert!(head.contains(line), "{line:?} not in {head:?}");
        }
        assert!(head.starts_with("GET /endpoint HTTP/1.1\r\n"), "{head:?}");
    }

    #[test]
    fn curl_quotes_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
