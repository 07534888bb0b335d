//! Stateless wiremock-rs stubs from the specs' examples (feature `wiremock-stubs`),
//! for a team already on wiremock-rs: the same stub list as the WireMock
//! export ([`super::export::stubs`]), without the scenario steps that need
//! state (wiremock-rs has no scenarios: a logout does not end the session).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use authconform_mock::Vendor;
//!
//! let server = wiremock::MockServer::start().await;
//! authconform_mock::stubs::mount(Vendor::Limecraft, &server).await;
//!
//! let login: serde_json::Value = reqwest::Client::new()
//!     .post(format!("{}/api/authentication/login", server.uri()))
//!     .json(&serde_json::json!({"username": "john.doe", "password": "mysecret123!"}))
//!     .send().await?.json().await?;
//! assert_eq!(login["token"], "THE_TOKEN");   // the spec's example
//! # Ok(()) }
//! ```

use wiremock::matchers::{body_partial_json, header, method, path, path_regex, query_param};
use wiremock::{Mock, ResponseTemplate};

use super::export::{Credential, STARTED, STRFTIME_TIME_FORMAT, Stub, stubs};
use authconform_reference::headers;
use authconform_reference::liquidfiles::page::xml_element;
use authconform_reference::vendor::Vendor;

/// `vendor`'s stubs as wiremock-rs `Mock`s; paths as the vendor serves them at
/// the root (`/api/authentication/login`).
pub fn mocks(vendor: Vendor) -> Vec<Mock> {
    stubs(vendor)
        .iter()
        .filter(|s| {
            s.scenario
                .as_ref()
                .is_none_or(|sc| sc.required_state.is_none_or(|s| s == STARTED))
        })
        .map(to_mock)
        .collect()
}

/// Mounts every stub of `vendor` on `server`.
pub async fn mount(vendor: Vendor, server: &wiremock::MockServer) {
    for mock in mocks(vendor) {
        mock.mount(server).await;
    }
}

/// WireMock's `matchesXPath` on `/root/element` paths: the XML body has
/// each element.
struct XmlPaths(Vec<String>);

impl wiremock::Match for XmlPaths {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let Ok(body) = std::str::from_utf8(&request.body) else {
            return false;
        };
        self.0.iter().all(|path| {
            let element = path.rsplit('/').next().unwrap_or_default();
            xml_element(body, element).is_some()
        })
    }
}

/// WireMock's `matchesJsonPath` for `$` and `$.a.b`: the body is JSON with
/// every path.
struct JsonPaths(Vec<String>);

impl wiremock::Match for JsonPaths {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
            return false;
        };
        self.0.iter().all(|path| {
            let pointer: String = path
                .trim_start_matches('$')
                .split('.')
                .filter(|s| !s.is_empty())
                .map(|s| format!("/{s}"))
                .collect();
            json.pointer(&pointer).is_some()
        })
    }
}

/// WireMock's `formParameters`: a form body with each parameter equal to its value.
struct FormFields(Vec<(String, String)>);

impl wiremock::Match for FormFields {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let Ok(sent) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&request.body) else {
            return false;
        };
        self.0.iter().all(|field| sent.contains(field))
    }
}

/// WireMock's `cookies`: the request carries the cookie with this value.
struct CookieIs(String, String);

impl wiremock::Match for CookieIs {
    fn matches(&self, request: &wiremock::Request) -> bool {
        headers::cookie(&request.headers, &self.0).is_some_and(|v| v == self.1)
    }
}

/// WireMock's `matches` on the Basic header the export writes
/// ([`super::export::basic_user_pattern`]), decoded rather than matched as
/// text: HTTP Basic with this user name and any password.
struct BasicUser(String);

impl wiremock::Match for BasicUser {
    fn matches(&self, request: &wiremock::Request) -> bool {
        use base64::Engine;
        let Some(encoded) = headers::authorization(&request.headers, "Basic") else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let user = decoded.split(|b| *b == b':').next().unwrap_or_default();
        decoded.contains(&b':') && user == self.0.as_bytes()
    }
}

