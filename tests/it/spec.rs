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
