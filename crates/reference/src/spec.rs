//! The vendors' OpenAPI 3.1 documents, and checking responses against them.
//!
//! `specs/*.openapi.yaml` are the single source of truth for shapes: the harness
//! checks every response it receives against the operation's responses
//! (status, then the JSON Schema of the body), so a shape rule is written once,
//! in the spec, not again in each step.
//!
//! Provenance: a response whose body the vendor's document shows carries
//! `x-authconform-source` (the seed and its words). Only such a body breaks a
//! run when it does not match ([`Provenance::Documented`]); every other
//! mismatch, an undocumented status included, is a
//! [`Provenance::Reference`] warning (a failure under `--strict`): the steps
//! assert the statuses the documents give. An optional property accepts
//! `null` (a Java or .NET server writes nulls) unless its schema says
//! `x-authconform-not-null: true`.

#[cfg(feature = "validate")]
use std::collections::HashMap;
use std::sync::OnceLock;
#[cfg(feature = "validate")]
use std::sync::{Arc, Mutex};

use serde_json::Value;
#[cfg(feature = "validate")]
use serde_json::json;

pub use crate::provenance::Provenance;
use crate::provenance::{Seed, Source};
use crate::vendor::Vendor;

/// The extension that marks a response whose body a vendor's document shows.
pub const SOURCE_EXTENSION: &str = "x-authconform-source";

/// One vendor's parsed OpenAPI document with a cache of compiled validators.
pub struct Spec {
    pub vendor: Vendor,
    doc: Value,
    #[cfg(feature = "validate")]
    validators: Mutex<HashMap<(String, String, String), Arc<jsonschema::Validator>>>,
}

/// Why a response does not match the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecViolation {
    pub operation: String,
    pub problems: Vec<String>,
    /// Documented: the body breaks a shape the vendor's document shows.
    /// Reference: an undocumented status, or a body only we chose the shape of.
    pub provenance: Provenance,
}

impl std::fmt::Display for SpecViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whose = match self.provenance {
            Provenance::Documented => "the vendor's document",
            Provenance::Reference => "the reference server's choice",
        };
        write!(
            f,
            "response to {} does not match the spec ({whose}):",
            self.operation
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

/// One citation of a spec (`{seed, quote}` or `{standard, section, quote}`).
fn source_of(v: &Value) -> Result<Source, String> {
    let text = |field: &str| -> Result<&'static str, String> {
        v.get(field)
            .and_then(Value::as_str)
            .map(|s| &*Box::leak(s.to_owned().into_boxed_str()))
            .ok_or_else(|| format!("a citation without a string {field}: {v}"))
    };
    let quote = text("quote")?;
    if v.get("seed").is_some() {
        let number = text("seed")?;
        let seed = Seed::from_number(number).ok_or_else(|| format!("no seed {number:?}"))?;
        Ok(Source::seed(seed, quote))
    } else {
        Ok(Source::standard(text("standard")?, text("section")?, quote))
    }
}

/// The spec of `vendor`, parsed once per process.
pub fn for_vendor(vendor: Vendor) -> &'static Spec {
    static SPECS: OnceLock<Vec<Spec>> = OnceLock::new();
    let specs = SPECS.get_or_init(|| {
        Vendor::ALL
            .iter()
            .map(|v| {
                Spec::parse(*v, v.spec_source())
                    .expect("built-in specs parse (checked by tests/it/spec.rs)")
            })
            .collect()
    });
    specs
        .iter()
        .find(|s| s.vendor == vendor)
        .expect("every vendor has a spec")
}

