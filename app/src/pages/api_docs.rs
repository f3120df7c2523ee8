//! The API reference, drawn from the server's own OpenAPI document (no CDN, no script from
//! elsewhere): each operation with its parameters, body and answers, then each schema.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{DataTable, Loading};
use crate::error::AppError;

/// The OpenAPI document as JSON, given to the app by the server that generates it.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct ApiDocument(pub std::sync::Arc<str>);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub title: String,
    pub version: String,
    pub description: String,
    pub operations: Vec<Operation>,
    pub schemas: Vec<Schema>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub tag: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub parameters: Vec<Field>,
    /// The body's type, when it takes one.
    pub body: Option<String>,
    /// `(status, description, type)`.
    pub responses: Vec<(String, String, String)>,
}

/// A parameter or a schema's property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// `path`, `query`, or empty for a property.
    pub place: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub fields: Vec<Field>,
}

#[cfg(feature = "ssr")]
mod read {
    use serde_json::Value;

    use super::{Field, Operation, Reference, Schema};

    fn text(value: &Value) -> String {
        value.as_str().unwrap_or_default().to_owned()
    }

    /// A schema's type in a few words: `string`, `[ServiceRow]`, `{string: string}`, `Node`.
    pub fn kind(schema: &Value) -> String {
        if let Some(target) = schema["$ref"].as_str() {
            return target.rsplit('/').next().unwrap_or(target).to_owned();
        }
        for combined in ["oneOf", "anyOf", "allOf"] {
            if let Some(parts) = schema[combined].as_array() {
                return parts.iter().map(kind).collect::<Vec<_>>().join(" | ");
            }
        }
        if let Some(values) = schema["enum"].as_array() {
            return values
                .iter()
                .map(|v| {
                    v.as_str()
                        .map_or_else(|| v.to_string(), |s| format!("\"{s}\""))
                })
                .collect::<Vec<_>>()
                .join(" | ");
        }
        let types: Vec<String> = match &schema["type"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many.iter().map(text).collect(),
            _ => vec![],
        };
        let named = types
            .iter()
            .map(|t| match t.as_str() {
                "array" => format!("[{}]", kind(&schema["items"])),
                "object" if schema["additionalProperties"].is_object() => {
                    format!("{{string: {}}}", kind(&schema["additionalProperties"]))
                }
                other => other.to_owned(),
            })
            .collect::<Vec<_>>();
        if named.is_empty() {
            "any".into()
        } else {
            named.join(" | ")
        }
    }

    fn body_kind(content: &Value) -> String {
        content
            .as_object()
            .and_then(|types| types.iter().next())
            .map(|(media, body)| {
                let of = kind(&body["schema"]);
                if media == "application/json" {
                    of
                } else {
                    format!("{of} ({media})")
                }
            })
            .unwrap_or_default()
    }

    pub fn reference(doc: &Value) -> Reference {
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let parameters = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| Field {
                        name: text(&p["name"]),
                        place: text(&p["in"]),
                        kind: kind(&p["schema"]),
                        required: p["required"].as_bool().unwrap_or(false),
                        description: text(&p["description"]),
                    })
                    .collect();
                let responses = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, r)| {
                        (
                            status.clone(),
                            text(&r["description"]),
                            body_kind(&r["content"]),
                        )
                    })
                    .collect();
                let body = op["requestBody"]["content"]
                    .is_object()
                    .then(|| body_kind(&op["requestBody"]["content"]));
                operations.push(Operation {
                    tag: op["tags"][0].as_str().unwrap_or("other").to_owned(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&op["summary"]),
                    parameters,
                    body,
                    responses,
                });
            }
        }
        operations.sort_by(|a, b| (&a.tag, &a.path, &a.method).cmp(&(&b.tag, &b.path, &b.method)));
        let schemas = doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, schema)| {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                Schema {
                    name: name.clone(),
                    kind: kind(schema),
                    description: text(&schema["description"]),
                    fields: schema["properties"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(field, property)| Field {
                            name: field.clone(),
                            place: String::new(),
                            kind: kind(property),
                            required: required.contains(&field.as_str()),
                            description: text(&property["description"]),
                        })
                        .collect(),
                }
            })
            .collect();
        Reference {
            title: text(&doc["info"]["title"]),
            version: text(&doc["openapi"]),
            description: text(&doc["info"]["description"]),
            operations,
            schemas,
        }
    }
}

