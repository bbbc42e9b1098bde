//! Management API keys and the event log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::CompanyId;

use super::database::{query, Param, ReadColumn, SqlRow};
use super::listing::Table;
use super::rows::{id_column, joined_id};
use super::{Backend, SqlStore};
use crate::query::ListQuery;
use crate::*;

const MANAGEMENT_KEY_COLUMNS: &str = "id, company_id, prefix, read_only, revoked, created_at";

pub(super) const EVENTS: Table = Table {
    columns: "e.id, e.uuid, e.company_id, e.event, e.ts, e.actor_type, e.actor_id, e.license_id, \
              e.customer_id, e.device_id, e.product_id, e.order_id, e.license_user_id, e.data",
    from: "events e",
    company: "e.company_id",
    id: "e.id",
};

const CHECK_COUNTS: Table = Table {
    columns: "cc.license_id, cc.hour, cc.checks",
    from: "check_counts cc JOIN licenses l ON l.id = cc.license_id",
    company: "l.company_id",
    id: "cc.hour",
};

fn check_count_from_row<R: SqlRow>(row: &R) -> StoreResult<CheckCount> {
    Ok(CheckCount {
        license_id: id_column(row, "license_id")?,
        hour: from_millis(row.read("hour")?),
        checks: row.read("checks")?,
    })
}

const REFUSAL_COUNTS: Table = Table {
    columns: "rc.hour, rc.code, rc.refusals",
    from: "refusal_counts rc",
    company: "rc.company_id",
    id: "rc.hour",
};

fn refusal_count_from_row<R: SqlRow>(row: &R) -> StoreResult<RefusalCount> {
    Ok(RefusalCount {
        hour: from_millis(row.read("hour")?),
        code: row.read("code")?,
        refusals: row.read("refusals")?,
    })
}

fn management_key_from_row<R: SqlRow>(row: &R) -> Result<ManagementKey, sqlx::Error> {
    Ok(ManagementKey {
        id: row.read("id")?,
        company_id: id_column(row, "company_id")?,
        prefix: row.read("prefix")?,
        read_only: row.read("read_only")?,
        revoked: row.read("revoked")?,
        created_at: from_millis(row.read("created_at")?),
    })
}

pub(super) fn event_from_row<R: SqlRow>(row: &R) -> StoreResult<Event> {
    let actor_type: String = row.read("actor_type")?;
    let actor_id: Option<String> = row.read("actor_id")?;
    let actor = Actor::from_parts(&actor_type, actor_id.as_deref())
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown actor type {actor_type}").into()))?;
    Ok(Event {
        sequence: row.read("id")?,
        id: row.read("uuid")?,
        company_id: id_column(row, "company_id")?,
        event: row.read("event")?,
        ts: from_millis(row.read("ts")?),
        actor,
        subjects: EventSubjects {
            license_id: joined_id(row, "license_id")?,
            customer_id: joined_id(row, "customer_id")?,
            device_id: joined_id(row, "device_id")?,
            product_id: joined_id(row, "product_id")?,
            order_id: row.read("order_id")?,
            license_user_id: joined_id(row, "license_user_id")?,
        },
        data: row.read("data")?,
    })
}

