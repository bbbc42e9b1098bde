//! Bulk license imports: each import's progress and refused rows, and the keyset walk over licenses
//! that exports take.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, LicenseId};
use serde_json::json;

use super::database::{query, ReadColumn, SqlRow};
use super::licenses::LICENSES;
use super::listing::Table;
use super::rows::id_column;
use super::{Backend, SqlStore};
use crate::query::ListQuery;
use crate::*;

const IMPORTS: Table = Table {
    columns: "i.id, i.company_id, i.file_name, i.actor_type, i.actor_id, i.status, i.total_rows, \
              i.processed_rows, i.imported_rows, i.failed_rows, i.created_at, i.updated_at, \
              i.finished_at",
    from: "license_imports i",
    company: "i.company_id",
    id: "i.id",
};

const RUNNING: &str = "running";
const FINISHED: &str = "finished";

fn import_from_row<R: SqlRow>(row: &R) -> StoreResult<LicenseImport> {
    let actor_type: String = row.read("actor_type")?;
    let actor_id: Option<String> = row.read("actor_id")?;
    let actor = Actor::from_parts(&actor_type, actor_id.as_deref())
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown actor type {actor_type}").into()))?;
    let status: String = row.read("status")?;
    let finished_at: Option<i64> = row.read("finished_at")?;
    Ok(LicenseImport {
        id: row.read("id")?,
        company_id: id_column(row, "company_id")?,
        file_name: row.read("file_name")?,
        actor,
        finished: status == FINISHED,
        total_rows: row.read("total_rows")?,
        processed_rows: row.read("processed_rows")?,
        imported_rows: row.read("imported_rows")?,
        failed_rows: row.read("failed_rows")?,
        created_at: from_millis(row.read("created_at")?),
        updated_at: from_millis(row.read("updated_at")?),
        finished_at: finished_at.map(from_millis),
    })
}

impl<DB: Backend> SqlStore<DB> {
    async fn import_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        import_id: i64,
    ) -> StoreResult<LicenseImport> {
        let row = query(&format!(
            "SELECT {} FROM {} WHERE i.id = $1 AND i.company_id = $2",
            IMPORTS.columns, IMPORTS.from
        ))
        .bind(import_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("license import"))?;
        import_from_row(&row)
    }
}

#[async_trait]
impl<DB: Backend> LicenseCsvStore for SqlStore<DB> {
    async fn insert_license_import(
        &self,
        company_id: CompanyId,
        file_name: &str,
        total_rows: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseImport> {
        let mut tx = self.begin_write().await?;
        let actor_id = actor.id();
        let row = query(
            "INSERT INTO license_imports (company_id, file_name, actor_type, actor_id, status, \
             total_rows, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(company_id)
        .bind(file_name)
        .bind(actor.kind())
        .bind(actor_id.as_deref())
        .bind(RUNNING)
        .bind(total_rows)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?;
        let import_id: i64 = row.read_at(0)?;
        let event = NewEvent::new(company_id, "license_import.started", actor).data(json!({
            "import": import_id,
            "file_name": file_name,
            "rows": total_rows,
        }));
        Self::insert_event(&mut tx, &event, now).await?;
        let import = Self::import_on(&mut tx, company_id, import_id).await?;
        tx.commit().await?;
        Ok(import)
    }

    async fn record_license_import_progress(
        &self,
        company_id: CompanyId,
        import_id: i64,
        imported: i64,
        refused: &[ImportRowError],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let refused_count = i64::try_from(refused.len()).unwrap_or(i64::MAX);
        let updated = query(
            "UPDATE license_imports SET processed_rows = processed_rows + $1 + $2, \
             imported_rows = imported_rows + $1, failed_rows = failed_rows + $2, updated_at = $3 \
             WHERE id = $4 AND company_id = $5",
        )
        .bind(imported)
        .bind(refused_count)
        .bind(millis(now))
        .bind(import_id)
        .bind(company_id)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&updated) == 0 {
            return Err(StoreError::NotFound("license import"));
        }
        for error in refused {
            query(
                "INSERT INTO license_import_errors (import_id, row_number, column_name, message) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(import_id)
            .bind(error.row)
            .bind(error.column.as_str())
            .bind(error.message.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn finish_license_import(
        &self,
        company_id: CompanyId,
        import_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseImport> {
        let mut tx = self.begin_write().await?;
        query(
            "UPDATE license_imports SET status = $1, updated_at = $2, finished_at = $2 \
             WHERE id = $3 AND company_id = $4",
        )
        .bind(FINISHED)
        .bind(millis(now))
        .bind(import_id)
        .bind(company_id)
        .execute(&mut *tx)
        .await?;
        let import = Self::import_on(&mut tx, company_id, import_id).await?;
        let event =
            NewEvent::new(company_id, "license_import.finished", &import.actor).data(json!({
                "import": import.id,
                "file_name": import.file_name,
                "rows": import.total_rows,
                "imported": import.imported_rows,
                "failed": import.failed_rows,
            }));
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(import)
    }

    async fn license_import(
        &self,
        company_id: CompanyId,
        import_id: i64,
    ) -> StoreResult<LicenseImport> {
        Self::import_on(&mut *self.reader.acquire().await?, company_id, import_id).await
    }

    async fn license_imports(
        &self,
        company_id: CompanyId,
        page: Page,
    ) -> StoreResult<Listing<LicenseImport>> {
        self.list_matching(
            &IMPORTS,
            company_id,
            &ListQuery::default(),
            page,
            import_from_row,
        )
        .await
    }

    async fn license_import_errors(
        &self,
        company_id: CompanyId,
        import_id: i64,
        limit: Option<u32>,
    ) -> StoreResult<Vec<ImportRowError>> {
        let rows = query(
            "SELECT e.row_number, e.column_name, e.message FROM license_import_errors e \
             JOIN license_imports i ON i.id = e.import_id \
             WHERE e.import_id = $1 AND i.company_id = $2 ORDER BY e.row_number, e.id LIMIT $3",
        )
        .bind(import_id)
        .bind(company_id)
        .bind(limit.map_or(i64::MAX, i64::from))
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ImportRowError {
                    row: row.read("row_number")?,
                    column: row.read("column_name")?,
                    message: row.read("message")?,
                })
            })
            .collect()
    }

    async fn license_ids_after(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        after: Option<LicenseId>,
        limit: u32,
    ) -> StoreResult<Vec<LicenseId>> {
        let ids = self
            .ids_after(
                &LICENSES,
                company_id,
                list_query,
                after.map(LicenseId::get),
                limit,
            )
            .await?;
        Ok(ids.into_iter().map(LicenseId::new).collect())
    }
}
