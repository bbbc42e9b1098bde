//! Opening a fresh store on each backend: a SQLite file, and a PostgreSQL schema at
//! `LATCH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).

use latch_store::{connect, SecretBox, Store};

pub fn master_key() -> String {
    SecretBox::generate_master_key().unwrap()
}

/// A fresh database per test: a SQLite file, or a PostgreSQL schema.
pub fn databases(test: &str) -> Vec<(String, Option<String>)> {
    let dir = std::env::temp_dir().join(format!("latch-store-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let postgres = std::env::var("LATCH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    vec![
        (format!("sqlite://{}", dir.join("latch.db").display()), None),
        (
            postgres,
            Some(format!("store_{test}_{}", std::process::id())),
        ),
    ]
}

pub async fn open(url: &str, schema: Option<&str>, key: &str) -> std::sync::Arc<dyn Store> {
    connect(
        url,
        schema,
        Default::default(),
        SecretBox::from_base64(key).unwrap(),
    )
    .await
    .unwrap_or_else(|e| {
        panic!("cannot open {url} (is PostgreSQL running? set LATCH_TEST_POSTGRES_URL): {e}")
    })
}
