use serde_json::{json, Value};

use super::*;
use crate::testing::{hs256_token, key_set, unsigned_token, TestKey};

const ISSUER: &str = "https://login.example.com";
const CLIENT: &str = "latch";
const NOW: i64 = 1_800_000_000;

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        client_id: CLIENT,
        email_claim: "email",
    }
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": CLIENT, "sub": "u1", "email": "Pat@Example.com",
           "iat": NOW, "exp": NOW + 300})
}

fn with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn keys_of(keys: &[&TestKey]) -> KeySet {
    KeySet::parse(key_set(keys).to_string().as_bytes()).unwrap()
}

fn verify(token: &str, keys: &KeySet) -> Result<String, TokenError> {
    verify_id_token(token, keys, &expected(), NOW)
}

#[test]
fn rs256_and_es256_tokens_give_their_email() {
    let rsa = TestKey::rsa("r1");
    let ec = TestKey::ec("e1");
    let keys = keys_of(&[&rsa, &ec]);
    assert_eq!(
        verify(&rsa.sign(&claims()), &keys).unwrap(),
        "Pat@Example.com"
    );
    assert_eq!(
        verify(&ec.sign(&claims()), &keys).unwrap(),
        "Pat@Example.com"
    );
    let audiences = with(json!({"aud": ["other", CLIENT], "azp": CLIENT}));
    assert!(verify(&rsa.sign(&audiences), &keys).is_ok());
}

#[test]
fn a_token_without_key_id_is_checked_against_the_keys_of_its_algorithm() {
    let rsa = TestKey::rsa("r1");
    let other = TestKey::rsa("r2");
    let keys = keys_of(&[&other, &rsa]);
    assert!(verify(&rsa.sign_without_kid(&claims()), &keys).is_ok());
    let stranger = TestKey::rsa("r3");
    assert_eq!(
        verify(&stranger.sign_without_kid(&claims()), &keys),
        Err(TokenError::Signature)
    );
}

#[test]
fn an_unknown_key_id_says_so_so_the_keys_can_be_fetched_again() {
    let known = TestKey::rsa("r1");
    let rotated = TestKey::rsa("r2");
    let refused = verify(&rotated.sign(&claims()), &keys_of(&[&known])).unwrap_err();
    assert!(refused.is_unknown_key(), "{refused:?}");
    assert!(verify(&rotated.sign(&claims()), &keys_of(&[&known, &rotated])).is_ok());
}

#[test]
fn a_key_of_the_right_id_but_another_signer_is_a_bad_signature() {
    let genuine = TestKey::rsa("r1");
    let forger = TestKey::rsa("r1");
    assert_eq!(
        verify(&forger.sign(&claims()), &keys_of(&[&genuine])),
        Err(TokenError::Signature)
    );
}

#[test]
fn none_and_shared_secret_algorithms_are_refused_before_any_key_is_looked_up() {
    let rsa = TestKey::rsa("r1");
    let keys = keys_of(&[&rsa]);
    assert_eq!(
        verify(&unsigned_token(&claims()), &keys),
        Err(TokenError::Malformed)
    );
    // Signed with the RSA key's public modulus as an HMAC secret: the classic confusion attack.
    let modulus = rsa.jwk()["n"].as_str().unwrap().to_owned();
    let hs256 = hs256_token(modulus.as_bytes(), "r1", &claims());
    assert_eq!(
        verify(&hs256, &keys),
        Err(TokenError::Algorithm("HS256".into()))
    );
    assert_eq!(verify("not.a.token", &keys), Err(TokenError::Malformed));
    assert_eq!(verify("", &keys), Err(TokenError::Malformed));
}

#[test]
fn issuer_and_audience_must_be_the_accounts() {
    let rsa = TestKey::rsa("r1");
    let keys = keys_of(&[&rsa]);
    let sign = |changes| rsa.sign(&with(changes));
    assert_eq!(
        verify(&sign(json!({"iss": "https://evil.example.com"})), &keys),
        Err(TokenError::Issuer)
    );
    assert_eq!(
        verify(&sign(json!({"aud": "another-app"})), &keys),
        Err(TokenError::Audience)
    );
    assert_eq!(
        verify(&sign(json!({"aud": [CLIENT, "x"], "azp": "x"})), &keys),
        Err(TokenError::Audience)
    );
    assert_eq!(
        verify(&sign(json!({"iss": null})), &keys),
        Err(TokenError::MissingClaim("iss".into()))
    );
    assert_eq!(
        verify(&sign(json!({"aud": null})), &keys),
        Err(TokenError::MissingClaim("aud".into()))
    );
}

