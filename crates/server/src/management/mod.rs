//! The Management API v1 (`/api/v1/`), compatible with LicenseSpring's: vendors' stores, CRMs and
//! help desks manage licenses over HTTP with `Authorization: Api-Key <key>`. One module per resource,
//! each with its own router; every handler calls the service layer, as the CLI does. The OpenAPI
//! document is generated from the same handlers and types.

pub mod auth;
mod custom_fields;
mod customer_accounts;
mod customers;
mod devices;
pub mod error;
mod events;
mod extract;
mod installation_files;
pub mod json;
mod keys;
pub mod license_object;
mod license_users;
mod licenses;
pub mod listing;
mod offline;
mod orders;
mod products;
mod responses;
mod values;
pub(crate) mod webhook_payload;
mod webhooks;

use std::convert::Infallible;

use axum::extract::{Request, State};
use axum::http::{Method, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use latch_service::query::{Field, FieldKind, Lookup};
use tower::ServiceBuilder;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{Object, OpenApi, Required, Type};
use utoipa::{Modify, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;

use self::error::ManagementError;
use self::listing::{ListSpec, DEFAULT_LIMIT};
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Latch Management API",
        version = "1",
        description = "Manage a company's licenses, customers, products and keys over HTTP. \
            Compatible with LicenseSpring's Management API v1; see docs/MANAGEMENT.md."
    ),
    servers((url = "/api/v1")),
    // The failure bodies every operation documents through `Reads` and `Writes`.
    components(schemas(error::BadRequest, error::Detail, error::ValidationErrors)),
    modifiers(&KeyAuthentication),
    security(("api_key" = [])),
    tags(
        (name = "keys", description = "Management keys, License API keys and the public key"),
        (name = "events", description = "The event log"),
        (name = "licenses", description = "Licenses, their features, users and floating seats"),
        (name = "orders", description = "Orders and the licenses they carry"),
        (name = "customers", description = "Customers: who licenses are sold to, and the customer accounts that sign their people in"),
        (name = "license users", description = "The people who sign in to user-based licenses"),
        (name = "devices", description = "Devices on licenses and their variables"),
        (name = "products", description = "Products, their features and installation files"),
        (name = "custom fields", description = "Product custom fields and licenses' values of them"),
        (name = "webhooks", description = "Webhook endpoints and the deliveries of events to them"),
    )
)]
struct ManagementDoc;

/// `Authorization: Api-Key <key>`.
struct KeyAuthentication;

