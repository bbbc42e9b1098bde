//! Customers and license users as vendors manage them: with their counts, filtered, changed and
//! recorded in the event log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, CustomerId, LicenseUserId};

use super::database::{query, ReadColumn, SqlRow};
use super::listing::Table;
use super::rows::{customer_from_row, joined_id, returned_id, unique_violation, user_from_row};
use super::{Backend, SqlStore, CUSTOMER_COLUMNS, USER_COLUMNS};
use crate::query::ListQuery;
use crate::*;

/// A customer (`c`) with its counts and first license user; every count is 0 where `c` is a LEFT
/// JOIN that found nothing. A macro, so that other listings join it into their column lists.
macro_rules! customer_record_columns {
    () => {
        concat!(
            "c.id AS c_id, c.company_id AS c_company_id, \
    c.email AS c_email, c.first_name AS c_first_name, c.last_name AS c_last_name, \
    c.company_name AS c_company_name, c.phone AS c_phone, c.reference AS c_reference, \
    c.address AS c_address, c.city AS c_city, c.postcode AS c_postcode, c.state AS c_state, \
    c.country AS c_country, c.metadata AS c_metadata, ",
            $crate::sql::customer_accounts::customer_account_columns!(),
            ", (SELECT COUNT(*) FROM orders co WHERE co.customer_id = c.id) AS c_total_orders, \
    (SELECT COUNT(*) FROM licenses cl WHERE cl.customer_id = c.id) AS c_total_licenses, \
    (SELECT MIN(cu.id) FROM license_users cu WHERE cu.customer_id = c.id) AS c_license_user"
        )
    };
}
pub(super) use customer_record_columns;

const CUSTOMER_RECORD_COLUMNS: &str = customer_record_columns!();

const CUSTOMER_RECORDS: Table = Table {
    columns: CUSTOMER_RECORD_COLUMNS,
    from: "customers c",
    company: "c.company_id",
    id: "c.id",
};

const LICENSE_USER_RECORD_COLUMNS: &str = "u.id AS u_id, u.company_id AS u_company_id, \
    u.customer_id AS u_customer_id, u.email AS u_email, u.password_hash AS u_password_hash, \
    u.initial_password AS u_initial_password, u.is_initial_password AS u_is_initial_password, \
    u.first_name AS u_first_name, u.last_name AS u_last_name, u.phone_number AS u_phone_number, \
    u.created_at AS u_created_at, \
    (SELECT COUNT(*) FROM license_assignments ua WHERE ua.license_user_id = u.id) AS u_total_licenses";

const LICENSE_USER_RECORDS: Table = Table {
    columns: LICENSE_USER_RECORD_COLUMNS,
    from: "license_users u",
    company: "u.company_id",
    id: "u.id",
};

/// The customer of a row read with [`CUSTOMER_RECORD_COLUMNS`], `None` where a LEFT JOIN found none.
pub(super) fn customer_record_from_row<R: SqlRow>(
    row: &R,
) -> Result<Option<CustomerRecord>, sqlx::Error> {
    let Some(customer) = customer_from_row(row)? else {
        return Ok(None);
    };
    Ok(Some(CustomerRecord {
        customer,
        total_orders: row.read("c_total_orders")?,
        total_licenses: row.read("c_total_licenses")?,
        license_user: joined_id(row, "c_license_user")?,
    }))
}

fn customer_record<R: SqlRow>(row: &R) -> StoreResult<CustomerRecord> {
    customer_record_from_row(row)?.ok_or(StoreError::NotFound("customer"))
}

impl<DB: Backend> SqlStore<DB> {
    fn license_user_record(&self, row: &DB::Row) -> StoreResult<LicenseUserRecord> {
        let user = user_from_row(row)?.ok_or(StoreError::NotFound("license user"))?;
        Ok(LicenseUserRecord {
            user: self.open_user(user)?,
            total_licenses: row.read("u_total_licenses")?,
            created_at: from_millis(row.read("u_created_at")?),
        })
    }

