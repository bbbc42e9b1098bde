//! Request parameters: the query string of a GET or the JSON object of a POST, read leniently the way
//! the SDKs send them (GET values are strings; POST values are typed; `null` means absent). Parameters
//! the SDKs add that an endpoint does not use are ignored, as the hosted service does.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::Method;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use latch_domain::Email;
use serde_json::{Map, Value};

use crate::connections::BodyTimedOut;
use crate::error::ApiError;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest accepted string parameter, in characters.
const MAX_STRING_CHARS: usize = 1024;

#[derive(Debug, Default)]
pub struct Params(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        if request.method() == Method::GET {
            let query = request.uri().query().unwrap_or_default();
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
                .map_err(|e| ApiError::Validation(format!("malformed query string: {e}")))?;
            return Ok(Params(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ));
        }
        Params::from_json(&read_body(request.into_body()).await?)
    }
}

/// A request body, at most [`MAX_BODY_BYTES`] and within the body timeout.
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    to_bytes(body, MAX_BODY_BYTES).await.map_err(|error| {
        if BodyTimedOut::caused(&error) {
            ApiError::RequestTimeout
        } else {
            ApiError::PayloadTooLarge(MAX_BODY_BYTES)
        }
    })
}

impl Params {
    pub fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params::default());
        }
        match serde_json::from_slice(bytes) {
            Ok(Value::Object(map)) => Ok(Params(map)),
            Ok(_) => Err(ApiError::Validation(
                "request body must be a JSON object".into(),
            )),
            Err(e) => Err(ApiError::InvalidJson(e.to_string())),
        }
    }

    pub fn has(&self, name: &'static str) -> bool {
        self.present(name).is_some()
    }

    fn present(&self, name: &'static str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn optional_str(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.chars().count() > MAX_STRING_CHARS => {
                Err(ApiError::Validation(format!(
                    "{name} is longer than {MAX_STRING_CHARS} characters"
                )))
            }
            Some(Value::String(s)) if s.contains('\0') => Err(ApiError::Validation(format!(
                "{name} must not contain NUL characters"
            ))),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::Validation(format!("{name} must be a string"))),
        }
    }

    /// A string parameter that must be present and non-empty.
    pub fn required_str(&self, name: &'static str) -> Result<&str, ApiError> {
        self.optional_str(name)?
            .filter(|s| !s.is_empty())
            .ok_or(ApiError::MissingParameter(name))
    }

    /// An e-mail address that must be present and valid, as [`Email`] normalises it.
    pub fn required_email(&self, name: &'static str) -> Result<Email, ApiError> {
        Email::parse(self.required_str(name)?)
            .map_err(|_| ApiError::Validation(format!("{name} is not an e-mail address")))
    }

    /// An e-mail address that must be present, naming someone to look up.
    pub fn lookup_email(&self, name: &'static str) -> Result<LookupEmail, ApiError> {
        self.required_str(name).map(LookupEmail::parse)
    }

    /// A boolean sent as JSON `true`/`false` or as the strings `"true"`/`"false"`/`"1"`/`"0"`.
    pub fn flag(&self, name: &'static str) -> Result<bool, ApiError> {
        match self.present(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" | "" => Ok(false),
                _ => Err(ApiError::Validation(format!(
                    "{name} must be true or false"
                ))),
            },
            Some(_) => Err(ApiError::Validation(format!(
                "{name} must be true or false"
            ))),
        }
    }

    /// An integer sent as a JSON number or as decimal text (query strings).
    pub fn optional_i64(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::Validation(format!("{name} must be an integer"));
        match self.present(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    /// A date sent as ISO 8601 / RFC 3339 text, or the shorter forms the docs accept
    /// (`2024-09-27 23:30:48.016`, `2024-09-27 23:30:48`, `2024-09-27 23:30`, `2024-09-27`), read as UTC.
    pub fn optional_date(&self, name: &'static str) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(text) = self.optional_str(name)? else {
            return Ok(None);
        };
        parse_date(text)
            .map(Some)
            .ok_or_else(|| ApiError::Validation(format!("{name} is not a valid date")))
    }

    /// `variables`: an object of name to string, number or boolean; values are kept as text.
    pub fn variables(&self) -> Result<Vec<(String, String)>, ApiError> {
        let Some(value) = self.present("variables") else {
            return Ok(Vec::new());
        };
        let Value::Object(map) = value else {
            return Err(ApiError::Validation("variables must be an object".into()));
        };
        map.iter()
            .map(|(name, value)| {
                if name.is_empty() || name.chars().count() > MAX_STRING_CHARS || name.contains('\0') {
                    return Err(ApiError::Validation(format!(
                        "variable names must have 1 to {MAX_STRING_CHARS} characters"
                    )));
                }
                let text = match value {
                    Value::String(s) if s.chars().count() <= MAX_STRING_CHARS && !s.contains('\0') => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(ApiError::Validation(format!(
                            "variable {name} must be a string (up to {MAX_STRING_CHARS} characters, no NUL), number or boolean"
                        )))
                    }
                };
                Ok((name.clone(), text))
            })
            .collect()
    }
}

