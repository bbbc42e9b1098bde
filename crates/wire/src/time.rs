//! Date formats on the wire.

use chrono::{DateTime, SecondsFormat, Utc};

/// `2026-11-23T10:15:00.000Z`: what JavaScript's `toISOString()` writes and both SDKs parse.
pub fn iso_millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The `Date` header format (RFC 7231).
pub fn http_date(at: DateTime<Utc>) -> String {
    httpdate::fmt_http_date(at.into())
}
