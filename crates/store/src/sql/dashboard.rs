//! Dashboard staff accounts, their sessions, and the overview's daily counts and refusals.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::CompanyId;
use serde_json::json;

use super::database::{query, ReadColumn, SqlRow};
use super::rows::{id_column, unique_violation};
use super::tenant::PURPOSE_STAFF_TOTP;
use super::{Backend, SqlStore};
use crate::*;

const STAFF_COLUMNS: &str =
    "s.id, s.company_id, s.email, s.role, s.totp_secret IS NOT NULL AS two_factor, s.created_at";

fn staff_from_row<R: SqlRow>(row: &R) -> Result<Staff, sqlx::Error> {
    let role: String = row.read("role")?;
    Ok(Staff {
        id: row.read("id")?,
        company_id: id_column(row, "company_id")?,
        email: row.read("email")?,
        role: role
            .parse()
            .map_err(|()| sqlx::Error::Decode(format!("unknown staff role {role}").into()))?,
        two_factor: row.read("two_factor")?,
        created_at: from_millis(row.read("created_at")?),
    })
}

#[async_trait]
impl<DB: Backend> DashboardStore for SqlStore<DB> {
    async fn insert_staff(
        &self,
        staff: NewStaff<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Staff> {
        let mut tx = self.begin_write().await?;
        let row = query(
            "INSERT INTO staff (company_id, email, password_hash, role, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(staff.company_id)
        .bind(staff.email)
        .bind(staff.password_hash)
        .bind(staff.role.as_str())
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| unique_violation(error, "staff e-mail"))?;
        let created = Staff {
            id: row.read_at(0)?,
            company_id: staff.company_id,
            email: staff.email.to_owned(),
            role: staff.role,
            two_factor: false,
            created_at: from_millis(millis(now)),
        };
        let event = NewEvent::new(staff.company_id, "staff.created", actor).data(json!({
            "id": created.id,
            "email": created.email,
            "role": created.role.as_str(),
        }));
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn staff_by_email(&self, email: &str) -> StoreResult<Option<StaffCredentials>> {
        let sql = format!(
            "SELECT {STAFF_COLUMNS}, s.password_hash, s.totp_secret FROM staff s WHERE s.email = $1"
        );
        let Some(row) = query(&sql)
            .bind(email)
            .fetch_optional(&mut *self.reader.acquire().await?)
            .await?
        else {
            return Ok(None);
        };
        let sealed: Option<String> = row.read("totp_secret")?;
        let totp_secret = match sealed {
            Some(sealed) => Some(
                String::from_utf8(self.secrets.open(PURPOSE_STAFF_TOTP, &sealed)?)
                    .map_err(|_| sqlx::Error::Decode("a TOTP secret is not text".into()))?
                    .into(),
            ),
            None => None,
        };
        Ok(Some(StaffCredentials {
            staff: staff_from_row(&row)?,
            password_hash: row.read("password_hash")?,
            totp_secret,
        }))
    }

    async fn set_staff_totp(
        &self,
        company_id: CompanyId,
        staff_id: i64,
        secret: Option<&str>,
    ) -> StoreResult<bool> {
        let sealed = match secret {
            Some(secret) => Some(self.secrets.seal(PURPOSE_STAFF_TOTP, secret.as_bytes())?),
            None => None,
        };
        let updated = query("UPDATE staff SET totp_secret = $1 WHERE id = $2 AND company_id = $3")
            .bind(sealed.as_deref())
            .bind(staff_id)
            .bind(company_id)
            .execute(&mut *self.writer.acquire().await?)
            .await?;
        Ok(DB::rows_affected(&updated) > 0)
    }

    async fn staff_members(&self, company_id: CompanyId) -> StoreResult<Vec<Staff>> {
        let sql =
            format!("SELECT {STAFF_COLUMNS} FROM staff s WHERE s.company_id = $1 ORDER BY s.id");
        let rows = query(&sql)
            .bind(company_id)
            .fetch_all(&mut *self.reader.acquire().await?)
            .await?;
        Ok(rows.iter().map(staff_from_row).collect::<Result<_, _>>()?)
    }

    async fn set_staff_role(
        &self,
        company_id: CompanyId,
        staff_id: i64,
        role: StaffRole,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StaffChange> {
        let mut tx = self.begin_write().await?;
        let Some(member) =
            Self::member_keeping_an_admin(&mut tx, company_id, staff_id, role).await?
        else {
            return Ok(StaffChange::LastAdmin);
        };
        if member.role == role {
            return Ok(StaffChange::Done(member));
        }
        query("UPDATE staff SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(company_id, "staff.role_changed", actor).data(json!({
            "id": member.id,
            "email": member.email,
            "role": role.as_str(),
            "previous_role": member.role.as_str(),
        }));
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(StaffChange::Done(Staff { role, ..member }))
    }

    async fn delete_staff(
        &self,
        company_id: CompanyId,
        staff_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StaffChange> {
        let mut tx = self.begin_write().await?;
        // Removal leaves the member no role: viewer is below every role that counts here.
        let Some(member) =
            Self::member_keeping_an_admin(&mut tx, company_id, staff_id, StaffRole::Viewer).await?
        else {
            return Ok(StaffChange::LastAdmin);
        };
        query("DELETE FROM staff_sessions WHERE staff_id = $1")
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
        query("DELETE FROM staff WHERE id = $1")
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(company_id, "staff.deleted", actor).data(json!({
            "id": member.id,
            "email": member.email,
            "role": member.role.as_str(),
        }));
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(StaffChange::Done(member))
    }

    async fn insert_staff_session(
        &self,
        staff_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        query("DELETE FROM staff_sessions WHERE staff_id = $1 AND expires_at <= $2")
            .bind(staff_id)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
        query(
            "INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(staff_id)
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<StaffSession>> {
        let sql = format!(
            "SELECT {STAFF_COLUMNS}, ss.expires_at FROM staff_sessions ss \
             JOIN staff s ON s.id = ss.staff_id WHERE ss.token_hash = $1 AND ss.expires_at > $2"
        );
        let row = query(&sql)
            .bind(token_hash)
            .bind(millis(now))
            .fetch_optional(&mut *self.reader.acquire().await?)
            .await?;
        Ok(match row {
            Some(row) => Some(StaffSession {
                staff: staff_from_row(&row)?,
                expires_at: from_millis(row.read("expires_at")?),
            }),
            None => None,
        })
    }

    async fn delete_staff_session(&self, token_hash: &str) -> StoreResult<()> {
        query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *self.writer.acquire().await?)
            .await?;
        Ok(())
    }

    async fn delete_staff_sessions(
        &self,
        company_id: CompanyId,
        staff_id: i64,
    ) -> StoreResult<u64> {
        let deleted = query(
            "DELETE FROM staff_sessions WHERE staff_id = \
             (SELECT id FROM staff WHERE id = $1 AND company_id = $2)",
        )
        .bind(staff_id)
        .bind(company_id)
        .execute(&mut *self.writer.acquire().await?)
        .await?;
        Ok(DB::rows_affected(&deleted))
    }

    async fn daily_events(
        &self,
        company_id: CompanyId,
        event: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let rows = query(
            "SELECT e.ts / 86400000 AS day, COUNT(*) AS n FROM events e \
             WHERE e.company_id = $1 AND e.event = $2 AND e.ts >= $3 \
             GROUP BY e.ts / 86400000 ORDER BY day",
        )
        .bind(company_id)
        .bind(event)
        .bind(millis(since))
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        day_counts(&rows)
    }

    async fn daily_checks(
        &self,
        company_id: CompanyId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let rows = query(
            "SELECT cc.hour / 86400000 AS day, CAST(SUM(cc.checks) AS BIGINT) AS n \
             FROM check_counts cc JOIN licenses l ON l.id = cc.license_id \
             WHERE l.company_id = $1 AND cc.hour >= $2 \
             GROUP BY cc.hour / 86400000 ORDER BY day",
        )
        .bind(company_id)
        .bind(millis(since))
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        day_counts(&rows)
    }

    async fn refusals_by_code(
        &self,
        company_id: CompanyId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<RefusalTotal>> {
        let rows = query(
            "SELECT rc.code, CAST(SUM(rc.refusals) AS BIGINT) AS total, MAX(rc.hour) AS last_hour \
             FROM refusal_counts rc WHERE rc.company_id = $1 AND rc.hour >= $2 \
             GROUP BY rc.code ORDER BY total DESC, rc.code",
        )
        .bind(company_id)
        .bind(millis(since))
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                Ok(RefusalTotal {
                    code: row.read("code")?,
                    refusals: row.read("total")?,
                    last_hour: from_millis(row.read("last_hour")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }
}

impl<DB: Backend> SqlStore<DB> {
    /// The company's member, if giving them `role` leaves the company an admin; `NotFound` when
    /// there is no such member. The company's row stays locked until the transaction ends, so two
    /// admins demoting each other at once cannot both succeed.
    async fn member_keeping_an_admin(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        staff_id: i64,
        role: StaffRole,
    ) -> StoreResult<Option<Staff>> {
        query(&format!(
            "SELECT id FROM companies WHERE id = $1{}",
            DB::LOCK_ROW
        ))
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
        let sql =
            format!("SELECT {STAFF_COLUMNS} FROM staff s WHERE s.id = $1 AND s.company_id = $2");
        let row = query(&sql)
            .bind(staff_id)
            .bind(company_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("staff member"))?;
        let member = staff_from_row(&row)?;
        if member.role != StaffRole::Admin || role == StaffRole::Admin {
            return Ok(Some(member));
        }
        let other_admins: i64 = query(
            "SELECT COUNT(*) FROM staff WHERE company_id = $1 AND role = 'admin' AND id <> $2",
        )
        .bind(company_id)
        .bind(staff_id)
        .fetch_one(&mut *conn)
        .await?
        .read_at(0)?;
        Ok((other_admins > 0).then_some(member))
    }
}

fn day_counts<R: SqlRow>(rows: &[R]) -> StoreResult<Vec<(i64, i64)>> {
    Ok(rows
        .iter()
        .map(|row| Ok((row.read("day")?, row.read("n")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}
