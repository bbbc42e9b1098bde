//! Companies and API keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::CompanyId;

use super::database::{query, ReadColumn, SqlRow};
use super::rows::{id_column, returned_id, unique_violation};
use super::{Backend, SqlStore};
use crate::*;

const PURPOSE_SIGNING_KEY: &str = "company.signing_key";
const PURPOSE_SHARED_KEY: &str = "api_key.shared_key";
pub(super) const PURPOSE_INITIAL_PASSWORD: &str = "license_user.initial_password";
pub(super) const PURPOSE_WEBHOOK_SECRET: &str = "webhook.secret";
pub(super) const PURPOSE_STAFF_TOTP: &str = "staff.totp_secret";
pub(super) const PURPOSE_OAUTH_CLIENT_SECRET: &str = "oauth_client.secret";
pub(super) const PURPOSE_OIDC_CLIENT_SECRET: &str = "customer_account.oidc_client_secret";

/// Every sealed column: table, key column, secret column, purpose.
const SEALED_COLUMNS: [(&str, &str, &str, &str); 8] = [
    ("companies", "id", "signing_key", PURPOSE_SIGNING_KEY),
    ("api_keys", "id", "shared_key", PURPOSE_SHARED_KEY),
    (
        "license_users",
        "id",
        "initial_password",
        PURPOSE_INITIAL_PASSWORD,
    ),
    ("webhook_endpoints", "id", "secret", PURPOSE_WEBHOOK_SECRET),
    (
        "webhook_endpoints",
        "id",
        "previous_secret",
        PURPOSE_WEBHOOK_SECRET,
    ),
    ("staff", "id", "totp_secret", PURPOSE_STAFF_TOTP),
    (
        "oauth_clients",
        "id",
        "client_secret",
        PURPOSE_OAUTH_CLIENT_SECRET,
    ),
    (
        "customer_accounts",
        "id",
        "oidc_client_secret",
        PURPOSE_OIDC_CLIENT_SECRET,
    ),
];

pub(super) const API_KEY_COLUMNS: &str = "company_id, api_key, shared_key, read_only, revoked";
pub(super) const COMPANY_COLUMNS: &str = "id, name, public_key_pem, expose_initial_passwords";

pub(super) fn company_from_row<R: SqlRow>(row: &R) -> Result<Company, sqlx::Error> {
    Ok(Company {
        id: id_column(row, "id")?,
        name: row.read("name")?,
        public_key_pem: row.read("public_key_pem")?,
        expose_initial_passwords: row.read("expose_initial_passwords")?,
    })
}

impl<DB: Backend> SqlStore<DB> {
    /// An API key row ([`API_KEY_COLUMNS`]) with its shared key opened.
    pub(super) fn api_key_from_row<R: SqlRow>(&self, row: &R) -> StoreResult<ApiKey> {
        let sealed: String = row.read("shared_key")?;
        let shared_key = String::from_utf8(self.secrets.open(PURPOSE_SHARED_KEY, &sealed)?)
            .map_err(|_| secrets::SecretError::Open)?;
        Ok(ApiKey {
            company_id: id_column(row, "company_id")?,
            api_key: row.read("api_key")?,
            shared_key: shared_key.into(),
            read_only: row.read("read_only")?,
            revoked: row.read("revoked")?,
        })
    }
}

