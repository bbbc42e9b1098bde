//! Customers: the people and organisations licenses are sold to.

use chrono::Utc;
use latch_domain::{CustomerId, Email};
use latch_store::query::ListQuery;
use latch_store::{
    Customer, CustomerChanges, CustomerDeletion, CustomerRecord, Listing, Page, StoreError,
};

use crate::customer_accounts::AccountName;
use crate::terms::validate_metadata;
use crate::{ServiceError, ServiceResult, Tenant};

#[derive(Debug, Clone, Default)]
pub struct CustomerSpec {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub phone: String,
    pub reference: String,
    pub address: String,
    pub city: String,
    pub postcode: String,
    pub state: String,
    pub country: String,
    /// A JSON object, as text; `{}` when absent.
    pub metadata: Option<String>,
    /// The customer account it belongs to.
    pub account: Option<AccountName>,
}

/// The address as a typed e-mail, or an error naming `field`.
pub(crate) fn parse_email(field: &'static str, text: &str) -> ServiceResult<Email> {
    Email::parse(text).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

/// A taken e-mail address, named as the field that holds it.
fn email_taken(error: StoreError) -> ServiceError {
    match error {
        StoreError::Duplicate("customer") => ServiceError::invalid(
            "email",
            "A customer with this e-mail address already exists.",
        ),
        other => other.into(),
    }
}

fn customer_not_found(id: CustomerId) -> ServiceError {
    ServiceError::NotFound(format!("customer with id {id}"))
}

impl Tenant<'_> {
    /// Creates a customer and records `customer.created`.
    pub async fn create_customer(&self, spec: CustomerSpec) -> ServiceResult<CustomerRecord> {
        let email = parse_email("email", &spec.email)?;
        let metadata = match &spec.metadata {
            Some(text) => validate_metadata(text)?,
            None => "{}".to_owned(),
        };
        let account = match &spec.account {
            Some(name) => Some(self.account_for_customer("customer_account", name).await?),
            None => None,
        };
        let customer = Customer {
            company_id: self.company_id(),
            email: email.into_string(),
            first_name: spec.first_name,
            last_name: spec.last_name,
            company_name: spec.company_name,
            phone: spec.phone,
            reference: spec.reference,
            address: spec.address,
            city: spec.city,
            postcode: spec.postcode,
            state: spec.state,
            country: spec.country,
            metadata,
            account,
            ..Customer::default()
        };
        self.store
            .add_customer(customer, &self.actor, Utc::now())
            .await
            .map_err(email_taken)
    }

    /// The company's customers, newest first.
    pub async fn customers(&self, page: Page) -> ServiceResult<Listing<CustomerRecord>> {
        self.matching_customers(&ListQuery::default(), page).await
    }

    /// The company's customers that match, newest first unless the query orders them.
    pub async fn matching_customers(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<CustomerRecord>> {
        Ok(self
            .store
            .customer_records(self.company_id(), list_query, page)
            .await?)
    }

    /// The company's customer with this id, with its counts.
    pub async fn customer(&self, id: CustomerId) -> ServiceResult<CustomerRecord> {
        self.store
            .customer_record(self.company_id(), id)
            .await?
            .ok_or_else(|| customer_not_found(id))
    }

    /// Changes the company's customer and records `customer.updated`; `account: Some(None)` takes
    /// it out of its customer account.
    pub async fn update_customer(
        &self,
        id: CustomerId,
        mut changes: CustomerChanges,
        account: Option<Option<AccountName>>,
    ) -> ServiceResult<CustomerRecord> {
        changes.account = match account {
            Some(Some(name)) => Some(Some(
                self.account_for_customer("customer_account", &name).await?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        if let Some(email) = &changes.email {
            changes.email = Some(parse_email("email", email)?.into_string());
        }
        if let Some(metadata) = &changes.metadata {
            changes.metadata = Some(validate_metadata(metadata)?);
        }
        self.store
            .update_customer(self.company_id(), id, &changes, &self.actor, Utc::now())
            .await
            .map_err(email_taken)?
            .ok_or_else(|| customer_not_found(id))
    }

    /// Deletes the company's customer; one that licenses or orders name is refused, since deleting
    /// it would take the holder off licenses still in use.
    pub async fn delete_customer(&self, id: CustomerId) -> ServiceResult<()> {
        match self
            .store
            .delete_customer(self.company_id(), id, &self.actor, Utc::now())
            .await?
        {
            CustomerDeletion::Deleted => Ok(()),
            CustomerDeletion::NotFound => Err(customer_not_found(id)),
            CustomerDeletion::InUse => Err(ServiceError::invalid(
                "non_field_errors",
                "The customer has licenses or orders and cannot be deleted.",
            )),
        }
    }

    /// The company's customer with this e-mail address; `field` names the address in errors.
    pub async fn customer_by_email(
        &self,
        field: &'static str,
        email: &str,
    ) -> ServiceResult<Customer> {
        let email = parse_email(field, email)?;
        self.store
            .customer_by_email(self.company_id(), email.as_str())
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("customer {email} in company {}", self.company_id()))
            })
    }
}
