//! The OpenAPI documents parse, describe every call the features make, and
//! their own examples match their own schemas.

use authconform::harness::limecraft::api;
use authconform::provenance::Provenance;
use authconform::spec;
use authconform::vendor::Vendor;
use serde_json::Value;

#[test]
fn every_vendor_spec_is_openapi_3_1() {
    for v in Vendor::ALL {
        let s = spec::Spec::parse(*v, v.spec_source()).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(s.document()["openapi"], "3.1.0", "{v}");
    }
}

/// Asserts that `vendor`'s spec documents each `(method, path)`.
fn assert_covers(vendor: Vendor, calls: &[(&str, &str)]) {
    let ops = spec::for_vendor(vendor).operations();
    for &(method, path) in calls {
        assert!(
            ops.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is not in specs/{vendor}.openapi.yaml"
        );
    }
}

#[test]
fn the_limecraft_spec_covers_every_call_the_features_make() {
    assert_covers(
        Vendor::Limecraft,
        &[
            ("POST", api::LOGIN),
            ("POST", api::VALIDATE),
            ("GET", api::USER),
            ("POST", api::LOGOUT),
            ("POST", api::ENABLE_2FA),
        ],
    );
}

#[test]
fn the_fileverbs_spec_covers_every_call_the_features_make() {
    use authconform::harness::fileverbs::api as fv;
    assert_covers(
        Vendor::FileVerbs,
        &[
            ("POST", fv::ACCESS_TOKEN),
            ("POST", fv::REFRESH),
            ("POST", fv::REVOKE),
            ("GET", fv::PROBE),
        ],
    );
}

#[test]
fn the_lac_spec_covers_every_call_the_features_make() {
    use authconform::harness::lac::api as lac;
    assert_covers(
        Vendor::Lac,
        &[
            ("POST", lac::AUTHENTICATION),
            ("GET", lac::PROBE),
            ("POST", lac::PROBE),
            ("PUT", lac::PROBE),
            ("DELETE", lac::PROBE),
        ],
    );
    // The documentation's revalidation answer, and an answer it does not allow.
    let s = spec::for_vendor(Vendor::Lac);
    let seed = br#"{ "apikey": "1234567890abcdef12345", "expiration": "2014-12-31T23:59:59.999"}"#;
    s.check_response("POST", lac::AUTHENTICATION, 200, seed)
        .expect("the seed's example");
    // The documented answer asks no more than the seed's quotes (audit X12):
    // which fields a call's answer holds, and the expiration's form, are the
    // steps' to judge; a documented field of another type is not.
    for fine in [
        &br#"{"apikey": "k", "expiration": "2014-12-31T23:59:59.999Z"}"#[..],
        br#"{"apikey": "k", "expiration": 1420070399999}"#,
        br#"{"apikey": "k", "expiration": null}"#,
        br#"{}"#,
        br#"{"apikey": "k", "disabled": true}"#,
    ] {
        s.check_response("POST", lac::AUTHENTICATION, 200, fine)
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(fine)));
    }
    s.check_response("POST", lac::AUTHENTICATION, 204, b"")
        .expect("a disabling answered without a body");
    for wrong in [
        &br#"{"apikey": 5}"#[..],
        br#"{"apikey": "k", "disabled": "yes"}"#,
        br#"{"apikey": "k", "changePasswordResult": "ok"}"#,
        br#"{"apikey": "k", "expiration": true}"#,
    ] {
        assert!(
            s.check_response("POST", lac::AUTHENTICATION, 200, wrong)
                .is_err(),
            "{}",
            String::from_utf8_lossy(wrong)
        );
    }
}

