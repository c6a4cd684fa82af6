//! OpenAPI 3.1: the document of an Api, made from its resources, their rules, and what
//! they say of their arguments, bodies, answers and errors (JSON Schema from `schemars`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde_json::{Map, Value, json};

/// What a resource says of its methods, for the OpenAPI document: in
/// [`Resource::describe`](crate::Resource::describe).
///
/// ```
/// # #[derive(serde::Deserialize, schemars::JsonSchema)] struct Search { q: String }
/// # #[derive(serde::Serialize, schemars::JsonSchema)] struct Item { name: String }
/// fn describe(doc: &mut flask_restful::Describe<'_>) {
///     doc.get()
///         .summary("Search the items")
///         .args::<Search>()
///         .response::<Vec<Item>>(200, "The items found");
///     doc.delete().no_content(204, "Deleted").error(404, "No such item");
/// }
/// ```
pub struct Describe<'a> {
    pub(crate) generator: &'a mut SchemaGenerator,
    pub(crate) ops: &'a mut BTreeMap<String, Operation>,
}

impl std::fmt::Debug for Describe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Describe")
            .field("methods", &self.ops.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One method's description.
#[derive(Debug, Default, Clone)]
pub(crate) struct Operation {
    summary: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
    /// Query parameters (GET and DELETE arguments).
    query: Vec<Value>,
    /// The request body's schema (arguments of the other methods, or `body`).
    body: Option<Value>,
    responses: BTreeMap<String, Value>,
}

impl Describe<'_> {
    fn op(&mut self, method: &str) -> Op<'_> {
        let op = self.ops.entry(method.to_owned()).or_default();
        Op {
            generator: self.generator,
            op,
            method: method.to_owned(),
        }
    }

    /// `GET`.
    pub fn get(&mut self) -> Op<'_> {
        self.op("get")
    }

    /// `POST`.
    pub fn post(&mut self) -> Op<'_> {
        self.op("post")
    }

    /// `PUT`.
    pub fn put(&mut self) -> Op<'_> {
        self.op("put")
    }

    /// `PATCH`.
    pub fn patch(&mut self) -> Op<'_> {
        self.op("patch")
    }

    /// `DELETE`.
    pub fn delete(&mut self) -> Op<'_> {
        self.op("delete")
    }
}

/// The description of one method, built by chaining.
pub struct Op<'a> {
    generator: &'a mut SchemaGenerator,
    op: &'a mut Operation,
    method: String,
}

impl std::fmt::Debug for Op<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op").field("method", &self.method).finish()
    }
}

/// The schema of an error body: `{"message": ...}` and maybe more keys.
pub(crate) const ERROR_REF: &str = "#/components/schemas/Error";

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}
    })
}

impl Op<'_> {
    /// A one-line summary.
    pub fn summary(self, text: &str) -> Self {
        self.op.summary = Some(text.to_owned());
        self
    }

    /// A longer description (CommonMark).
    pub fn description(self, text: &str) -> Self {
        self.op.description = Some(text.to_owned());
        self
    }

    /// A tag grouping operations.
    pub fn tag(self, tag: &str) -> Self {
        self.op.tags.push(tag.to_owned());
        self
    }

    /// The arguments read with `req.args::<T>()`: query parameters for GET and DELETE, the
    /// request body (JSON or a form) for the others. Adds the 400 of a bad argument.
    pub fn args<T: JsonSchema>(self) -> Self {
        self.args_with::<T>(&crate::ArgOptions::new())
    }

    /// The arguments read with `req.parse_args_with::<T>(options)`: fields the options read
    /// from a header or a cookie are `in: header` / `in: cookie` parameters under that
    /// header's or cookie's name; the others are as for [`Op::args`].
    pub fn args_with<T: JsonSchema>(self, options: &crate::ArgOptions) -> Self {
        let schema = self.generator.subschema_for::<T>().to_value();
        let resolved = resolve(self.generator, &schema);
        let required = crate::coerce::required_names(&resolved);
        let in_query = matches!(self.method.as_str(), "get" | "delete" | "head");
        let mut body = resolved.clone();
        let mut moved = false;
        if let Some(props) = resolved.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let (location, param_name) = match options.location_of(name) {
                    Some((location, param)) => (location, param),
                    None if in_query => ("query", name.as_str()),
                    None => continue,
                };
                let mut param = json!({
                    "name": param_name,
                    "in": location,
                    "required": required.contains(name),
                    "schema": prop,
                });
                if let Some(d) = prop.get("description") {
                    param["description"] = d.clone();
                }
                self.op.query.push(param);
                // What a header or cookie carries is not in the body.
                if in_query || location == "query" {
                    continue;
                }
                moved = true;
                if let Some(obj) = body.as_object_mut() {
                    if let Some(p) = obj.get_mut("properties").and_then(Value::as_object_mut) {
                        p.shift_remove(name);
                    }
                    if let Some(r) = obj.get_mut("required").and_then(Value::as_array_mut) {
                        r.retain(|v| v.as_str() != Some(name));
                    }
                }
            }
        }
        if !in_query {
            // The type's own schema (a `$ref`) unless some fields went to headers or cookies.
            self.op.body = Some(if moved { body } else { schema });
        }
        self.op.responses.insert(
            "400".to_owned(),
            error_response("An argument is missing or wrong: `message` names it"),
        );
        self
    }

    /// The JSON body read with `req.json::<T>()`. Adds the 400 of a malformed body.
    pub fn body<T: JsonSchema>(self) -> Self {
        self.op.body = Some(self.generator.subschema_for::<T>().to_value());
        self.op
            .responses
            .insert("400".to_owned(), error_response("The body is malformed"));
        self
    }

    /// An answer with a body of type `T`.
    pub fn response<T: JsonSchema>(self, status: u16, description: &str) -> Self {
        let schema = self.generator.subschema_for::<T>().to_value();
        self.op.responses.insert(
            status.to_string(),
            json!({
                "description": description,
                "content": {"application/json": {"schema": schema}}
            }),
        );
        self
    }

    /// An answer without a body (a 204).
    pub fn no_content(self, status: u16, description: &str) -> Self {
        self.op
            .responses
            .insert(status.to_string(), json!({ "description": description }));
        self
    }

    /// An error answer: `{"message": ...}` with this status.
    pub fn error(self, status: u16, description: &str) -> Self {
        self.op
            .responses
            .insert(status.to_string(), error_response(description));
        self
    }
}

