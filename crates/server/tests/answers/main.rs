//! Snapshots of every License API answer: for each endpoint its success bodies and every error body a
//! client can provoke, each as `{status, body}`, so a renamed field, a changed code or message, or a
//! changed status shows up as a snapshot diff. Requests go through the real router in process, signed
//! as the SDKs sign them, against a fresh SQLite database per test.

/// Snapshots `{status, body}` of an answer under `name`; the extra selectors are redacted besides the
/// volatile fields every answer may carry (see `support::redactions`).
macro_rules! snapshot {
    ($answer:expr, $name:expr $(, $extra:literal)* $(,)?) => {{
        let name = $name;
        $crate::support::claim_snapshot_name(module_path!(), name);
        $crate::support::redactions(&[$($extra),*]).bind(|| {
            insta::assert_json_snapshot!(name, $answer.snapshot());
        })
    }};
}

/// Asserts the answer carries a valid `LicenseSignature`, then snapshots it.
macro_rules! assert_answer {
    ($answer:expr, $($rest:tt)+) => {{
        let answer = $answer;
        answer.assert_signed();
        snapshot!(answer, $($rest)+);
    }};
}

/// Asserts the answer has no `LicenseSignature` (refused before a tenant was known), then snapshots it.
macro_rules! assert_unsigned_answer {
    ($answer:expr, $($rest:tt)+) => {{
        let answer = $answer;
        answer.assert_unsigned();
        snapshot!(answer, $($rest)+);
    }};
}

mod activation;
mod authentication;
mod check;
mod consumption;
mod deactivation;
mod features;
mod floating;
mod product_details;
mod releases;
mod requests;
mod sso;
mod support;
mod trial;
mod users;
mod variables;
