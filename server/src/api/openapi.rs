//! The `/api/v1` OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! attributes and their request and response types; each module lists its own routes.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use super::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Flotilla API",
        description = "Swarms, stacks and services, as the console's pages operate them. \
            Every call takes `Authorization: Bearer TOKEN` (`flotilla token create NAME --role ROLE`, \
            or the Users page) or a session; reading needs a viewer, deploying and scaling an \
            operator, registries and swarms an admin. Refusals are `{\"error\": {code, message, field, details}}`."
    ),
    paths(super::list_swarms, super::adopt_swarm, super::list_nodes, openapi_json),
    modifiers(&BearerToken),
    security(("token" = []))
)]
struct Root;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole document: the root's routes and every module's.
pub fn document() -> Document {
    let mut doc = Root::openapi();
    doc.merge(super::stacks::Doc::openapi());
    doc.merge(super::services::Doc::openapi());
    doc.merge(super::registries::Doc::openapi());
    doc.merge(super::live::Doc::openapi());
    doc
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "reference",
    summary = "This document",
    responses(
        (status = 200, description = "OpenAPI 3.1", content_type = "application/json", body = Object),
        (status = "4XX", description = "Refused", body = ErrorBody)
    )
)]
pub(super) async fn openapi_json() -> Json<Document> {
    Json(document())
}
