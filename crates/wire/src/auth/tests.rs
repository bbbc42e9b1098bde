use chrono::TimeZone;

use super::*;

const VECTOR_KEY: &str = "kw4qSnpSwXzgiv5yxYpZZmFEd9QAeiKTQ6OuyMja";
const VECTOR_DATE: &str = "Tue, 07 Jun 2011 20:51:35 GMT";
const VECTOR_SIGNATURE: &str = "UDysfR6MndUZReo07Y9r+vErn8vSxrnQ5ulit18iJ/Q=";

fn vector_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2011, 6, 7, 20, 51, 35).unwrap()
}

#[test]
fn hmac_matches_the_published_test_vector() {
    assert_eq!(request_signature(VECTOR_KEY, VECTOR_DATE), VECTOR_SIGNATURE);
    assert_eq!(
        RequestSigningKey::new(VECTOR_KEY).verify(VECTOR_DATE, VECTOR_SIGNATURE),
        Ok(())
    );
}

#[test]
fn a_wrong_key_date_or_signature_is_a_mismatch() {
    let cases = [
        ("another-shared-key", VECTOR_DATE, VECTOR_SIGNATURE),
        (
            VECTOR_KEY,
            "Tue, 07 Jun 2011 20:51:36 GMT",
            VECTOR_SIGNATURE,
        ),
        (
            VECTOR_KEY,
            VECTOR_DATE,
            "UDysfR6MndUZReo07Y9r+vErn8vSxrnQ5ulit18iJ/Q",
        ),
        (VECTOR_KEY, VECTOR_DATE, ""),
    ];
    for (key, date, signature) in cases {
        assert_eq!(
            RequestSigningKey::new(key).verify(date, signature),
            Err(AuthError::SignatureMismatch),
            "{key} {date} {signature}"
        );
    }
}

#[test]
fn both_sdk_spellings_and_the_documented_one_parse() {
    let python = format!(
        "algorithm=\"hmac-sha256\",headers=\"date\",signature=\"{VECTOR_SIGNATURE}\",apiKey=\"k-1\""
    );
    let node = python.replace("apiKey", "apikey");
    let documented = python.replace("\",", "\", ");
    for header in [python, node, documented] {
        assert_eq!(
            parse_authorization(&header),
            Ok(AuthorizationParams {
                api_key: "k-1".into(),
                signature: VECTOR_SIGNATURE.into()
            }),
            "{header}"
        );
    }
}

#[test]
fn malformed_authorization_headers_get_their_own_codes() {
    let cases = [
        (
            "algorithm=\"hmac-sha256\",headers=\"date\",signature=\"s\"",
            AuthError::MissingParams,
        ),
        (
            "headers=\"date\",signature=\"s\",apikey=\"k\"",
            AuthError::MissingParams,
        ),
        (
            "algorithm=\"hmac-sha256\",headers=\"date\",signature=\"\",apikey=\"k\"",
            AuthError::MissingParams,
        ),
        (
            "algorithm=\"rsa-sha256\",headers=\"date\",signature=\"s\",apikey=\"k\"",
            AuthError::HmacRequired,
        ),
        (
            "algorithm=\"hmac-sha256\",headers=\"host\",signature=\"s\",apikey=\"k\"",
            AuthError::InvalidHeaders,
        ),
        ("Bearer abc", AuthError::InvalidHeaders),
        ("", AuthError::MissingParams),
    ];
    for (header, expected) in cases {
        assert_eq!(parse_authorization(header), Err(expected), "{header}");
    }
}

#[test]
fn the_date_window_is_fifteen_minutes_inclusive_both_ways() {
    let sent = vector_instant();
    let edge = Duration::minutes(15);
    let second = Duration::seconds(1);
    assert_eq!(check_date(VECTOR_DATE, sent), Ok(()));
    assert_eq!(check_date(VECTOR_DATE, sent + edge), Ok(()));
    assert_eq!(check_date(VECTOR_DATE, sent - edge), Ok(()));
    assert_eq!(
        check_date(VECTOR_DATE, sent + edge + second),
        Err(AuthError::DateHeaderDiff)
    );
    assert_eq!(
        check_date(VECTOR_DATE, sent - edge - second),
        Err(AuthError::DateHeaderDiff)
    );
}

#[test]
fn unparsable_dates_are_refused() {
    for date in ["yesterday", "", "2011-06-07T20:51:35Z"] {
        assert_eq!(
            check_date(date, vector_instant()),
            Err(AuthError::DateHeaderDiff),
            "{date}"
        );
    }
}

#[test]
fn the_client_header_round_trips_through_the_parser() {
    let header = authorization_header("key-9", VECTOR_KEY, VECTOR_DATE);
    let params = parse_authorization(&header).unwrap();
    assert_eq!(params.api_key, "key-9");
    assert_eq!(params.signature, VECTOR_SIGNATURE);
}

#[test]
fn bearer_tokens_are_told_from_the_hmac_scheme() {
    assert_eq!(bearer_token("Bearer abc.def"), Some("abc.def"));
    assert_eq!(bearer_token("bearer   abc "), Some("abc"));
    assert_eq!(bearer_token("BEARER"), Some(""));
    assert_eq!(
        bearer_token(&authorization_header("key-9", VECTOR_KEY, VECTOR_DATE)),
        None
    );
    assert_eq!(
        bearer_token("algorithm=\"hmac-sha256\", headers=\"date\""),
        None
    );
    assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
}
