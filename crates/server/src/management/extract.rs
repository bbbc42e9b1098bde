//! Path and query parameters as the Management API reads them, refused in its own format: a path
//! whose id cannot name a row (not a number, out of range) answers 404 like an id that does not
//! exist; a query parameter of the wrong type is a 400 naming it. Never a framework's plain text.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ManagementError;

/// The path's parameters as `T`.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ManagementError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| ManagementError::NotFound)
    }
}

/// The query string's parameters as `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ManagementError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ManagementError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let field = if field == "." {
            "non_field_errors".to_owned()
        } else {
            field
        };
        ManagementError::field(field, error.inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Keys {
        product: String,
        quantity: Option<u32>,
    }

    #[test]
    fn a_query_parameter_of_the_wrong_type_is_named() {
        let Err(ManagementError::Invalid(fields)) = parse_query::<Keys>("product=A&quantity=many")
        else {
            panic!("expected a field error");
        };
        assert!(fields.contains_key("quantity"), "{fields:?}");
        assert!(parse_query::<Keys>("product=A&quantity=3").is_ok());
    }
}