/// An e-mail address a client names an existing license user or customer by. Text that is not an
/// address belongs to no one, so it is answered like an unknown address (as the hosted service answers
/// a lookup that finds nobody), never with a validation error.
#[derive(Debug, Clone)]
pub struct LookupEmail(Option<Email>);

impl LookupEmail {
    pub fn parse(text: &str) -> Self {
        Self(Email::parse(text).ok())
    }

    /// The address, unless the text was none.
    pub fn email(&self) -> Option<&Email> {
        self.0.as_ref()
    }

    /// The text stored addresses are compared with: empty for text that was not an address, which
    /// matches no license user (every one has an address).
    pub fn lookup_text(&self) -> &str {
        self.0.as_ref().map_or("", Email::as_str)
    }
}

fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&Utc));
    }
    let text = text.strip_suffix('Z').unwrap_or(text);
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)
    })
    .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Params {
        Params::from_json(text.as_bytes()).unwrap()
    }

    #[test]
    fn empty_bodies_are_empty_params_and_bad_bodies_are_refused() {
        assert!(Params::from_json(b"").unwrap().0.is_empty());
        assert!(matches!(
            Params::from_json(b"{\"a\":"),
            Err(ApiError::InvalidJson(_))
        ));
        assert!(matches!(
            Params::from_json(b"[1]"),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            Params::from_json(&[0xff, 0xfe]),
            Err(ApiError::InvalidJson(_))
        ));
    }

    #[test]
    fn nulls_and_empty_strings_count_as_missing_for_required_strings() {
        let params = json(r#"{"a":null,"b":"","c":"x","d":5}"#);
        assert!(matches!(
            params.required_str("a"),
            Err(ApiError::MissingParameter("a"))
        ));
        assert!(matches!(
            params.required_str("b"),
            Err(ApiError::MissingParameter("b"))
        ));
        assert_eq!(params.required_str("c").unwrap(), "x");
        assert!(matches!(
            params.required_str("d"),
            Err(ApiError::Validation(_))
        ));
        assert_eq!(params.optional_str("a").unwrap(), None);
    }

    #[test]
    fn flags_accept_json_booleans_and_strings() {
        let params = json(r#"{"a":true,"b":"true","c":"false","d":"maybe","e":1}"#);
        assert!(params.flag("a").unwrap());
        assert!(params.flag("b").unwrap());
        assert!(!params.flag("c").unwrap());
        assert!(!params.flag("missing").unwrap());
        assert!(params.flag("d").is_err());
        assert!(params.flag("e").is_err());
    }

    #[test]
    fn variables_keep_scalars_as_text_and_refuse_the_rest() {
        let params = json(r#"{"variables":{"s":"x","n":12,"b":false}}"#);
        let mut variables = params.variables().unwrap();
        variables.sort();
        assert_eq!(
            variables,
            [
                ("b".into(), "false".into()),
                ("n".into(), "12".into()),
                ("s".into(), "x".into())
            ]
        );
        for bad in [
            r#"{"variables":[1]}"#,
            r#"{"variables":{"o":{}}}"#,
            r#"{"variables":{"":"x"}}"#,
        ] {
            assert!(json(bad).variables().is_err(), "{bad}");
        }
    }

    #[test]
    fn integers_come_as_numbers_or_text() {
        let params = json(r#"{"a":5,"b":"7","c":"x","d":1.5,"e":""}"#);
        assert_eq!(params.optional_i64("a").unwrap(), Some(5));
        assert_eq!(params.optional_i64("b").unwrap(), Some(7));
        assert_eq!(params.optional_i64("e").unwrap(), None);
        assert_eq!(params.optional_i64("missing").unwrap(), None);
        assert!(params.optional_i64("c").is_err());
        assert!(params.optional_i64("d").is_err());
    }

    #[test]
    fn dates_take_every_documented_form() {
        use chrono::TimeZone;
        let cases = [
            (
                "2024-09-27T23:30:48.016Z",
                Utc.with_ymd_and_hms(2024, 9, 27, 23, 30, 48).unwrap()
                    + chrono::Duration::milliseconds(16),
            ),
            (
                "2024-09-27 23:30:48.016",
                Utc.with_ymd_and_hms(2024, 9, 27, 23, 30, 48).unwrap()
                    + chrono::Duration::milliseconds(16),
            ),
            (
                "2024-09-27 23:30:48",
                Utc.with_ymd_and_hms(2024, 9, 27, 23, 30, 48).unwrap(),
            ),
            (
                "2024-09-27 23:30",
                Utc.with_ymd_and_hms(2024, 9, 27, 23, 30, 0).unwrap(),
            ),
            (
                "2024-09-27",
                Utc.with_ymd_and_hms(2024, 9, 27, 0, 0, 0).unwrap(),
            ),
            (
                "2024-09-27T23:30:48+02:00",
                Utc.with_ymd_and_hms(2024, 9, 27, 21, 30, 48).unwrap(),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date(text), Some(expected), "{text}");
        }
        for bad in ["", "tomorrow", "2024-13-01", "27/09/2024"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn e_mail_addresses_are_normalised_and_non_addresses_find_no_one() {
        let params = json(r#"{"a":" Buyer@Example.COM ","b":"buyer","c":""}"#);
        assert_eq!(
            params.required_email("a").unwrap().as_str(),
            "buyer@example.com"
        );
        assert!(matches!(
            params.required_email("b"),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            params.required_email("c"),
            Err(ApiError::MissingParameter("c"))
        ));
        let found = params.lookup_email("a").unwrap();
        assert_eq!(found.lookup_text(), "buyer@example.com");
        let no_one = params.lookup_email("b").unwrap();
        assert_eq!((no_one.email(), no_one.lookup_text()), (None, ""));
        assert!(matches!(
            params.lookup_email("c"),
            Err(ApiError::MissingParameter("c"))
        ));
    }

    #[test]
    fn nul_characters_are_refused_everywhere() {
        let params = json(r#"{"a":"x\u0000y","variables":{"v":"\u0000"}}"#);
        assert!(matches!(
            params.optional_str("a"),
            Err(ApiError::Validation(_))
        ));
        assert!(params.variables().is_err());
        let names = json(r#"{"variables":{"\u0000":"x"}}"#);
        assert!(names.variables().is_err());
    }

    #[test]
    fn overlong_strings_are_refused() {
        let params = json(&format!(
            r#"{{"hardware_id":"{}"}}"#,
            "x".repeat(MAX_STRING_CHARS + 1)
        ));
        assert!(matches!(
            params.required_str("hardware_id"),
            Err(ApiError::Validation(_))
        ));
    }
}
