//! Stateless stubs generated from `specs/`, for teams on other stacks: WireMock
//! JSON mappings (`authconform mock export --format wiremock`), the OpenAPI
//! document itself (`--format openapi`), and the same stubs as wiremock-rs
//! `Mock`s (`stubs.rs`, feature `wiremock-stubs`).
//!
//! One stub list per vendor, made from the spec: for every operation, a
//! success stub (its request example, when the spec has one, must match the
//! body, as JSON and, where the call also takes a form, as form parameters;
//! the answer is the response example, or an instance made from the response
//! schema) and a lower-priority fallback answering the operation's first
//! documented error (its example). A call the spec protects answers its
//! success only to the example credential (the token, key or API key of the
//! spec's own sign-on example), with one success stub per transport its
//! security schemes name (header, query parameter, cookie; LiquidFiles' key
//! as the HTTP Basic user name with any password), so the 401
//! fallback is what any other caller gets. A header the spec declares with
//! an example is sent (the `Set-Cookie` of a login: a client that keeps
//! cookies then uses the cookie transport). An XML request (LiquidFiles'
//! `POST /login`) matches by structure, any user (XPath: any formatting,
//! character references decoded), and so does its JSON form; the stub for
//! each answers in kind. An `expiration` in an answer is templated relative
//! to now, so a client never receives a key that expired in 2014. Where a
//! stateful step can be written as a WireMock scenario it is one: Limecraft's
//! logout ends the example token (its protected calls then answer 401),
//! LAC's disabling its auth token (each named request example of
//! `@authentication` answers its namesake response example; disabling again
//! answers the same, as seed 002's idempotence says), FileVerbs'
//! revoke the example refresh token, until a login starts the session again.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use authconform_reference::spec;
use authconform_reference::vendor::Vendor;

/// What `mock export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `DIR/mappings/*.json`, for `java -jar wiremock-standalone.jar --root-dir DIR`.
    WireMock,
    /// `DIR/<vendor>.openapi.yaml`.
    OpenApi,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "wiremock" => Ok(Format::WireMock),
            "openapi" => Ok(Format::OpenApi),
            other => Err(format!(
                "unknown export format `{other}`; available: wiremock, openapi"
            )),
        }
    }
}

/// The WireMock scenario of a stub: the state it needs, the state it sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioStep {
    /// The scenario's name (one per stateful flow of a vendor).
    pub name: &'static str,
    /// The state the scenario must be in for the stub to match (`None`: in
    /// any state: a login starts the session again).
    pub required_state: Option<&'static str>,
    /// The state the scenario moves to when the stub answers (`None`: it stays).
    pub new_state: Option<&'static str>,
}

/// WireMock's name for a scenario's first state.
pub const STARTED: &str = "Started";

/// The state a scenario is in once its session ended (a logout).
pub const ENDED: &str = "ended";

/// A credential a request must carry, in the transport a security scheme of
/// the spec names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A header and its exact value (`Authorization: Bearer THE_TOKEN`).
    Header {
        /// The header's name.
        name: String,
        /// Its exact value.
        value: String,
    },
    /// A query parameter and its exact value (`?access_token=THE_TOKEN`).
    Query {
        /// The parameter's name.
        name: String,
        /// Its exact (decoded) value.
        value: String,
    },
    /// A cookie and its exact value (`MOJITO_SESSION_ID_V2=THE_TOKEN`).
    Cookie {
        /// The cookie's name.
        name: String,
        /// Its exact value.
        value: String,
    },
    /// HTTP Basic with this user name and any password (LiquidFiles' key:
    /// `key:` as the document writes it, `key:x` as its own CLIs and the
    /// community libraries send it; the spec says any password).
    BasicUser {
        /// The user name (the API key).
        user: String,
    },
}

/// A regular expression (Java's and the `regex` crate's) for
/// `Authorization: Basic base64(<user>:<any password>)`: the base64 of
/// `<user>:` as far as it does not depend on the password, then the
/// characters the password's first byte can make, then any base64.
pub fn basic_user_pattern(user: &str) -> String {
    use base64::Engine;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:").into_bytes();
    let whole = bytes.len() / 3 * 3;
    let mut pattern =
        regex_escape(&base64::engine::general_purpose::STANDARD.encode(&bytes[..whole]));
    let char_of = |i: u8| ALPHABET[usize::from(i)] as char;
    let class = |from: u8, to: u8| -> String {
        let chars: String = (from..=to).map(char_of).collect();
        format!("[{}]", chars.replace('+', "\\+"))
    };
    match bytes[whole..] {
        [b0] => {
            pattern.push(char_of(b0 >> 2));
            let high = (b0 & 3) << 4;
            pattern.push_str(&class(high, high | 15));
        }
        [b0, b1] => {
            pattern.push(char_of(b0 >> 2));
            pattern.push(char_of(((b0 & 3) << 4) | (b1 >> 4)));
            let high = (b1 & 15) << 2;
            pattern.push_str(&class(high, high | 3));
        }
        _ => {}
    }
    format!("^(?i:basic) +{pattern}[A-Za-z0-9+/]*={{0,2}}$")
}

