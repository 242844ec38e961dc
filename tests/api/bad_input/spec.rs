//! What the OpenAPI document says about each operation: its request body's shape (with
//! `$ref`s followed), its path and query parameters. The corruptions are derived from this,
//! so a new operation or field is covered without touching the tests.
use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

/// One documented operation.
pub struct Op {
    pub method: Method,
    pub template: String,
    /// The operation object of the document.
    pub doc: Value,
    /// The request body's shape and schema name, when it takes a JSON body.
    pub body: Option<(String, Shape)>,
}

impl Op {
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// Routes only a superuser may call ("Requires a superuser", "(superusers)").
    pub fn superuser_only(&self) -> bool {
        let text = |k: &str| self.doc[k].as_str().unwrap_or_default().to_owned();
        text("description").contains("Requires a superuser")
            || text("summary").contains("(superusers)")
    }

    /// Parameters of the operation in `place` (`path`, `query`): name and schema.
    pub fn params(&self, place: &str) -> Vec<(String, Value)> {
        self.doc["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == place)
            .map(|p| (p["name"].as_str().unwrap().to_owned(), p["schema"].clone()))
            .collect()
    }

    /// A list operation: it takes the pagination parameters.
    pub fn is_list(&self) -> bool {
        self.params("query").iter().any(|(n, _)| n == "limit")
    }
}

/// Every operation of `org_http::openapi()`, except the unauthenticated health checks.
pub fn operations() -> Vec<Op> {
    let doc = serde_json::to_value(org_http::openapi()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/") {
            continue;
        }
        for (m, op) in item.as_object().unwrap() {
            let Ok(method) = m.to_uppercase().parse::<Method>() else {
                continue;
            };
            if !["GET", "POST", "PATCH", "PUT", "DELETE"].contains(&method.as_str()) {
                continue;
            }
            let body = op["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|s| {
                    let schema = Value::Object(s.clone());
                    let name = schema["$ref"]
                        .as_str()
                        .map_or("inline", |r| r.rsplit('/').next().unwrap())
                        .to_owned();
                    (name, Shape::of(&doc, &schema))
                });
            out.push(Op {
                method,
                template: path.clone(),
                doc: op.clone(),
                body,
            });
        }
    }
    out
}

/// A JSON schema reduced to what the corruptions need.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// JSON types accepted (`string`, `null`, `object`, …); empty means anything.
    pub types: BTreeSet<String>,
    pub format: Option<String>,
    pub enum_values: Option<Vec<Value>>,
    /// Properties of an object, in document order.
    pub properties: Vec<(String, Shape)>,
    pub closed: bool,
    pub items: Option<Box<Shape>>,
}

impl Shape {
    /// The shape of `schema`, following `$ref` into `components.schemas` and merging the
    /// variants of `oneOf`/`anyOf`/`allOf` (utoipa writes `Option<Struct>` as
    /// `oneOf: [{$ref}, {type: null}]`).
    pub fn of(doc: &Value, schema: &Value) -> Self {
        let mut out = Shape::default();
        out.merge(doc, schema);
        out
    }

    fn merge(&mut self, doc: &Value, s: &Value) {
        if let Some(r) = s["$ref"].as_str() {
            let name = r.rsplit('/').next().unwrap();
            self.merge(doc, &doc["components"]["schemas"][name]);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for variant in s[key].as_array().into_iter().flatten() {
                self.merge(doc, variant);
            }
        }
        match &s["type"] {
            Value::String(t) => {
                self.types.insert(t.clone());
            }
            Value::Array(ts) => self
                .types
                .extend(ts.iter().filter_map(|t| t.as_str().map(str::to_owned))),
            _ => {}
        }
        if let Some(f) = s["format"].as_str() {
            self.format = Some(f.to_owned());
        }
        if let Some(e) = s["enum"].as_array() {
            self.enum_values = Some(e.clone());
            self.types.insert("string".into());
        }
        if let Some(props) = s["properties"].as_object() {
            self.types.insert("object".into());
            for (name, p) in props {
                self.properties.push((name.clone(), Shape::of(doc, p)));
            }
        }
        if s["additionalProperties"] == false {
            self.closed = true;
        }
        if s.get("items").is_some() {
            self.items = Some(Box::new(Shape::of(doc, &s["items"])));
        }
    }

    /// Whether a value of `v`'s JSON type is allowed here (formats aside).
    pub fn accepts_type(&self, v: &Value) -> bool {
        if self.types.is_empty() {
            return true;
        }
        let t = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        self.types.contains(t) || (t == "integer" && self.types.contains("number"))
    }

    /// Values of every JSON type this shape refuses.
    pub fn wrong_types(&self) -> Vec<Value> {
        [
            json!(12345),
            json!(1.5),
            json!("text"),
            json!(true),
            json!([]),
            json!({"k": 1}),
            Value::Null,
        ]
        .into_iter()
        .filter(|v| !self.accepts_type(v))
        .collect()
    }

    /// Every field reachable from this object shape: its dotted/indexed path as serde names
    /// it (`settings.enforce_2fa`, `permissions[0]`), the keys to build a body that sets it,
    /// and its shape. Array items appear as `name[0]`.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = Vec::new();
        for (name, shape) in &self.properties {
            walk(vec![Key::Name(name.clone())], shape, &mut out);
        }
        out
    }

    /// The closed object shapes reachable from here (where an unknown field must be
    /// refused), as key paths; the root is the empty path.
    pub fn closed_objects(&self) -> Vec<Vec<Key>> {
        let mut out = Vec::new();
        closed(Vec::new(), self, &mut out);
        out
    }
}

fn walk(keys: Vec<Key>, shape: &Shape, out: &mut Vec<Field>) {
    out.push(Field {
        keys: keys.clone(),
        shape: shape.clone(),
    });
    for (name, inner) in &shape.properties {
        let mut k = keys.clone();
        k.push(Key::Name(name.clone()));
        walk(k, inner, out);
    }
    if let Some(items) = &shape.items {
        let mut k = keys;
        k.push(Key::Index);
        walk(k, items, out);
    }
}

fn closed(keys: Vec<Key>, shape: &Shape, out: &mut Vec<Vec<Key>>) {
    if shape.closed {
        out.push(keys.clone());
    }
    for (name, inner) in &shape.properties {
        let mut k = keys.clone();
        k.push(Key::Name(name.clone()));
        closed(k, inner, out);
    }
}

/// One step into a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Name(String),
    /// The first element of an array.
    Index,
}

/// A field of a request body.
#[derive(Debug, Clone)]
pub struct Field {
    pub keys: Vec<Key>,
    pub shape: Shape,
}

impl Field {
    /// The name serde (and so the `errors[].field` of a problem) gives it.
    pub fn path(&self) -> String {
        path_of(&self.keys)
    }

    /// The smallest body that puts `value` at this field.
    pub fn body(&self, value: Value) -> Value {
        nest(&self.keys, value)
    }
}

/// `settings.enforce_2fa`, `permissions[0]`.
pub fn path_of(keys: &[Key]) -> String {
    let mut s = String::new();
    for k in keys {
        match k {
            Key::Name(n) if s.is_empty() => s.push_str(n),
            Key::Name(n) => {
                s.push('.');
                s.push_str(n);
            }
            Key::Index => s.push_str("[0]"),
        }
    }
    s
}

/// `value` wrapped in the objects and arrays `keys` name.
pub fn nest(keys: &[Key], value: Value) -> Value {
    keys.iter().rev().fold(value, |inner, k| match k {
        Key::Name(n) => json!({ n.as_str(): inner }),
        Key::Index => json!([inner]),
    })
}
