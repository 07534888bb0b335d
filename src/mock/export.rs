//! Stateless stubs generated from `specs/`, for teams on other stacks: WireMock
//! JSON mappings (`authconform mock export --format wiremock`), the OpenAPI
//! document itself (`--format openapi`), and the same stubs as wiremock-rs
//! `Mock`s (`stubs.rs`, feature `wiremock-stubs`).
//!
//! One stub list per vendor, made from the spec: for every operation, a
//! success stub (its request example, when the spec has one, must match the
//! body; the answer is the response example, or an instance made from the
//! response schema) and a lower-priority fallback answering the operation's
//! first documented error. A call the spec protects answers its success only
//! to the example credential (the token, key or API key of the spec's own
//! sign-on example), so the 401 fallback is what any other caller gets. An
//! XML request matches by XPath (any formatting, character references
//! decoded), a JSON one by its fields; a call that takes both (LiquidFiles'
//! `POST /login`) gets a stub for each, answering in kind. An `expiration`
//! in an answer is templated relative to now, so a client never receives a
//! key that expired in 2014. Where a stateful step can be written as a
//! WireMock scenario it is one: Limecraft's logout ends the example token,
//! after which `GET /authentication/user` answers 401, until a login starts
//! the session again.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::spec;
use crate::vendor::Vendor;

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
    /// XML request elements and the text each must hold, the example's
    /// (LiquidFiles' `POST /login`): `("/user/email", "user@example.com")`,
    /// matched as WireMock's `matchesXPath` does.
    pub xml_fields: Vec<(String, String)>,
    /// The request body must be JSON with this path (`$.user`): tells a JSON
    /// call's fallback from an XML one's.
    pub json_path: Option<String>,
    /// Header name and exact value the request must carry (the example
    /// credential of a protected call).
    pub header: Option<(String, String)>,
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
        if let Some(body) = &self.body {
            request.insert(
                "bodyPatterns".into(),
                json!([{ "equalToJson": body, "ignoreExtraElements": true }]),
            );
        }
        if !self.xml_fields.is_empty() {
            let patterns: Vec<Value> = self
                .xml_fields
                .iter()
                .map(|(path, value)| {
                    json!({ "matchesXPath": { "expression": format!("{path}/text()"), "equalTo": value } })
                })
                .collect();
            request.insert("bodyPatterns".into(), Value::Array(patterns));
        }
        if let Some(path) = &self.json_path {
            request.insert("bodyPatterns".into(), json!([{ "matchesJsonPath": path }]));
        }
        if let Some((name, value)) = &self.header {
            request.insert("headers".into(), json!({ name: { "equalTo": value } }));
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

/// The stateful steps a WireMock scenario can express, per vendor: the call
/// that ends the session, and the protected call that then answers 401.
struct SessionScenario {
    name: &'static str,
    ends: (&'static str, &'static str),
    protected: (&'static str, &'static str),
}

fn session_scenario(vendor: Vendor) -> Option<SessionScenario> {
    match vendor {
        Vendor::Limecraft => Some(SessionScenario {
            name: "limecraft-session",
            ends: ("POST", "/authentication/logout"),
            protected: ("GET", "/authentication/user"),
        }),
        // FileVerbs' JWTs are stateless (revoking ends refresh tokens only);
        // LAC's disable depends on the body's `disable`, which one scenario
        // state per endpoint cannot tell from a revalidation.
        _ => None,
    }
}

/// The credential of the spec's own sign-on example, as a protected call
/// takes it: Limecraft's login `token` as a bearer token, LAC's `apikey` in
/// its `CALiveAPICreator` scheme, LiquidFiles' `api_key` as the HTTP Basic
/// user name. FileVerbs' calls take a key pair or a JWT: no single example.
fn example_credential(vendor: Vendor, doc: &Value) -> Option<(String, String)> {
    let example = |op: &str, status: &str, field: &str| -> Option<String> {
        let responses = doc["paths"].as_object()?.values().find_map(|item| {
            item.as_object()?
                .values()
                .find(|o| o["operationId"] == op)
                .map(|o| &o["responses"][status])
        })?;
        resolve(doc, responses)
            .pointer("/content/application~1json/example")?
            .pointer(field)?
            .as_str()
            .map(str::to_owned)
    };
    let value = match vendor {
        Vendor::Limecraft => format!("Bearer {}", example("login", "200", "/token")?),
        Vendor::Lac => format!(
            "CALiveAPICreator {}:1",
            example("authentication", "200", "/apikey")?
        ),
        Vendor::LiquidFiles => {
            use base64::Engine;
            let key = example("retrieveApiKey", "200", "/user/api_key")?;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
            )
        }
        Vendor::FileVerbs => return None,
    };
    Some(("Authorization".to_owned(), value))
}

