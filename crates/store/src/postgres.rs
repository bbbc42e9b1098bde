//! PostgreSQL: several stateless Latch nodes on one database. Limits are guarded by `SELECT ... FOR
//! UPDATE` on the license row inside each limit-changing transaction.

use std::future::Future;
use std::sync::Arc;

use sqlx::postgres::{PgPoolOptions, PgQueryResult};
use sqlx::{Connection, Executor, Pool, Postgres, Transaction};

use crate::changes::LicenseChanges;
use crate::secrets::SecretBox;
use crate::sql::{Backend, SqlStore};
use crate::StoreResult;

pub type PostgresStore = SqlStore<Postgres>;

impl Backend for Postgres {
    // NO KEY UPDATE: lockers of a license row still exclude one another, but a row that references
    // the license (a device updated twice in one write-behind batch takes a foreign-key KEY SHARE lock
    // on its license) is not blocked, which would deadlock against the batch.
    const LOCK_LICENSE: &'static str = " FOR NO KEY UPDATE OF l";
    const LOCK_ROW: &'static str = " FOR NO KEY UPDATE";

    fn begin_write(
        writer: &Pool<Self>,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self>>> + Send {
        writer.begin()
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    // Notifications leave no log behind.
    const TRIM_CHANGE_LOG: Option<&'static str> = None;

    async fn watch_changes(pool: &Pool<Self>) -> StoreResult<Arc<dyn LicenseChanges>> {
        Ok(crate::changes::postgres::listen(pool.clone()).await?)
    }

    const CLAIM_ROWS: &'static str = " FOR NO KEY UPDATE SKIP LOCKED";

    const BYTE_ORDER: &'static str = " COLLATE \"C\"";

    fn push_parameter(sql: &mut String, number: usize) {
        use std::fmt::Write as _;
        let _ = write!(sql, "${number}");
    }
}

impl SqlStore<Postgres> {
    /// Connects; with `schema`, every table lives in that schema (created if missing), so several
    /// deployments or test runs can share one database.
    pub async fn connect(
        database_url: &str,
        schema: Option<&str>,
        pool_size: u32,
        secrets: SecretBox,
    ) -> StoreResult<Self> {
        let mut options = PgPoolOptions::new().max_connections(pool_size.max(1));
        if let Some(schema) = schema {
            let quoted = quote_identifier(schema);
            let setup = sqlx::PgConnection::connect(database_url).await?;
            create_schema(setup, &quoted).await?;
            options = options.after_connect(move |conn, _| {
                let set_path = format!("SET search_path TO {quoted}");
                Box::pin(async move {
                    conn.execute(set_path.as_str()).await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(database_url).await?;
        // sqlx holds a PostgreSQL advisory lock while migrating, so nodes starting together take turns.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self::new(pool.clone(), pool, secrets))
    }
}

/// `"name"` with inner quotes doubled: any schema name is safe to splice into SQL.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn create_schema(mut conn: sqlx::PgConnection, quoted: &str) -> StoreResult<()> {
    // Concurrent starts may race to create it; the unique violation of the loser is harmless.
    if let Err(error) = conn
        .execute(format!("CREATE SCHEMA IF NOT EXISTS {quoted}").as_str())
        .await
    {
        let duplicate = matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation());
        if !duplicate {
            return Err(error.into());
        }
    }
    conn.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(super::quote_identifier("t1"), "\"t1\"");
        assert_eq!(super::quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
