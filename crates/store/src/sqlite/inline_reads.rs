//! `check_license`'s one read on SQLite, run on the calling thread through rusqlite.
//!
//! sqlx-sqlite runs each connection on a thread of its own and hands every query to it and back: for
//! the lookup, that hand-off and sqlx's row handling cost about four times what SQLite itself spends
//! (docs/PERFORMANCE.md). Here the same statement runs inline on a small set of read-only connections
//! and its rows are copied into [`CopiedRow`]s, which the store's row decoders read like sqlx rows.
//! Inline rather than behind `spawn_blocking` or `block_in_place`, which hand off again: in WAL mode a
//! reader never waits for the writer, so the call costs what SQLite's work costs (tens of microseconds,
//! less than the RSA signature the same request may make on this thread).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::{ToSql, Value};
use rusqlite::{Connection, OpenFlags};

use crate::sql::ReadColumn;

/// Connections kept open between reads; more are opened while more reads run at once.
const IDLE_CONNECTIONS: usize = 4;

pub(crate) struct InlineReader {
    database: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Each statement's column positions by name, learned on its first run.
    columns: Mutex<HashMap<String, Arc<ColumnIndex>>>,
}

type ColumnIndex = HashMap<String, usize>;

/// One result row, every column copied out.
pub(crate) struct CopiedRow {
    columns: Arc<ColumnIndex>,
    values: Vec<Value>,
}

impl InlineReader {
    /// Opens the first connection now, so a database that cannot be read fails at start-up.
    pub(crate) fn open(database: &Path) -> rusqlite::Result<Self> {
        let first = open_reader(database)?;
        Ok(Self {
            database: database.to_owned(),
            idle: Mutex::new(vec![first]),
            columns: Mutex::new(HashMap::new()),
        })
    }

    /// Runs `sql` with named parameters (`$1`, `$2`, ...) and copies out every row.
    pub(crate) fn query(
        &self,
        sql: &str,
        params: &[(&str, &dyn ToSql)],
    ) -> rusqlite::Result<Vec<CopiedRow>> {
        let connection = match self.idle.lock().expect("reader connections lock").pop() {
            Some(connection) => connection,
            None => open_reader(&self.database)?,
        };
        let rows = self.query_on(&connection, sql, params);
        let mut idle = self.idle.lock().expect("reader connections lock");
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(connection);
        }
        rows
    }

    fn query_on(
        &self,
        connection: &Connection,
        sql: &str,
        params: &[(&str, &dyn ToSql)],
    ) -> rusqlite::Result<Vec<CopiedRow>> {
        let mut statement = connection.prepare_cached(sql)?;
        let columns = self.column_index(sql, &statement);
        let mut rows = statement.query(params)?;
        let mut copied = Vec::new();
        while let Some(row) = rows.next()? {
            let values = (0..columns.len())
                .map(|column| row.get_ref(column).map(Value::from))
                .collect::<rusqlite::Result<_>>()?;
            copied.push(CopiedRow {
                columns: columns.clone(),
                values,
            });
        }
        Ok(copied)
    }

    fn column_index(&self, sql: &str, statement: &rusqlite::Statement<'_>) -> Arc<ColumnIndex> {
        let mut known = self.columns.lock().expect("column index lock");
        if let Some(columns) = known.get(sql) {
            return columns.clone();
        }
        let columns: Arc<ColumnIndex> = Arc::new(
            statement
                .column_names()
                .into_iter()
                .enumerate()
                .map(|(index, name)| (name.to_owned(), index))
                .collect(),
        );
        known.insert(sql.to_owned(), columns.clone());
        columns
    }
}

/// A read-only connection with the reader pool's settings: WAL (set by the writer), a 16 MiB page cache.
fn open_reader(database: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(Duration::from_secs(10))?;
    connection.pragma_update(None, "cache_size", -16384)?;
    connection.set_prepared_statement_cache_capacity(16);
    Ok(connection)
}

impl CopiedRow {
    fn value(&self, name: &str) -> sqlx::Result<&Value> {
        self.columns
            .get(name)
            .and_then(|&index| self.values.get(index))
            .ok_or_else(|| sqlx::Error::ColumnNotFound(name.to_owned()))
    }