impl Spec {
    pub fn parse(vendor: Vendor, yaml: &str) -> Result<Spec, String> {
        let doc: Value = serde_saphyr::from_str(yaml).map_err(|e| e.to_string())?;
        let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
        if !version.starts_with("3.1") {
            return Err(format!(
                "expected an OpenAPI 3.1 document, found openapi: {version:?}"
            ));
        }
        if !doc.get("paths").is_some_and(Value::is_object) {
            return Err("the document has no paths".into());
        }
        Ok(Spec {
            vendor,
            doc,
            #[cfg(feature = "validate")]
            validators: Mutex::new(HashMap::new()),
        })
    }

    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Every citation of the document (`x-authconform-source` on a response,
    /// a list of `{seed, quote}` or `{standard, section, quote}`), with where
    /// it sits; a citation that is not of that shape is an `Err` saying why.
    /// The strings live as long as the process (read once, for the
    /// provenance test and the reports).
    pub fn sources(&self) -> Vec<(String, Result<Source, String>)> {
        let mut out = Vec::new();
        let mut visit = |place: String, response: &Value| {
            let Some(cited) = response.get(SOURCE_EXTENSION) else {
                return;
            };
            let Some(list) = cited.as_array().filter(|l| !l.is_empty()) else {
                out.push((
                    place,
                    Err(format!(
                        "{SOURCE_EXTENSION} must be a list of {{seed, quote}} or {{standard, section, quote}}, not {cited}"
                    )),
                ));
                return;
            };
            for one in list {
                out.push((place.clone(), source_of(one)));
            }
        };
        if let Some(paths) = self.doc["paths"].as_object() {
            for (path, item) in paths {
                for method in ["get", "put", "post", "delete", "patch"] {
                    if let Some(responses) = item[method]["responses"].as_object() {
                        for (status, response) in responses {
                            visit(
                                format!("{} {path} {status}", method.to_uppercase()),
                                response,
                            );
                        }
                    }
                }
            }
        }
        if let Some(shared) = self
            .doc
            .pointer("/components/responses")
            .and_then(Value::as_object)
        {
            for (name, response) in shared {
                visit(format!("components/responses/{name}"), response);
            }
        }
        out
    }

    /// Every (METHOD, path) the document describes.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(paths) = self.doc["paths"].as_object() {
            for (path, item) in paths {
                for method in ["get", "put", "post", "delete", "patch"] {
                    if item.get(method).is_some() {
                        out.push((method.to_uppercase(), path.clone()));
                    }
                }
            }
        }
        out
    }

    #[cfg(feature = "validate")]
    fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.doc["paths"]
            .get(path)?
            .get(method.to_ascii_lowercase())
    }

    #[cfg(feature = "validate")]
    /// Follows a local `$ref` (`#/components/...`) once.
    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix('#')
                .and_then(|ptr| self.doc.pointer(ptr))
                .unwrap_or(v),
            None => v,
        }
    }

    #[cfg(feature = "validate")]
    /// Whether `body` is an instance of the component schema `name`
    /// (`#/components/schemas/<name>`) on its own: what a client generated
    /// from the document can type it as. `Err`: no such schema, or it does
    /// not compile.
    pub fn is_instance_of(&self, name: &str, body: &Value) -> Result<bool, String> {
        if self.doc["components"]["schemas"].get(name).is_none() {
            return Err(format!(
                "specs/{}.openapi.yaml has no schema {name}",
                self.vendor
            ));
        }
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "$ref": format!("#/components/schemas/{name}"),
        });
        let validator = jsonschema::validator_for(&root).map_err(|e| e.to_string())?;
        Ok(validator.is_valid(body))
    }

    #[cfg(feature = "validate")]
    /// Checks a response to `method path_template` against the documented
    /// responses: the status must be documented, and a JSON body must match its schema.
    pub fn check_response(
        &self,
        method: &str,
        path_template: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), SpecViolation> {
        let operation_name = format!("{} {}", method.to_uppercase(), path_template);
        let violation = |problems: Vec<String>, provenance: Provenance| SpecViolation {
            operation: operation_name.clone(),
            problems,
            provenance,
        };
        let Some(op) = self.operation(method, path_template) else {
            return Err(violation(
                vec![format!(
                    "specs/{}.openapi.yaml has no operation {operation_name}",
                    self.vendor
                )],
                Provenance::Reference,
            ));
        };
        let responses = &op["responses"];
        let status_key = status.to_string();
        let class_key = format!("{}XX", status / 100);
        let Some((matched_key, response)) = [status_key.as_str(), class_key.as_str(), "default"]
            .iter()
            .find_map(|k| responses.get(*k).map(|r| (k.to_string(), r)))
        else {
            let documented: Vec<&String> = responses
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            // The steps assert every status a document gives; a status the
            // spec does not list is a difference from our choices only.
            return Err(violation(
                vec![format!(
                    "status {status} is not a response the spec lists ({})",
                    documented
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )],
                Provenance::Reference,
            ));
        };
        let provenance = if response.get(SOURCE_EXTENSION).is_some() {
            Provenance::Documented
        } else {
            Provenance::Reference
        };
        let response = self.resolve(response);
        let provenance = if response.get(SOURCE_EXTENSION).is_some() {
            Provenance::Documented
        } else {
            provenance
        };
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            return Ok(());
        };
        let other_media = response["content"].as_object().is_some_and(|m| m.len() > 1);
        let instance: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            // A response documented as JSON or another type (LiquidFiles'
            // `POST /login`: XML or JSON, as asked): the harness reads the
            // other types itself.
            Err(_) if other_media => return Ok(()),
            Err(e) => {
                return Err(violation(
                    vec![format!(
                        "status {status} documents a JSON body, but the body is not JSON ({e})"
                    )],
                    provenance,
                ));
            }
        };
        let validator = self.validator(method, path_template, &matched_key, schema)?;
        let problems: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    format!("{e}")
                } else {
                    format!("at {at}: {e}")
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(violation(problems, provenance))
        }
    }

    #[cfg(feature = "validate")]
    fn validator(
        &self,
        method: &str,
        path: &str,
        status_key: &str,
        schema: &Value,
    ) -> Result<Arc<jsonschema::Validator>, SpecViolation> {
        let key = (method.to_owned(), path.to_owned(), status_key.to_owned());
        let mut cache = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(&key) {
            return Ok(v.clone());
        }
        // The schema is wrapped in a root that carries `components`, so its
        // `#/components/schemas/...` references resolve as they do in the document.
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let mut root = root;
        nullable_optionals(&mut root);
        let validator = jsonschema::validator_for(&root).map_err(|e| SpecViolation {
            operation: format!("{method} {path}"),
            problems: vec![format!("the spec's schema does not compile: {e}")],
            provenance: Provenance::Reference,
        })?;
        let validator = Arc::new(validator);
        cache.insert(key, validator.clone());
        Ok(validator)
    }
}