/// `schema`, or the definition its `$ref` names.
fn resolve(generator: &SchemaGenerator, schema: &Value) -> Value {
    let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
        return schema.clone();
    };
    let name = reference.rsplit('/').next().unwrap_or("");
    generator
        .definitions()
        .get(name)
        .cloned()
        .unwrap_or_else(|| schema.clone())
}

/// A schema generator for OpenAPI 3.1 (JSON Schema 2020-12, definitions in components).
pub(crate) fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    settings.into_generator()
}

/// `<int(min=1):id>` in a Flask rule.
static VARIABLE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"<(?:([a-z_]+)(?:\(([^)]*)\))?:)?([A-Za-z_][A-Za-z0-9_]*)>")
        .unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

/// A Flask rule as an OpenAPI path (`/todos/{todo_id}`), and its path parameters.
pub(crate) fn path_of(rule: &str) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let path = VARIABLE
        .replace_all(rule, |caps: &regex::Captures<'_>| {
            let converter = caps.get(1).map_or("string", |m| m.as_str());
            let args = caps.get(2).map_or("", |m| m.as_str());
            let name = &caps[3];
            let schema = match converter {
                "int" => json!({"type": "integer"}),
                "float" => json!({"type": "number"}),
                "uuid" => json!({"type": "string", "format": "uuid"}),
                "any" => {
                    let values: Vec<String> = args
                        .split(',')
                        .map(|a| a.trim().trim_matches(['"', '\'']).to_owned())
                        .filter(|a| !a.is_empty() && !a.contains('='))
                        .collect();
                    json!({"type": "string", "enum": values})
                }
                _ => json!({"type": "string"}),
            };
            params.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
            format!("{{{name}}}")
        })
        .into_owned();
    (path, params)
}

impl Operation {
    /// The operation object for `method` of a resource at a path with `path_params`.
    pub(crate) fn to_value(&self, operation_id: &str, has_path_params: bool) -> Value {
        let mut op = Map::new();
        op.insert("operationId".into(), Value::String(operation_id.to_owned()));
        if let Some(s) = &self.summary {
            op.insert("summary".into(), Value::String(s.clone()));
        }
        if let Some(d) = &self.description {
            op.insert("description".into(), Value::String(d.clone()));
        }
        if !self.tags.is_empty() {
            op.insert("tags".into(), json!(self.tags));
        }
        if !self.query.is_empty() {
            op.insert("parameters".into(), Value::Array(self.query.clone()));
        }
        if let Some(body) = &self.body {
            op.insert(
                "requestBody".into(),
                json!({
                    "required": true,
                    "content": {
                        "application/json": {"schema": body},
                        "application/x-www-form-urlencoded": {"schema": body}
                    }
                }),
            );
        }
        let mut responses: Map<String, Value> = self
            .responses
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !responses.keys().any(|k| k.starts_with('2')) {
            responses.insert("200".into(), json!({"description": "Success"}));
        }
        if has_path_params && !responses.contains_key("404") {
            responses.insert(
                "404".into(),
                error_response("Nothing at this URL, or a path value that does not convert"),
            );
        }
        responses.insert(
            "406".into(),
            error_response("No representation the Accept header allows"),
        );
        op.insert("responses".into(), Value::Object(responses));
        Value::Object(op)
    }
}

/// The schema of `{"message": ...}` bodies.
pub(crate) fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "message": {
                "description": "What went wrong: a sentence, or for arguments an object of field names to messages"
            }
        },
        "required": ["message"],
        "additionalProperties": true
    })
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn rules_become_paths() {
        let (path, params) = path_of("/todos/<todo_id>/items/<int(min=1):n>/<any(a,b):k>");
        assert_eq!(path, "/todos/{todo_id}/items/{n}/{k}");
        assert_eq!(params[0]["schema"]["type"], "string");
        assert_eq!(params[1]["schema"]["type"], "integer");
        assert_eq!(params[2]["schema"]["enum"], serde_json::json!(["a", "b"]));
        assert_eq!(path_of("/plain").0, "/plain");
    }
}
