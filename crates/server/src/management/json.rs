//! JSON bodies read the way the Management API refuses them: 400 for malformed JSON and for each
//! field of the wrong type or missing (named in the body), 415 for a body that is not JSON.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::ManagementError;

/// A request body parsed as `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ManagementError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            let content_type = content_type.to_str().unwrap_or_default();
            let essence = content_type.split(';').next().unwrap_or_default().trim();
            if !essence.eq_ignore_ascii_case("application/json") {
                return Err(ManagementError::UnsupportedMediaType(
                    content_type.to_owned(),
                ));
            }
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ManagementError::MalformedJson(rejection.body_text()))?;
        parse(&bytes).map(JsonBody)
    }
}

/// `bytes` as `T`; an empty body reads as `{}` so actions without parameters need none.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ManagementError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    // The whole text is read as JSON first: a syntax error anywhere is a parse error, as it is for
    // a framework that parses before it validates.
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| ManagementError::MalformedJson(error.to_string()))?;
    if let Some(field) = null_character_at(&value, "") {
        return Err(ManagementError::field(field, NULL_CHARACTERS));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.inner();
        let path = error.path().to_string();
        let message = inner.to_string();
        // serde reports a missing field at the object that lacks it: name the field instead.
        if let Some(missing) = missing_field(&message) {
            let field = match path.as_str() {
                "." => missing.to_owned(),
                outer => format!("{outer}.{missing}"),
            };
            return ManagementError::field(field, "This field is required.");
        }
        // The body as a whole is of the wrong shape (a list where an object belongs, or the reverse).
        let field = if path == "." || path.starts_with('[') {
            "non_field_errors".to_owned()
        } else {
            path
        };
        ManagementError::field(field, readable(&message))
    })
}

/// Django REST Framework's refusal of text with a NUL, which PostgreSQL cannot store.
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// Where in `value` a string holds a NUL character, named as serde names fields (`a.b`, `a[0]`).
fn null_character_at(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "non_field_errors".to_owned()
        } else {
            path.to_owned()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| null_character_at(item, &format!("{path}[{index}]"))),
        Value::Object(fields) => fields.iter().find_map(|(name, item)| {
            let path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            null_character_at(item, &path)
        }),
        _ => None,
    }
}

/// The field a serde "missing field `x`" message names.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// serde's message without its trailing " at line 1 column 17": the field already says where.
fn readable(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(position) => message[..position].to_owned(),
        None => message.to_owned(),
    }
}

/// A JSON answer with status 200.
pub struct JsonAnswer<T>(pub T);

impl<T: Serialize> IntoResponse for JsonAnswer<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::management::error::FieldErrors;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        max_activations: Option<i64>,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Nested {
        code: String,
    }

    fn fields(body: &str) -> FieldErrors {
        match parse::<Body>(body.as_bytes()) {
            Err(ManagementError::Invalid(fields)) => fields,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_type_names_its_field() {
        let errors = fields(r#"{"email": "a@b.c", "max_activations": "many"}"#);
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["max_activations"]);
        assert!(!errors["max_activations"][0].contains("line"));
    }

    #[test]
    fn a_missing_field_is_required() {
        assert_eq!(fields("{}")["email"], ["This field is required."]);
        assert_eq!(
            fields(r#"{"email": "a", "nested": {}}"#)["nested.code"],
            ["This field is required."]
        );
    }

    #[test]
    fn malformed_json_is_a_parse_error() {
        for body in [
            r#"{"email": "#,
            "{,}",
            "[1, 2",
            r#"{"email": "a"} trailing"#,
        ] {
            assert!(
                matches!(
                    parse::<Body>(body.as_bytes()),
                    Err(ManagementError::MalformedJson(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn text_with_a_nul_is_refused_by_field() {
        let errors = fields(r#"{"email": "a\u0000b"}"#);
        assert_eq!(errors["email"], [NULL_CHARACTERS]);
        let errors = fields(r#"{"email": "a", "nested": {"code": "\u0000"}}"#);
        assert!(errors.contains_key("nested.code"), "{errors:?}");
    }

    #[test]
    fn a_body_of_the_wrong_shape_is_a_non_field_error() {
        assert!(fields("[1]").contains_key("non_field_errors"));
    }

    #[test]
    fn an_empty_body_reads_as_an_empty_object() {
        #[derive(Deserialize)]
        struct Nothing {}
        assert!(parse::<Nothing>(b"").is_ok());
    }
}