impl Modify for KeyAuthentication {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Api-Key <key>`, with a key from `latch management-key create`",
            ))),
        );
    }
}

/// Every route and its description, before the lists' query parameters are documented.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ManagementDoc::openapi())
        .merge(keys::router())
        .merge(events::router())
        .merge(licenses::router())
        .merge(orders::router())
        .merge(customers::router())
        .merge(customer_accounts::router())
        .merge(license_users::router())
        .merge(devices::router())
        .merge(products::router())
        .merge(installation_files::router())
        .merge(custom_fields::router())
        .merge(offline::router())
        .merge(webhooks::router())
}

/// The lists and the fields they filter by, documented as query parameters.
fn document_lists(openapi: &mut OpenApi) {
    document_list::<events::Events>(openapi, "/events/");
    document_list::<events::CheckCounts>(openapi, "/events/checks/");
    document_list::<events::RefusalCounts>(openapi, "/events/refusals/");
    document_list::<licenses::Licenses>(openapi, "/licenses/");
    document_list::<orders::Orders>(openapi, "/orders/");
    document_list::<customers::Customers>(openapi, "/customers/");
    document_list::<customer_accounts::CustomerAccounts>(openapi, "/customer-accounts/");
    document_list::<license_users::LicenseUsers>(openapi, "/license-users/");
    document_list::<devices::Devices>(openapi, "/devices/");
    document_list::<devices::DeviceVariables>(openapi, "/device-variables/");
    document_list::<products::Products>(openapi, "/products/");
    document_list::<products::ProductFeatures>(openapi, "/product-features/");
    document_list::<installation_files::InstallationFiles>(openapi, "/installation-files/");
    document_list::<custom_fields::ProductCustomFields>(openapi, "/product-custom-fields/");
    document_list::<custom_fields::LicenseCustomFields>(openapi, "/license-custom-fields/");
    document_list::<webhooks::Deliveries>(openapi, "/webhooks/{id}/deliveries/");
}

/// The Management API as a service, for nesting at `/api/v1`: paths are served with and without
/// their trailing slash.
pub fn service(
    state: AppState,
) -> impl tower::Service<
    Request,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Send,
> + Clone
       + Send
       + Sync
       + 'static {
    let (router, _) = routes().split_for_parts();
    let router = router
        .route("/openapi.json", get(openapi_json))
        .fallback(|| async { ManagementError::NotFound })
        .method_not_allowed_fallback(|method: Method| async move {
            ManagementError::MethodNotAllowed(method.to_string())
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            known_to_checks,
        ))
        .with_state(state);
    ServiceBuilder::new()
        .map_request(with_trailing_slash)
        .service(router)
}

/// A change made here shows in this node's very next License API check: a write's answer waits until
/// the check cache knows of it (as the License API's own writes do). A write refused with a 4xx changed
/// nothing, so its answer does not wait.
pub(crate) async fn known_to_checks(
    State(state): State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let writes = !auth::is_read(request.method());
    let response = next.run(request).await;
    if writes && !response.status().is_client_error() {
        state.after_write().await;
    }
    response
}

/// The OpenAPI 3.1 document of the Management API.
pub fn openapi() -> OpenApi {
    let (_, mut openapi) = routes().split_for_parts();
    document_lists(&mut openapi);
    openapi
}

/// The document as served and checked in: pretty JSON with a final newline.
pub fn openapi_text() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

async fn openapi_json() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_text(),
    )
}

/// Routes are declared with the trailing slash LicenseSpring's documentation uses; a client that
/// leaves it out reaches the same route. Files (`openapi.json`) keep their name.
fn with_trailing_slash(mut request: Request) -> Request {
    let path = request.uri().path();
    let last = path.rsplit('/').next().unwrap_or_default();
    if path.ends_with('/') || last.contains('.') {
        return request;
    }
    let rewritten = match request.uri().query() {
        Some(query) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    };
    if let Ok(uri) = rewritten.parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    request
}

/// Adds a list's paging, ordering and filter parameters to its GET operation.
fn document_list<S: ListSpec>(openapi: &mut OpenApi, path: &str) {
    let Some(operation) = openapi
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| item.get.as_mut())
    else {
        return;
    };
    let mut parameters = vec![
        query_parameter(
            "limit",
            Type::Integer,
            &format!(
                "Rows per page, {DEFAULT_LIMIT} by default, at most {}",
                S::MAX_LIMIT
            ),
        ),
        query_parameter("offset", Type::Integer, "Rows to skip"),
        query_parameter(
            "order_by",
            Type::String,
            "A field to order by, `-field` for descending; newest first by default",
        ),
    ];
    for field in S::FIELDS {
        for (suffix, lookup) in LOOKUPS {
            if !lookup.applies_to(field.kind) {
                continue;
            }
            let name = if suffix.is_empty() {
                field.name.to_owned()
            } else {
                format!("{}__{suffix}", field.name)
            };
            let kind = match lookup {
                Lookup::In | Lookup::IContains | Lookup::StartsWith | Lookup::IExact => {
                    Type::String
                }
                Lookup::IsNull => Type::Boolean,
                _ => value_type(field),
            };
            parameters.push(query_parameter(&name, kind, describe(*lookup)));
        }
    }
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .extend(parameters);
}

const LOOKUPS: &[(&str, Lookup)] = &[
    ("", Lookup::Exact),
    ("in", Lookup::In),
    ("icontains", Lookup::IContains),
    ("startswith", Lookup::StartsWith),
    ("iexact", Lookup::IExact),
    ("gt", Lookup::Gt),
    ("gte", Lookup::Gte),
    ("lt", Lookup::Lt),
    ("lte", Lookup::Lte),
    ("date__gt", Lookup::DateGt),
    ("date__gte", Lookup::DateGte),
    ("date__lt", Lookup::DateLt),
    ("date__lte", Lookup::DateLte),
    ("isnull", Lookup::IsNull),
    ("not", Lookup::Not),
];

fn value_type(field: &Field) -> Type {
    match field.kind {
        FieldKind::Int => Type::Integer,
        FieldKind::Bool => Type::Boolean,
        FieldKind::Text | FieldKind::Time => Type::String,
    }
}

fn describe(lookup: Lookup) -> &'static str {
    match lookup {
        Lookup::Exact => "Equal to",
        Lookup::In => "One of these, comma-separated",
        Lookup::IContains => "Contains, ignoring case",
        Lookup::StartsWith => "Starts with",
        Lookup::IExact => "Equal to, ignoring case",
        Lookup::Gt => "Greater than",
        Lookup::Gte => "Greater than or equal to",
        Lookup::Lt => "Less than",
        Lookup::Lte => "Less than or equal to",
        Lookup::DateGt => "On a later day than (yyyy-mm-dd)",
        Lookup::DateGte => "On this day or later (yyyy-mm-dd)",
        Lookup::DateLt => "On an earlier day than (yyyy-mm-dd)",
        Lookup::DateLte => "On this day or earlier (yyyy-mm-dd)",
        Lookup::IsNull => "Is empty (true) or set (false)",
        Lookup::Not => "Not equal to",
    }
}

fn query_parameter(name: &str, kind: Type, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(Object::with_type(kind)))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(Default::default())
            .unwrap();
        with_trailing_slash(request).uri().to_string()
    }

    #[test]
    fn a_missing_trailing_slash_is_added_and_the_query_kept() {
        assert_eq!(rewritten("/licenses"), "/licenses/");
        assert_eq!(rewritten("/licenses/"), "/licenses/");
        assert_eq!(rewritten("/licenses/5/reset?x=1"), "/licenses/5/reset/?x=1");
        assert_eq!(rewritten("/openapi.json"), "/openapi.json");
    }

    #[test]
    fn every_list_documents_its_filters() {
        let openapi = openapi();
        let parameters = openapi.paths.paths["/events/"]
            .get
            .as_ref()
            .unwrap()
            .parameters
            .as_ref()
            .unwrap();
        let names: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
        for expected in [
            "limit",
            "offset",
            "order_by",
            "event__in",
            "ts__gte",
            "license",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(!names.contains(&"license__icontains"));
    }
}