    fn value_at(&self, index: usize) -> sqlx::Result<&Value> {
        self.values
            .get(index)
            .ok_or(sqlx::Error::ColumnIndexOutOfBounds {
                index,
                len: self.values.len(),
            })
    }
}

/// How one SQLite value becomes the Rust type a decoder asks for, as sqlx-sqlite decodes it.
trait FromValue: Sized {
    fn from_value(value: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Integer(integer) => Some(*integer),
            _ => None,
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Option<Self> {
        i64::from_value(value).map(|integer| integer != 0)
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

fn decoded<T: FromValue>(value: &Value, column: &dyn std::fmt::Display) -> sqlx::Result<T> {
    T::from_value(value).ok_or_else(|| {
        sqlx::Error::Decode(
            format!(
                "column {column}: cannot read {value:?} as {}",
                std::any::type_name::<T>()
            )
            .into(),
        )
    })
}

impl<T: FromValue> ReadColumn<T> for CopiedRow {
    fn read(&self, name: &str) -> sqlx::Result<T> {
        decoded(self.value(name)?, &name)
    }

    fn read_at(&self, index: usize) -> sqlx::Result<T> {
        decoded(self.value_at(index)?, &index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader_with_table() -> (tempfile::TempDir, InlineReader) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; \
                 CREATE TABLE t (id INTEGER, name TEXT, flag INTEGER, note TEXT); \
                 INSERT INTO t VALUES (7, 'seven', 1, NULL), (8, 'eight', 0, 'x');",
            )
            .unwrap();
        let reader = InlineReader::open(&path).unwrap();
        (dir, reader)
    }

    #[test]
    fn rows_read_like_sqlx_rows() {
        let (_dir, reader) = reader_with_table();
        let rows = reader
            .query(
                "SELECT id AS t_id, name, flag, note FROM t WHERE id >= $1 ORDER BY id",
                &[("$1", &7_i64)],
            )
            .unwrap();
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!(ReadColumn::<i64>::read(first, "t_id").unwrap(), 7);
        assert_eq!(ReadColumn::<i64>::read_at(first, 0).unwrap(), 7);
        assert_eq!(ReadColumn::<String>::read(first, "name").unwrap(), "seven");
        assert!(ReadColumn::<bool>::read(first, "flag").unwrap());
        assert!(!ReadColumn::<bool>::read(&rows[1], "flag").unwrap());
        assert_eq!(
            ReadColumn::<Option<String>>::read(first, "note").unwrap(),
            None
        );
        assert_eq!(
            ReadColumn::<Option<String>>::read(&rows[1], "note").unwrap(),
            Some("x".to_owned())
        );
    }

    #[test]
    fn a_wrong_type_or_an_unknown_column_is_an_error_not_a_panic() {
        let (_dir, reader) = reader_with_table();
        let rows = reader
            .query(
                "SELECT id, name, note FROM t WHERE id = $1",
                &[("$1", &7_i64)],
            )
            .unwrap();
        assert!(matches!(
            ReadColumn::<i64>::read(&rows[0], "name"),
            Err(sqlx::Error::Decode(_))
        ));
        assert!(matches!(
            ReadColumn::<String>::read(&rows[0], "note"),
            Err(sqlx::Error::Decode(_))
        ));
        assert!(matches!(
            ReadColumn::<i64>::read(&rows[0], "missing"),
            Err(sqlx::Error::ColumnNotFound(_))
        ));
        assert!(matches!(
            ReadColumn::<i64>::read_at(&rows[0], 9),
            Err(sqlx::Error::ColumnIndexOutOfBounds { .. })
        ));
    }

    #[test]
    fn concurrent_reads_open_more_connections_and_keep_a_few() {
        let (_dir, reader) = reader_with_table();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let rows = reader.query("SELECT id FROM t", &[]).unwrap();
                        assert_eq!(rows.len(), 2);
                    }
                });
            }
        });
        let idle = reader.idle.lock().unwrap().len();
        assert!((1..=IDLE_CONNECTIONS).contains(&idle), "{idle} idle");
    }
}
