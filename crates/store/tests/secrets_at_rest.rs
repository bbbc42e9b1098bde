//! Secrets at rest, on both backends: the database holds only sealed secrets, and rotating the
//! master key re-seals them so that only the new key opens them.

mod support;

use chrono::Utc;
use latch_store::{Actor, Change, NewCompany, SecretBox};
use secrecy::ExposeSecret;
use support::{databases, master_key, open};

const SIGNING_KEY: &[u8] = b"pretend PKCS#8 bytes";
const SHARED_KEY: &str = "shared-key-in-the-clear";
const CLIENT_SECRET: &str = "oauth-client-secret-in-the-clear";

#[tokio::test]
async fn secrets_are_sealed_and_rotation_reseals_them() {
    for (url, schema) in databases("rotation") {
        let old_key = master_key();
        let store = open(&url, schema.as_deref(), &old_key).await;
        let company = store
            .create_company(
                NewCompany {
                    name: "Acme",
                    signing_key_pkcs8: SIGNING_KEY,
                    public_key_pem: "PEM",
                },
                Utc::now(),
            )
            .await
            .unwrap();
        store
            .create_api_key(
                company.id,
                "api-key-1",
                SHARED_KEY,
                false,
                Change::now(&Actor::Cli),
            )
            .await
            .unwrap();
        store
            .create_oauth_client(
                company.id,
                "oauth_client_1",
                CLIENT_SECRET,
                Change::now(&Actor::Cli),
            )
            .await
            .unwrap();
        assert_eq!(
            store.company_signing_key(company.id).await.unwrap(),
            SIGNING_KEY
        );
        if let Some(file) = url.strip_prefix("sqlite://") {
            // What is on disk (database and write-ahead log) holds neither secret in the clear.
            for path in [file.to_owned(), format!("{file}-wal")] {
                let bytes = std::fs::read(&path).unwrap_or_default();
                for secret in [SHARED_KEY.as_bytes(), SIGNING_KEY, CLIENT_SECRET.as_bytes()] {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret),
                        "{path} holds a secret"
                    );
                }
            }
        }

        let new_key = master_key();
        assert_eq!(
            store
                .reseal_secrets(&SecretBox::from_base64(&new_key).unwrap())
                .await
                .unwrap(),
            3
        );
        drop(store);

        let reopened = open(&url, schema.as_deref(), &new_key).await;
        assert_eq!(
            reopened.company_signing_key(company.id).await.unwrap(),
            SIGNING_KEY,
            "{url}"
        );
        let api_key = reopened.api_key("api-key-1").await.unwrap().unwrap();
        assert_eq!(api_key.shared_key.expose_secret(), SHARED_KEY, "{url}");
        let client = reopened
            .oauth_client("oauth_client_1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(client.client_secret.expose_secret(), CLIENT_SECRET, "{url}");

        let with_old_key = open(&url, schema.as_deref(), &old_key).await;
        assert!(
            with_old_key.company_signing_key(company.id).await.is_err(),
            "{url}: old key still opens"
        );
        assert!(
            with_old_key.api_key("api-key-1").await.is_err(),
            "{url}: old key still opens"
        );
        assert!(
            with_old_key.oauth_client("oauth_client_1").await.is_err(),
            "{url}: old key still opens"
        );
    }
}