/// One stateless stub: a request pattern and its canned answer.
#[derive(Clone, Debug)]
pub struct Stub {
    /// `login-200`, `login-fallback-401`: unique per vendor.
    pub name: String,
    /// The HTTP method, as the spec writes it (`POST`).
    pub method: String,
    /// Absolute path as the vendor serves it at the root (`/api/authentication/login`).
    pub path: String,
    /// The path has `{param}` segments: match it with [`Stub::path_regex`].
    pub templated: bool,
    /// The request body must equal this JSON (extra fields allowed).
    pub body: Option<Value>,
    /// Form parameters and the value each must have (a form body; other
    /// parameters allowed): the JSON example's fields, for a call that also
    /// takes a form (Limecraft's login).
    pub form: Vec<(String, String)>,
    /// XML elements the request body must have, whatever text they hold
    /// (LiquidFiles' `POST /login`: `/user/email`, `/user/password`: any
    /// user), as WireMock's `matchesXPath` matches them.
    pub xml_paths: Vec<String>,
    /// JSON paths the request body must have (`$.user.email`; `$` alone:
    /// any JSON body, which tells a JSON call's fallback from an XML one's).
    pub json_paths: Vec<String>,
    /// The credential the request must carry: the spec's example one, in one
    /// of the transports its security schemes name (a protected call gets a
    /// success stub per transport).
    pub credential: Option<Credential>,
    /// Top-level answer fields that hold a time this many seconds from now
    /// (`expiration`): templated in WireMock, computed when mounted in wiremock-rs.
    pub relative_times: Vec<(String, i64)>,
    /// Lower wins (WireMock's convention; wiremock-rs's too).
    pub priority: u8,
    /// The status of the canned answer.
    pub status: u16,
    /// The JSON answer (`application/json`).
    pub response: Option<Value>,
    /// An answer of another content type (XML, HTML), sent as it is.
    pub response_text: Option<TextBody>,
    /// Headers of the answer besides its `Content-Type`: each one the spec
    /// declares for it with an example (the `Set-Cookie` of Limecraft's
    /// login and FileVerbs' access token, so a client that keeps cookies can
    /// use the cookie transports).
    pub headers: Vec<(String, String)>,
    /// The WireMock scenario state the stub needs and sets, for a stateful flow.
    pub scenario: Option<ScenarioStep>,
}

/// A non-JSON body and its content type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextBody {
    /// The `Content-Type` it is sent with.
    pub content_type: String,
    /// The body, as it is sent.
    pub text: String,
}

/// XML with the whitespace between tags removed, for comparing two documents
/// that differ only in indentation.
/// The XML declaration (`<?xml …?>`) is optional, so it is dropped.
pub(crate) fn compact_xml(xml: &str) -> String {
    let mut xml = xml.trim();
    if xml.starts_with("<?xml")
        && let Some(end) = xml.find("?>")
    {
        xml = xml[end + 2..].trim_start();
    }
    let mut out = String::with_capacity(xml.len());
    for (i, part) in xml.split('>').enumerate() {
        if i > 0 {
            out.push('>');
        }
        match part.find('<') {
            Some(lt) if part[..lt].trim().is_empty() => out.push_str(&part[lt..]),
            _ => out.push_str(part),
        }
    }
    out
}

impl Stub {
    /// `^/api/user/[^/]+/enable2fa$` for a templated path.
    pub fn path_regex(&self) -> String {
        let segments: Vec<String> = self
            .path
            .split('/')
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    "[^/]+".to_owned()
                } else {
                    regex_escape(s)
                }
            })
            .collect();
        format!("^{}$", segments.join("/"))
    }

    /// The stub as a WireMock JSON mapping.
    pub fn wiremock_mapping(&self) -> Value {
        let mut request = Map::new();
        request.insert("method".into(), json!(self.method));
        if self.templated {
            request.insert("urlPathPattern".into(), json!(self.path_regex()));
        } else {
            request.insert("urlPath".into(), json!(self.path));
        }
        let mut patterns: Vec<Value> = Vec::new();
        if let Some(body) = &self.body {
            patterns.push(json!({ "equalToJson": body, "ignoreExtraElements": true }));
        }
        patterns.extend(self.xml_paths.iter().map(|p| json!({ "matchesXPath": p })));
        patterns.extend(
            self.json_paths
                .iter()
                .map(|p| json!({ "matchesJsonPath": p })),
        );
        if !patterns.is_empty() {
            request.insert("bodyPatterns".into(), Value::Array(patterns));
        }
        if !self.form.is_empty() {
            let fields: Map<String, Value> = self
                .form
                .iter()
                .map(|(k, v)| (k.clone(), json!({ "equalTo": v })))
                .collect();
            request.insert("formParameters".into(), Value::Object(fields));
        }
        if let Some(credential) = &self.credential {
            let (key, name, matcher) = match credential {
                Credential::Header { name, value } => {
                    ("headers", name.as_str(), json!({ "equalTo": value }))
                }
                Credential::Query { name, value } => (
                    "queryParameters",
                    name.as_str(),
                    json!({ "equalTo": value }),
                ),
                Credential::Cookie { name, value } => {
                    ("cookies", name.as_str(), json!({ "equalTo": value }))
                }
                Credential::BasicUser { user } => (
                    "headers",
                    "Authorization",
                    json!({ "matches": basic_user_pattern(user) }),
                ),
            };
            request.insert(key.into(), json!({ name: matcher }));
        }
        let mut response = Map::new();
        response.insert("status".into(), json!(self.status));
        if let Some(body) = &self.response
            && !self.relative_times.is_empty()
        {
            // Templated as text: WireMock templates a `jsonBody` after
            // escaping it, which breaks the quotes the time format needs.
            let mut body = body.clone();
            for (field, _) in &self.relative_times {
                if let Some(slot) = body.get_mut(field) {
                    *slot = json!(format!("@@{field}@@"));
                }
            }
            let mut text = body.to_string();
            for (field, seconds) in &self.relative_times {
                text = text.replace(
                    &format!("@@{field}@@"),
                    &format!(
                        "{{{{now offset='{seconds} seconds' format=\"{WIREMOCK_TIME_FORMAT}\"}}}}"
                    ),
                );
            }
            response.insert("body".into(), json!(text));
            response.insert("transformers".into(), json!(["response-template"]));
            response.insert(
                "headers".into(),
                json!({ "Content-Type": "application/json" }),
            );
        } else if let Some(body) = &self.response {
            response.insert("jsonBody".into(), body.clone());
            response.insert(
                "headers".into(),
                json!({ "Content-Type": "application/json" }),
            );
        } else if let Some(text) = &self.response_text {
            response.insert("body".into(), json!(text.text));
            response.insert(
                "headers".into(),
                json!({ "Content-Type": text.content_type }),
            );
        }
        if !self.headers.is_empty() {
            let mut headers = response
                .get("headers")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (name, value) in &self.headers {
                headers.insert(name.clone(), json!(value));
            }
            response.insert("headers".into(), Value::Object(headers));
        }
        let mut mapping = Map::new();
        mapping.insert("name".into(), json!(self.name));
        mapping.insert("priority".into(), json!(self.priority));
        mapping.insert("request".into(), Value::Object(request));
        mapping.insert("response".into(), Value::Object(response));
        if let Some(step) = &self.scenario {
            mapping.insert("scenarioName".into(), json!(step.name));
            if let Some(state) = step.required_state {
                mapping.insert("requiredScenarioState".into(), json!(state));
            }
            if let Some(new) = step.new_state {
                mapping.insert("newScenarioState".into(), json!(new));
            }
        }
        Value::Object(mapping)
    }
}

