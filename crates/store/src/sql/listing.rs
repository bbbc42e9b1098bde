//! Paginated lists for vendors: newest first, with the id as the order so pages never overlap.

use async_trait::async_trait;
use latch_domain::CompanyId;

use super::database::{query, Param, ReadColumn};
use super::rows::{customer_from_row, license_from_row, product_from_row, user_from_row};
use super::tenant::{company_from_row, API_KEY_COLUMNS, COMPANY_COLUMNS};
use super::{Backend, SqlStore, CUSTOMER_COLUMNS, LICENSE_COLUMNS, PRODUCT_COLUMNS, USER_COLUMNS};
use crate::query::{Condition, ListQuery, Lookup, Ordering, Value};
use crate::*;

/// A listing's statements: the count of matching rows and one page of them.
struct ListingSql {
    count: String,
    page: String,
}

impl ListingSql {
    /// `SELECT {columns} FROM {table} WHERE {conditions} ORDER BY {order}` and its count, which stops
    /// at `count_limit` rows when given; the conditions use `$1..$n`, the page's LIMIT and OFFSET take
    /// the next two placeholders.
    fn new(
        columns: &str,
        from: &str,
        order: &str,
        conditions: &Conditions,
        count_limit: Option<u64>,
    ) -> Self {
        let parameters = conditions.values.len();
        let conditions = conditions.parts.join(" AND ");
        let count = match count_limit {
            Some(limit) => format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {conditions} LIMIT {limit}) AS counted"
            ),
            None => format!("SELECT COUNT(*) FROM {from} WHERE {conditions}"),
        };
        Self {
            count,
            page: format!(
                "SELECT {columns} FROM {from} WHERE {conditions} ORDER BY {order} LIMIT ${} OFFSET ${}",
                parameters + 1,
                parameters + 2
            ),
        }
    }
}

/// A listing's conditions and their values, in placeholder order.
#[derive(Default)]
pub(super) struct Conditions<'a> {
    parts: Vec<String>,
    values: Vec<Param<'a>>,
    /// The backend's [`Backend::BYTE_ORDER`], for the prefix ranges of vendors' conditions.
    byte_order: &'static str,
}

impl<'a> Conditions<'a> {
    /// Conditions on the backend `DB`.
    fn of<DB: Backend>() -> Self {
        Self {
            byte_order: DB::BYTE_ORDER,
            ..Self::default()
        }
    }

    /// Adds a condition whose each `?` takes the next placeholder number and the next of `values`.
    pub(super) fn add(&mut self, condition: &str, values: Vec<Param<'a>>) {
        let numbered = self.number(condition, values);
        self.parts.push(numbered);
    }

    fn number(&mut self, condition: &str, values: Vec<Param<'a>>) -> String {
        let mut numbered = String::new();
        for (part, value) in condition
            .split('?')
            .zip(values.into_iter().map(Some).chain([None]))
        {
            numbered.push_str(part);
            if let Some(value) = value {
                self.values.push(value);
                numbered.push_str(&format!("${}", self.values.len()));
            }
        }
        numbered
    }

    /// Conditions that hold for every row (a listing without any).
    fn always(mut self) -> Self {
        self.parts.push("TRUE".to_owned());
        self
    }

    /// Adds a vendor's condition on one of a listing's fields.
    pub(super) fn add_query(&mut self, condition: &'a Condition) {
        let field = condition.field;
        let (sql, values) = comparison(
            field.sql,
            condition.lookup,
            &condition.value,
            self.byte_order,
        );
        let sql = match field.related {
            Some(exists) => exists.replace("{}", &sql),
            None => sql,
        };
        self.add(&sql, values);
    }
}

const DAY_MILLIS: i64 = 86_400_000;

