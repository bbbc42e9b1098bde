//! Request authentication and response signing for the License API, as one middleware: it resolves the
//! tenant from the API key (or the OAuth access token), hands it to the handler, and signs whatever
//! body the handler answers with that tenant's key.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::Utc;
use latch_domain::{CompanyId, DeviceId};
use latch_store::DeferredWrite;
use latch_wire::auth::{bearer_token, check_date, parse_authorization, AuthError};
use latch_wire::signing::Signer;

use crate::error::{ApiError, InternalError, Refusal};
use crate::metrics::SignatureSource;
use crate::params::read_body;
use crate::rate_limits::ClientAddr;
use crate::replays::{self, HandlerClaim};
use crate::state::AppState;

/// The company a request acts for, resolved from its API key or access token.
#[derive(Clone)]
pub struct Tenant {
    pub company_id: CompanyId,
    pub signer: Arc<Signer>,
    read_only: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Tenant>().cloned().ok_or(
            InternalError::invariant(
                "License API handler mounted without the authentication layer",
            )
            .into(),
        )
    }
}

/// The tenant of a call that changes licenses or devices: taking it refuses read-only API keys,
/// before the request's parameters are read.
pub struct WritableTenant(pub Tenant);

impl<S: Send + Sync> FromRequestParts<S> for WritableTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let tenant = Tenant::from_request_parts(parts, state).await?;
        if tenant.read_only {
            return Err(AuthError::ReadOnlyApiKey.into());
        }
        Ok(Self(tenant))
    }
}

pub const LICENSE_SIGNATURE: &str = "LicenseSignature";

/// Attached by a handler to an answer about one device: the signature stored with the device for its
/// last answer. Reused when the new answer has the same digest; otherwise the new signature is stored
/// behind the answer.
#[derive(Clone)]
pub struct KnownAnswer {
    pub device_id: DeviceId,
    pub digest: Option<String>,
    pub signature: Option<String>,
}

pub async fn authenticate_and_sign(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = request.extensions().get::<ClientAddr>().copied();
    let admitted = match state.rate_limits.address(client) {
        Ok(()) => authenticate(&state, request.headers()).await,
        Err(limited) => Err(limited),
    };
    let (tenant, credential) = match admitted {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    // Over its key's rate: answered as before (unsigned), and counted with the company's refusals.
    if let Err(limited) = state.rate_limits.api_key(credential.rate_limit_key()) {
        return counted(&state, &tenant, limited.into_response());
    }
    tracing::Span::current().record("company_id", tenant.company_id.get());
    request.extensions_mut().insert(tenant.clone());
    if request.method() == Method::GET {
        let response = next.run(request).await;
        return signed(&state, &tenant, response).await;
    }
    let (parts, body) = request.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(error) => return signed(&state, &tenant, error.into_response()).await,
    };
    let request_hash = match &credential {
        Credential::Signed(authorization) => {
            Some(replays::request_hash(authorization, &parts, &body))
        }
        // A bearer token authorizes any request until it expires: a replayed request gains nothing
        // a new one would not, so none is claimed.
        Credential::Bearer { .. } => None,
    };
    let run = |request: Request| {
        let next = next.clone();
        let (state, tenant) = (&state, &tenant);
        async move {
            let claim = request.extensions().get::<HandlerClaim>().cloned();
            let response = next.run(request).await;
            if claim.is_some_and(|claim| claim.lost_to_another()) {
                return response;
            }
            // A refusal changed nothing the check cache could have cached.
            if !response.status().is_client_error() {
                state.after_write().await;
            }
            signed(state, tenant, response).await
        }
    };
    match request_hash {
        Some(request_hash) if replays::is_claimed_by_handler(&parts) => {
            replays::answer_once_claimed_by_handler(&state, &request_hash, parts, body, run).await
        }
        Some(request_hash) => {
            let request = Request::from_parts(parts, Body::from(body));
            replays::answer_once(&state, &request_hash, run(request)).await
        }
        None => run(Request::from_parts(parts, Body::from(body))).await,
    }
}

