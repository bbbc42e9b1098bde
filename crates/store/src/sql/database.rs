//! What the SQL body needs from a sqlx database, proved once.
//!
//! sqlx states its abilities per database as trait bounds on concrete types (`i64: Encode<'q, DB>`,
//! `&mut DB::Connection: Executor`, ...). Rust does not carry such bounds from a trait to its users, so
//! generic code would have to repeat them on every impl block. Instead, [`SqlDatabase`] turns them into
//! methods, implemented once for every database that has them; [`ReadColumn`] does the same for
//! decoding a column, and [`SqlRow`] names the column types the store reads.

use std::future::Future;
use std::pin::Pin;

use latch_domain::Id;
use sqlx::query::Query;
use sqlx::{ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments, Row, Type};

/// sqlx's boxed query future, sendable across threads.
pub type BoxFuture<'e, T> = Pin<Box<dyn Future<Output = T> + Send + 'e>>;

type SqlxQuery<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A statement parameter: the value types the store binds.
#[derive(Clone)]
pub enum Param<'q> {
    Int(Option<i64>),
    Bool(bool),
    Text(Option<&'q str>),
    OwnedText(String),
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param<'_> {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}

impl<K> From<Id<K>> for Param<'_> {
    fn from(id: Id<K>) -> Self {
        Param::Int(Some(id.get()))
    }
}

impl<K> From<Option<Id<K>>> for Param<'_> {
    fn from(id: Option<Id<K>>) -> Self {
        Param::Int(id.map(Id::get))
    }
}

impl From<bool> for Param<'_> {
    fn from(value: bool) -> Self {
        Param::Bool(value)
    }
}

impl<'q> From<&'q str> for Param<'q> {
    fn from(value: &'q str) -> Self {
        Param::Text(Some(value))
    }
}

impl<'q> From<&'q String> for Param<'q> {
    fn from(value: &'q String) -> Self {
        Param::Text(Some(value))
    }
}

impl<'q> From<Option<&'q str>> for Param<'q> {
    fn from(value: Option<&'q str>) -> Self {
        Param::Text(value)
    }
}

impl<'q> From<&'q Option<String>> for Param<'q> {
    fn from(value: &'q Option<String>) -> Self {
        Param::Text(value.as_deref())
    }
}

impl From<String> for Param<'_> {
    fn from(value: String) -> Self {
        Param::OwnedText(value)
    }
}

/// A sqlx database able to run the store's statements and decode its rows.
pub trait SqlDatabase: Database<Row: SqlRow> + sqlx::database::HasStatementCache {
    fn bind<'q>(query: SqlxQuery<'q, Self>, param: Param<'q>) -> SqlxQuery<'q, Self>;

    fn fetch_all<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Vec<Self::Row>>>;

    fn fetch_optional<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Option<Self::Row>>>;

    fn fetch_one<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Self::Row>>;

    fn execute<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Self::QueryResult>>;
}

impl<DB> SqlDatabase for DB
where
    DB: Database<Row: SqlRow> + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    Option<i64>: Type<DB> + for<'q> Encode<'q, DB>,
    bool: Type<DB> + for<'q> Encode<'q, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB>,
    for<'q> Option<&'q str>: Type<DB> + Encode<'q, DB>,
{
    fn bind<'q>(query: SqlxQuery<'q, Self>, param: Param<'q>) -> SqlxQuery<'q, Self> {
        match param {
            Param::Int(value) => query.bind(value),
            Param::Bool(value) => query.bind(value),
            Param::Text(value) => query.bind(value),
            Param::OwnedText(value) => query.bind(value),
        }
    }

    fn fetch_all<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Vec<Self::Row>>> {
        conn.fetch_all(query)
    }

    fn fetch_optional<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Option<Self::Row>>> {
        conn.fetch_optional(query)
    }

    fn fetch_one<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Self::Row>> {
        conn.fetch_one(query)
    }

    fn execute<'e, 'q: 'e>(
        conn: &'e mut Self::Connection,
        query: SqlxQuery<'q, Self>,
    ) -> BoxFuture<'e, sqlx::Result<Self::QueryResult>> {
        conn.execute(query)
    }
}

/// A statement with its parameters, run on a connection of its database.
pub struct Statement<'q, DB: SqlDatabase>(SqlxQuery<'q, DB>);

/// Starts a statement; its database is the one of the connection it runs on.
pub fn query<DB: SqlDatabase>(sql: &str) -> Statement<'_, DB> {
    Statement(sqlx::query(sql))
}

impl<'q, DB: SqlDatabase> Statement<'q, DB> {
    pub fn bind(self, value: impl Into<Param<'q>>) -> Self {
        Statement(DB::bind(self.0, value.into()))
    }

    /// Planned for each run's values rather than once for any: a vendor's filters match shares of
    /// the rows that differ widely (1 % of licenses disabled, 99 % enabled), and PostgreSQL's plan
    /// for unknown values reads the whole table where the index finds the 1 % at once.
    pub fn planned_per_run(self) -> Self {
        Statement(self.0.persistent(false))
    }

    /// Not kept among the connection's prepared statements: its text is made for one batch.
    pub fn used_once(self) -> Self {
        Statement(self.0.persistent(false))
    }

    pub fn fetch_all<'e, C>(self, conn: &'e mut C) -> BoxFuture<'e, sqlx::Result<Vec<DB::Row>>>
    where
        C: Connection<Database = DB>,
        DB: Database<Connection = C>,
        'q: 'e,
    {
        DB::fetch_all(conn, self.0)
    }

    pub fn fetch_optional<'e, C>(
        self,
        conn: &'e mut C,
    ) -> BoxFuture<'e, sqlx::Result<Option<DB::Row>>>
    where
        C: Connection<Database = DB>,
        DB: Database<Connection = C>,
        'q: 'e,
    {
        DB::fetch_optional(conn, self.0)
    }

    pub fn fetch_one<'e, C>(self, conn: &'e mut C) -> BoxFuture<'e, sqlx::Result<DB::Row>>
    where
        C: Connection<Database = DB>,
        DB: Database<Connection = C>,
        'q: 'e,
    {
        DB::fetch_one(conn, self.0)
    }

    pub fn execute<'e, C>(self, conn: &'e mut C) -> BoxFuture<'e, sqlx::Result<DB::QueryResult>>
    where
        C: Connection<Database = DB>,
        DB: Database<Connection = C>,
        'q: 'e,
    {
        DB::execute(conn, self.0)
    }
}

/// Reads one column as `T`, by name or by position.
pub trait ReadColumn<T> {
    fn read(&self, name: &str) -> sqlx::Result<T>;
    fn read_at(&self, index: usize) -> sqlx::Result<T>;
}

impl<R, T> ReadColumn<T> for R
where
    R: Row,
    T: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
    usize: ColumnIndex<R>,
{
    fn read(&self, name: &str) -> sqlx::Result<T> {
        self.try_get(name)
    }

    fn read_at(&self, index: usize) -> sqlx::Result<T> {
        self.try_get(index)
    }
}

/// A row with every column type the store reads.
pub trait SqlRow:
    ReadColumn<i64>
    + ReadColumn<Option<i64>>
    + ReadColumn<bool>
    + ReadColumn<String>
    + ReadColumn<Option<String>>
{
}

impl<R> SqlRow for R where
    R: ReadColumn<i64>
        + ReadColumn<Option<i64>>
        + ReadColumn<bool>
        + ReadColumn<String>
        + ReadColumn<Option<String>>
{
}