#[async_trait]
impl<DB: Backend> TenantStore for SqlStore<DB> {
    async fn reseal_secrets(&self, new: &SecretBox) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut count = 0;
        for (table, id_column, column, purpose) in SEALED_COLUMNS {
            let rows = query(&format!(
                "SELECT {id_column}, {column} FROM {table} WHERE {column} IS NOT NULL"
            ))
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                let id: i64 = row.read_at(0)?;
                let sealed: String = row.read_at(1)?;
                let plain = self.secrets.open(purpose, &sealed)?;
                query(&format!(
                    "UPDATE {table} SET {column} = $1 WHERE {id_column} = $2"
                ))
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

    async fn create_company(
        &self,
        company: NewCompany<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Company> {
        let sealed = self
            .secrets
            .seal(PURPOSE_SIGNING_KEY, company.signing_key_pkcs8)?;
        let id = returned_id(
            &query(
                "INSERT INTO companies (name, signing_key, public_key_pem, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(company.name)
            .bind(sealed)
            .bind(company.public_key_pem)
            .bind(millis(now))
            .fetch_one(&mut *self.writer.acquire().await?)
            .await?,
        )?;
        Ok(Company {
            id,
            name: company.name.to_owned(),
            public_key_pem: company.public_key_pem.to_owned(),
            expose_initial_passwords: false,
        })
    }

    async fn company(&self, company_id: CompanyId) -> StoreResult<Option<Company>> {
        let row = query(&format!(
            "SELECT {COMPANY_COLUMNS} FROM companies WHERE id = $1"
        ))
        .bind(company_id)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        Ok(row.as_ref().map(company_from_row).transpose()?)
    }

    async fn set_expose_initial_passwords(
        &self,
        company_id: CompanyId,
        expose: bool,
    ) -> StoreResult<()> {
        let result = query("UPDATE companies SET expose_initial_passwords = $1 WHERE id = $2")
            .bind(expose)
            .bind(company_id)
            .execute(&mut *self.writer.acquire().await?)
            .await?;
        if DB::rows_affected(&result) == 0 {
            return Err(StoreError::NotFound("company"));
        }
        Ok(())
    }

    async fn company_signing_key(&self, company_id: CompanyId) -> StoreResult<Vec<u8>> {
        let sealed: String = query("SELECT signing_key FROM companies WHERE id = $1")
            .bind(company_id)
            .fetch_optional(&mut *self.reader.acquire().await?)
            .await?
            .ok_or(StoreError::NotFound("company"))?
            .read_at(0)?;
        Ok(self.secrets.open(PURPOSE_SIGNING_KEY, &sealed)?)
    }

    async fn company_count(&self) -> StoreResult<i64> {
        Ok(query("SELECT COUNT(*) FROM companies")
            .fetch_one(&mut *self.reader.acquire().await?)
            .await?
            .read_at(0)?)
    }

    async fn create_api_key(
        &self,
        company_id: CompanyId,
        api_key: &str,
        shared_key: &str,
        read_only: bool,
        change: Change<'_>,
    ) -> StoreResult<ApiKey> {
        let sealed = self
            .secrets
            .seal(PURPOSE_SHARED_KEY, shared_key.as_bytes())?;
        let mut tx = self.begin_write().await?;
        query(
            "INSERT INTO api_keys (company_id, api_key, shared_key, read_only, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(company_id)
        .bind(api_key)
        .bind(sealed)
        .bind(read_only)
        .bind(millis(change.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, "api key"))?;
        let event = NewEvent::new(company_id, "api_key.created", change.actor)
            .data(serde_json::json!({"api_key": api_key, "read_only": read_only}));
        Self::insert_event(&mut tx, &event, change.at).await?;
        tx.commit().await?;
        Ok(ApiKey {
            company_id,
            api_key: api_key.to_owned(),
            shared_key: shared_key.into(),
            read_only,
            revoked: false,
        })
    }

    async fn api_key(&self, api_key: &str) -> StoreResult<Option<ApiKey>> {
        let row = query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE api_key = $1"
        ))
        .bind(api_key)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        row.map(|row| self.api_key_from_row(&row)).transpose()
    }

    async fn revoke_api_key(&self, api_key: &str, change: Change<'_>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let revoked =
            query("UPDATE api_keys SET revoked = TRUE WHERE api_key = $1 RETURNING company_id")
                .bind(api_key)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("api key"))?;
        let event = NewEvent::new(
            id_column(&revoked, "company_id")?,
            "api_key.revoked",
            change.actor,
        )
        .data(serde_json::json!({"api_key": api_key}));
        Self::insert_event(&mut tx, &event, change.at).await?;
        tx.commit().await?;
        Ok(())
    }
}