/// Lets every optional property of every object schema below `schema` be
/// `null`, unless it says `x-authconform-not-null: true`: the documents show
/// optional fields without saying that a server omits them rather than writing
/// `null`, and servers on Java or .NET write nulls.
#[cfg(feature = "validate")]
fn nullable_optionals(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            for (key, value) in map.iter_mut() {
                if key == "properties" {
                    if let Value::Object(props) = value {
                        for (name, prop) in props.iter_mut() {
                            nullable_optionals(prop);
                            let not_null = prop
                                .get("x-authconform-not-null")
                                .and_then(Value::as_bool)
                                .unwrap_or(false);
                            if !required.contains(name) && !not_null {
                                *prop = json!({ "anyOf": [prop.take(), { "type": "null" }] });
                            }
                        }
                    }
                } else {
                    nullable_optionals(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_optionals),
        _ => {}
    }
}

#[cfg(all(test, feature = "validate"))]
mod tests {
    use super::*;

    const DOC: &str = r#"
openapi: 3.1.0
info: { title: t, version: "1" }
paths:
  /login:
    post:
      responses:
        "200":
          x-authconform-source: "seed: the example answer"
          content:
            application/json:
              schema:
                type: object
                required: [token]
                properties:
                  token: { type: string }
                  message: { type: string }
                  status: { type: integer, x-authconform-not-null: true }
        "401":
          content:
            application/json:
              schema: { type: object, required: [errorCode] }
"#;

    fn check(status: u16, body: &str) -> Result<(), SpecViolation> {
        Spec::parse(Vendor::Limecraft, DOC).unwrap().check_response(
            "POST",
            "/login",
            status,
            body.as_bytes(),
        )
    }

    #[test]
    fn a_documented_body_that_breaks_its_shape_is_a_documented_violation() {
        let v = check(200, r#"{"message":"hi"}"#).unwrap_err();
        assert_eq!(v.provenance, Provenance::Documented);
        assert!(v.to_string().contains("the vendor's document"), "{v}");
    }

    #[test]
    fn optional_fields_may_be_null_unless_marked() {
        check(200, r#"{"token":"t","message":null}"#).unwrap();
        let v = check(200, r#"{"token":"t","status":null}"#).unwrap_err();
        assert_eq!(v.provenance, Provenance::Documented);
        let v = check(200, r#"{"token":null}"#).unwrap_err();
        assert_eq!(v.provenance, Provenance::Documented);
    }

    #[test]
    fn undocumented_bodies_and_statuses_are_reference_violations() {
        let v = check(401, r#"{"message":"no"}"#).unwrap_err();
        assert_eq!(v.provenance, Provenance::Reference);
        let v = check(403, r#"{}"#).unwrap_err();
        assert_eq!(v.provenance, Provenance::Reference);
        assert!(v.to_string().contains("403"), "{v}");
    }
}
