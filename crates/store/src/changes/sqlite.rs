//! SQLite's change stream: `PRAGMA data_version` says whether any other connection committed since the
//! last look; the `license_changes` log says which licenses.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use latch_domain::LicenseId;
use rusqlite::{Connection, OpenFlags};

use super::{ChangeLog, LicenseChanges, Stamp};

/// Keeps the newest 100,000 rows of the log: a node that falls further behind than that drops its whole
/// cache (it sees the gap).
pub(crate) const TRIM_CHANGES: &str =
    "DELETE FROM license_changes WHERE seq <= (SELECT MAX(seq) FROM license_changes) - 100000";

/// Reads the change stream on its own connection. rusqlite rather than sqlx: this runs before every
/// cached answer, and a call on the request's thread costs microseconds where a hand-off to sqlx's
/// connection thread costs tens of them.
pub(crate) struct SqliteChanges {
    watcher: Mutex<Watcher>,
    /// Looks at the database begun so far, counted under the watcher's lock. A caller that finds it
    /// grown once it holds the lock knows that a look begun after it arrived has finished, and that
    /// look saw every commit made before the caller arrived: concurrent checks share one look.
    looks_begun: AtomicU64,
    log: ChangeLog,
}

struct Watcher {
    connection: Connection,
    data_version: i64,
    last_seq: i64,
}

impl SqliteChanges {
    pub(crate) fn open(database: &Path) -> rusqlite::Result<Self> {
        let connection = Connection::open_with_flags(
            database,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_secs(10))?;
        let data_version = read_data_version(&connection)?;
        let last_seq = connection.query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM license_changes",
            [],
            |row| row.get(0),
        )?;
        Ok(Self {
            watcher: Mutex::new(Watcher {
                connection,
                data_version,
                last_seq,
            }),
            looks_begun: AtomicU64::new(0),
            log: ChangeLog::default(),
        })
    }

    fn read_new_changes(&self, watcher: &mut Watcher) -> rusqlite::Result<()> {
        let data_version = read_data_version(&watcher.connection)?;
        if data_version == watcher.data_version {
            return Ok(());
        }
        let mut statement = watcher.connection.prepare_cached(
            "SELECT seq, license_id FROM license_changes WHERE seq > ?1 ORDER BY seq",
        )?;
        let rows: Vec<(i64, i64)> = statement
            .query_map([watcher.last_seq], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        drop(statement);
        if rows
            .first()
            .is_some_and(|(seq, _)| *seq > watcher.last_seq + 1)
        {
            // Rows were pruned before this node read them: some changes are unknown.
            self.log.forget_all();
        }
        self.log.record(
            rows.iter()
                .map(|(_, license_id)| LicenseId::new(*license_id)),
            Instant::now(),
        );
        if let Some((seq, _)) = rows.last() {
            watcher.last_seq = *seq;
        }
        watcher.data_version = data_version;
        Ok(())
    }
}

fn read_data_version(connection: &Connection) -> rusqlite::Result<i64> {
    // Prepared once per connection: this runs before every cached check answer.
    connection
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))
}

#[async_trait::async_trait]
impl LicenseChanges for SqliteChanges {
    // Every commit is seen by the next catch_up: there is nothing to wait for.
    async fn barrier(&self) {}

    fn catch_up(&self) {
        let looks_before_arrival = self.looks_begun.load(Ordering::SeqCst);
        let mut watcher = self.watcher.lock().expect("change watcher lock");
        if self.looks_begun.load(Ordering::SeqCst) != looks_before_arrival {
            return;
        }
        self.looks_begun.fetch_add(1, Ordering::SeqCst);
        if let Err(error) = self.read_new_changes(&mut watcher) {
            // Every cached read becomes stale; the next look tries again.
            tracing::warn!(%error, "reading the license change log failed");
            self.log.forget_all();
        }
    }

    fn stamp(&self) -> Option<Stamp> {
        Some(self.log.stamp())
    }

    fn is_current(&self, license_id: LicenseId, stamp: Stamp) -> bool {
        self.log.is_current(license_id, stamp)
    }
}