/// LAC's `expiration` format (`2014-12-31T23:59:59.999`), in WireMock's
/// (Java) and in jiff's (strftime) spelling.
const WIREMOCK_TIME_FORMAT: &str = "yyyy-MM-dd'T'HH:mm:ss.SSS";
/// LAC's `expiration` format in strftime's spelling (the wiremock-rs stubs).
pub const STRFTIME_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f";

/// How long a templated `expiration` lies ahead: a day, as a fresh key's would.
const EXPIRATION_AHEAD_SECONDS: i64 = 24 * 3600;

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A call of a scenario: method, path, and the name of the request example
/// it sends (`""`: any request to that path).
type Call = (&'static str, &'static str, &'static str);

/// The stateful flow a WireMock scenario expresses, per vendor: the call that
/// starts a session (any state: a new login starts it again), the call that
/// ends it, and the calls that then answer 401 until the next start.
struct SessionScenario {
    name: &'static str,
    starts: Call,
    ends: Call,
    /// Ending again answers as the first time did (LAC's disabling: seed
    /// 002, "This is idempotent and is considered a success even if the key
    /// has already expired or has been marked as disabled.").
    ends_idempotently: bool,
    needs: &'static [Call],
}

fn session_scenario(vendor: Vendor) -> Option<SessionScenario> {
    match vendor {
        Vendor::Limecraft => Some(SessionScenario {
            name: "limecraft-session",
            starts: ("POST", "/authentication/login", ""),
            ends: ("POST", "/authentication/logout", ""),
            ends_idempotently: false,
            needs: &[
                ("GET", "/authentication/user", ""),
                ("POST", "/user/{id}/enable2fa", ""),
            ],
        }),
        // A disabled auth token is refused, by the probe and a revalidation.
        Vendor::Lac => Some(SessionScenario {
            name: "lac-auth-token",
            starts: ("POST", "/@authentication", "signOn"),
            ends: ("POST", "/@authentication", "disable"),
            ends_idempotently: true,
            needs: &[
                ("POST", "/@authentication", "revalidate"),
                ("GET", "/probe", ""),
                ("POST", "/probe", ""),
                ("PUT", "/probe", ""),
                ("DELETE", "/probe", ""),
            ],
        }),
        // A revoked refresh token is refused; the JWT stays valid (stateless).
        Vendor::FileVerbs => Some(SessionScenario {
            name: "fileverbs-refresh",
            starts: ("POST", "/accounts/access-token", ""),
            ends: ("POST", "/accounts/revoke-token", ""),
            ends_idempotently: false,
            needs: &[("POST", "/accounts/refresh-token", "")],
        }),
        // LiquidFiles' key never ends.
        Vendor::LiquidFiles => None,
    }
}

/// The operation `id` of the spec.
fn operation<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    doc["paths"]
        .as_object()?
        .values()
        .find_map(|item| item.as_object()?.values().find(|o| o["operationId"] == id))
}

/// The example of a media type (`content/application/json`): its `example`,
/// else of its named `examples` the one called `name`, else the sign-on
/// (LAC's `signOn`), else the first by name (the parsed document keeps no
/// order).
fn media_example<'a>(media: &'a Value, name: Option<&str>) -> Option<&'a Value> {
    if let Some(example) = media.get("example") {
        return Some(example);
    }
    let named = media["examples"].as_object()?;
    name.and_then(|n| named.get(n))
        .or_else(|| named.get("signOn"))
        .or_else(|| named.values().next())
        .map(|e| &e["value"])
}

/// A string at `field` of the JSON example of operation `id`'s `status` answer.
fn response_example(doc: &Value, id: &str, status: &str, field: &str) -> Option<String> {
    let response = resolve(doc, &operation(doc, id)?["responses"][status]);
    media_example(response.pointer("/content/application~1json")?, None)?
        .pointer(field)?
        .as_str()
        .map(str::to_owned)
}

/// A string at `field` of the JSON request example of operation `id`.
fn request_example_field(doc: &Value, id: &str, field: &str) -> Option<String> {
    let content = operation(doc, id)?.pointer("/requestBody/content/application~1json")?;
    media_example(content, None)?
        .pointer(field)?
        .as_str()
        .map(str::to_owned)
}

