//! Paginated lists for vendors.

macro_rules! sql_listing {
    ($store:ident, $db:ty) => {
        /// The WHERE clause of a license listing: `$1` is the company, each set filter adds the next
        /// placeholder in the order [`bind_license_filter`] binds them.
        fn license_filter_sql(filter: &LicenseFilter) -> String {
            let mut conditions = vec!["l.company_id = $1".to_owned()];
            let mut next = 2;
            let mut add = |condition: &str| {
                let mut numbered = String::new();
                for (i, part) in condition.split('?').enumerate() {
                    if i > 0 {
                        numbered.push_str(&format!("${next}"));
                        next += 1;
                    }
                    numbered.push_str(part);
                }
                conditions.push(numbered);
            };
            if filter.product_id.is_some() {
                add("l.product_id = ?");
            }
            if filter.customer_id.is_some() {
                add("l.customer_id = ?");
            }
            if filter.key_prefix.is_some() {
                // The key's first characters compared exactly: LIKE folds case on SQLite but not on PostgreSQL.
                add("substr(l.license_key, 1, ?) = ?");
            }
            if filter.enabled.is_some() {
                add("l.enabled = ?");
            }
            conditions.join(" AND ")
        }

        #[async_trait::async_trait]
        impl ListingStore for $store {
            async fn companies(&self, page: Page) -> StoreResult<Listing<Company>> {
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies")
                    .fetch_one(&self.reader)
                    .await?;
                let rows = sqlx::query(
                    "SELECT id, name, public_key_pem FROM companies ORDER BY id DESC LIMIT $1 OFFSET $2",
                )
                .bind(i64::from(page.limit))
                .bind(page.offset as i64)
                .fetch_all(&self.reader)
                .await?;
                let items = rows
                    .iter()
                    .map(|row| -> Result<Company, sqlx::Error> {
                        Ok(Company {
                            id: row.try_get("id")?,
                            name: row.try_get("name")?,
                            public_key_pem: row.try_get("public_key_pem")?,
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Listing { total, items })
            }

            async fn api_keys(&self, company_id: i64) -> StoreResult<Vec<ApiKey>> {
                let rows = sqlx::query(
                    "SELECT company_id, api_key, shared_key, read_only, revoked FROM api_keys \
                     WHERE company_id = $1 ORDER BY id DESC",
                )
                .bind(company_id)
                .fetch_all(&self.reader)
                .await?;
                rows.iter()
                    .map(|row| {
                        let sealed: String = row.try_get("shared_key")?;
                        let shared_key = String::from_utf8(self.secrets.open(PURPOSE_SHARED_KEY, &sealed)?)
                            .map_err(|_| secrets::SecretError::Open)?;
                        Ok(ApiKey {
                            company_id: row.try_get("company_id")?,
                            api_key: row.try_get("api_key")?,
                            shared_key,
                            read_only: row.try_get("read_only")?,
                            revoked: row.try_get("revoked")?,
                        })
                    })
                    .collect()
            }

            async fn products(&self, company_id: i64, page: Page) -> StoreResult<Listing<Product>> {
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_one(&self.reader)
                    .await?;
                let rows = sqlx::query(&format!(
                    "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.company_id = $1 \
                     ORDER BY p.id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(company_id)
                .bind(i64::from(page.limit))
                .bind(page.offset as i64)
                .fetch_all(&self.reader)
                .await?;
                let items = rows.iter().map(product_from_row).collect::<Result<_, _>>()?;
                Ok(Listing { total, items })
            }

            async fn customers(&self, company_id: i64, page: Page) -> StoreResult<Listing<Customer>> {
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_one(&self.reader)
                    .await?;
                let rows = sqlx::query(&format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.company_id = $1 \
                     ORDER BY c.id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(company_id)
                .bind(i64::from(page.limit))
                .bind(page.offset as i64)
                .fetch_all(&self.reader)
                .await?;
                Ok(Listing { total, items: collect_rows(&rows, customer_from_row)? })
            }

            async fn license_users(&self, company_id: i64, page: Page) -> StoreResult<Listing<LicenseUser>> {
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM license_users WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_one(&self.reader)
                    .await?;
                let rows = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM license_users u WHERE u.company_id = $1 \
                     ORDER BY u.id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(company_id)
                .bind(i64::from(page.limit))
                .bind(page.offset as i64)
                .fetch_all(&self.reader)
                .await?;
                let items = collect_rows(&rows, user_from_row)?
                    .into_iter()
                    .map(|user| self.open_user(user))
                    .collect::<StoreResult<_>>()?;
                Ok(Listing { total, items })
            }

            async fn licenses(&self, company_id: i64, filter: &LicenseFilter, page: Page) -> StoreResult<Listing<License>> {
                let conditions = license_filter_sql(filter);
                let count_sql = format!("SELECT COUNT(*) FROM licenses l WHERE {conditions}");
                let mut count = sqlx::query_scalar::<_, i64>(&count_sql).bind(company_id);
                let placeholders = conditions.matches('$').count();
                let select = format!(
                    "SELECT {LICENSE_COLUMNS} FROM licenses l WHERE {conditions} \
                     ORDER BY l.id DESC LIMIT ${} OFFSET ${}",
                    placeholders + 1,
                    placeholders + 2
                );
                let mut query = sqlx::query(&select).bind(company_id);
                if let Some(product_id) = filter.product_id {
                    count = count.bind(product_id);
                    query = query.bind(product_id);
                }
                if let Some(customer_id) = filter.customer_id {
                    count = count.bind(customer_id);
                    query = query.bind(customer_id);
                }
                if let Some(prefix) = &filter.key_prefix {
                    let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
                    count = count.bind(length).bind(prefix);
                    query = query.bind(length).bind(prefix);
                }
                if let Some(enabled) = filter.enabled {
                    count = count.bind(enabled);
                    query = query.bind(enabled);
                }
                let total = count.fetch_one(&self.reader).await?;
                let rows = query
                    .bind(i64::from(page.limit))
                    .bind(page.offset as i64)
                    .fetch_all(&self.reader)
                    .await?;
                Ok(Listing { total, items: collect_rows(&rows, license_from_row)? })
            }
        }
    };
}

pub(crate) use sql_listing;
