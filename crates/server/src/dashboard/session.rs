//! Signing in and out, the session cookie and CSRF tokens.
//!
//! The session cookie carries a random secret (the database keeps its SHA-256): HttpOnly,
//! SameSite=Strict, Secure when this node serves TLS, scoped to `/dashboard`. Every POST carries a
//! CSRF token derived from the session's secret (a SHA-256 of it under its own label), so it is
//! per session, needs no storage, and cannot be derived from what the database keeps. The sign-in
//! form, before any session, is protected by a double-submit token in its own cookie.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{digest, SHA256};
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use latch_service::keys::generate_shared_key;
use latch_service::model::{Actor, Staff, StaffRole};
use latch_service::staff::{totp_code_matches, SESSION_LIFETIME};
use latch_service::Tenant;
use latch_store::AttemptKind;
use maud::html;
use secrecy::{ExposeSecret, SecretString};

use super::error::{DashboardError, DashboardResult};
use super::page::bare_page;
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

const SESSION_COOKIE: &str = "latch_session";
const SIGN_IN_COOKIE: &str = "latch_sign_in_csrf";
/// The form field every POST carries its CSRF token in.
pub const CSRF_FIELD: &str = "csrf_token";
/// Largest form body read.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A signed-in staff member, from a live session.
pub struct Signed {
    pub staff: Staff,
    secret: SecretString,
}

impl Signed {
    /// The token this session's forms carry.
    pub fn csrf_token(&self) -> String {
        hex(digest(
            &SHA256,
            format!("csrf:{}", self.secret.expose_secret()).as_bytes(),
        )
        .as_ref())
    }

    /// Refuses unless the member's role is at least `role`.
    pub fn require(&self, role: StaffRole) -> DashboardResult<()> {
        if self.staff.role >= role {
            Ok(())
        } else {
            Err(DashboardError::Forbidden(match role {
                StaffRole::Admin => "Only admins may do this; ask an admin of your company.",
                _ => "Viewers may only read; ask an admin for the support role.",
            }))
        }
    }

    /// The member's company, with changes recorded as made by the member.
    pub async fn tenant<'a>(&self, state: &'a AppState) -> DashboardResult<Tenant<'a>> {
        Ok(state
            .service
            .tenant(self.staff.company_id)
            .await?
            .acting_as(Actor::Staff(self.staff.id)))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A cookie's value in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for the dashboard's paths; `None` clears the cookie.
fn set_cookie(state: &AppState, name: &str, value: Option<&str>, max_age: i64) -> HeaderValue {
    let secure = if state.scheme == "https" {
        "; Secure"
    } else {
        ""
    };
    let (value, max_age) = match value {
        Some(value) => (value, max_age),
        None => ("", 0),
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = DashboardError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> DashboardResult<Self> {
        let secret = cookie(&parts.headers, SESSION_COOKIE).ok_or(DashboardError::SignIn)?;
        let session = state
            .service
            .staff_session(secret)
            .await?
            .ok_or(DashboardError::SignIn)?;
        tracing::Span::current().record("company_id", session.staff.company_id.get());
        Ok(Signed {
            staff: session.staff,
            secret: secret.to_owned().into(),
        })
    }
}

/// A POSTed form: its fields, once its CSRF token proved it came from this session's own page.
pub struct Action {
    pub signed: Signed,
    pub fields: Form,
}

/// A form's fields in order; a name may repeat (checkboxes).
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Stored values as a form would send them, to show in one; a checked box is `true`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        Form(
            pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        )
    }

    async fn read(request: Request) -> DashboardResult<Self> {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| DashboardError::Invalid("The form is too large.".into()))?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|_| DashboardError::Invalid("The form could not be read.".into()))
    }

    /// The field's first value, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.trim())
    }

    /// The field's value, `None` when empty.
    pub fn optional(&self, name: &str) -> Option<&str> {
        Some(self.text(name)).filter(|value| !value.is_empty())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether a checkbox was ticked.
    pub fn flag(&self, name: &str) -> bool {
        self.text(name) == "true"
    }

    /// An optional day (`YYYY-MM-DD`), as its first moment in UTC; a label names the field in the
    /// refusal.
    pub fn day(&self, name: &str, label: &str) -> DashboardResult<Option<DateTime<Utc>>> {
        self.optional(name)
            .map(|text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .and_then(|day| day.and_hms_opt(0, 0, 0))
                    .map(|at| at.and_utc())
                    .ok_or_else(|| {
                        DashboardError::Invalid(format!("{label} must be a date (YYYY-MM-DD)."))
                    })
            })
            .transpose()
    }

    /// An optional whole number; a label names the field in the refusal.
    pub fn number(&self, name: &str, label: &str) -> DashboardResult<Option<i64>> {
        self.optional(name)
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    DashboardError::Invalid(format!("{label} must be a whole number."))
                })
            })
            .transpose()
    }
}