/// Whether the spec protects an operation: its own `security`, else the
/// document's, is a non-empty list.
fn is_protected(doc: &Value, op: &Value) -> bool {
    op.get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty())
}

/// The elements of an XML example with their text: `/user/email` and
/// `/user/password` of `<user><email>…</email><password>…</password></user>`.
fn xml_leaves(xml: &str) -> Vec<(String, String)> {
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
        {
            let text = &rest[close + 1..close + 1 + end];
            if !text.contains('<') {
                leaves.push((format!("/{root}/{name}"), text.to_owned()));
            }
        }
    }
    leaves
}

/// The session a login (re)starts: the scenario step of a login stub.
fn restarts(sc: &SessionScenario) -> ScenarioStep {
    ScenarioStep {
        name: sc.name,
        required_state: None,
        new_state: Some(STARTED),
    }
}

/// Every stub of `vendor`, generated from its spec.
pub fn stubs(vendor: Vendor) -> Vec<Stub> {
    let spec = spec::for_vendor(vendor);
    let doc = spec.document();
    let base = vendor.api_base_path();
    let scenario = session_scenario(vendor);
    let credential = example_credential(vendor, doc);
    let mut out = Vec::new();
    for (method, path) in spec.operations() {
        let Some(op) = doc["paths"][&path].get(method.to_ascii_lowercase()) else {
            continue;
        };
        let id = op["operationId"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{method}{path}").replace(['/', '{', '}', '@'], "-"));
        let templated = path.contains('{');
        let full = format!("{base}{path}");
        // `example`, or of the named `examples` the sign-on (LAC), else the
        // first by name (the parsed document keeps no order).
        let request_content = op.pointer("/requestBody/content/application~1json");
        let xml_request_example = ["text~1xml", "application~1xml"].iter().find_map(|ct| {
            op.pointer(&format!("/requestBody/content/{ct}/example"))?
                .as_str()
                .map(str::to_owned)
        });
        let request_example = request_content.and_then(|c| {
            c.get("example").cloned().or_else(|| {
                let named = c["examples"].as_object()?;
                named
                    .get("signOn")
                    .or_else(|| named.values().next())
                    .map(|e| e["value"].clone())
            })
        });
        // A call that takes XML and JSON (LiquidFiles' login) answers in kind.
        let both = xml_request_example.is_some() && request_example.is_some();
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        let mut statuses: Vec<(u16, Value)> = responses
            .iter()
            .filter_map(|(k, v)| Some((k.parse::<u16>().ok()?, resolve(doc, v).clone())))
            .collect();
        statuses.sort_by_key(|(s, _)| *s);
        let header = is_protected(doc, op).then(|| credential.clone()).flatten();
        let stub = |name: String, status: u16, response: &Value, priority: u8, xml: bool| {
            let body = if xml {
                None
            } else {
                response_body(doc, response, status)
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
                xml_fields: Vec::new(),
                json_path: None,
                header: None,
                priority,
                status,
                response_text: if body.is_none() {
                    response_text(response)
                } else {
                    None
                },
                response: body,
                relative_times,
                scenario: None,
            }
        };
        let is_protected = |p: &(&str, &str)| p.0 == method && p.1 == path;
        let starts_session = scenario
            .as_ref()
            .filter(|_| path.ends_with("/login") && request_example.is_some());
        if let Some((status, response)) = statuses.iter().find(|(s, _)| (200..300).contains(s)) {
            if let Some(xml) = &xml_request_example {
                let suffix = if both { "-xml" } else { "" };
                let mut success =
                    stub(format!("{id}{suffix}-{status}"), *status, response, 5, true);
                success.xml_fields = xml_leaves(xml);
                out.push(success);
            }
            if xml_request_example.is_none() || both {
                let suffix = if both { "-json" } else { "" };
                let mut success = stub(
                    format!("{id}{suffix}-{status}"),
                    *status,
                    response,
                    5,
                    false,
                );
                {
                    success.body = request_example.clone();
                    success.header = header.clone();
                    if let Some(sc) = &scenario {
                        if is_protected(&sc.protected) {
                            success.scenario = Some(ScenarioStep {
                                name: sc.name,
                                required_state: Some(STARTED),
                                new_state: None,
                            });
                        } else if is_protected(&sc.ends) {
                            success.scenario = Some(ScenarioStep {
                                name: sc.name,
                                required_state: Some(STARTED),
                                new_state: Some("ended"),
                            });
                        }
                    }
                    if let Some(sc) = starts_session {
                        success.scenario = Some(restarts(sc));
                    }
                    out.push(success);
                }
            }
        }
        if let Some(sc) = &scenario
            && is_protected(&sc.protected)
            && let Some((status, response)) = statuses.iter().find(|(s, _)| *s == 401)
        {
            let mut ended = stub(
                format!("{id}-after-session-end-{status}"),
                *status,
                response,
                5,
                false,
            );
            ended.header = header.clone();
            ended.scenario = Some(ScenarioStep {
                name: sc.name,
                required_state: Some("ended"),
                new_state: None,
            });
            out.push(ended);
        }
        // The fallback: what a request that does not match the example gets.
        if let Some((status, response)) = statuses
            .iter()
            .find(|(s, _)| *s == 401)
            .or_else(|| statuses.iter().find(|(s, _)| (400..500).contains(s)))
        {
            if both {
                let mut json = stub(
                    format!("{id}-json-fallback-{status}"),
                    *status,
                    response,
                    9,
                    false,
                );
                json.json_path = Some("$".to_owned());
                out.push(json);
            }
            out.push(stub(
                format!("{id}-fallback-{status}"),
                *status,
                response,
                10,
                xml_request_example.is_some(),
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

/// A response's JSON body: its example, else an instance of its schema whose
/// status fields (`code`, `statusCode`; LAC's `errorCode`, the status times
/// ten) say the status it is sent with.
fn response_body(doc: &Value, response: &Value, status: u16) -> Option<Value> {
    let content = response.pointer("/content/application~1json")?;
    if let Some(example) = content.get("example") {
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

/// Writes `vendor`'s export in `format` under `dir`; returns the files written.
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
            Ok(written)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limecraft_login_stub_comes_from_the_spec_examples() {
        let stubs = stubs(Vendor::Limecraft);
        let login = stubs.iter().find(|s| s.name == "login-200").unwrap();
        assert_eq!(login.path, "/api/authentication/login");
        assert_eq!(login.body.as_ref().unwrap()["username"], "john.doe");
        assert_eq!(login.response.as_ref().unwrap()["token"], "THE_TOKEN");
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
    fn schema_instances_fill_required_fields() {
        let stubs = stubs(Vendor::Limecraft);
        let user = stubs.iter().find(|s| s.name == "currentUser-200").unwrap();
        let body = user.response.as_ref().unwrap();
        assert!(
            body["id"].is_i64() && body["username"].is_string(),
            "{body}"
        );
        let enable = stubs
            .iter()
            .find(|s| s.name == "enableTwoFactor-200")
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
        assert!(
            login
                .xml_fields
                .contains(&("/user/password".to_owned(), "password".to_owned()))
        );
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
        let probe = lac.iter().find(|s| s.name == "probe-200").unwrap();
        assert_eq!(
            probe.header,
            Some((
                "Authorization".to_owned(),
                "CALiveAPICreator 1234567890abcdef12345:1".to_owned()
            ))
        );
        let fallback = lac.iter().find(|s| s.name == "probe-fallback-401").unwrap();
        assert!(fallback.header.is_none() && fallback.priority > probe.priority);
        let sign_on = lac.iter().find(|s| s.name == "authentication-200").unwrap();
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
        let login = limecraft.iter().find(|s| s.name == "login-200").unwrap();
        let step = login.scenario.as_ref().unwrap();
        assert_eq!((step.required_state, step.new_state), (None, Some(STARTED)));
        let user = limecraft
            .iter()
            .find(|s| s.name == "currentUser-200")
            .unwrap();
        assert_eq!(user.header.as_ref().unwrap().1, "Bearer THE_TOKEN");
        let lf = stubs(Vendor::LiquidFiles);
        let json_login = lf
            .iter()
            .find(|s| s.name == "retrieveApiKey-json-200")
            .unwrap();
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
    fn every_vendor_exports_every_operation() {
        for vendor in Vendor::ALL {
            let stubs = stubs(*vendor);
            for (method, path) in spec::for_vendor(*vendor).operations() {
                let full = format!("{}{path}", vendor.api_base_path());
                assert!(
                    stubs.iter().any(|s| s.method == method && s.path == full),
                    "{vendor}: no stub for {method} {path}"
                );
            }
        }
    }
}