/// `expression` compared with `value` by `lookup`, with `?` for each value; `byte_order` makes a
/// prefix range compare bytes.
fn comparison<'a>(
    expression: &str,
    lookup: Lookup,
    value: &'a Value,
    byte_order: &str,
) -> (String, Vec<Param<'a>>) {
    let param = |value: &'a Value| -> Param<'a> {
        match value {
            Value::Int(number) => (*number).into(),
            Value::Text(text) => text.as_str().into(),
            Value::Bool(flag) => (*flag).into(),
            Value::List(_) => Param::Int(None),
        }
    };
    let shifted = |days: i64| match value {
        Value::Int(start) => Param::from(start.saturating_add(days * DAY_MILLIS)),
        other => param(other),
    };
    let text = match value {
        Value::Text(text) => text.as_str(),
        _ => "",
    };
    match lookup {
        Lookup::Exact => (format!("{expression} = ?"), vec![param(value)]),
        Lookup::Not => (
            format!("({expression} IS NULL OR {expression} <> ?)"),
            vec![param(value)],
        ),
        Lookup::IExact => (
            format!("lower({expression}) = ?"),
            vec![Param::OwnedText(text.to_lowercase())],
        ),
        Lookup::IContains => (
            format!("lower({expression}) LIKE ? ESCAPE '\\'"),
            vec![Param::OwnedText(format!(
                "%{}%",
                escape_like(&text.to_lowercase())
            ))],
        ),
        // A range of texts rather than LIKE, which folds case on SQLite but not on PostgreSQL, and
        // rather than substr(), which no index serves: every text that starts with the prefix sorts
        // at or after it and before the prefix with its last character raised.
        Lookup::StartsWith => {
            let compared = format!("{expression}{byte_order}");
            match prefix_end(text) {
                Some(end) => (
                    format!("({compared} >= ? AND {compared} < ?)"),
                    vec![text.into(), Param::OwnedText(end)],
                ),
                None => (format!("{compared} >= ?"), vec![text.into()]),
            }
        }
        Lookup::In => {
            let items = match value {
                Value::List(items) => items.as_slice(),
                single => std::slice::from_ref(single),
            };
            if items.is_empty() {
                return ("FALSE".to_owned(), Vec::new());
            }
            let marks = vec!["?"; items.len()].join(", ");
            (
                format!("{expression} IN ({marks})"),
                items.iter().map(param).collect(),
            )
        }
        Lookup::Gt => (format!("{expression} > ?"), vec![param(value)]),
        Lookup::Gte => (format!("{expression} >= ?"), vec![param(value)]),
        Lookup::Lt => (format!("{expression} < ?"), vec![param(value)]),
        Lookup::Lte => (format!("{expression} <= ?"), vec![param(value)]),
        Lookup::DateGt => (format!("{expression} >= ?"), vec![shifted(1)]),
        Lookup::DateGte => (format!("{expression} >= ?"), vec![shifted(0)]),
        Lookup::DateLt => (format!("{expression} < ?"), vec![shifted(0)]),
        Lookup::DateLte => (format!("{expression} < ?"), vec![shifted(1)]),
        Lookup::IsNull => match value {
            Value::Bool(false) => (format!("{expression} IS NOT NULL"), Vec::new()),
            _ => (format!("{expression} IS NULL"), Vec::new()),
        },
    }
}

/// The first text after every text that starts with `prefix`: the prefix with its last character
/// raised by one (dropping last characters that cannot be raised); `None` when no text is after them.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut end: Vec<char> = prefix.chars().collect();
    while let Some(last) = end.pop() {
        // The next character, stepping over the UTF-16 surrogates, which are no characters.
        if let Some(next) = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32) {
            end.push(next);
            return Some(end.into_iter().collect());
        }
    }
    None
}

/// `text` with LIKE's wildcards escaped by a backslash.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// A listing over one table (and its joins), scoped to a company.
pub(super) struct Table {
    pub columns: &'static str,
    pub from: &'static str,
    /// The column that holds the company id.
    pub company: &'static str,
    /// The row id: the default order (newest first) and every order's tie-break.
    pub id: &'static str,
}

impl Table {
    fn sql(
        &self,
        conditions: &Conditions,
        order: Option<&Ordering>,
        count_limit: Option<u64>,
    ) -> ListingSql {
        let order = match order {
            Some(Ordering { field, descending }) => {
                let direction = if *descending { "DESC" } else { "ASC" };
                format!("{} {direction}, {} {direction}", field.sql, self.id)
            }
            None => format!("{} DESC", self.id),
        };
        ListingSql::new(self.columns, self.from, &order, conditions, count_limit)
    }
}

/// A license listing's conditions and their values, in placeholder order.
fn license_conditions(company_id: CompanyId, filter: &LicenseFilter) -> Conditions<'_> {
    let mut conditions = Conditions::default();
    conditions.add("l.company_id = ?", vec![company_id.into()]);
    if let Some(product_id) = filter.product_id {
        conditions.add("l.product_id = ?", vec![product_id.into()]);
    }
    if let Some(customer_id) = filter.customer_id {
        conditions.add("l.customer_id = ?", vec![customer_id.into()]);
    }
    if let Some(enabled) = filter.enabled {
        conditions.add("l.enabled = ?", vec![enabled.into()]);
    }
    if let Some(prefix) = &filter.key_prefix {
        // The key's first characters compared exactly: LIKE folds case on SQLite but not on PostgreSQL.
        let length = prefix.chars().count() as i64;
        conditions.add(
            "substr(l.license_key, 1, CAST(? AS INTEGER)) = ?",
            vec![length.into(), prefix.as_str().into()],
        );
    }
    conditions
}