impl<DB: Backend> SqlStore<DB> {
    /// Records an event on the connection of the transaction that makes the change, with its
    /// webhook deliveries.
    pub(super) async fn insert_event(
        conn: &mut DB::Connection,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let subjects = &event.subjects;
        let actor_id = event.actor.id();
        let row = query(
            "INSERT INTO events (uuid, company_id, event, ts, actor_type, actor_id, license_id, customer_id, \
             device_id, product_id, order_id, license_user_id, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(event.company_id)
        .bind(event.event)
        .bind(millis(now))
        .bind(event.actor.kind())
        .bind(actor_id.as_deref())
        .bind(subjects.license_id)
        .bind(subjects.customer_id)
        .bind(subjects.device_id)
        .bind(subjects.product_id)
        .bind(subjects.order_id)
        .bind(subjects.license_user_id)
        .bind(event.data.as_str())
        .fetch_one(&mut *conn)
        .await?;
        Self::enqueue_webhook_deliveries(conn, row.read_at(0)?, event, now).await
    }

    /// Marks a key revoked and records it, in one transaction; `None` when no key matched.
    async fn revoke_key_where(
        &self,
        condition: &str,
        values: Vec<Param<'_>>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ManagementKey>> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "UPDATE management_keys SET revoked = TRUE WHERE {condition} RETURNING {MANAGEMENT_KEY_COLUMNS}"
        );
        let mut statement = query(&sql);
        for value in values {
            statement = statement.bind(value);
        }
        let Some(row) = statement.fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let key = management_key_from_row(&row)?;
        let event = NewEvent {
            company_id: key.company_id,
            event: "management_key.revoked",
            actor: actor.clone(),
            subjects: EventSubjects::default(),
            data: serde_json::json!({"id": key.id, "prefix": key.prefix}).to_string(),
        };
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(Some(key))
    }
}

#[async_trait]
impl<DB: Backend> ManagementStore for SqlStore<DB> {
    async fn create_management_key(
        &self,
        key: NewManagementKey<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ManagementKey> {
        let mut tx = self.begin_write().await?;
        let row = query(
            "INSERT INTO management_keys (company_id, prefix, key_hash, read_only, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(key.company_id)
        .bind(key.prefix)
        .bind(key.key_hash)
        .bind(key.read_only)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.read_at(0)?;
        let event = NewEvent {
            company_id: key.company_id,
            event: "management_key.created",
            actor: actor.clone(),
            subjects: EventSubjects::default(),
            data: serde_json::json!({"id": id, "prefix": key.prefix, "read_only": key.read_only})
                .to_string(),
        };
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(ManagementKey {
            id,
            company_id: key.company_id,
            prefix: key.prefix.to_owned(),
            read_only: key.read_only,
            revoked: false,
            created_at: from_millis(millis(now)),
        })
    }

    async fn management_key(&self, key_hash: &str) -> StoreResult<Option<ManagementKey>> {
        let row = query(&format!(
            "SELECT {MANAGEMENT_KEY_COLUMNS} FROM management_keys WHERE key_hash = $1"
        ))
        .bind(key_hash)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        Ok(row.as_ref().map(management_key_from_row).transpose()?)
    }

    async fn management_keys(&self, company_id: CompanyId) -> StoreResult<Vec<ManagementKey>> {
        let rows = query(&format!(
            "SELECT {MANAGEMENT_KEY_COLUMNS} FROM management_keys WHERE company_id = $1 ORDER BY id DESC"
        ))
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(rows
            .iter()
            .map(management_key_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn revoke_management_key(
        &self,
        company_id: CompanyId,
        key_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ManagementKey>> {
        self.revoke_key_where(
            "id = $1 AND company_id = $2",
            vec![key_id.into(), company_id.into()],
            actor,
            now,
        )
        .await
    }

    async fn revoke_management_key_by_hash(
        &self,
        key_hash: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ManagementKey>> {
        self.revoke_key_where("key_hash = $1", vec![key_hash.into()], actor, now)
            .await
    }

    async fn check_counts(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<CheckCount>> {
        self.list_matching(
            &CHECK_COUNTS,
            company_id,
            list_query,
            page,
            check_count_from_row,
        )
        .await
    }

    async fn refusal_counts(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<RefusalCount>> {
        self.list_matching(
            &REFUSAL_COUNTS,
            company_id,
            list_query,
            page,
            refusal_count_from_row,
        )
        .await
    }

    async fn events(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<Event>> {
        self.list_matching(&EVENTS, company_id, list_query, page, event_from_row)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_actor_reads_back_as_written() {
        for actor in [
            Actor::ManagementKey(7),
            Actor::Cli,
            Actor::Device(Some(latch_domain::DeviceId::new(3))),
            Actor::Device(None),
            Actor::Staff(2),
        ] {
            assert_eq!(
                Actor::from_parts(actor.kind(), actor.id().as_deref()),
                Some(actor)
            );
        }
        assert_eq!(Actor::from_parts("robot", None), None);
    }
}
