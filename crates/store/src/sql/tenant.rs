//! Companies and API keys.

macro_rules! sql_tenant {
    ($store:ident) => {
        const PURPOSE_SIGNING_KEY: &str = "company.signing_key";
        const PURPOSE_SHARED_KEY: &str = "api_key.shared_key";

        /// Every sealed column: table, key column, secret column, purpose.
        const SEALED_COLUMNS: [(&str, &str, &str, &str); 3] = [
            ("companies", "id", "signing_key", PURPOSE_SIGNING_KEY),
            ("api_keys", "id", "shared_key", PURPOSE_SHARED_KEY),
            ("license_users", "id", "initial_password", "license_user.initial_password"),
        ];

        #[async_trait::async_trait]
        impl TenantStore for $store {
            async fn reseal_secrets(&self, new: &SecretBox) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let mut count = 0;
                for (table, id_column, column, purpose) in SEALED_COLUMNS {
                    let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
                        "SELECT {id_column}, {column} FROM {table} WHERE {column} IS NOT NULL"
                    ))
                    .fetch_all(&mut *tx)
                    .await?;
                    for (id, sealed) in rows {
                        let plain = self.secrets.open(purpose, &sealed)?;
                        sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE {id_column} = $2"))
                            .bind(new.seal(purpose, &plain)?)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        count += 1;
                    }
                }
                tx.commit().await?;
                Ok(count)
            }

            async fn create_company(&self, company: NewCompany<'_>, now: DateTime<Utc>) -> StoreResult<Company> {
                let sealed = self.secrets.seal(PURPOSE_SIGNING_KEY, company.signing_key_pkcs8)?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO companies (name, signing_key, public_key_pem, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(company.name)
                .bind(sealed)
                .bind(company.public_key_pem)
                .bind(millis(now))
                .fetch_one(&self.writer)
                .await?;
                Ok(Company {
                    id,
                    name: company.name.to_owned(),
                    public_key_pem: company.public_key_pem.to_owned(),
                })
            }

            async fn company(&self, company_id: i64) -> StoreResult<Option<Company>> {
                let row = sqlx::query("SELECT id, name, public_key_pem FROM companies WHERE id = $1")
                    .bind(company_id)
                    .fetch_optional(&self.reader)
                    .await?;
                row.map(|row| -> StoreResult<Company> {
                    Ok(Company {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        public_key_pem: row.try_get("public_key_pem")?,
                    })
                })
                .transpose()
            }

            async fn company_signing_key(&self, company_id: i64) -> StoreResult<Vec<u8>> {
                let sealed: String = sqlx::query_scalar("SELECT signing_key FROM companies WHERE id = $1")
                    .bind(company_id)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::NotFound("company"))?;
                Ok(self.secrets.open(PURPOSE_SIGNING_KEY, &sealed)?)
            }

            async fn company_count(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM companies")
                    .fetch_one(&self.reader)
                    .await?)
            }

            async fn create_api_key(
                &self,
                company_id: i64,
                api_key: &str,
                shared_key: &str,
                read_only: bool,
                now: DateTime<Utc>,
            ) -> StoreResult<ApiKey> {
                let sealed = self.secrets.seal(PURPOSE_SHARED_KEY, shared_key.as_bytes())?;
                sqlx::query(
                    "INSERT INTO api_keys (company_id, api_key, shared_key, read_only, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(company_id)
                .bind(api_key)
                .bind(sealed)
                .bind(read_only)
                .bind(millis(now))
                .execute(&self.writer)
                .await
                .map_err(|e| unique_violation(e, "api key"))?;
                Ok(ApiKey {
                    company_id,
                    api_key: api_key.to_owned(),
                    shared_key: shared_key.to_owned(),
                    read_only,
                    revoked: false,
                })
            }

            async fn api_key(&self, api_key: &str) -> StoreResult<Option<ApiKey>> {
                let row = sqlx::query(
                    "SELECT company_id, api_key, shared_key, read_only, revoked FROM api_keys WHERE api_key = $1",
                )
                .bind(api_key)
                .fetch_optional(&self.reader)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let sealed: String = row.try_get("shared_key")?;
                let shared_key = String::from_utf8(self.secrets.open(PURPOSE_SHARED_KEY, &sealed)?)
                    .map_err(|_| secrets::SecretError::Open)?;
                Ok(Some(ApiKey {
                    company_id: row.try_get("company_id")?,
                    api_key: row.try_get("api_key")?,
                    shared_key,
                    read_only: row.try_get("read_only")?,
                    revoked: row.try_get("revoked")?,
                }))
            }

            async fn revoke_api_key(&self, api_key: &str) -> StoreResult<()> {
                let done = sqlx::query("UPDATE api_keys SET revoked = TRUE WHERE api_key = $1")
                    .bind(api_key)
                    .execute(&self.writer)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("api key"));
                }
                Ok(())
            }
        }
    };
}

pub(crate) use sql_tenant;