/// What the security scheme `scheme` carries when a client holds the spec's
/// own example credential: Limecraft's login `token`; LAC's `apikey` as
/// `CALiveAPICreator <apikey>:1`, or `<apikey>:1` in the URL on GET only;
/// LiquidFiles' `api_key` as the HTTP Basic user name (any password); FileVerbs'
/// example `SecretKey`, or the JWT of its access-token example.
fn example_secret(vendor: Vendor, doc: &Value, scheme: &str, method: &str) -> Option<String> {
    match (vendor, scheme) {
        (Vendor::Limecraft, _) => response_example(doc, "login", "200", "/token"),
        (Vendor::Lac, "caLiveApiCreator") => {
            let key = response_example(doc, "authentication", "200", "/apikey")?;
            Some(format!("CALiveAPICreator {key}:1"))
        }
        (Vendor::Lac, "urlAuth") if method == "GET" => {
            let key = response_example(doc, "authentication", "200", "/apikey")?;
            Some(format!("{key}:1"))
        }
        (Vendor::LiquidFiles, _) => response_example(doc, "retrieveApiKey", "200", "/user/api_key"),
        (Vendor::FileVerbs, "secretKey") => request_example_field(doc, "accessToken", "/SecretKey"),
        (Vendor::FileVerbs, "bearer") => response_example(doc, "accessToken", "200", "/JwtToken"),
        _ => None,
    }
}

/// Every way the spec lets a client send its example credential to `op`,
/// named by security scheme: one per scheme of its `security` (else the
/// document's). Empty for a call the spec does not protect.
fn credentials(vendor: Vendor, doc: &Value, op: &Value, method: &str) -> Vec<(String, Credential)> {
    let requirements = op
        .get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for requirement in &requirements {
        let Some(names) = requirement.as_object() else {
            continue;
        };
        for name in names.keys() {
            let scheme = &doc["components"]["securitySchemes"][name];
            let Some(secret) = example_secret(vendor, doc, name, method) else {
                continue;
            };
            let field = scheme["name"].as_str().unwrap_or_default().to_owned();
            let credential = match (scheme["type"].as_str(), scheme["in"].as_str()) {
                (Some("http"), _) => {
                    let kind = scheme["scheme"].as_str().unwrap_or_default();
                    if kind.eq_ignore_ascii_case("basic") {
                        Credential::BasicUser { user: secret }
                    } else {
                        Credential::Header {
                            name: "Authorization".to_owned(),
                            value: format!("Bearer {secret}"),
                        }
                    }
                }
                (Some("apiKey"), Some("header")) => Credential::Header {
                    name: field,
                    value: secret,
                },
                (Some("apiKey"), Some("query")) => Credential::Query {
                    name: field,
                    value: secret,
                },
                (Some("apiKey"), Some("cookie")) => Credential::Cookie {
                    name: field,
                    value: secret,
                },
                _ => continue,
            };
            out.push((name.clone(), credential));
        }
    }
    out
}

/// A credential a call takes outside its security schemes: FileVerbs'
/// refresh token, in its HTTP-only cookie (`RefreshToken`, as the access
/// token's answer sets it) rather than in the body.
fn cookie_alternative(vendor: Vendor, doc: &Value, id: &str) -> Option<Credential> {
    match (vendor, id) {
        (Vendor::FileVerbs, "refreshToken" | "revokeToken") => Some(Credential::Cookie {
            name: "RefreshToken".to_owned(),
            value: response_example(doc, "accessToken", "200", "/RefreshToken")?,
        }),
        _ => None,
    }
}

/// The elements of an XML example that hold text: `/user/email` and
/// `/user/password` of `<user><email>…</email><password>…</password></user>`.
fn xml_leaves(xml: &str) -> Vec<String> {
    let compact = compact_xml(xml);
    let Some(root) = compact
        .strip_prefix('<')
        .and_then(|r| r.split(['>', ' ']).next())
    else {
        return Vec::new();
    };
    let mut leaves = Vec::new();
    let mut rest = compact.as_str();
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let name = &rest[..close];
        let end_tag = format!("</{name}>");
        if name != root
            && !name.starts_with('/')
            && let Some(end) = rest[close + 1..].find(&end_tag)
            && !rest[close + 1..close + 1 + end].contains('<')
        {
            leaves.push(format!("/{root}/{name}"));
        }
    }
    leaves
}

