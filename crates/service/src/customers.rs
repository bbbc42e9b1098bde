//! Customers: the people and organisations licenses are sold to.

use latch_domain::Email;
use latch_store::{Customer, Listing, Page};

use crate::{ServiceError, ServiceResult, Tenant};

#[derive(Debug, Clone, Default)]
pub struct CustomerSpec {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub phone: String,
    pub reference: String,
}

/// The address as a typed e-mail, or an error naming `field`.
pub(crate) fn parse_email(field: &'static str, text: &str) -> ServiceResult<Email> {
    Email::parse(text).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

impl Tenant<'_> {
    pub async fn create_customer(&self, spec: CustomerSpec) -> ServiceResult<Customer> {
        let email = parse_email("email", &spec.email)?;
        let customer = Customer {
            company_id: self.company_id(),
            email: email.into_string(),
            first_name: spec.first_name,
            last_name: spec.last_name,
            company_name: spec.company_name,
            phone: spec.phone,
            reference: spec.reference,
            metadata: "{}".into(),
            ..Customer::default()
        };
        Ok(self.store.create_customer(customer, self.change()).await?)
    }

    pub async fn customers(&self, page: Page) -> ServiceResult<Listing<Customer>> {
        Ok(self.store.customers(self.company_id(), page).await?)
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
