//! Customer accounts and their OpenID Connect providers; client secrets are sealed like shared keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, CustomerAccountId};
use secrecy::ExposeSecret;

use super::database::{query, ReadColumn, SqlRow};
use super::listing::Table;
use super::rows::{id_column, returned_id, unique_violation};
use super::tenant::PURPOSE_OIDC_CLIENT_SECRET;
use super::{Backend, SqlStore, USER_COLUMNS};
use crate::query::ListQuery;
use crate::*;

const ACCOUNT_COLUMNS: &str = "ca.id, ca.company_id, ca.code, ca.name, ca.oidc_issuer, \
    ca.oidc_client_id, ca.oidc_client_secret, ca.oidc_redirect_uris, ca.oidc_email_claim, \
    ca.created_at, \
    (SELECT COUNT(*) FROM customers cc WHERE cc.customer_account_id = ca.id) AS total_customers";

const ACCOUNTS: Table = Table {
    columns: ACCOUNT_COLUMNS,
    from: "customer_accounts ca",
    company: "ca.company_id",
    id: "ca.id",
};

/// The provider's columns as stored: the client secret sealed, the redirect URIs a JSON list.
struct StoredProvider<'a> {
    issuer: Option<&'a str>,
    client_id: Option<&'a str>,
    sealed_secret: Option<String>,
    redirect_uris: String,
    email_claim: &'a str,
}

/// What an account's event log entries say about its provider: never the secret.
fn provider_summary(oidc: Option<&OidcProvider>) -> serde_json::Value {
    match oidc {
        Some(oidc) => serde_json::json!({
            "oidc_issuer": oidc.issuer,
            "oidc_client_id": oidc.client_id,
            "oidc_redirect_uris": oidc.redirect_uris,
            "oidc_email_claim": oidc.email_claim,
        }),
        None => serde_json::json!({"oidc_issuer": null}),
    }
}

impl<DB: Backend> SqlStore<DB> {
    fn account_from_row(&self, row: &DB::Row) -> StoreResult<CustomerAccount> {
        let issuer: Option<String> = row.read("oidc_issuer")?;
        let oidc = match issuer {
            Some(issuer) => {
                let sealed: String = row.read("oidc_client_secret")?;
                let secret =
                    String::from_utf8(self.secrets.open(PURPOSE_OIDC_CLIENT_SECRET, &sealed)?)
                        .map_err(|_| secrets::SecretError::Open)?;
                let uris: String = row.read("oidc_redirect_uris")?;
                Some(OidcProvider {
                    issuer,
                    client_id: row.read("oidc_client_id")?,
                    client_secret: secret.into(),
                    redirect_uris: serde_json::from_str(&uris)
                        .map_err(|error| sqlx::Error::Decode(error.into()))?,
                    email_claim: row.read("oidc_email_claim")?,
                })
            }
            None => None,
        };
        Ok(CustomerAccount {
            id: id_column(row, "id")?,
            company_id: id_column(row, "company_id")?,
            code: row.read("code")?,
            name: row.read("name")?,
            oidc,
            total_customers: row.read("total_customers")?,
            created_at: from_millis(row.read("created_at")?),
        })
    }

    fn stored_provider<'a>(
        &self,
        oidc: Option<&'a OidcProvider>,
    ) -> StoreResult<StoredProvider<'a>> {
        Ok(match oidc {
            Some(oidc) => StoredProvider {
                issuer: Some(&oidc.issuer),
                client_id: Some(&oidc.client_id),
                sealed_secret: Some(self.secrets.seal(
                    PURPOSE_OIDC_CLIENT_SECRET,
                    oidc.client_secret.expose_secret().as_bytes(),
                )?),
                redirect_uris: serde_json::Value::from(oidc.redirect_uris.clone()).to_string(),
                email_claim: &oidc.email_claim,
            },
            None => StoredProvider {
                issuer: None,
                client_id: None,
                sealed_secret: None,
                redirect_uris: "[]".to_owned(),
                email_claim: "email",
            },
        })
    }

    async fn account_on(
        &self,
        conn: &mut DB::Connection,
        company_id: CompanyId,
        condition: &str,
        value: super::database::Param<'_>,
    ) -> StoreResult<Option<CustomerAccount>> {
        let row = query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM customer_accounts ca \
             WHERE ca.company_id = $1 AND {condition} = $2"
        ))
        .bind(company_id)
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref()
            .map(|row| self.account_from_row(row))
            .transpose()
    }

    async fn account_event(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        name: &'static str,
        actor: &Actor,
        data: serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let event = NewEvent::new(company_id, name, actor).data(data);
        Self::insert_event(conn, &event, now).await
    }
}