fn to_mock(stub: &Stub) -> Mock {
    let mut builder = Mock::given(method(stub.method.as_str()));
    builder = if stub.templated {
        builder.and(path_regex(stub.path_regex()))
    } else {
        builder.and(path(stub.path.as_str()))
    };
    if let Some(body) = &stub.body {
        builder = builder.and(body_partial_json(body.clone()));
    }
    builder = match &stub.credential {
        Some(Credential::Header { name, value }) => {
            builder.and(header(name.as_str(), value.as_str()))
        }
        Some(Credential::Query { name, value }) => {
            builder.and(query_param(name.as_str(), value.as_str()))
        }
        Some(Credential::Cookie { name, value }) => {
            builder.and(CookieIs(name.clone(), value.clone()))
        }
        Some(Credential::BasicUser { user }) => builder.and(BasicUser(user.clone())),
        None => builder,
    };
    if !stub.form.is_empty() {
        builder = builder.and(FormFields(stub.form.clone()));
    }
    if !stub.xml_paths.is_empty() {
        builder = builder.and(XmlPaths(stub.xml_paths.clone()));
    }
    if !stub.json_paths.is_empty() {
        builder = builder.and(JsonPaths(stub.json_paths.clone()));
    }
    let mut response = ResponseTemplate::new(stub.status);
    if let Some(body) = &stub.response {
        let mut body = body.clone();
        // WireMock templates these; here they are computed once, when mounted.
        for (field, seconds) in &stub.relative_times {
            if let Some(slot) = body.get_mut(field) {
                let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(*seconds);
                *slot = serde_json::json!(at.strftime(STRFTIME_TIME_FORMAT).to_string());
            }
        }
        response = response.set_body_json(body);
    } else if let Some(text) = &stub.response_text {
        // Not `set_body_string`: its `text/plain` would win over a Content-Type header.
        response = response.set_body_raw(text.text.clone().into_bytes(), &text.content_type);
    }
    for (name, value) in &stub.headers {
        response = response.append_header(name.as_str(), value.as_str());
    }
    builder
        .respond_with(response)
        .with_priority(stub.priority)
        .named(stub.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[tokio::test]
    async fn the_example_logs_in_and_anything_else_gets_the_documented_401() {
        let server = wiremock::MockServer::start().await;
        mount(Vendor::Limecraft, &server).await;
        let http = reqwest::Client::new();
        let login = |password: &str| {
            http.post(format!("{}/api/authentication/login", server.uri()))
                .json(&json!({"username": "john.doe", "password": password}))
                .send()
        };
        let ok = login("mysecret123!").await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.json::<Value>().await.unwrap()["token"], "THE_TOKEN");
        let wrong = login("nope").await.unwrap();
        assert_eq!(wrong.status(), 401);
        assert_eq!(
            wrong.json::<Value>().await.unwrap()["type"],
            "UnauthorizedError"
        );
        // A protected call answers only the example's token.
        let anonymous = http
            .post(format!("{}/api/user/1000/enable2fa", server.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
        let enable = http
            .post(format!("{}/api/user/1000/enable2fa", server.uri()))
            .bearer_auth("THE_TOKEN")
            .send()
            .await
            .unwrap();
        assert_eq!(enable.status(), 200);
        assert_eq!(
            enable.json::<Value>().await.unwrap()["hashingAlgorithm"],
            "SHA512"
        );
    }

    #[tokio::test]
    async fn the_liquidfiles_xml_example_answers_its_key_as_xml() {
        let server = wiremock::MockServer::start().await;
        mount(Vendor::LiquidFiles, &server).await;
        let http = reqwest::Client::new();
        let login = |password: &str| {
            http.post(format!("{}/login", server.uri()))
                .header("Content-Type", "text/xml")
                .body(format!(
                    "<user>\n    <email>user@example.com</email>\n    <password>{password}</password>\n</user>"
                ))
                .send()
        };
        let ok = login("password").await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(
            ok.headers()["content-type"],
            "application/xml; charset=utf-8"
        );
        assert!(
            ok.text()
                .await
                .unwrap()
                .contains("<api_key>4i1Rkf3pkxu0OCRuSuTMqE</api_key>")
        );
        // Matched by structure: another user's login answers the key too
        // (the document's own script signs on user@company.com) ...
        assert_eq!(login("nope").await.unwrap().status(), 200);
        // ... and a login without a password gets the documented refusal.
        let wrong = http
            .post(format!("{}/login", server.uri()))
            .header("Content-Type", "text/xml")
            .body("<user><email>user@example.com</email></user>")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        assert!(wrong.text().await.unwrap().contains("<error>"));
    }

    #[tokio::test]
    async fn form_logins_each_transport_and_fileverbs_credentials() {
        let server = wiremock::MockServer::start().await;
        mount(Vendor::Limecraft, &server).await;
        mount(Vendor::FileVerbs, &server).await;
        let http = reqwest::Client::new();
        let uri = server.uri();
        // Limecraft's documented form login.
        let form = |password: &str| {
            http.post(format!("{uri}/api/authentication/login"))
                .form(&[("username", "john.doe"), ("password", password)])
                .send()
        };
        let ok: Value = form("mysecret123!").await.unwrap().json().await.unwrap();
        assert_eq!(ok["token"], "THE_TOKEN");
        assert_eq!(form("nope").await.unwrap().status(), 401);
        // The token as a query parameter and as the session cookie.
        let user = format!("{uri}/api/authentication/user");
        let by_query = http.get(&user).query(&[("access_token", "THE_TOKEN")]);
        let by_cookie = http
            .get(&user)
            .header("Cookie", "MOJITO_SESSION_ID_V2=THE_TOKEN");
        for request in [by_query, by_cookie] {
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 200);
            assert_eq!(
                answer.json::<Value>().await.unwrap()["username"],
                "john.doe"
            );
        }
        let wrong = http
            .get(&user)
            .header("Cookie", "MOJITO_SESSION_ID_V2=other");
        assert_eq!(wrong.send().await.unwrap().status(), 401);
        // FileVerbs: the probe needs the SecretKey or the JWT; the refresh
        // token comes in the body or its cookie.
        let probe = format!("{uri}/api/v1/endpoint");
        let none = http.get(&probe).send().await.unwrap();
        assert_eq!(none.status(), 401);
        assert!(none.json::<Value>().await.unwrap()["message"].is_string());
        let key = http.get(&probe).header("SecretKey", "eyJhbGci...");
        assert_eq!(key.send().await.unwrap().status(), 200);
        let refresh = format!("{uri}/api/v1/accounts/refresh-token");
        assert_eq!(http.post(&refresh).send().await.unwrap().status(), 401);
        let by_cookie = http
            .post(&refresh)
            .header("Cookie", "RefreshToken=d2dfsdgfh6dfg34tgsd...");
        assert_eq!(by_cookie.send().await.unwrap().status(), 200);
    }

    #[tokio::test]
    async fn what_real_clients_send_basic_key_x_a_second_disable_and_cookies() {
        let server = wiremock::MockServer::start().await;
        for vendor in Vendor::ALL {
            mount(*vendor, &server).await;
        }
        let http = reqwest::Client::new();
        let uri = server.uri();
        // LiquidFiles' key as the Basic user name, with any password.
        let account = |user: &str, password: &str| {
            http.get(format!("{uri}/account"))
                .basic_auth(user, Some(password))
                .send()
        };
        for password in ["", "x", "a:b", "\u{e9}"] {
            let ok = account("4i1Rkf3pkxu0OCRuSuTMqE", password).await.unwrap();
            assert_eq!(ok.status(), 200, "password {password:?}");
        }
        assert_eq!(account("nope", "x").await.unwrap().status(), 401);
        assert_eq!(
            account("4i1Rkf3pkxu0OCRuSuTMqEx", "")
                .await
                .unwrap()
                .status(),
            401
        );
        // LAC: disabling twice answers the documented body twice (seed 002:
        // idempotent), not a revalidation's.
        for _ in 0..2 {
            let disabled: Value = http
                .post(format!("{uri}/rest/default/demo/v1/@authentication"))
                .json(&json!({"apikey": "1234567890abcdef12345", "disable": true}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(disabled["disabled"], true, "{disabled}");
        }
        // The logins set the cookies the specs declare.
        let login = http
            .post(format!("{uri}/api/authentication/login"))
            .json(&json!({"username": "john.doe", "password": "mysecret123!"}))
            .send()
            .await
            .unwrap();
        let cookie = login.headers()["set-cookie"].to_str().unwrap();
        assert!(
            cookie.starts_with("MOJITO_SESSION_ID_V2=THE_TOKEN;"),
            "{cookie}"
        );
        let access = http
            .post(format!("{uri}/api/v1/accounts/access-token"))
            .json(&json!({"SecretKey": "eyJhbGci...", "APIKey": "jgJhbSag..."}))
            .send()
            .await
            .unwrap();
        let cookie = access.headers()["set-cookie"].to_str().unwrap();
        assert!(
            cookie.starts_with("RefreshToken=d2dfsdgfh6dfg34tgsd...;")
                && !cookie.contains("Secure"),
            "{cookie}"
        );
    }

    #[tokio::test]
    async fn every_vendor_mounts() {
        for vendor in Vendor::ALL {
            let server = wiremock::MockServer::start().await;
            mount(*vendor, &server).await;
            assert!(!mocks(*vendor).is_empty());
        }
    }
}
