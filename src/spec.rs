//! The vendors' OpenAPI 3.1 documents, and checking responses against them.
//!
//! `specs/*.openapi.yaml` are the single source of truth for shapes: the harness
//! checks every response it receives against the operation's documented
//! responses (status, then the JSON Schema of the body), so a shape rule is
//! written once, in the spec, not again in each step.

#[cfg(feature = "harness")]
use std::collections::HashMap;
use std::sync::OnceLock;
#[cfg(feature = "harness")]
use std::sync::{Arc, Mutex};

use serde_json::Value;
#[cfg(feature = "harness")]
use serde_json::json;

use crate::vendor::Vendor;

/// One vendor's parsed OpenAPI document with a cache of compiled validators.
pub struct Spec {
    pub vendor: Vendor,
    doc: Value,
    #[cfg(feature = "harness")]
    validators: Mutex<HashMap<(String, String, String), Arc<jsonschema::Validator>>>,
}

/// Why a response does not match the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecViolation {
    pub operation: String,
    pub problems: Vec<String>,
}

impl std::fmt::Display for SpecViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "response to {} does not match the spec:", self.operation)?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
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
                    .expect("built-in specs parse (checked by tests/spec.rs)")
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
            #[cfg(feature = "harness")]
            validators: Mutex::new(HashMap::new()),
        })
    }

    pub fn document(&self) -> &Value {
        &self.doc
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

    #[cfg(feature = "harness")]
    fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.doc["paths"]
            .get(path)?
            .get(method.to_ascii_lowercase())
    }

    #[cfg(feature = "harness")]
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

    #[cfg(feature = "harness")]
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
        let violation = |problems: Vec<String>| SpecViolation {
            operation: operation_name.clone(),
            problems,
        };
        let Some(op) = self.operation(method, path_template) else {
            return Err(violation(vec![format!(
                "specs/{}.openapi.yaml has no operation {operation_name}",
                self.vendor
            )]));
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
            return Err(violation(vec![format!(
                "status {status} is not a documented response (documented: {})",
                documented
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )]));
        };
        let response = self.resolve(response);
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            return Ok(());
        };
        let instance: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return Err(violation(vec![format!(
                    "status {status} documents a JSON body, but the body is not JSON ({e})"
                )]));
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
            Err(violation(problems))
        }
    }

    #[cfg(feature = "harness")]
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
        let validator = jsonschema::validator_for(&root).map_err(|e| SpecViolation {
            operation: format!("{method} {path}"),
            problems: vec![format!("the spec's schema does not compile: {e}")],
        })?;
        let validator = Arc::new(validator);
        cache.insert(key, validator.clone());
        Ok(validator)
    }
}