/// A client generated from the spec (openapi-python-client, openapi-generator)
/// types an answer by the one schema of `oneOf` it validates against: a
/// disabling's answer must be a `DisabledToken` and never an `AuthToken`,
/// and a sign-on's the other way round.
#[test]
fn a_lac_disabling_is_typed_apart_from_a_sign_on() {
    let s = spec::for_vendor(Vendor::Lac);
    let doc = s.document();
    let examples =
        &doc["components"]["responses"]["Authenticated"]["content"]["application/json"]["examples"];
    let typed = |body: &Value| {
        ["AuthToken", "DisabledToken"]
            .into_iter()
            .filter(|name| s.is_instance_of(name, body).unwrap())
            .collect::<Vec<_>>()
    };
    for (name, expected) in [
        ("signOn", "AuthToken"),
        ("revalidate", "AuthToken"),
        ("disable", "DisabledToken"),
    ] {
        let body = &examples[name]["value"];
        assert_eq!(typed(body), [expected], "{name}: {body}");
    }
    let change = serde_json::json!({"apikey": "k", "expiration": null, "changePasswordResult": "success", "changePasswordMessage": "done"});
    assert_eq!(typed(&change), ["AuthToken"]);
    let disabled = serde_json::json!({"disabled": true});
    assert_eq!(typed(&disabled), ["DisabledToken"]);
    assert!(s.is_instance_of("NoSuchSchema", &disabled).is_err());
}

/// openapi-python-client 0.29 makes one type per schema and picks the
/// encoding by type: a form and a JSON body of one schema leave it unable to
/// send either (its generator bug), so each encoding names its own schema.
/// The JSON example is a `LoginRequest` and, as text fields, a `LoginForm`.
#[test]
fn form_and_json_bodies_have_schemas_of_their_own() {
    for vendor in Vendor::ALL {
        let s = spec::for_vendor(*vendor);
        let doc = s.document();
        for (method, path) in s.operations() {
            let content = &doc["paths"][&path][method.to_lowercase()]["requestBody"]["content"];
            let form = &content["application/x-www-form-urlencoded"]["schema"];
            if form.is_null() {
                continue;
            }
            let json = &content["application/json"]["schema"];
            assert_ne!(
                form, json,
                "{vendor} {method} {path}: one schema for both encodings"
            );
        }
    }
    let s = spec::for_vendor(Vendor::Limecraft);
    let example = serde_json::json!({"username": "john.doe", "password": "mysecret123!"});
    assert!(s.is_instance_of("LoginRequest", &example).unwrap());
    assert!(s.is_instance_of("LoginForm", &example).unwrap());
    let python_form = serde_json::json!({"username": "u", "password": "p", "rememberMe": "False"});
    assert!(s.is_instance_of("LoginForm", &python_form).unwrap());
    assert!(
        !s.is_instance_of(
            "LoginForm",
            &serde_json::json!({"username": "u", "redirectIfSaml": {}})
        )
        .unwrap()
    );
}