/// The JSON paths of an example's scalar fields: `$.user.email`, `$.user.password`.
fn json_leaves(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (name, v) in fields {
                json_leaves(v, &format!("{prefix}.{name}"), out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// How one success stub tells its request apart: the body it must carry.
#[derive(Clone, Default)]
struct RequestMatch {
    /// `xml`, `json`, `form`, `cookie`, or the name of a request example
    /// (LAC's `signOn`, `disable`): in the stub's name when a call has several.
    kind: String,
    /// The request example's name, whose namesake response example answers it.
    example: Option<String>,
    body: Option<Value>,
    form: Vec<(String, String)>,
    xml_paths: Vec<String>,
    json_paths: Vec<String>,
    credential: Option<Credential>,
}

/// The requests `op` answers with success: its XML example matched by
/// structure (any user: the LiquidFiles document's own script signs on
/// another one), and then its JSON example by structure too; else each named
/// JSON example that its success answer names too (LAC's sign-on,
/// revalidation and disabling), by value; else its JSON example by value,
/// and the same fields as form parameters when the call also takes a form
/// (Limecraft's login); else any body.
fn request_matches(
    vendor: Vendor,
    doc: &Value,
    op: &Value,
    id: &str,
    success: Option<&Value>,
) -> Vec<RequestMatch> {
    let content = &op["requestBody"]["content"];
    let xml_example = ["text/xml", "application/xml"]
        .iter()
        .find_map(|ct| content[*ct]["example"].as_str());
    let json = &content["application/json"];
    let json_example = media_example(json, None).cloned();
    let answered = success
        .and_then(|r| r.pointer("/content/application~1json/examples"))
        .and_then(Value::as_object);
    let named: Vec<(String, Value)> = json["examples"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| answered.is_some_and(|a| a.contains_key(*name)))
        .map(|(name, e)| (name.clone(), e["value"].clone()))
        .collect();
    let mut out = Vec::new();
    if let Some(xml) = xml_example {
        out.push(RequestMatch {
            kind: "xml".into(),
            xml_paths: xml_leaves(xml),
            ..Default::default()
        });
        if let Some(example) = &json_example {
            let mut paths = Vec::new();
            json_leaves(example, "$", &mut paths);
            out.push(RequestMatch {
                kind: "json".into(),
                json_paths: paths,
                ..Default::default()
            });
        }
    } else if !named.is_empty() {
        for (name, body) in named {
            out.push(RequestMatch {
                kind: name.clone(),
                example: Some(name),
                body: Some(body),
                ..Default::default()
            });
        }
    } else if let Some(example) = json_example {
        if content.get("application/x-www-form-urlencoded").is_some()
            && let Some(fields) = example.as_object()
        {
            out.push(RequestMatch {
                kind: "form".into(),
                form: fields
                    .iter()
                    .map(|(k, v)| {
                        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                        (k.clone(), text)
                    })
                    .collect(),
                ..Default::default()
            });
        }
        out.insert(
            0,
            RequestMatch {
                kind: "json".into(),
                body: Some(example),
                ..Default::default()
            },
        );
    } else {
        out.push(RequestMatch::default());
    }
    if let Some(cookie) = cookie_alternative(vendor, doc, id) {
        out.push(RequestMatch {
            kind: "cookie".into(),
            credential: Some(cookie),
            ..Default::default()
        });
    }
    out
}

/// Every stub of `vendor`, generated from its spec.
pub fn stubs(vendor: Vendor) -> Vec<Stub> {
    let spec = spec::for_vendor(vendor);
    let doc = spec.document();
    let base = vendor.api_base_path();
    let scenario = session_scenario(vendor);
    let mut out = Vec::new();
    for (method, path) in spec.operations() {
        let Some(op) = doc["paths"][&path].get(method.to_ascii_lowercase()) else {
            continue;
        };
        // An operation a stateless stub cannot play (see [`not_played`]).
        if op.get("x-authconform-not-stubbed").is_some() {
            continue;
        }
        let id = op["operationId"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{method}{path}").replace(['/', '{', '}', '@'], "-"));
        let templated = path.contains('{');
        let full = format!("{base}{path}");
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        let mut statuses: Vec<(u16, Value)> = responses
            .iter()
            .filter_map(|(k, v)| Some((k.parse::<u16>().ok()?, resolve(doc, v).clone())))
            .collect();
        statuses.sort_by_key(|(s, _)| *s);
        let success = statuses.iter().find(|(s, _)| (200..300).contains(s));
        let requests = request_matches(vendor, doc, op, &id, success.map(|(_, r)| r));
        let is_xml = requests.iter().any(|r| r.kind == "xml");
        // A call that takes XML and JSON (LiquidFiles' login) answers in kind.
        let both = is_xml && requests.iter().any(|r| r.kind == "json");
        let credentials = credentials(vendor, doc, op, &method);
        let stub = |name: String,
                    status: u16,
                    response: &Value,
                    priority: u8,
                    xml: bool,
                    example: Option<&str>| {
            let body = if xml {
                None
            } else {
                response_body(doc, response, status, example)
            };
            let relative_times = body
                .as_ref()
                .filter(|_| (200..300).contains(&status))
                .and_then(|b| b.get("expiration"))
                .filter(|e| e.is_string())
                .map(|_| vec![("expiration".to_owned(), EXPIRATION_AHEAD_SECONDS)])
                .unwrap_or_default();
            Stub {
                name,
                method: method.clone(),
                path: full.clone(),
                templated,
                body: None,
                form: Vec::new(),
                xml_paths: Vec::new(),
                json_paths: Vec::new(),
                credential: None,
                priority,
                status,
                response_text: if body.is_none() {
                    response_text(response)
                } else {
                    None
                },
                response: body,
                headers: response_headers(doc, response),
                relative_times,
                scenario: None,
            }
        };
        // The scenario step of a request of this call, by its example's name.
        let step = |kind: &str| {
            let sc = scenario.as_ref()?;
            let is = |c: &Call| c.0 == method && c.1 == path && (c.2.is_empty() || c.2 == kind);
            let (required_state, new_state) = if is(&sc.starts) {
                (None, Some(STARTED))
            } else if is(&sc.ends) {
                // An idempotent end answers in any state, ahead of the
                // calls its body also matches (a revalidation) once ended.
                ((!sc.ends_idempotently).then_some(STARTED), Some(ENDED))
            } else if sc.needs.iter().any(is) {
                (Some(STARTED), None)
            } else {
                return None;
            };
            Some(ScenarioStep {
                name: sc.name,
                required_state,
                new_state,
            })
        };
        // Of two request examples where one has every field of the other
        // and more (LAC's disable and revalidation), the fuller one wins.
        let fields = |r: &RequestMatch| -> Vec<String> {
            r.body
                .as_ref()
                .and_then(Value::as_object)
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        let more_specific = |r: &RequestMatch| {
            let mine = fields(r);
            requests.iter().any(|o| {
                let theirs = fields(o);
                !theirs.is_empty()
                    && theirs.len() < mine.len()
                    && theirs.iter().all(|f| mine.contains(f))
            })
        };
        let unauthorized = statuses.iter().find(|(s, _)| *s == 401);
        // One success stub per accepted request and credential; a call
        // without credentials takes any.
        let credential_options: Vec<Option<(String, Credential)>> = if credentials.is_empty() {
            vec![None]
        } else {
            credentials.into_iter().map(Some).collect()
        };
        if let Some((status, response)) = success {
            for request in &requests {
                let step = step(&request.kind);
                let after_end = step.as_ref().is_some_and(|s| s.new_state.is_none());
                let priority = if more_specific(request) { 4 } else { 5 };
                for credential in &credential_options {
                    let mut label = id.clone();
                    if requests.len() > 1 {
                        label = format!("{label}-{}", request.kind);
                    }
                    if let (true, Some((scheme, _))) = (credential_options.len() > 1, credential) {
                        label = format!("{label}-{scheme}");
                    }
                    let xml = request.kind == "xml";
                    let mut success = stub(
                        format!("{label}-{status}"),
                        *status,
                        response,
                        priority,
                        xml,
                        // The answer named as the request's example, else
                        // as the credential's security scheme.
                        request
                            .example
                            .as_deref()
                            .or(credential.as_ref().map(|(scheme, _)| scheme.as_str())),
                    );
                    success.body = request.body.clone();
                    success.form = request.form.clone();
                    success.xml_paths = request.xml_paths.clone();
                    success.json_paths = request.json_paths.clone();
                    success.credential = credential
                        .as_ref()
                        .map(|(_, c)| c.clone())
                        .or_else(|| request.credential.clone());
                    success.scenario = step.clone();
                    if after_end && let Some((status, response)) = unauthorized {
                        let mut ended = success.clone();
                        let template = stub(String::new(), *status, response, 5, false, Some(&id));
                        ended.name = format!("{label}-after-session-end-{status}");
                        ended.status = *status;
                        ended.response = template.response;
                        ended.response_text = template.response_text;
                        ended.headers = template.headers;
                        ended.relative_times = Vec::new();
                        ended.scenario = step.clone().map(|s| ScenarioStep {
                            required_state: Some(ENDED),
                            ..s
                        });
                        out.push(success);
                        out.push(ended);
                    } else {
                        out.push(success);
                    }
                }
            }
        }
        // The fallback: what a request that does not match gets.
        if let Some((status, response)) =
            unauthorized.or_else(|| statuses.iter().find(|(s, _)| (400..500).contains(s)))
        {
            if both {
                let mut json = stub(
                    format!("{id}-json-fallback-{status}"),
                    *status,
                    response,
                    9,
                    false,
                    Some(&id),
                );
                json.json_paths = vec!["$".to_owned()];
                out.push(json);
            }
            out.push(stub(
                format!("{id}-fallback-{status}"),
                *status,
                response,
                10,
                is_xml,
                Some(&id),
            ));
        }
    }
    out
}

/// Follows a local `$ref` (responses and schemas) up to a few levels.
fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|ptr| doc.pointer(ptr))
        {
            Some(next) => v = next,
            None => break,
        }
    }
    v
}

/// The headers a response declares with an example, as they are sent.
fn response_headers(doc: &Value, response: &Value) -> Vec<(String, String)> {
    response["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, header)| {
            let example = resolve(doc, header).get("example")?.as_str()?;
            Some((name.clone(), example.to_owned()))
        })
        .collect()
}

/// A response's XML or HTML body: the example of its first such content type
/// (LiquidFiles), sent as it is. A schema alone gives no text.
fn response_text(response: &Value) -> Option<TextBody> {
    let content = response["content"].as_object()?;
    ["application/xml", "text/xml", "text/html"]
        .iter()
        .find_map(|ct| {
            let text = content.get(*ct)?.get("example")?.as_str()?;
            Some(TextBody {
                content_type: format!("{ct}; charset=utf-8"),
                text: text.to_owned(),
            })
        })
}

/// A response's JSON body: its example (of named ones, the one named
/// `example`: after the request's example, the credential's security scheme,
/// or, for an error, the operation), else an instance of its schema whose
/// status fields (`code`, `statusCode`; LAC's `errorCode`, the status times
/// ten) say the status it is sent with.
fn response_body(
    doc: &Value,
    response: &Value,
    status: u16,
    example: Option<&str>,
) -> Option<Value> {
    let content = response.pointer("/content/application~1json")?;
    if let Some(example) = media_example(content, example) {
        return Some(example.clone());
    }
    let mut body = instance(doc, content.get("schema")?, 0);
    if body.is_null() {
        // No example and a schema that says nothing: no body rather than
        // `null` labelled JSON.
        return None;
    }
    if let Some(fields) = body.as_object_mut() {
        for (name, value) in [
            ("code", status),
            ("statusCode", status),
            ("errorCode", status.saturating_mul(10)),
        ] {
            if let Some(field) = fields.get_mut(name).filter(|f| f.is_number()) {
                *field = json!(value);
            }
        }
    }
    Some(body)
}

/// A value that satisfies `schema`, from its examples, consts and required fields.
fn instance(doc: &Value, schema: &Value, depth: u8) -> Value {
    let schema = resolve(doc, schema);
    if depth > 12 {
        return Value::Null;
    }
    for key in ["example", "const", "default"] {
        if let Some(v) = schema.get(key) {
            return v.clone();
        }
    }
    if let Some(first) = schema["examples"].get(0).or_else(|| schema["enum"].get(0)) {
        return first.clone();
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(m) = instance(doc, part, depth + 1) {
                merged.extend(m);
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema[key].get(0) {
            return instance(doc, first, depth + 1);
        }
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    if required.contains(&name.as_str()) {
                        out.insert(name.clone(), instance(doc, prop, depth + 1));
                    }
                }
            }
            Value::Object(out)
        }
        "array" => json!([instance(doc, &schema["items"], depth + 1)]),
        "string" => match schema["format"].as_str() {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("email") => json!("john.doe@example.com"),
            _ => json!("string"),
        },
        "integer" | "number" => json!(schema["minimum"].as_i64().unwrap_or(0)),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

/// The operations of `vendor`'s spec that no stub plays, each with why
/// (`x-authconform-not-stubbed`): LiquidFiles' `/saml/*`, whose answers
/// depend on a signed message minted for one request.
pub fn not_played(vendor: Vendor) -> Vec<(String, String, String)> {
    let spec = spec::for_vendor(vendor);
    let doc = spec.document();
    spec.operations()
        .into_iter()
        .filter_map(|(method, path)| {
            let op = doc["paths"][&path].get(method.to_ascii_lowercase())?;
            let why = op.get("x-authconform-not-stubbed")?.as_str()?.to_owned();
            Some((method, path, why))
        })
        .collect()
}

/// Writes `vendor`'s export in `format` under `dir`; returns the files written.
/// A WireMock export that leaves operations out says so in `NOT-PLAYED.md`.
pub fn write(vendor: Vendor, format: Format, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    match format {
        Format::OpenApi => {
            std::fs::create_dir_all(dir)?;
            let file = dir.join(format!("{vendor}.openapi.yaml"));
            std::fs::write(&file, vendor.spec_source())?;
            Ok(vec![file])
        }
        Format::WireMock => {
            let mappings = dir.join("mappings");
            std::fs::create_dir_all(&mappings)?;
            let mut written = Vec::new();
            for (i, stub) in stubs(vendor).iter().enumerate() {
                let file = mappings.join(format!("{vendor}-{i:02}-{}.json", stub.name));
                let text = serde_json::to_string_pretty(&stub.wiremock_mapping())
                    .map_err(std::io::Error::other)?;
                std::fs::write(&file, text)?;
                written.push(file);
            }
            let missing = not_played(vendor);
            if !missing.is_empty() {
                let mut text = format!(
                    "# What this {vendor} WireMock export cannot play\n\nStateless stubs answer from the spec's examples; these operations are not in `mappings/`:\n\n"
                );
                for (method, path, why) in missing {
                    text.push_str(&format!("- `{method} {path}`: {why}\n"));
                }
                text.push_str("\nUse the stateful mock (`authconform_mock::LiquidFiles`) or `authconform serve` for them.\n");
                let file = dir.join("NOT-PLAYED.md");
                std::fs::write(&file, text)?;
                written.push(file);
            }
            Ok(written)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saml_is_not_stubbed_and_the_export_says_so() {
        assert!(
            stubs(Vendor::LiquidFiles)
                .iter()
                .all(|s| !s.path.contains("/saml/"))
        );
        let missing = not_played(Vendor::LiquidFiles);
        assert_eq!(missing.len(), 3, "{missing:?}");
        let dir = std::env::temp_dir().join(format!("authconform-export-{}", std::process::id()));
        let files = write(Vendor::LiquidFiles, Format::WireMock, &dir).unwrap();
        let note = files.iter().find(|f| f.ends_with("NOT-PLAYED.md")).unwrap();
        let text = std::fs::read_to_string(note).unwrap();
        assert!(
            text.contains("`POST /saml/consume`: accepting a Response"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert!(not_played(Vendor::Limecraft).is_empty());
    }

    #[test]
    fn limecraft_login_stub_comes_from_the_spec_examples() {
        let stubs = stubs(Vendor::Limecraft);
        let login = stubs.iter().find(|s| s.name == "login-json-200").unwrap();
        assert_eq!(login.path, "/api/authentication/login");
        assert_eq!(login.body.as_ref().unwrap()["username"], "john.doe");
        assert_eq!(login.response.as_ref().unwrap()["token"], "THE_TOKEN");
        // The documented form login: the same example, as form parameters.
        let form = stubs.iter().find(|s| s.name == "login-form-200").unwrap();
        assert!(form.body.is_none());
        assert!(
            form.form
                .contains(&("password".to_owned(), "mysecret123!".to_owned()))
        );
        assert_eq!(
            form.wiremock_mapping()["request"]["formParameters"]["username"]["equalTo"],
            "john.doe"
        );
        let fallback = stubs
            .iter()
            .find(|s| s.name == "login-fallback-401")
            .unwrap();
        assert_eq!(
            fallback.response.as_ref().unwrap()["type"],
            "UnauthorizedError"
        );
        assert!(fallback.priority > login.priority);
    }

    #[test]
    fn bodies_are_the_spec_examples_not_placeholders() {
        let stubs = stubs(Vendor::Limecraft);
        let user = stubs
            .iter()
            .find(|s| s.name == "currentUser-bearer-200")
            .unwrap();
        let body = user.response.as_ref().unwrap();
        assert_eq!(body["username"], "john.doe", "{body}");
        // No stub of any vendor answers a schema's placeholder string.
        for vendor in Vendor::ALL {
            for stub in super::stubs(*vendor) {
                let text = stub
                    .response
                    .as_ref()
                    .map(Value::to_string)
                    .unwrap_or_default();
                assert!(
                    !text.contains("\"string\""),
                    "{vendor} {}: {text}",
                    stub.name
                );
            }
        }
        let enable = stubs
            .iter()
            .find(|s| s.name == "enableTwoFactor-bearer-200")
            .unwrap();
        assert!(enable.templated);
        assert_eq!(enable.path_regex(), "^/api/user/[^/]+/enable2fa$");
    }

    #[test]
    fn liquidfiles_xml_examples_export_as_text_with_their_content_type() {
        let stubs = stubs(Vendor::LiquidFiles);
        let login = stubs
            .iter()
            .find(|s| s.name == "retrieveApiKey-xml-200")
            .unwrap();
        assert!(login.response.is_none());
        let text = login.response_text.as_ref().unwrap();
        assert_eq!(text.content_type, "application/xml; charset=utf-8");
        assert!(
            text.text
                .contains("<api_key>4i1Rkf3pkxu0OCRuSuTMqE</api_key>")
        );
        assert!(login.xml_paths.contains(&"/user/password".to_owned()));
        let mapping = login.wiremock_mapping();
        assert!(mapping["response"].get("jsonBody").is_none());
        assert_eq!(
            mapping["response"]["headers"]["Content-Type"],
            "application/xml; charset=utf-8"
        );
        let fallback = stubs
            .iter()
            .find(|s| s.name == "retrieveApiKey-fallback-401")
            .unwrap();
        assert!(
            fallback
                .response_text
                .as_ref()
                .unwrap()
                .text
                .contains("<error>")
        );
        assert_eq!(
            compact_xml("<?xml version=\"1.0\"?>\n<a>\n  <b> x </b>\n</a>\n"),
            "<a><b> x </b></a>"
        );
    }

    #[test]
    fn protected_calls_need_the_example_credential_and_times_are_relative() {
        let lac = stubs(Vendor::Lac);
        let probe = lac
            .iter()
            .find(|s| s.name == "probe-caLiveApiCreator-200")
            .unwrap();
        assert_eq!(
            probe.credential,
            Some(Credential::Header {
                name: "Authorization".to_owned(),
                value: "CALiveAPICreator 1234567890abcdef12345:1".to_owned()
            })
        );
        // The token in the URL: on GET only.
        let in_url = lac.iter().find(|s| s.name == "probe-urlAuth-200").unwrap();
        assert_eq!(
            in_url.credential,
            Some(Credential::Query {
                name: "auth".to_owned(),
                value: "1234567890abcdef12345:1".to_owned()
            })
        );
        let post = lac.iter().find(|s| s.name == "probePost-200").unwrap();
        assert!(post.response.as_ref().unwrap()["txsummary"].is_array());
        let fallback = lac.iter().find(|s| s.name == "probe-fallback-401").unwrap();
        assert!(fallback.credential.is_none() && fallback.priority > probe.priority);
        let sign_on = lac
            .iter()
            .find(|s| s.name == "authentication-signOn-200")
            .unwrap();
        // The documented disabling answers its own example, ends the
        // scenario, and wins over the revalidation its body also matches.
        let disable = lac
            .iter()
            .find(|s| s.name == "authentication-disable-200")
            .unwrap();
        assert_eq!(disable.response.as_ref().unwrap()["disabled"], true);
        assert_eq!(disable.scenario.as_ref().unwrap().new_state, Some(ENDED));
        let revalidate = lac
            .iter()
            .find(|s| s.name == "authentication-revalidate-200")
            .unwrap();
        assert!(disable.priority < revalidate.priority);
        assert!(
            lac.iter()
                .any(|s| s.name == "probe-caLiveApiCreator-after-session-end-401")
        );
        let mapping = sign_on.wiremock_mapping();
        assert_eq!(mapping["response"]["transformers"][0], "response-template");
        assert!(
            mapping["response"]["body"]
                .as_str()
                .unwrap()
                .contains(r#""expiration":"{{now offset='86400 seconds' format="yyyy-MM-dd'T'HH:mm:ss.SSS"}}""#),
            "{mapping}"
        );
        let limecraft = stubs(Vendor::Limecraft);
        for name in ["login-json-200", "login-form-200"] {
            let login = limecraft.iter().find(|s| s.name == name).unwrap();
            let step = login.scenario.as_ref().unwrap();
            assert_eq!((step.required_state, step.new_state), (None, Some(STARTED)));
        }
        let cookie = limecraft
            .iter()
            .find(|s| s.name == "currentUser-sessionCookie-200")
            .unwrap();
        assert_eq!(
            cookie.credential,
            Some(Credential::Cookie {
                name: "MOJITO_SESSION_ID_V2".to_owned(),
                value: "THE_TOKEN".to_owned()
            })
        );
        // FileVerbs: the documented SecretKey header or the example's JWT.
        let fv = stubs(Vendor::FileVerbs);
        let by_key = fv.iter().find(|s| s.name == "probe-secretKey-200").unwrap();
        assert_eq!(
            by_key.credential,
            Some(Credential::Header {
                name: "SecretKey".to_owned(),
                value: "eyJhbGci...".to_owned()
            })
        );
        assert!(fv.iter().any(|s| s.name == "probe-bearer-200"));
        let lf = stubs(Vendor::LiquidFiles);
        let json_login = lf
            .iter()
            .find(|s| s.name == "retrieveApiKey-json-200")
            .unwrap();
        // By structure: any user's email and password.
        assert!(json_login.body.is_none());
        assert!(
            json_login
                .json_paths
                .contains(&"$.user.password".to_owned())
        );
        assert_eq!(
            json_login.response.as_ref().unwrap()["user"]["api_key"],
            "4i1Rkf3pkxu0OCRuSuTMqE"
        );
        assert!(
            lf.iter()
                .any(|s| s.name == "retrieveApiKey-json-fallback-401"
                    && s.response.as_ref().is_some_and(|r| r["errors"].is_array()))
        );
    }

    #[test]
    fn the_basic_pattern_takes_the_key_with_any_password_and_nothing_else() {
        use base64::Engine;
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        // Every length of user name modulo 3 (the password's first byte
        // lands in each position of a base64 group).
        for user in ["4i1Rkf3pkxu0OCRuSuTMqE", "abc", "abcd", "abcde"] {
            let pattern = regex::Regex::new(&basic_user_pattern(user)).unwrap();
            for password in ["", "x", "\u{ff}", "~~~", "a:b", "\u{7f}\u{0}"] {
                let header = format!("Basic {}", encode(&format!("{user}:{password}")));
                assert!(pattern.is_match(&header), "{user}:{password} {header}");
            }
            assert!(pattern.is_match(&format!("basic {}", encode(&format!("{user}:x")))));
            for other in [
                format!("{user}x:"),
                format!("x{user}:"),
                user.to_owned(),
                format!("{}:", &user[1..]),
            ] {
                let header = format!("Basic {}", encode(&other));
                assert!(!pattern.is_match(&header), "{other:?} {header}");
            }
        }
    }

    #[test]
    fn every_vendor_exports_every_operation() {
        for vendor in Vendor::ALL {
            let stubs = stubs(*vendor);
            let missing = not_played(*vendor);
            for (method, path) in spec::for_vendor(*vendor).operations() {
                if missing.iter().any(|(m, p, _)| *m == method && *p == path) {
                    continue;
                }
                let full = format!("{}{path}", vendor.api_base_path());
                assert!(
                    stubs.iter().any(|s| s.method == method && s.path == full),
                    "{vendor}: no stub for {method} {path}"
                );
            }
        }
    }
}
