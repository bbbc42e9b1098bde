//! OAuth clients of the License API and the access tokens issued to them.

use async_trait::async_trait;
use latch_domain::CompanyId;

use super::database::{query, ReadColumn, SqlRow};
use super::rows::{id_column, unique_violation};
use super::tenant::PURPOSE_OAUTH_CLIENT_SECRET;
use super::{Backend, SqlStore};
use crate::*;

const OAUTH_CLIENT_COLUMNS: &str = "company_id, client_id, client_secret, revoked, created_at";

impl<DB: Backend> SqlStore<DB> {
    /// An OAuth client row ([`OAUTH_CLIENT_COLUMNS`]) with its secret opened.
    fn oauth_client_from_row<R: SqlRow>(&self, row: &R) -> StoreResult<OAuthClient> {
        let sealed: String = row.read("client_secret")?;
        let secret = String::from_utf8(self.secrets.open(PURPOSE_OAUTH_CLIENT_SECRET, &sealed)?)
            .map_err(|_| secrets::SecretError::Open)?;
        Ok(OAuthClient {
            company_id: id_column(row, "company_id")?,
            client_id: row.read("client_id")?,
            client_secret: secret.into(),
            revoked: row.read("revoked")?,
            created_at: from_millis(row.read("created_at")?),
        })
    }
}

#[async_trait]
impl<DB: Backend> OAuthStore for SqlStore<DB> {
    async fn create_oauth_client(
        &self,
        company_id: CompanyId,
        client_id: &str,
        client_secret: &str,
        change: Change<'_>,
    ) -> StoreResult<OAuthClient> {
        let sealed = self
            .secrets
            .seal(PURPOSE_OAUTH_CLIENT_SECRET, client_secret.as_bytes())?;
        let mut tx = self.begin_write().await?;
        query(
            "INSERT INTO oauth_clients (company_id, client_id, client_secret, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(company_id)
        .bind(client_id)
        .bind(sealed)
        .bind(millis(change.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, "OAuth client"))?;
        let event = NewEvent::new(company_id, "oauth_client.created", change.actor)
            .data(serde_json::json!({"client_id": client_id}));
        Self::insert_event(&mut tx, &event, change.at).await?;
        tx.commit().await?;
        Ok(OAuthClient {
            company_id,
            client_id: client_id.to_owned(),
            client_secret: client_secret.into(),
            revoked: false,
            created_at: from_millis(millis(change.at)),
        })
    }

    async fn oauth_client(&self, client_id: &str) -> StoreResult<Option<OAuthClient>> {
        let row = query(&format!(
            "SELECT {OAUTH_CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        row.map(|row| self.oauth_client_from_row(&row)).transpose()
    }

    async fn oauth_clients(&self, company_id: CompanyId) -> StoreResult<Vec<OAuthClient>> {
        let rows = query(&format!(
            "SELECT {OAUTH_CLIENT_COLUMNS} FROM oauth_clients WHERE company_id = $1 ORDER BY id DESC"
        ))
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        rows.iter()
            .map(|row| self.oauth_client_from_row(row))
            .collect()
    }

    async fn revoke_oauth_client(
        &self,
        client_id: &str,
        change: Change<'_>,
    ) -> StoreResult<OAuthClient> {
        let mut tx = self.begin_write().await?;
        let row = query(&format!(
            "UPDATE oauth_clients SET revoked = TRUE WHERE client_id = $1 \
             RETURNING {OAUTH_CLIENT_COLUMNS}"
        ))
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("OAuth client"))?;
        let client = self.oauth_client_from_row(&row)?;
        let event = NewEvent::new(client.company_id, "oauth_client.revoked", change.actor)
            .data(serde_json::json!({"client_id": client_id}));
        Self::insert_event(&mut tx, &event, change.at).await?;
        tx.commit().await?;
        Ok(client)
    }

    async fn insert_oauth_token(&self, token: NewOAuthToken<'_>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        query("DELETE FROM oauth_tokens WHERE expires_at < $1")
            .bind(millis(token.forget_expired_before))
            .execute(&mut *tx)
            .await?;
        let inserted = query(
            "INSERT INTO oauth_tokens (token_hash, oauth_client_id, created_at, expires_at) \
             SELECT $1, id, $2, $3 FROM oauth_clients WHERE client_id = $4",
        )
        .bind(token.token_hash)
        .bind(millis(token.issued_at))
        .bind(millis(token.expires_at))
        .bind(token.client_id)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&inserted) == 0 {
            return Err(StoreError::NotFound("OAuth client"));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn oauth_token(&self, token_hash: &str) -> StoreResult<Option<OAuthToken>> {
        let row = query(
            "SELECT c.company_id, c.client_id, t.expires_at FROM oauth_tokens t \
             JOIN oauth_clients c ON c.id = t.oauth_client_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(OAuthToken {
            company_id: id_column(&row, "company_id")?,
            client_id: row.read("client_id")?,
            expires_at: from_millis(row.read("expires_at")?),
        }))
    }
}
