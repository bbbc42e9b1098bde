//! `Authorization: Api-Key <key>`: which company a Management API request acts for, and whether its
//! key may change anything.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use latch_service::model::{Actor, ManagementKey};
use latch_service::Tenant;

use super::error::ManagementError;
use crate::state::AppState;

/// A request authenticated by a live management key; a read-only key only gets this far on reads.
pub struct ManagementAccess {
    pub key: ManagementKey,
}

impl ManagementAccess {
    /// The key's company, with its changes recorded as made by this key.
    pub async fn tenant<'a>(&self, state: &'a AppState) -> Result<Tenant<'a>, ManagementError> {
        Ok(state
            .service
            .tenant(self.key.company_id)
            .await?
            .acting_as(Actor::ManagementKey(self.key.id)))
    }
}

/// The key an `Authorization` header carries, if it uses the `Api-Key` scheme.
fn presented_key(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("Api-Key") && !key.is_empty()).then_some(key)
}

pub(super) fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for ManagementAccess {
    type Rejection = ManagementError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let secret = presented_key(parts).ok_or(ManagementError::MissingKey)?;
        let key = state
            .management_key(secret)
            .await?
            .filter(|key| !key.revoked)
            .ok_or(ManagementError::InvalidKey)?;
        tracing::Span::current().record("company_id", key.company_id.get());
        if key.read_only && !is_read(&parts.method) {
            return Err(ManagementError::ReadOnlyKey);
        }
        Ok(ManagementAccess { key })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(authorization: Option<&str>) -> Parts {
        let mut request = Request::builder().uri("/api/v1/licenses/");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_the_api_key_scheme_carries_a_key() {
        assert_eq!(presented_key(&parts(Some("Api-Key ab.cd"))), Some("ab.cd"));
        assert_eq!(
            presented_key(&parts(Some("api-key  ab.cd "))),
            Some("ab.cd")
        );
        assert_eq!(presented_key(&parts(Some("Bearer ab.cd"))), None);
        assert_eq!(presented_key(&parts(Some("Api-Key "))), None);
        assert_eq!(presented_key(&parts(Some("Api-Key"))), None);
        assert_eq!(presented_key(&parts(None)), None);
    }

    #[test]
    fn reads_are_get_head_and_options() {
        assert!(is_read(&Method::GET));
        assert!(is_read(&Method::HEAD));
        assert!(is_read(&Method::OPTIONS));
        assert!(!is_read(&Method::POST));
        assert!(!is_read(&Method::PATCH));
        assert!(!is_read(&Method::DELETE));
    }
}