/// Whether `sent` is `expected`, compared in constant time.
fn token_matches(sent: &str, expected: &str) -> bool {
    !sent.is_empty() && verify_slices_are_equal(sent.as_bytes(), expected.as_bytes()).is_ok()
}

impl FromRequest<AppState> for Action {
    type Rejection = DashboardError;

    async fn from_request(request: Request, state: &AppState) -> DashboardResult<Self> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let fields = Form::read(Request::from_parts(parts, body)).await?;
        if !token_matches(fields.text(CSRF_FIELD), &signed.csrf_token()) {
            return Err(FORGED);
        }
        Ok(Action { signed, fields })
    }
}

/// The refusal of a POST that did not come from this session's own page.
const FORGED: DashboardError = DashboardError::Forbidden(
    "This form has expired or did not come from the dashboard; reload the page and try again.",
);

/// A POSTed `multipart/form-data` form with one file (field `file`), once its CSRF token proved it
/// came from this session's own page. Its size is limited by the route's `DefaultBodyLimit`.
pub struct Upload {
    pub signed: Signed,
    pub file_name: String,
    pub file: Vec<u8>,
}

impl Upload {
    async fn read(
        multipart: &mut Multipart,
    ) -> DashboardResult<(String, Option<(String, Vec<u8>)>)> {
        let unreadable = |error: MultipartError| {
            DashboardError::Invalid(if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "The file is too large; split it into several files.".to_owned()
            } else {
                "The upload could not be read; choose the file and send the form again.".to_owned()
            })
        };
        let mut token = String::new();
        let mut file = None;
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            match field.name() {
                Some(CSRF_FIELD) => token = field.text().await.map_err(unreadable)?,
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    file = Some((name, field.bytes().await.map_err(unreadable)?.to_vec()));
                }
                _ => {}
            }
        }
        Ok((token, file))
    }
}

impl FromRequest<AppState> for Upload {
    type Rejection = DashboardError;

    async fn from_request(request: Request, state: &AppState) -> DashboardResult<Self> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        // A POST that is no upload at all carries no token either.
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| FORGED)?;
        let (token, file) = Upload::read(&mut multipart).await?;
        if !token_matches(&token, &signed.csrf_token()) {
            return Err(FORGED);
        }
        let (file_name, file) = file
            .filter(|(_, bytes)| !bytes.is_empty())
            .ok_or_else(|| DashboardError::Invalid("Choose a CSV file to import.".into()))?;
        Ok(Upload {
            signed,
            file_name,
            file,
        })
    }
}

