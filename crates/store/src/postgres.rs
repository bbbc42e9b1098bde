//! PostgreSQL: several stateless Latch nodes on one database. Limits are guarded by `SELECT ... FOR
//! UPDATE` on the license row inside each limit-changing transaction.

use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres, Transaction};

use crate::secrets::SecretBox;
use crate::sql::impl_sql_store;
use crate::StoreResult;

pub struct PostgresStore {
    reader: PgPool,
    writer: PgPool,
    secrets: SecretBox,
}

impl PostgresStore {
    pub async fn connect(database_url: &str, secrets: SecretBox) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(database_url)
            .await?;
        // sqlx holds a PostgreSQL advisory lock while migrating, so nodes starting together take turns.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            reader: pool.clone(),
            writer: pool,
            secrets,
        })
    }

    async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.writer.begin().await?)
    }
}

impl_sql_store!(
    PostgresStore,
    Postgres,
    sqlx::postgres::PgRow,
    lock_license = " FOR UPDATE OF l"
);