impl<DB: Backend> SqlStore<DB> {
    /// Runs a listing's count and page with the same condition values.
    async fn list<T>(
        &self,
        sql: &ListingSql,
        conditions: Conditions<'_>,
        page: Page,
        decode: impl Fn(&DB::Row) -> StoreResult<T>,
    ) -> StoreResult<Listing<T>> {
        let mut conn = self.reader.acquire().await?;
        let mut count = query(&sql.count).planned_per_run();
        let mut rows = query(&sql.page).planned_per_run();
        for value in conditions.values {
            count = count.bind(value.clone());
            rows = rows.bind(value);
        }
        let total: i64 = count.fetch_one(&mut *conn).await?.read_at(0)?;
        let rows = rows
            .bind(i64::from(page.limit))
            .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .fetch_all(&mut *conn)
            .await?;
        let items = rows.iter().map(decode).collect::<StoreResult<_>>()?;
        Ok(Listing { total, items })
    }

    /// One page of a company's rows of `table` that match a vendor's query.
    pub(super) async fn list_matching<T>(
        &self,
        table: &Table,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
        decode: impl Fn(&DB::Row) -> StoreResult<T>,
    ) -> StoreResult<Listing<T>> {
        self.list_matching_counted(table, company_id, list_query, page, None, decode)
            .await
    }

    /// [`Self::list_matching`] with a total that stops at `count_limit` rows when given.
    pub(super) async fn list_matching_counted<T>(
        &self,
        table: &Table,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
        count_limit: Option<u64>,
        decode: impl Fn(&DB::Row) -> StoreResult<T>,
    ) -> StoreResult<Listing<T>> {
        let mut conditions = Conditions::of::<DB>();
        conditions.add(&format!("{} = ?", table.company), vec![company_id.into()]);
        for condition in &list_query.conditions {
            conditions.add_query(condition);
        }
        let sql = table.sql(&conditions, list_query.order.as_ref(), count_limit);
        self.list(&sql, conditions, page, decode).await
    }

    /// The ids of a company's rows of `table` that match a vendor's query, above `after`, lowest
    /// first: a keyset walk, without the count and the growing offset of a page.
    pub(super) async fn ids_after(
        &self,
        table: &Table,
        company_id: CompanyId,
        list_query: &ListQuery,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<i64>> {
        let mut conditions = Conditions::of::<DB>();
        conditions.add(&format!("{} = ?", table.company), vec![company_id.into()]);
        for condition in &list_query.conditions {
            conditions.add_query(condition);
        }
        if let Some(after) = after {
            conditions.add(&format!("{} > ?", table.id), vec![after.into()]);
        }
        let sql = format!(
            "SELECT {id} FROM {from} WHERE {conditions} ORDER BY {id} ASC LIMIT ${limit}",
            id = table.id,
            from = table.from,
            conditions = conditions.parts.join(" AND "),
            limit = conditions.values.len() + 1,
        );
        let mut statement = query(&sql).planned_per_run();
        for value in conditions.values {
            statement = statement.bind(value);
        }
        let rows = statement
            .bind(i64::from(limit))
            .fetch_all(&mut *self.reader.acquire().await?)
            .await?;
        rows.iter()
            .map(|row| Ok(row.read_at(0)?))
            .collect::<StoreResult<_>>()
    }

    /// One page of a company's rows of `table`, newest first.
    async fn list_all<T>(
        &self,
        table: &Table,
        company_id: CompanyId,
        page: Page,
        decode: impl Fn(&DB::Row) -> StoreResult<T>,
    ) -> StoreResult<Listing<T>> {
        self.list_matching(table, company_id, &ListQuery::default(), page, decode)
            .await
    }
}

const PRODUCTS: Table = Table {
    columns: PRODUCT_COLUMNS,
    from: "products p",
    company: "p.company_id",
    id: "p.id",
};

const CUSTOMERS: Table = Table {
    columns: CUSTOMER_COLUMNS,
    from: "customers c",
    company: "c.company_id",
    id: "c.id",
};

const LICENSE_USERS: Table = Table {
    columns: USER_COLUMNS,
    from: "license_users u",
    company: "u.company_id",
    id: "u.id",
};

#[async_trait]
impl<DB: Backend> ListingStore for SqlStore<DB> {
    async fn companies(&self, page: Page) -> StoreResult<Listing<Company>> {
        let sql = ListingSql::new(
            COMPANY_COLUMNS,
            "companies",
            "id DESC",
            &Conditions::default().always(),
            None,
        );
        self.list(&sql, Conditions::default(), page, |row| {
            Ok(company_from_row(row)?)
        })
        .await
    }