#[test]
fn times_hold_with_a_minute_of_leeway() {
    let rsa = TestKey::rsa("r1");
    let keys = keys_of(&[&rsa]);
    let sign = |changes| rsa.sign(&with(changes));
    let just_expired = sign(json!({"exp": NOW - LEEWAY_SECONDS}));
    assert!(verify(&just_expired, &keys).is_ok());
    let expired = sign(json!({"exp": NOW - LEEWAY_SECONDS - 1}));
    assert_eq!(verify(&expired, &keys), Err(TokenError::Expired));
    let soon = sign(json!({"nbf": NOW + LEEWAY_SECONDS}));
    assert!(verify(&soon, &keys).is_ok());
    let later = sign(json!({"nbf": NOW + LEEWAY_SECONDS + 1}));
    assert_eq!(verify(&later, &keys), Err(TokenError::NotYetValid));
    assert_eq!(
        verify(&sign(json!({"exp": null})), &keys),
        Err(TokenError::MissingClaim("exp".into()))
    );
}

#[test]
fn the_email_comes_from_the_accounts_claim_and_must_be_verified() {
    let rsa = TestKey::rsa("r1");
    let keys = keys_of(&[&rsa]);
    let upn = Expected {
        email_claim: "upn",
        ..expected()
    };
    let token = rsa.sign(&with(json!({"upn": "pat@corp.example", "email": null})));
    assert_eq!(
        verify_id_token(&token, &keys, &upn, NOW).unwrap(),
        "pat@corp.example"
    );
    assert_eq!(
        verify(&token, &keys),
        Err(TokenError::MissingClaim("email".into()))
    );
    let unverified = rsa.sign(&with(json!({"email_verified": false})));
    assert_eq!(
        verify(&unverified, &keys),
        Err(TokenError::EmailNotVerified)
    );
    let verified_as_text = rsa.sign(&with(json!({"email_verified": "true"})));
    assert!(verify(&verified_as_text, &keys).is_ok());
}

#[test]
fn key_sets_keep_only_signing_keys_latch_can_use() {
    let rsa = TestKey::rsa("r1");
    let mut encryption = TestKey::rsa("enc").jwk();
    encryption["use"] = json!("enc");
    let document = json!({"keys": [
        rsa.jwk(),
        encryption,
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {"kty": "OKP", "crv": "X25519", "x": "abc", "kid": "x"},
        {"kty": "unknown"},
    ]});
    let keys = KeySet::parse(document.to_string().as_bytes()).unwrap();
    assert_eq!(keys.len(), 1);
    assert!(KeySet::parse(b"{\"keys\": 3}").is_err());
    assert!(KeySet::parse(b"[]").is_err());
}

#[test]
fn a_code_is_exchanged_with_basic_or_form_credentials() {
    let basic = token_request_form(
        "c0de",
        "myapp://cb",
        "latch:app",
        "s e/cret",
        ClientAuth::Basic,
    );
    assert_eq!(
        basic.form,
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", "c0de".to_owned()),
            ("redirect_uri", "myapp://cb".to_owned()),
        ]
    );
    let credentials = basic.authorization.unwrap();
    let decoded = B64
        .decode(credentials.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "latch%3Aapp:s+e%2Fcret"
    );
    let post = token_request_form("c0de", "myapp://cb", "latch", "secret", ClientAuth::Post);
    assert_eq!(post.authorization, None);
    assert!(post.form.contains(&("client_secret", "secret".to_owned())));
    assert!(post.form.contains(&("client_id", "latch".to_owned())));
}

#[test]
fn token_answers_carry_an_id_token_or_a_refusal() {
    assert_eq!(
        id_token_from_response(br#"{"access_token":"a","id_token":"x.y.z"}"#).unwrap(),
        TokenResponse::IdToken("x.y.z".into())
    );
    assert_eq!(
        id_token_from_response(br#"{"error":"invalid_grant","error_description":"used"}"#).unwrap(),
        TokenResponse::Refused {
            error: "invalid_grant".into(),
            description: Some("used".into()),
        }
    );
    assert!(id_token_from_response(br#"{"access_token":"a"}"#).is_err());
    assert!(id_token_from_response(b"<html>").is_err());
}