fn sign_in_form(token: &str, email: &str, failure: Option<&str>) -> maud::Markup {
    bare_page(
        "Sign in",
        html! {
            h1 { "Sign in to Latch" }
            @if let Some(failure) = failure {
                p.alert role="alert" { (failure) }
            }
            form.card method="post" action="/dashboard/login" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                label for="email" { "Email" }
                input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                label for="code" { "Authentication code (if you turned it on)" }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*";
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The sign-in page, with a fresh double-submit token.
fn sign_in_page(
    state: &AppState,
    email: &str,
    failure: Option<&str>,
    status: axum::http::StatusCode,
) -> DashboardResult<Response> {
    let token = generate_shared_key()?;
    let cookie = set_cookie(state, SIGN_IN_COOKIE, Some(&token), 3600);
    Ok((
        status,
        [(header::SET_COOKIE, cookie)],
        sign_in_form(&token, email, failure),
    )
        .into_response())
}

/// `GET /dashboard/login`.
pub async fn sign_in(State(state): State<AppState>) -> DashboardResult<Response> {
    sign_in_page(&state, "", None, axum::http::StatusCode::OK)
}

/// `POST /dashboard/login`: a right password starts a session; a wrong one (or an unknown e-mail)
/// answers the same message after the same work. Attempts per account are limited across nodes,
/// failures per client address on each node, as for license users' passwords.
pub async fn sign_in_submit(
    State(state): State<AppState>,
    address: Option<ClientAddr>,
    request: Request,
) -> DashboardResult<Response> {
    let sign_in_token = cookie(request.headers(), SIGN_IN_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let form = Form::read(request).await?;
    if !token_matches(form.text(CSRF_FIELD), &sign_in_token) {
        return Err(DashboardError::Forbidden(
            "The sign-in form has expired; reload the page and sign in again.",
        ));
    }
    let email = form.text("email");
    let password = form.text("password").to_owned();
    let candidate = state.service.staff_for_sign_in(email).await?;
    if let Some(credentials) = &candidate {
        let staff = &credentials.staff;
        let attempt = state
            .rate_limits
            .staff_sign_in_attempt(
                state.store.as_ref(),
                staff.company_id,
                &staff.email,
                address,
            )
            .await;
        if let Err(refused) = attempt {
            return match DashboardError::from(refused) {
                DashboardError::TooManyRequests { retry_after } => sign_in_page(
                    &state,
                    email,
                    Some(&format!(
                        "Too many sign-in attempts. Try again in {retry_after} seconds."
                    )),
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                ),
                other => Err(other),
            };
        }
    }
    let stored_hash = candidate
        .as_ref()
        .map(|credentials| credentials.password_hash.clone());
    let password_matches = state.passwords.verify(password, stored_hash).await?;
    let staff = match candidate {
        // With the second factor on, the code counts as part of the password: one refusal for both.
        Some(credentials)
            if password_matches
                && credentials.totp_secret.as_ref().is_none_or(|secret| {
                    totp_code_matches(secret.expose_secret(), form.text("code"))
                }) =>
        {
            credentials.staff
        }
        _ => {
            state.rate_limits.password_wrong(address);
            return sign_in_page(
                &state,
                email,
                Some("Wrong email, password or authentication code."),
                axum::http::StatusCode::UNAUTHORIZED,
            );
        }
    };
    state
        .store
        .return_attempt(staff.company_id, AttemptKind::StaffSignIn, &staff.email)
        .await
        .map_err(crate::error::ApiError::from)?;
    let session = state.service.start_staff_session(&staff).await?;
    let max_age = SESSION_LIFETIME.num_seconds();
    let mut response = Redirect::to("/dashboard/").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            SESSION_COOKIE,
            Some(session.secret.expose_secret()),
            max_age,
        ),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, SIGN_IN_COOKIE, None, 0),
    );
    Ok(response)
}

/// `POST /dashboard/logout`: ends the session in the database, so its cookie is worthless
/// everywhere, and clears the cookie.
pub async fn sign_out(State(state): State<AppState>, action: Action) -> DashboardResult<Response> {
    state
        .service
        .end_staff_session(&action.signed.secret)
        .await?;
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(&state, SESSION_COOKIE, None, 0),
        )],
        Redirect::to("/dashboard/login"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; latch_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn an_empty_token_never_matches() {
        assert!(!token_matches("", ""));
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
    }
}