#[server(endpoint = "reference")]
pub async fn api_reference() -> Result<Reference, AppError> {
    crate::auth::ssr::authorize::<ApiReference>().await?;
    let document = use_context::<ApiDocument>()
        .ok_or_else(|| AppError::internal("the server gave no API document"))?;
    let doc: serde_json::Value = serde_json::from_str(&document.0)
        .map_err(|err| AppError::internal(format!("the API document: {err}")))?;
    Ok(read::reference(&doc))
}

fn anchor(name: &str) -> String {
    format!("schema-{name}")
}

/// A type, linked to its schema when it names one.
fn kind_view(kind: String, names: &[String]) -> impl IntoView {
    let linked = names
        .iter()
        .find(|n| kind.trim_start_matches('[').trim_end_matches(']') == n.as_str())
        .cloned();
    match linked {
        Some(name) => {
            view! { <a href=format!("#{}", anchor(&name))><code>{kind}</code></a> }.into_any()
        }
        None => view! { <code>{kind}</code> }.into_any(),
    }
}

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| api_reference());
    view! {
        <h1>"API reference"</h1>
        <p class="hint">"The " <a href="/api/v1/openapi.json" id="openapi-link">"OpenAPI document"</a>
            " this page is drawn from, for code generators and tools."</p>
        <Loading text="Reading the API document…">
            {move || Suspend::new(async move {
                let doc = reference.await?;
                let names: Vec<String> = doc.schemas.iter().map(|s| s.name.clone()).collect();
                let names = StoredValue::new(names);
                Ok::<_, AppError>(view! {
                    <p id="api-version" data-openapi=doc.version.clone()>{format!("{} — OpenAPI {}", doc.title, doc.version)}</p>
                    <p class="hint">{doc.description.clone()}</p>
                    <section id="operations">
                        {doc.operations.into_iter().map(|op| view! {
                            <article class="operation" data-method=op.method.clone() data-path=op.path.clone() data-tag=op.tag.clone()>
                                <h3><span class="method">{op.method.clone()}</span>" "<code>{op.path.clone()}</code></h3>
                                <p>{op.summary.clone()}</p>
                                {(!op.parameters.is_empty()).then(|| view! {
                                    <DataTable headers=&["Parameter", "In", "Type", "Required", ""]>
                                        {op.parameters.clone().into_iter().map(|p| view! {
                                            <tr><td><code>{p.name}</code></td><td>{p.place}</td><td>{names.with_value(|n| kind_view(p.kind, n))}</td>
                                            <td>{if p.required { "yes" } else { "" }}</td><td>{p.description}</td></tr>
                                        }).collect_view()}
                                    </DataTable>
                                })}
                                {op.body.clone().map(|body| view! { <p class="body">"Body: " {names.with_value(|n| kind_view(body, n))}</p> })}
                                <ul class="responses">
                                    {op.responses.into_iter().map(|(status, description, kind)| view! {
                                        <li><strong>{status}</strong>" " {description} " " {(!kind.is_empty()).then(|| names.with_value(|n| kind_view(kind, n)))}</li>
                                    }).collect_view()}
                                </ul>
                            </article>
                        }).collect_view()}
                    </section>
                    <h2>"Schemas"</h2>
                    <section id="schemas">
                        {doc.schemas.into_iter().map(|schema| view! {
                            <article class="schema" id=anchor(&schema.name) data-schema=schema.name.clone()>
                                <h3><code>{schema.name.clone()}</code>" " <small>{schema.kind.clone()}</small></h3>
                                <p class="hint">{schema.description.clone()}</p>
                                {(!schema.fields.is_empty()).then(|| view! {
                                    <DataTable headers=&["Field", "Type", "Required", ""]>
                                        {schema.fields.clone().into_iter().map(|f| view! {
                                            <tr class="field" data-field=f.name.clone()><td><code>{f.name.clone()}</code></td><td>{names.with_value(|n| kind_view(f.kind, n))}</td>
                                            <td>{if f.required { "yes" } else { "" }}</td><td>{f.description}</td></tr>
                                        }).collect_view()}
                                    </DataTable>
                                })}
                            </article>
                        }).collect_view()}
                    </section>
                })
            })}
        </Loading>
    }
}