#[async_trait]
impl<DB: Backend> CustomerAccountStore for SqlStore<DB> {
    async fn create_customer_account(
        &self,
        account: NewCustomerAccount,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CustomerAccount> {
        let stored = self.stored_provider(account.oidc.as_ref())?;
        let mut tx = self.begin_write().await?;
        let id: CustomerAccountId = returned_id(
            &query(
                "INSERT INTO customer_accounts (company_id, code, name, oidc_issuer, oidc_client_id, \
                 oidc_client_secret, oidc_redirect_uris, oidc_email_claim, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(account.company_id)
            .bind(&account.code)
            .bind(&account.name)
            .bind(stored.issuer)
            .bind(stored.client_id)
            .bind(&stored.sealed_secret)
            .bind(stored.redirect_uris)
            .bind(stored.email_claim)
            .bind(millis(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, "customer account"))?,
        )?;
        let mut data = provider_summary(account.oidc.as_ref());
        data["id"] = id.get().into();
        data["code"] = account.code.as_str().into();
        data["name"] = account.name.as_str().into();
        Self::account_event(
            &mut tx,
            account.company_id,
            "customer_account.created",
            actor,
            data,
            now,
        )
        .await?;
        let created = self
            .account_on(&mut tx, account.company_id, "ca.id", id.into())
            .await?
            .ok_or(StoreError::NotFound("customer account"))?;
        tx.commit().await?;
        Ok(created)
    }

    async fn customer_account(
        &self,
        company_id: CompanyId,
        id: CustomerAccountId,
    ) -> StoreResult<Option<CustomerAccount>> {
        let mut conn = self.reader.acquire().await?;
        self.account_on(&mut conn, company_id, "ca.id", id.into())
            .await
    }

    async fn customer_account_by_code(
        &self,
        company_id: CompanyId,
        code: &str,
    ) -> StoreResult<Option<CustomerAccount>> {
        let mut conn = self.reader.acquire().await?;
        self.account_on(&mut conn, company_id, "ca.code", code.into())
            .await
    }

    async fn customer_accounts(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<CustomerAccount>> {
        self.list_matching(&ACCOUNTS, company_id, list_query, page, |row| {
            self.account_from_row(row)
        })
        .await
    }

    async fn update_customer_account(
        &self,
        company_id: CompanyId,
        id: CustomerAccountId,
        changes: &CustomerAccountChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CustomerAccount>> {
        let mut tx = self.begin_write().await?;
        let Some(current) = self
            .account_on(&mut tx, company_id, "ca.id", id.into())
            .await?
        else {
            return Ok(None);
        };
        let mut changed = serde_json::Map::new();
        let code = changes.code.as_ref().unwrap_or(&current.code);
        if *code != current.code {
            changed.insert("code".to_owned(), code.as_str().into());
        }
        let name = changes.name.as_ref().unwrap_or(&current.name);
        if *name != current.name {
            changed.insert("name".to_owned(), name.as_str().into());
        }
        let oidc = match &changes.oidc {
            Some(oidc) => {
                if let serde_json::Value::Object(summary) = provider_summary(oidc.as_ref()) {
                    changed.extend(summary);
                }
                oidc.as_ref()
            }
            None => current.oidc.as_ref(),
        };
        if changed.is_empty() {
            return Ok(Some(current));
        }
        let stored = self.stored_provider(oidc)?;
        query(
            "UPDATE customer_accounts SET code = $1, name = $2, oidc_issuer = $3, oidc_client_id = $4, \
             oidc_client_secret = $5, oidc_redirect_uris = $6, oidc_email_claim = $7 WHERE id = $8",
        )
        .bind(code)
        .bind(name)
        .bind(stored.issuer)
        .bind(stored.client_id)
        .bind(&stored.sealed_secret)
        .bind(stored.redirect_uris)
        .bind(stored.email_claim)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, "customer account"))?;
        changed.insert("id".to_owned(), id.get().into());
        Self::account_event(
            &mut tx,
            company_id,
            "customer_account.updated",
            actor,
            serde_json::Value::Object(changed),
            now,
        )
        .await?;
        let updated = self
            .account_on(&mut tx, company_id, "ca.id", id.into())
            .await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_customer_account(
        &self,
        company_id: CompanyId,
        id: CustomerAccountId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let Some(account) = self
            .account_on(&mut tx, company_id, "ca.id", id.into())
            .await?
        else {
            return Ok(false);
        };
        query("UPDATE customers SET customer_account_id = NULL WHERE customer_account_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        query("DELETE FROM customer_accounts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Self::account_event(
            &mut tx,
            company_id,
            "customer_account.deleted",
            actor,
            serde_json::json!({"id": id.get(), "code": account.code}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn account_license_user(
        &self,
        company_id: CompanyId,
        account_id: CustomerAccountId,
        email: &str,
    ) -> StoreResult<Option<LicenseUser>> {
        let row = query(&format!(
            "SELECT {USER_COLUMNS} FROM license_users u JOIN customers c ON c.id = u.customer_id \
             WHERE u.company_id = $1 AND c.customer_account_id = $2 AND u.email = $3"
        ))
        .bind(company_id)
        .bind(account_id)
        .bind(email)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        self.opened_user(row)
    }
}

/// The account columns of a customer row (`c`): its id, code and name, NULL where it has none.
/// A macro, so that the customer column lists can include it with `concat!`.
macro_rules! customer_account_columns {
    () => {
        "c.customer_account_id AS c_account_id, \
         (SELECT ca.code FROM customer_accounts ca WHERE ca.id = c.customer_account_id) AS c_account_code, \
         (SELECT ca.name FROM customer_accounts ca WHERE ca.id = c.customer_account_id) AS c_account_name"
    };
}
pub(super) use customer_account_columns;

/// The account of a customer row read with [`customer_account_columns`].
pub(super) fn customer_account_from_row<R: SqlRow>(
    row: &R,
) -> Result<Option<CustomerAccountRef>, sqlx::Error> {
    let Some(id) = super::rows::joined_id(row, "c_account_id")? else {
        return Ok(None);
    };
    Ok(Some(CustomerAccountRef {
        id,
        code: row.read("c_account_code")?,
        name: row.read("c_account_name")?,
    }))
}