    /// The company's customer with its counts, on the connection of a transaction or a reader.
    pub(super) async fn customer_record_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        customer_id: CustomerId,
    ) -> StoreResult<Option<CustomerRecord>> {
        let row = query(&format!(
            "SELECT {CUSTOMER_RECORD_COLUMNS} FROM customers c WHERE c.id = $1 AND c.company_id = $2"
        ))
        .bind(customer_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(customer_record).transpose()
    }

    /// Inserts a customer and records `customer.created`.
    pub(super) async fn insert_customer(
        conn: &mut DB::Connection,
        customer: &Customer,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CustomerId> {
        let row = query(
            "INSERT INTO customers (company_id, email, first_name, last_name, company_name, phone, reference, \
             address, city, postcode, state, country, metadata, customer_account_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(customer.company_id)
        .bind(&customer.email)
        .bind(&customer.first_name)
        .bind(&customer.last_name)
        .bind(&customer.company_name)
        .bind(&customer.phone)
        .bind(&customer.reference)
        .bind(&customer.address)
        .bind(&customer.city)
        .bind(&customer.postcode)
        .bind(&customer.state)
        .bind(&customer.country)
        .bind(&customer.metadata)
        .bind(customer.account.as_ref().map(|account| account.id))
        .bind(millis(now))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| unique_violation(e, "customer"))?;
        let id = returned_id(&row)?;
        let event = NewEvent {
            company_id: customer.company_id,
            event: "customer.created",
            actor: actor.clone(),
            subjects: EventSubjects {
                customer_id: Some(id),
                ..Default::default()
            },
            data: serde_json::json!({"email": customer.email}).to_string(),
        };
        Self::insert_event(conn, &event, now).await?;
        Ok(id)
    }

    /// Applies `changes` to the company's customer under a row lock, recording `customer.updated`
    /// when anything changed; `None` when the company has no customer with this id.
    pub(super) async fn change_customer(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        customer_id: CustomerId,
        changes: &CustomerChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Customer>> {
        let row = query(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1 AND c.company_id = $2{}",
            DB::LOCK_ROW
        ))
        .bind(customer_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(mut customer) = row.as_ref().map(customer_from_row).transpose()?.flatten() else {
            return Ok(None);
        };
        let changed = changes.apply(&mut customer);
        if changed.is_empty() {
            return Ok(Some(customer));
        }
        query(
            "UPDATE customers SET email = $1, first_name = $2, last_name = $3, company_name = $4, \
             phone = $5, reference = $6, address = $7, city = $8, postcode = $9, state = $10, \
             country = $11, metadata = $12, customer_account_id = $13 WHERE id = $14",
        )
        .bind(&customer.email)
        .bind(&customer.first_name)
        .bind(&customer.last_name)
        .bind(&customer.company_name)
        .bind(&customer.phone)
        .bind(&customer.reference)
        .bind(&customer.address)
        .bind(&customer.city)
        .bind(&customer.postcode)
        .bind(&customer.state)
        .bind(&customer.country)
        .bind(&customer.metadata)
        .bind(customer.account.as_ref().map(|account| account.id))
        .bind(customer_id)
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_violation(e, "customer"))?;
        let event = NewEvent {
            company_id,
            event: "customer.updated",
            actor: actor.clone(),
            subjects: EventSubjects {
                customer_id: Some(customer_id),
                ..Default::default()
            },
            data: serde_json::Value::Object(changed).to_string(),
        };
        Self::insert_event(conn, &event, now).await?;
        Ok(Some(customer))
    }

    async fn license_user_record_on(
        &self,
        conn: &mut DB::Connection,
        company_id: CompanyId,
        license_user_id: LicenseUserId,
    ) -> StoreResult<Option<LicenseUserRecord>> {
        let row = query(&format!(
            "SELECT {LICENSE_USER_RECORD_COLUMNS} FROM license_users u \
             WHERE u.id = $1 AND u.company_id = $2"
        ))
        .bind(license_user_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref()
            .map(|row| self.license_user_record(row))
            .transpose()
    }
}

#[async_trait]
impl<DB: Backend> PeopleStore for SqlStore<DB> {
    async fn customer_record(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
    ) -> StoreResult<Option<CustomerRecord>> {
        let mut conn = self.reader.acquire().await?;
        Self::customer_record_on(&mut conn, company_id, customer_id).await
    }

    async fn customer_records(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<CustomerRecord>> {
        self.list_matching(
            &CUSTOMER_RECORDS,
            company_id,
            list_query,
            page,
            customer_record,
        )
        .await
    }

    async fn add_customer(
        &self,
        customer: Customer,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CustomerRecord> {
        let mut tx = self.begin_write().await?;
        let id = Self::insert_customer(&mut tx, &customer, actor, now).await?;
        let record = Self::customer_record_on(&mut tx, customer.company_id, id)
            .await?
            .ok_or(StoreError::NotFound("customer"))?;
        tx.commit().await?;
        Ok(record)
    }

    async fn update_customer(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
        changes: &CustomerChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CustomerRecord>> {
        let mut tx = self.begin_write().await?;
        if Self::change_customer(&mut tx, company_id, customer_id, changes, actor, now)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let record = Self::customer_record_on(&mut tx, company_id, customer_id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn delete_customer(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CustomerDeletion> {
        let mut tx = self.begin_write().await?;
        let Some(record) = Self::customer_record_on(&mut tx, company_id, customer_id).await? else {
            return Ok(CustomerDeletion::NotFound);
        };
        if record.total_licenses > 0 || record.total_orders > 0 {
            return Ok(CustomerDeletion::InUse);
        }
        query("UPDATE license_users SET customer_id = NULL WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        query("DELETE FROM customers WHERE id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent {
            company_id,
            event: "customer.deleted",
            actor: actor.clone(),
            subjects: EventSubjects {
                customer_id: Some(customer_id),
                ..Default::default()
            },
            data: serde_json::json!({"email": record.customer.email}).to_string(),
        };
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(CustomerDeletion::Deleted)
    }

    async fn license_user_record(
        &self,
        company_id: CompanyId,
        license_user_id: LicenseUserId,
    ) -> StoreResult<Option<LicenseUserRecord>> {
        let mut conn = self.reader.acquire().await?;
        self.license_user_record_on(&mut conn, company_id, license_user_id)
            .await
    }

    async fn license_user_records(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<LicenseUserRecord>> {
        self.list_matching(&LICENSE_USER_RECORDS, company_id, list_query, page, |row| {
            self.license_user_record(row)
        })
        .await
    }

    async fn update_license_user(
        &self,
        company_id: CompanyId,
        license_user_id: LicenseUserId,
        changes: &LicenseUserChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<LicenseUserRecord>> {
        let mut tx = self.begin_write().await?;
        let row = query(&format!(
            "SELECT {USER_COLUMNS} FROM license_users u WHERE u.id = $1 AND u.company_id = $2{}",
            DB::LOCK_ROW
        ))
        .bind(license_user_id)
        .bind(company_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((mut user, _)) = row.as_ref().map(user_from_row).transpose()?.flatten() else {
            return Ok(None);
        };
        let changed = changes.apply(&mut user);
        if !changed.is_empty() {
            query(
                "UPDATE license_users SET first_name = $1, last_name = $2, phone_number = $3 \
                 WHERE id = $4",
            )
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(&user.phone_number)
            .bind(license_user_id)
            .execute(&mut *tx)
            .await?;
            let event = NewEvent {
                company_id,
                event: "license_user.updated",
                actor: actor.clone(),
                subjects: EventSubjects {
                    license_user_id: Some(license_user_id),
                    ..Default::default()
                },
                data: serde_json::Value::Object(changed).to_string(),
            };
            Self::insert_event(&mut tx, &event, now).await?;
        }
        let record = self
            .license_user_record_on(&mut tx, company_id, license_user_id)
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn set_license_user_password(
        &self,
        company_id: CompanyId,
        license_user_id: LicenseUserId,
        password_hash: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let updated = query(
            "UPDATE license_users SET password_hash = $1, is_initial_password = FALSE, \
             initial_password = NULL WHERE id = $2 AND company_id = $3",
        )
        .bind(password_hash)
        .bind(license_user_id)
        .bind(company_id)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&updated) == 0 {
            return Ok(false);
        }
        let event = NewEvent {
            company_id,
            event: "license_user.password_set",
            actor: actor.clone(),
            subjects: EventSubjects {
                license_user_id: Some(license_user_id),
                ..Default::default()
            },
            data: "{}".to_owned(),
        };
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