/// Every 429 and 503 a spec lists (the login throttle's, the busy password
/// hashing's) declares the `Retry-After` the reference server sends (RFC 9110
/// §10.2.3), as required; and every login the throttle guards lists 429 and
/// 503 (`limits_throttle.rs` checks the answers against them).
#[test]
fn throttled_answers_declare_retry_after() {
    let mut listed = 0;
    for vendor in Vendor::ALL {
        let s = spec::for_vendor(*vendor);
        let doc = s.document();
        let resolve = |v: &Value| -> Value {
            v["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| doc.pointer(p))
                .cloned()
                .unwrap_or_else(|| v.clone())
        };
        for (method, path) in s.operations() {
            let responses = &doc["paths"][&path][method.to_lowercase()]["responses"];
            for status in ["429", "503"] {
                let Some(response) = responses.get(status) else {
                    continue;
                };
                let header = resolve(&resolve(response)["headers"]["Retry-After"]);
                assert_eq!(
                    header["required"], true,
                    "{vendor} {method} {path} {status}: Retry-After"
                );
                listed += 1;
            }
        }
    }
    for (vendor, path) in [
        (Vendor::Limecraft, "/authentication/login"),
        (Vendor::Lac, "/@authentication"),
        (Vendor::LiquidFiles, "/login"),
    ] {
        let doc = spec::for_vendor(vendor).document();
        for status in ["429", "503"] {
            assert!(
                doc["paths"][path]["post"]["responses"]
                    .get(status)
                    .is_some(),
                "{vendor} POST {path} lists {status}"
            );
        }
    }
    assert!(listed >= 6, "{listed}");
}

#[test]
fn documented_examples_match_their_schemas() {
    let mut checked = 0;
    for vendor in Vendor::ALL {
        checked += check_examples(*vendor);
    }
    assert!(
        checked >= 4,
        "expected the seeds' examples in the specs, checked {checked}"
    );
}

fn check_examples(vendor: Vendor) -> usize {
    let s = spec::for_vendor(vendor);
    let doc = s.document();
    let mut checked = 0;
    for (method, path) in s.operations() {
        let responses = &doc["paths"][&path][method.to_lowercase()]["responses"];
        for (status, response) in responses.as_object().expect("responses") {
            // A shared response (`$ref: "#/components/responses/…"`) too.
            let response = response["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|pointer| doc.pointer(pointer))
                .unwrap_or(response);
            let Ok(status) = status.parse() else {
                continue;
            };
            // `example`, and every named one of `examples`.
            let media = response.pointer("/content/application~1json");
            let named = media
                .and_then(|m| m["examples"].as_object())
                .into_iter()
                .flatten()
                .map(|(_, e)| &e["value"]);
            for example in media
                .and_then(|m| m.get("example"))
                .into_iter()
                .chain(named)
            {
                let body = serde_json::to_vec(example).expect("example serialises");
                s.check_response(&method, &path, status, &body)
                    .unwrap_or_else(|v| {
                        panic!(
                            "{vendor} {method} {path} {status}: the spec's own example fails: {v}"
                        )
                    });
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn a_response_that_breaks_the_spec_is_reported() {
    let s = spec::for_vendor(Vendor::Limecraft);
    let missing_field = br#"{"id": 1, "username": "a", "email": "a@b", "version": 1}"#;
    let v = s
        .check_response("GET", api::USER, 200, missing_field)
        .expect_err("modifiedBy is required");
    assert!(v.to_string().contains("modifiedBy"), "{v}");
    assert_eq!(
        v.provenance,
        Provenance::Documented,
        "the seed shows the User"
    );

    let wrong_type = br#"{"needsSecondToken": "no", "status": 200, "token": "t"}"#;
    let v = s
        .check_response("POST", api::LOGIN, 200, wrong_type)
        .expect_err("boolean");
    assert!(v.to_string().contains("/needsSecondToken"), "{v}");

    let v = s
        .check_response("POST", api::LOGIN, 500, b"oops")
        .expect_err("undocumented");
    assert!(
        v.to_string()
            .contains("status 500 is not a response the spec lists"),
        "{v}"
    );
    assert_eq!(
        v.provenance,
        Provenance::Reference,
        "the steps judge statuses; the spec's list of them is ours"
    );

    let v = s
        .check_response("POST", api::LOGIN, 401, b"<html>")
        .expect_err("not JSON");
    assert!(v.to_string().contains("not JSON"), "{v}");

    let envelope = serde_json::json!({"type":"UnauthorizedError","code":401,"errorNumber":0,"message":"m","data":Value::Null});
    s.check_response("POST", api::LOGIN, 401, envelope.to_string().as_bytes())
        .expect("the documented envelope");
}

#[test]
fn the_liquidfiles_spec_covers_every_call_the_features_make() {
    use authconform::harness::liquidfiles::api as lf;
    let s = spec::for_vendor(Vendor::LiquidFiles);
    assert_covers(
        Vendor::LiquidFiles,
        &[
            ("POST", lf::LOGIN),
            ("GET", lf::SESSION_API),
            ("POST", lf::SESSION_API),
            ("GET", lf::ACCOUNT),
        ],
    );
    // The XML and HTML bodies are read by the steps; the statuses are the spec's.
    assert!(s.check_response("POST", lf::LOGIN, 200, b"<user/>").is_ok());
    assert!(s.check_response("POST", lf::LOGIN, 404, b"").is_err());
    assert!(s.check_response("GET", lf::SESSION_API, 500, b"").is_err());
    let renamed = br#"{"email": "user@example.com"}"#;
    assert!(s.check_response("GET", lf::ACCOUNT, 200, renamed).is_err());
}
