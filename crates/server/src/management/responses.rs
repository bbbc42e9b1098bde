//! The failures every Management API operation can answer, documented once.

use utoipa::IntoResponses;

use super::error::{BadRequest, Detail, ValidationErrors};

/// What a read can answer besides its success.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Reads {
    /// A filter value of the wrong kind.
    #[response(status = 400)]
    Invalid(ValidationErrors),
    /// No key, an unknown or revoked key.
    #[response(status = 403)]
    Forbidden(Detail),
    /// No such row in this company.
    #[response(status = 404)]
    NotFound(Detail),
    /// Storage cannot serve now; try again after `Retry-After` seconds.
    #[response(status = 503)]
    Unavailable(Detail),
}

/// What a change can answer besides its success.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Writes {
    /// Malformed JSON (`detail`), or fields missing, of the wrong type or refused, each named.
    #[response(status = 400)]
    Invalid(BadRequest),
    /// No key, an unknown or revoked key, or a read-only key.
    #[response(status = 403)]
    Forbidden(Detail),
    /// No such row in this company.
    #[response(status = 404)]
    NotFound(Detail),
    /// A body that is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(Detail),
    /// Too many password operations are waiting.
    #[response(status = 429)]
    Throttled(Detail),
    /// Storage cannot serve now; try again after `Retry-After` seconds.
    #[response(status = 503)]
    Unavailable(Detail),
}