/// The answer signed with the tenant's key; a refusal is counted for the tenant's company.
async fn signed(state: &AppState, tenant: &Tenant, response: Response) -> Response {
    sign(state, tenant, counted(state, tenant, response))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `response`, counted for the tenant's company when it is a refusal.
fn counted(state: &AppState, tenant: &Tenant, response: Response) -> Response {
    if let Some(refusal) = response.extensions().get::<Refusal>() {
        state.count_refusal(tenant.company_id, refusal.code);
    }
    response
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Tenant, Credential), ApiError> {
    if let Some(token) = header_str(headers, header::AUTHORIZATION).and_then(bearer_token) {
        let grant = state.access_token(token).await?;
        let tenant = Tenant {
            company_id: grant.company_id,
            signer: state.signer(grant.company_id).await?,
            read_only: false,
        };
        return Ok((
            tenant,
            Credential::Bearer {
                client_id: grant.client_id,
            },
        ));
    }
    let (Some(date), Some(authorization)) = (
        header_str(headers, header::DATE),
        header_str(headers, header::AUTHORIZATION),
    ) else {
        return Err(AuthError::MissingHeaders.into());
    };
    let params = parse_authorization(authorization)?;
    check_date(date, Utc::now())?;
    let key = state
        .api_key(&params.api_key)
        .await?
        .ok_or(AuthError::InvalidApiKey)?;
    key.signing_key.verify(date, &params.signature)?;
    let key = &key.record;
    if key.revoked {
        return Err(AuthError::RevokedApiKey.into());
    }
    let tenant = Tenant {
        company_id: key.company_id,
        signer: state.signer(key.company_id).await?,
        read_only: key.read_only,
    };
    Ok((
        tenant,
        Credential::Signed(Authorization {
            api_key: params.api_key,
            date: date.to_owned(),
            signature: params.signature,
        }),
    ))
}

/// What authenticated a request.
enum Credential {
    /// The HMAC scheme.
    Signed(Authorization),
    /// An OAuth access token of this client.
    Bearer { client_id: String },
}

impl Credential {
    /// Whose requests one rate limit counts: the API key's, or the OAuth client's.
    fn rate_limit_key(&self) -> &str {
        match self {
            Credential::Signed(authorization) => &authorization.api_key,
            Credential::Bearer { client_id } => client_id,
        }
    }
}

/// A signed request's authorization: with its method, path and body, it identifies a replay.
pub struct Authorization {
    pub api_key: String,
    pub date: String,
    pub signature: String,
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name)?.to_str().ok().filter(|v| !v.is_empty())
}

/// The base64 SHA-256 of an answer's bytes, by which its signature is stored and found.
pub fn answer_digest(bytes: &[u8]) -> String {
    B64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

/// The [`answer_digest`] of the response's body, when the handler already has it.
#[derive(Clone)]
pub struct AnswerDigest(pub String);

async fn sign(state: &AppState, tenant: &Tenant, response: Response) -> Result<Response, ApiError> {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX)
        .await
        .map_err(|error| InternalError::caused("reading the answer to sign", error))?;
    // A memoized answer comes with the digest of its bytes.
    let digest = match parts.extensions.remove::<AnswerDigest>() {
        Some(AnswerDigest(digest)) => digest,
        None => answer_digest(&bytes),
    };
    let known = parts.extensions.remove::<KnownAnswer>();
    let signature: Arc<str> = match known {
        Some(KnownAnswer {
            digest: Some(stored_digest),
            signature: Some(stored),
            ..
        }) if stored_digest == digest => {
            state.metrics.signature(SignatureSource::Stored);
            stored.into()
        }
        _ => {
            let signature = state.sign_body(tenant.company_id, &tenant.signer, &digest, &bytes)?;
            if let Some(known) = known {
                state.defer(DeferredWrite::AnswerSignature {
                    device_id: known.device_id,
                    digest,
                    signature: signature.to_string(),
                });
            }
            signature
        }
    };
    parts.headers.insert(
        LICENSE_SIGNATURE,
        HeaderValue::from_str(&signature)
            .map_err(|error| InternalError::caused("the answer signature as a header", error))?,
    );
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
