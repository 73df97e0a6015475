//! `GET /api/v1/docs`: the API reference as a plain HTML page, rendered from the same
//! OpenAPI document as `/api/v1/openapi.json` (no JavaScript, no external resources).

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{Page, WebError};
use crate::startup::State;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The name of a schema: the component it refers to, or its type.
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    if let Some(items) = schema.get("items") {
        return format!("[{}]", schema_name(items));
    }
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        return alternatives
            .iter()
            .map(schema_name)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    match schema.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".to_owned(),
    }
}

fn contents(content: Option<&Value>) -> Vec<Value> {
    content
        .and_then(Value::as_object)
        .map(|media| {
            media
                .iter()
                .map(|(media_type, body)| {
                    json!({
                        "media_type": media_type,
                        "schema": body.get("schema").map(schema_name).unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The operations of the document, in path order, as the template shows them.
pub fn operations(document: &Value) -> Vec<Value> {
    let mut operations = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return operations;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let text = |key: &str| operation.get(key).and_then(Value::as_str).unwrap_or("");
            let parameters: Vec<Value> = operation
                .get("parameters")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|p| {
                            json!({
                                "name": p.get("name"),
                                "location": p.get("in"),
                                "required": p.get("required").and_then(Value::as_bool).unwrap_or(false),
                                "schema": p.get("schema").map(schema_name).unwrap_or_default(),
                                "description": p.get("description"),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let responses: Vec<Value> = operation
                .get("responses")
                .and_then(Value::as_object)
                .map(|map| {
                    map.iter()
                        .map(|(status, response)| {
                            json!({
                                "status": status,
                                "description": response.get("description"),
                                "content": contents(response.get("content")),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let public = operation
                .get("security")
                .and_then(Value::as_array)
                .is_none_or(|list| {
                    list.iter()
                        .any(|s| s.as_object().is_some_and(|o| o.is_empty()))
                });
            operations.push(json!({
                "anchor": text("operationId"),
                "method": method.to_uppercase(),
                "path": path,
                "summary": text("summary"),
                "description": text("description"),
                "tag": operation.get("tags").and_then(|t| t.get(0)),
                "parameters": parameters,
                "request_body": operation.get("requestBody").map(|b| contents(b.get("content"))),
                "responses": responses,
                "public": public,
            }));
        }
    }
    operations
}

pub async fn reference(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let document = serde_json::to_value(crate::api::v1::openapi::document())
        .map_err(|e| WebError::internal(page.language, e))?;
    let data = json!({
        "version": document.pointer("/info/version"),
        "openapi": document.get("openapi"),
        "operations": operations(&document),
    });
    page.render("api/reference", page.t("api-docs-title"), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_an_operation_with_responses() {
        let document = serde_json::to_value(crate::api::v1::openapi::document()).unwrap();
        let operations = operations(&document);
        assert!(operations.len() >= 30);
        for operation in &operations {
            assert!(!operation["summary"].as_str().unwrap().is_empty());
            assert!(!operation["responses"].as_array().unwrap().is_empty());
        }
    }

    #[test]
    fn schema_names() {
        assert_eq!(
            schema_name(&json!({"$ref": "#/components/schemas/Problem"})),
            "Problem"
        );
        assert_eq!(
            schema_name(&json!({"type": ["string", "null"]})),
            "string | null"
        );
        assert_eq!(
            schema_name(&json!({"type": "array", "items": {"type": "integer"}})),
            "[integer]"
        );
    }
}
