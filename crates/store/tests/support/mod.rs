//! Opening a fresh store on each backend: a SQLite file, and a PostgreSQL schema at
//! `LATCH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
// Each test file compiles this module on its own and uses a part of it.
#![allow(dead_code)]

use std::path::Path;

use latch_store::{connect, SecretBox, Store};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool, SqlitePool};

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

/// The test's own connection to its database, beside the store: the PostgreSQL schema is made here.
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// Connects to the test's database; on PostgreSQL, (re)creates its empty schema first.
    pub async fn open(url: &str, schema: Option<&str>) -> Self {
        let Some(schema) = schema else {
            return Self::Sqlite(
                SqlitePool::connect(&format!("{url}?mode=rwc"))
                    .await
                    .unwrap(),
            );
        };
        let admin = PgPool::connect(url).await.unwrap();
        admin
            .execute(
                format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}").as_str(),
            )
            .await
            .unwrap();
        let set_path = format!("SET search_path TO {schema}");
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                let set_path = set_path.clone();
                Box::pin(async move { conn.execute(set_path.as_str()).await.map(drop) })
            })
            .connect(url)
            .await
            .unwrap();
        Self::Postgres(pool)
    }

    pub async fn migrate(&self, migrations: &Path) {
        let migrator = Migrator::new(migrations).await.unwrap();
        match self {
            Self::Sqlite(pool) => migrator.run(pool).await.unwrap(),
            Self::Postgres(pool) => migrator.run(pool).await.unwrap(),
        }
    }

    pub async fn execute(&self, statement: &str) {
        match self {
            Self::Sqlite(pool) => drop(sqlx::query(statement).execute(pool).await.unwrap()),
            Self::Postgres(pool) => drop(sqlx::query(statement).execute(pool).await.unwrap()),
        }
    }

    /// Company 1 with its product 1, `app`, for a test's licenses.
    pub async fn company_and_product(&self) {
        self.execute(
            "INSERT INTO companies (id, name, signing_key, public_key_pem, created_at) \
             VALUES (1, 'Acme', 'sealed', 'PEM', 0)",
        )
        .await;
        self.execute(
            "INSERT INTO products (id, company_id, code, name, created_at) VALUES (1, 1, 'app', 'App', 0)",
        )
        .await;
    }

    /// The rows of a query of two integer columns.
    pub async fn rows(&self, query: &str) -> Vec<(i64, i64)> {
        match self {
            Self::Sqlite(pool) => sqlx::query_as(query).fetch_all(pool).await.unwrap(),
            Self::Postgres(pool) => sqlx::query_as(query).fetch_all(pool).await.unwrap(),
        }
    }
}
