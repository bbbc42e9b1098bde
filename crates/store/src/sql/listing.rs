//! Paginated lists for vendors: newest first, with the id as the order so pages never overlap.

use async_trait::async_trait;
use latch_domain::CompanyId;

use super::database::{query, Param, ReadColumn};
use super::rows::{customer_from_row, license_from_row, product_from_row, user_from_row};
use super::tenant::{company_from_row, API_KEY_COLUMNS, COMPANY_COLUMNS};
use super::{Backend, SqlStore, CUSTOMER_COLUMNS, LICENSE_COLUMNS, PRODUCT_COLUMNS, USER_COLUMNS};
use crate::*;

/// A listing's statements: the count of matching rows and one page of them.
struct ListingSql {
    count: String,
    page: String,
}

impl ListingSql {
    /// `SELECT {columns} FROM {table} WHERE {conditions}` and its count; the conditions use `$1..$n`,
    /// the page's LIMIT and OFFSET take the next two placeholders.
    fn new(columns: &str, from: &str, id: &str, conditions: &str, parameters: usize) -> Self {
        Self {
            count: format!("SELECT COUNT(*) FROM {from} WHERE {conditions}"),
            page: format!(
                "SELECT {columns} FROM {from} WHERE {conditions} ORDER BY {id} DESC LIMIT ${} OFFSET ${}",
                parameters + 1,
                parameters + 2
            ),
        }
    }
}

/// A license listing's conditions and their values, in placeholder order.
fn license_conditions<'a>(
    company_id: CompanyId,
    filter: &'a LicenseFilter,
) -> (String, Vec<Param<'a>>) {
    let mut conditions = vec!["l.company_id = $1".to_owned()];
    let mut values = vec![Param::from(company_id)];
    // Each `?` of a condition takes the next placeholder number and the next of its values.
    let mut add = |condition: &str, condition_values: Vec<Param<'a>>| {
        let mut numbered = String::new();
        for (part, value) in condition
            .split('?')
            .zip(condition_values.into_iter().map(Some).chain([None]))
        {
            numbered.push_str(part);
            if let Some(value) = value {
                values.push(value);
                numbered.push_str(&format!("${}", values.len()));
            }
        }
        conditions.push(numbered);
    };
    if let Some(product_id) = filter.product_id {
        add("l.product_id = ?", vec![product_id.into()]);
    }
    if let Some(customer_id) = filter.customer_id {
        add("l.customer_id = ?", vec![customer_id.into()]);
    }
    if let Some(enabled) = filter.enabled {
        add("l.enabled = ?", vec![enabled.into()]);
    }
    if let Some(prefix) = &filter.key_prefix {
        // The key's first characters compared exactly: LIKE folds case on SQLite but not on PostgreSQL.
        let length = prefix.chars().count() as i64;
        add(
            "substr(l.license_key, 1, CAST(? AS INTEGER)) = ?",
            vec![length.into(), prefix.as_str().into()],
        );
    }
    (conditions.join(" AND "), values)
}

impl<DB: Backend> SqlStore<DB> {
    /// Runs a listing's count and page with the same condition values.
    async fn list<T>(
        &self,
        sql: &ListingSql,
        values: Vec<Param<'_>>,
        page: Page,
        decode: impl Fn(&DB::Row) -> StoreResult<T>,
    ) -> StoreResult<Listing<T>> {
        let mut conn = self.reader.acquire().await?;
        let mut count = query(&sql.count);
        let mut rows = query(&sql.page);
        for value in values {
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
}

#[async_trait]
impl<DB: Backend> ListingStore for SqlStore<DB> {
    async fn companies(&self, page: Page) -> StoreResult<Listing<Company>> {
        let sql = ListingSql::new(COMPANY_COLUMNS, "companies", "id", "TRUE", 0);
        self.list(&sql, Vec::new(), page, |row| Ok(company_from_row(row)?))
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
        let sql = ListingSql::new(
            PRODUCT_COLUMNS,
            "products p",
            "p.id",
            "p.company_id = $1",
            1,
        );
        self.list(&sql, vec![company_id.into()], page, |row| {
            Ok(product_from_row(row)?)
        })
        .await
    }

    async fn customers(&self, company_id: CompanyId, page: Page) -> StoreResult<Listing<Customer>> {
        let sql = ListingSql::new(
            CUSTOMER_COLUMNS,
            "customers c",
            "c.id",
            "c.company_id = $1",
            1,
        );
        self.list(&sql, vec![company_id.into()], page, |row| {
            customer_from_row(row)?.ok_or(StoreError::NotFound("customer"))
        })
        .await
    }

    async fn license_users(
        &self,
        company_id: CompanyId,
        page: Page,
    ) -> StoreResult<Listing<LicenseUser>> {
        let sql = ListingSql::new(
            USER_COLUMNS,
            "license_users u",
            "u.id",
            "u.company_id = $1",
            1,
        );
        self.list(&sql, vec![company_id.into()], page, |row| {
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
        let (conditions, values) = license_conditions(company_id, filter);
        let sql = ListingSql::new(
            LICENSE_COLUMNS,
            "licenses l",
            "l.id",
            &conditions,
            values.len(),
        );
        self.list(&sql, values, page, |row| {
            license_from_row(row)?.ok_or(StoreError::LicenseNotFound)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latch_domain::ProductId;

    #[test]
    fn license_filters_number_their_placeholders_in_binding_order() {
        let filter = LicenseFilter {
            product_id: Some(ProductId::new(3)),
            customer_id: None,
            key_prefix: Some("AB".into()),
            enabled: Some(true),
        };
        let (conditions, values) = license_conditions(CompanyId::new(9), &filter);
        assert_eq!(
            conditions,
            "l.company_id = $1 AND l.product_id = $2 AND l.enabled = $3 AND \
             substr(l.license_key, 1, CAST($4 AS INTEGER)) = $5"
        );
        assert_eq!(values.len(), 5);
        let sql = ListingSql::new("l.id", "licenses l", "l.id", &conditions, values.len());
        assert!(
            sql.page.ends_with("ORDER BY l.id DESC LIMIT $6 OFFSET $7"),
            "{}",
            sql.page
        );
    }
}
