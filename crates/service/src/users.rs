//! License users: the people who sign in to user-based licenses.

use chrono::Utc;
use latch_domain::LicenseUserId;
use latch_store::query::ListQuery;
use latch_store::{
    LicenseUser, LicenseUserChanges, LicenseUserRecord, Listing, NewLicenseUser, Page,
};
use secrecy::SecretString;

use crate::customers::parse_email;
use crate::keys::generate_password;
use crate::{passwords, ServiceError, ServiceResult, Tenant};

#[derive(Debug, Clone, Default)]
pub struct LicenseUserSpec {
    pub email: String,
    /// The initial password; generated when absent.
    pub password: Option<String>,
    /// The customer the user belongs to (e-mail).
    pub customer: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
}

/// A new license user and the initial password to hand over.
#[derive(Debug)]
pub struct CreatedLicenseUser {
    pub user: LicenseUser,
    pub initial_password: SecretString,
}

impl Tenant<'_> {
    pub async fn create_license_user(
        &self,
        spec: LicenseUserSpec,
    ) -> ServiceResult<CreatedLicenseUser> {
        let email = parse_email("email", &spec.email)?;
        let customer_id = match &spec.customer {
            Some(customer) => Some(self.customer_by_email("customer", customer).await?.id),
            None => None,
        };
        let password = match spec.password {
            Some(password) if password.is_empty() => {
                return Err(ServiceError::invalid("password", "must not be empty"))
            }
            Some(password) => password,
            None => generate_password()?,
        };
        let user = NewLicenseUser {
            company_id: self.company_id(),
            customer_id,
            email: email.into_string(),
            password_hash: passwords::hash_off_runtime(password.clone()).await?,
            initial_password: password.clone().into(),
            first_name: spec.first_name,
            last_name: spec.last_name,
            phone_number: spec.phone,
        };
        let user = self.store.create_license_user(user, self.change()).await?;
        Ok(CreatedLicenseUser {
            user,
            initial_password: password.into(),
        })
    }

    pub async fn license_users(&self, page: Page) -> ServiceResult<Listing<LicenseUser>> {
        Ok(self.store.license_users(self.company_id(), page).await?)
    }

    /// The company's license user with this e-mail address.
    pub async fn license_user(&self, email: &str) -> ServiceResult<LicenseUser> {
        let email = parse_email("user", email)?;
        self.store
            .license_user(self.company_id(), email.as_str())
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "license user {email} in company {}",
                    self.company_id()
                ))
            })
    }
}

/// A license user not found by id.
fn user_not_found(id: LicenseUserId) -> ServiceError {
    ServiceError::NotFound(format!("license user with id {id}"))
}

impl Tenant<'_> {
    /// The company's license users that match, newest first unless the query orders them.
    pub async fn matching_license_users(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<LicenseUserRecord>> {
        Ok(self
            .store
            .license_user_records(self.company_id(), list_query, page)
            .await?)
    }

    /// The company's license user with this id and the number of licenses it holds.
    pub async fn license_user_by_id(&self, id: LicenseUserId) -> ServiceResult<LicenseUserRecord> {
        self.store
            .license_user_record(self.company_id(), id)
            .await?
            .ok_or_else(|| user_not_found(id))
    }

    /// Changes the user's name or phone and records `license_user.updated`.
    pub async fn update_license_user(
        &self,
        id: LicenseUserId,
        changes: &LicenseUserChanges,
    ) -> ServiceResult<LicenseUserRecord> {
        self.store
            .update_license_user(self.company_id(), id, changes, &self.actor, Utc::now())
            .await?
            .ok_or_else(|| user_not_found(id))
    }

    /// Gives the user a new password, which the License API accepts from then on; the initial
    /// password is forgotten. Records `license_user.password_set`.
    pub async fn set_license_user_password(
        &self,
        id: LicenseUserId,
        password: String,
    ) -> ServiceResult<()> {
        if password.chars().count() < passwords::MIN_PASSWORD_CHARS {
            return Err(ServiceError::invalid(
                "password",
                format!(
                    "must have at least {} characters",
                    passwords::MIN_PASSWORD_CHARS
                ),
            ));
        }
        let hash = passwords::hash_off_runtime(password).await?;
        if self
            .store
            .set_license_user_password(self.company_id(), id, &hash, &self.actor, Utc::now())
            .await?
        {
            Ok(())
        } else {
            Err(user_not_found(id))
        }
    }
}
