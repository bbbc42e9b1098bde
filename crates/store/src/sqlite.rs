//! SQLite: the zero-setup default for one node. WAL lets readers run beside the writer; all writes go
//! through one connection and start with `BEGIN IMMEDIATE`, so a transaction that reads a limit holds
//! the database write lock from its first statement and no two writers interleave.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous, SqliteTransactionManager,
};
use sqlx::{Pool, Sqlite, Transaction, TransactionManager};

mod inline_reads;

pub(crate) use inline_reads::InlineReader;

use crate::changes::sqlite::{SqliteChanges, TRIM_CHANGES};
use crate::changes::LicenseChanges;
use crate::secrets::SecretBox;
use crate::sql::{Backend, SqlStore};
use crate::{SqliteDurability, StoreError, StoreResult};

pub type SqliteStore = SqlStore<Sqlite>;

impl Backend for Sqlite {
    // The write transaction already holds the database lock.
    const LOCK_LICENSE: &'static str = "";
    const LOCK_ROW: &'static str = "";

    fn begin_write(
        writer: &Pool<Self>,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self>>> + Send {
        writer.begin_with("BEGIN IMMEDIATE")
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    const TRIM_CHANGE_LOG: Option<&'static str> = Some(TRIM_CHANGES);

    async fn watch_changes(pool: &Pool<Self>) -> StoreResult<Arc<dyn LicenseChanges>> {
        let database = pool.connect_options().get_filename().to_owned();
        let changes = tokio::task::spawn_blocking(move || SqliteChanges::open(&database))
            .await
            .map_err(|error| StoreError::ChangeFeed(error.to_string()))?
            .map_err(|error| StoreError::ChangeFeed(error.to_string()))?;
        Ok(Arc::new(changes))
    }

    const CLAIM_ROWS: &'static str = "";

    /// BINARY, SQLite's default collation, already compares bytes.
    const BYTE_ORDER: &'static str = "";

    /// Anonymous: SQLite finds a named or numbered one (`$7`) by a linear scan of the statement's
    /// parameters, both when parsing and when binding, so a statement with a thousand costs a million
    /// string comparisons. Parameters in order are the same binding.
    fn push_parameter(sql: &mut String, _number: usize) {
        sql.push('?');
    }
}

impl SqlStore<Sqlite> {
    pub async fn connect(
        database_url: &str,
        durability: SqliteDurability,
        secrets: SecretBox,
    ) -> StoreResult<Self> {
        let synchronous = match durability {
            SqliteDurability::Full => SqliteSynchronous::Full,
            SqliteDurability::Normal => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // A transaction whose rollback failed (a full disk can fail both the commit and the
            // rollback) would leave the connection inside it, refusing every later BEGIN. Such a
            // connection is closed instead of reused; the next one starts clean.
            .before_acquire(|conn, _| {
                Box::pin(
                    async move { Ok(SqliteTransactionManager::get_transaction_depth(conn) == 0) },
                )
            })
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        // Few readers: each sqlx-sqlite connection runs on its own thread, and hand-offs between
        // threads cost more than the reads themselves on a small machine. A 16 MiB page cache each keeps
        // hot licenses and devices in memory without a large resident set.
        let database = options.get_filename().to_owned();
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true).pragma("cache_size", "-16384"))
            .await?;
        let inline = InlineReader::open(&database)?;
        Ok(Self::new(reader, writer, secrets).with_inline_lookups(inline))
    }
}
