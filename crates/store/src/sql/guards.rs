//! Attempt windows (password attempts, activations) and the answers of state-changing requests, kept
//! in the database so every node sees the same counts and answers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::CompanyId;

use super::database::{query, ReadColumn, SqlRow};
use super::{Backend, SqlStore};
use crate::*;

#[async_trait]
impl<DB: Backend> GuardStore for SqlStore<DB> {
    async fn take_attempt(
        &self,
        company_id: CompanyId,
        kind: AttemptKind,
        subject: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> StoreResult<AttemptWindow> {
        // One statement: concurrent attempts on any node each count exactly once.
        let row = query(
            "INSERT INTO attempt_windows (company_id, kind, subject, window_start, attempts) \
             VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (company_id, kind, subject) DO UPDATE SET \
             attempts = CASE WHEN attempt_windows.window_start <= $5 THEN 1 \
                 ELSE attempt_windows.attempts + 1 END, \
             window_start = CASE WHEN attempt_windows.window_start <= $5 THEN $4 \
                 ELSE attempt_windows.window_start END \
             RETURNING window_start, attempts",
        )
        .bind(company_id)
        .bind(kind.as_str())
        .bind(subject)
        .bind(millis(now))
        .bind(millis(now - window))
        .fetch_one(&mut *self.writer.acquire().await?)
        .await?;
        Ok(AttemptWindow {
            count: row.read("attempts")?,
            window_start: from_millis(row.read("window_start")?),
        })
    }

    async fn return_attempt(
        &self,
        company_id: CompanyId,
        kind: AttemptKind,
        subject: &str,
    ) -> StoreResult<()> {
        query(
            "UPDATE attempt_windows SET attempts = attempts - 1 \
             WHERE company_id = $1 AND kind = $2 AND subject = $3 AND attempts > 0",
        )
        .bind(company_id)
        .bind(kind.as_str())
        .bind(subject)
        .execute(&mut *self.writer.acquire().await?)
        .await?;
        Ok(())
    }

    async fn claimed_request(
        &self,
        request_hash: &str,
        fresh_after: DateTime<Utc>,
    ) -> StoreResult<Option<RequestClaim>> {
        let mut conn = self.reader.acquire().await?;
        Self::fresh_claim_on(&mut conn, request_hash, fresh_after).await
    }

    async fn claim_request(
        &self,
        request_hash: &str,
        now: DateTime<Utc>,
        fresh_after: DateTime<Utc>,
    ) -> StoreResult<RequestClaim> {
        let mut conn = self.writer.acquire().await?;
        let ticket = ClaimTicket {
            request_hash,
            fresh_after,
        };
        if Self::claim_on(&mut conn, ticket, now).await? {
            return Ok(RequestClaim::First);
        }
        // None when released between the two statements: the caller claims again.
        let found = Self::fresh_claim_on(&mut conn, request_hash, fresh_after).await?;
        Ok(found.unwrap_or(RequestClaim::Running))
    }

    async fn prune_guards(&self, before: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        query("DELETE FROM request_answers WHERE created_at < $1")
            .bind(millis(before))
            .execute(&mut *conn)
            .await?;
        query("DELETE FROM attempt_windows WHERE window_start < $1")
            .bind(millis(before))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn probe(&self, now: DateTime<Utc>) -> StoreResult<()> {
        query("SELECT COUNT(*) FROM companies")
            .fetch_one(&mut *self.reader.acquire().await?)
            .await?;
        // A row that changes on every probe, so the commit really writes; request hashes are
        // base64 and never collide with it.
        let mut tx = self.begin_write().await?;
        query(
            "INSERT INTO request_answers (request_hash, created_at) VALUES ('readiness probe', $1) \
             ON CONFLICT (request_hash) DO UPDATE SET created_at = excluded.created_at",
        )
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl<DB: Backend> SqlStore<DB> {
    /// Claims the ticket's request on `conn` (alone, or first in a transaction); false when an
    /// identical request holds a claim made after the ticket's `fresh_after`.
    pub(super) async fn claim_on(
        conn: &mut DB::Connection,
        ticket: ClaimTicket<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // Inserted, or taken over from an expired claim, in one statement: of concurrent identical
        // requests exactly one gets a row back.
        let claimed = query(
            "INSERT INTO request_answers (request_hash, created_at) VALUES ($1, $2) \
             ON CONFLICT (request_hash) DO UPDATE SET created_at = excluded.created_at, \
             status = NULL, body = NULL, signature = NULL \
             WHERE request_answers.created_at <= $3 \
             RETURNING request_hash",
        )
        .bind(ticket.request_hash)
        .bind(millis(now))
        .bind(millis(ticket.fresh_after))
        .fetch_optional(&mut *conn)
        .await?;
        Ok(claimed.is_some())
    }

    /// The request's claim made after `fresh_after`, if any: answered, or still running.
    async fn fresh_claim_on(
        conn: &mut DB::Connection,
        request_hash: &str,
        fresh_after: DateTime<Utc>,
    ) -> StoreResult<Option<RequestClaim>> {
        let row = query(
            "SELECT status, body, signature FROM request_answers \
             WHERE request_hash = $1 AND created_at > $2",
        )
        .bind(request_hash)
        .bind(millis(fresh_after))
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(claim_from_row).transpose()
    }
}

/// A claim's row: answered when its status and body are stored, else still running.
fn claim_from_row<R: SqlRow>(row: &R) -> StoreResult<RequestClaim> {
    let status: Option<i64> = row.read("status")?;
    Ok(match (status, row.read("body")?) {
        (Some(status), Some(body)) => RequestClaim::Answered(StoredAnswer {
            status: u16::try_from(status).unwrap_or(500),
            body,
            signature: row.read("signature")?,
        }),
        _ => RequestClaim::Running,
    })
}
