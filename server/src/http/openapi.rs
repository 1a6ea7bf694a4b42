//! The OpenAPI document, generated from the handlers' annotations and the response types.

use super::error::{ErrorObject, ErrorResponse};
use super::routes::{capture, guidance, health, identify, references, signature, validate, verify};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Sapa", description = "ID-document portrait validation and 1:1 face verification"),
    paths(
        validate::validate,
        signature::signature,
        verify::verify,
        references::enrol,
        references::show,
        references::erase,
        guidance::guide,
        guidance::stream,
        capture::capture,
        identify::identify,
        health::live,
        health::ready,
        health::metrics,
    ),
    components(schemas(ErrorResponse, ErrorObject)),
    modifiers(&ApiKeyAuth)
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("api_key", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