    async fn api_keys(&self, company_id: CompanyId) -> StoreResult<Vec<ApiKey>> {
        let rows = query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE company_id = $1 ORDER BY id DESC"
        ))
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        rows.iter().map(|row| self.api_key_from_row(row)).collect()
    }

    async fn products(&self, company_id: CompanyId, page: Page) -> StoreResult<Listing<Product>> {
        self.list_all(&PRODUCTS, company_id, page, |row| {
            Ok(product_from_row(row)?)
        })
        .await
    }

    async fn customers(&self, company_id: CompanyId, page: Page) -> StoreResult<Listing<Customer>> {
        self.list_all(&CUSTOMERS, company_id, page, |row| {
            customer_from_row(row)?.ok_or(StoreError::NotFound("customer"))
        })
        .await
    }

    async fn count_customers(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        count_limit: u64,
    ) -> StoreResult<u64> {
        let mut conditions = Conditions::of::<DB>();
        conditions.add(
            &format!("{} = ?", CUSTOMERS.company),
            vec![company_id.into()],
        );
        for condition in &list_query.conditions {
            conditions.add_query(condition);
        }
        // Only the count: no page is wanted.
        let sql = CUSTOMERS.sql(&conditions, None, Some(count_limit));
        let mut count = query(&sql.count).planned_per_run();
        for value in conditions.values {
            count = count.bind(value);
        }
        let total: i64 = count
            .fetch_one(&mut *self.reader.acquire().await?)
            .await?
            .read_at(0)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn license_users(
        &self,
        company_id: CompanyId,
        page: Page,
    ) -> StoreResult<Listing<LicenseUser>> {
        self.list_all(&LICENSE_USERS, company_id, page, |row| {
            let user = user_from_row(row)?.ok_or(StoreError::NotFound("license user"))?;
            self.open_user(user)
        })
        .await
    }

    async fn licenses(
        &self,
        company_id: CompanyId,
        filter: &LicenseFilter,
        page: Page,
    ) -> StoreResult<Listing<License>> {
        let conditions = license_conditions(company_id, filter);
        let sql = ListingSql::new(
            LICENSE_COLUMNS,
            "licenses l",
            "l.id DESC",
            &conditions,
            None,
        );
        self.list(&sql, conditions, page, |row| {
            license_from_row(row)?.ok_or(StoreError::LicenseNotFound)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::fields::EVENT_FIELDS;
    use crate::query::{find_field, Field, FieldKind};
    use latch_domain::ProductId;

    #[test]
    fn license_filters_number_their_placeholders_in_binding_order() {
        let filter = LicenseFilter {
            product_id: Some(ProductId::new(3)),
            customer_id: None,
            key_prefix: Some("AB".into()),
            enabled: Some(true),
        };
        let conditions = license_conditions(CompanyId::new(9), &filter);
        assert_eq!(
            conditions.parts.join(" AND "),
            "l.company_id = $1 AND l.product_id = $2 AND l.enabled = $3 AND \
             substr(l.license_key, 1, CAST($4 AS INTEGER)) = $5"
        );
        assert_eq!(conditions.values.len(), 5);
        let sql = ListingSql::new("l.id", "licenses l", "l.id DESC", &conditions, None);
        assert!(
            sql.page.ends_with("ORDER BY l.id DESC LIMIT $6 OFFSET $7"),
            "{}",
            sql.page
        );
    }

    fn field(name: &str) -> &'static Field {
        find_field(EVENT_FIELDS, name).unwrap()
    }

    fn sql_of(lookup: Lookup, value: Value) -> (String, usize) {
        let condition = Box::leak(Box::new(Condition {
            field: field("event"),
            lookup,
            value,
        }));
        let mut conditions = Conditions::default();
        conditions.add_query(condition);
        (conditions.parts.join(" AND "), conditions.values.len())
    }

    #[test]
    fn each_lookup_compares_as_django_does() {
        let text = || Value::Text("a_b".into());
        assert_eq!(sql_of(Lookup::Exact, text()), ("e.event = $1".into(), 1));
        assert_eq!(
            sql_of(Lookup::Not, text()),
            ("(e.event IS NULL OR e.event <> $1)".into(), 1)
        );
        assert_eq!(
            sql_of(Lookup::IExact, text()),
            ("lower(e.event) = $1".into(), 1)
        );
        assert_eq!(
            sql_of(Lookup::IContains, text()),
            ("lower(e.event) LIKE $1 ESCAPE '\\'".into(), 1)
        );
        assert_eq!(
            sql_of(Lookup::StartsWith, text()),
            ("(e.event >= $1 AND e.event < $2)".into(), 2)
        );
        assert_eq!(
            sql_of(Lookup::In, Value::List(vec![text(), text()])),
            ("e.event IN ($1, $2)".into(), 2)
        );
        assert_eq!(sql_of(Lookup::In, Value::List(vec![])), ("FALSE".into(), 0));
        assert_eq!(
            sql_of(Lookup::Gt, Value::Int(1)),
            ("e.event > $1".into(), 1)
        );
        assert_eq!(
            sql_of(Lookup::Gte, Value::Int(1)),
            ("e.event >= $1".into(), 1)
        );
        assert_eq!(
            sql_of(Lookup::Lt, Value::Int(1)),
            ("e.event < $1".into(), 1)
        );
        assert_eq!(
            sql_of(Lookup::Lte, Value::Int(1)),
            ("e.event <= $1".into(), 1)
        );
        assert_eq!(
            sql_of(Lookup::IsNull, Value::Bool(true)),
            ("e.event IS NULL".into(), 0)
        );
        assert_eq!(
            sql_of(Lookup::IsNull, Value::Bool(false)),
            ("e.event IS NOT NULL".into(), 0)
        );
    }

    #[test]
    fn date_lookups_compare_with_whole_days() {
        let day = 10 * DAY_MILLIS;
        let bound = |lookup| {
            let (_, values) = comparison("t", lookup, Box::leak(Box::new(Value::Int(day))), "");
            match values[0] {
                Param::Int(Some(value)) => value,
                _ => unreachable!(),
            }
        };
        assert_eq!(bound(Lookup::DateGt), day + DAY_MILLIS);
        assert_eq!(bound(Lookup::DateGte), day);
        assert_eq!(bound(Lookup::DateLt), day);
        assert_eq!(bound(Lookup::DateLte), day + DAY_MILLIS);
    }

    #[test]
    fn a_prefix_ends_before_its_last_character_raised() {
        assert_eq!(prefix_end("ABCD").as_deref(), Some("ABCE"));
        assert_eq!(prefix_end("ZZZZ").as_deref(), Some("ZZZ["));
        assert_eq!(prefix_end("50%_").as_deref(), Some("50%`"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn a_capped_count_stops_at_its_limit() {
        let conditions = Conditions::default().always();
        let sql = ListingSql::new("l.id", "licenses l", "l.id DESC", &conditions, Some(10));
        assert_eq!(
            sql.count,
            "SELECT COUNT(*) FROM (SELECT 1 FROM licenses l WHERE TRUE LIMIT 10) AS counted"
        );
    }

    #[test]
    fn like_wildcards_in_a_search_match_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn related_fields_place_their_condition_inside_exists() {
        static RELATED: Field = Field::related(
            "user",
            "u.email",
            FieldKind::Text,
            "EXISTS (SELECT 1 FROM users u WHERE u.license_id = l.id AND {})",
        );
        let condition = Box::leak(Box::new(Condition {
            field: &RELATED,
            lookup: Lookup::Exact,
            value: Value::Text("x".into()),
        }));
        let mut conditions = Conditions::default();
        conditions.add("l.company_id = ?", vec![Param::from(1i64)]);
        conditions.add_query(condition);
        assert_eq!(
            conditions.parts[1],
            "EXISTS (SELECT 1 FROM users u WHERE u.license_id = l.id AND u.email = $2)"
        );
    }

    #[test]
    fn an_order_breaks_ties_on_the_id() {
        let conditions = Conditions::default().always();
        let order = Ordering {
            field: field("ts"),
            descending: false,
        };
        let sql = PRODUCTS.sql(&conditions, Some(&order), None);
        assert!(
            sql.page.contains("ORDER BY e.ts ASC, p.id ASC"),
            "{}",
            sql.page
        );
    }
}
