use std::collections::hash_map::Entry;
use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::ProductId;
use latch_store::{LicenseUser, Product};
use latch_wire::body::{
    CompanyRef, CustomerLicenseUsersBody, CustomerUserBody, UserLicenseBody, PASSWORD_CHANGED,
};

use super::body::{
    customer_body, exposes_initial_passwords, license_body, shown_initial_password, user_body,
    LicenseParts,
};
use super::json;
use super::sso::signed_in_user;
use crate::auth::{Tenant, WritableTenant};
use crate::error::ApiError;
use crate::params::{LookupEmail, Params};
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

use latch_service::passwords::MIN_PASSWORD_CHARS;

/// The license user with this name and password. An unknown name and a wrong password get the same
/// answer, after the same work (an unknown name is checked against a dummy hash), so the API does not
/// reveal which e-mail addresses have accounts. Each name gets a limited number of attempts per window,
/// counted in the database so the limit holds across nodes (a right password gives its attempt back);
/// each client address a limited number of failures before it must wait.
pub async fn verify_user_password(
    state: &AppState,
    tenant: &Tenant,
    client: Option<ClientAddr>,
    username: &LookupEmail,
    password: &str,
) -> Result<LicenseUser, ApiError> {
    let name = username.lookup_text().to_lowercase();
    let limits = &state.rate_limits;
    limits
        .password_attempt(state.store.as_ref(), tenant.company_id, &name, client)
        .await?;
    let user = match username.email() {
        Some(email) => {
            state
                .store
                .license_user(tenant.company_id, email.as_str())
                .await?
        }
        None => None,
    };
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let matches = state
        .passwords
        .verify(password.to_owned(), stored_hash)
        .await?;
    match user {
        Some(user) if matches => {
            limits
                .password_right(state.store.as_ref(), tenant.company_id, &name)
                .await?;
            Ok(user)
        }
        _ => {
            limits.secret_wrong(client);
            Err(ApiError::InvalidCredentials)
        }
    }
}

async fn product_by_code(
    state: &AppState,
    tenant: &Tenant,
    code: &str,
) -> Result<Product, ApiError> {
    state
        .store
        .product(tenant.company_id, code)
        .await?
        .ok_or(ApiError::UnknownProduct)
}

/// `GET /api/v4/user_licenses`: the licenses a user holds (of `product`, or of every product); the
/// user signs in with `username` and `password`, or through a customer account's identity provider.
pub async fn user_licenses(
    State(state): State<AppState>,
    tenant: Tenant,
    client: Option<ClientAddr>,
    params: Params,
) -> Result<Response, ApiError> {
    let product = match params.optional_str("product")? {
        Some(code) if !code.is_empty() => Some(product_by_code(&state, &tenant, code).await?),
        _ => None,
    };
    let user = match signed_in_user(&state, &tenant, &params).await? {
        Some(user) => user,
        None => {
            let username = params.lookup_email("username")?;
            let password = params.required_str("password")?;
            verify_user_password(&state, &tenant, client, &username, password).await?
        }
    };
    let held = state
        .store
        .user_licenses(product.as_ref().map(|p| p.id), user.id)
        .await?;
    let now = Utc::now();
    let mut products: HashMap<ProductId, Product> =
        product.into_iter().map(|p| (p.id, p)).collect();
    let mut answer = Vec::with_capacity(held.len());
    for (license, assignment) in &held {
        if let Entry::Vacant(slot) = products.entry(license.product_id) {
            slot.insert(
                state
                    .store
                    .product_by_id(tenant.company_id, license.product_id)
                    .await?,
            );
        }
        let features = state
            .store
            .license_features(tenant.company_id, license.id)
            .await?;
        let custom_fields = state
            .store
            .custom_field_values(tenant.company_id, license.id)
            .await?;
        let customer = match license.customer_id {
            Some(id) => state.store.customer(tenant.company_id, id).await?,
            None => None,
        };
        let parts = LicenseParts {
            product: &products[&license.product_id],
            license,
            user: Some((&user, assignment)),
            features: &features,
            customer: customer.as_ref(),
            custom_fields: &custom_fields,
            floating_in_use: None,
            device: None,
            include_expired_features: true,
        };
        answer.push(UserLicenseBody {
            license: license_body(&state, &tenant, parts, now, None)?,
            user: user_body(&user, assignment),
        });
    }
    Ok(json(&answer))
}

/// `GET /api/v4/customer_license_users`: the license users on a customer's licenses of a product.
pub async fn customer_license_users(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let product = product_by_code(&state, &tenant, params.required_str("product")?).await?;
    let customer = match params.lookup_email("customer")?.email() {
        Some(email) => {
            state
                .store
                .customer_by_email(tenant.company_id, email.as_str())
                .await?
        }
        None => None,
    }
    .ok_or(ApiError::CustomerDoesNotExist)?;
    let users = state
        .store
        .customer_license_users(product.id, customer.id)
        .await?;
    let show_passwords = exposes_initial_passwords(&state, &tenant).await?;
    Ok(json(&CustomerLicenseUsersBody {
        company: CompanyRef {
            id: tenant.company_id.get(),
        },
        customer: customer_body(Some(&customer)),
        users: users
            .into_iter()
            .map(|(user, assignment)| CustomerUserBody {
                email: user.email,
                is_active: true,
                first_name: user.first_name,
                last_name: user.last_name,
                phone_number: user.phone_number,
                is_initial_password: user.is_initial_password,
                initial_password: shown_initial_password(user.initial_password, show_passwords),
                max_activations: assignment.max_activations,
                total_activations: assignment.total_activations,
                allow_unlimited_activations: assignment.allow_unlimited_activations,
                license_id: assignment.license_id.get(),
                order_store_id: None,
                order_id: None,
            })
            .collect(),
    }))
}

/// `POST /api/v4/change_password`: answers `"password_changed"`.
pub async fn change_password(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    params: Params,
) -> Result<Response, ApiError> {
    let username = params.lookup_email("username")?;
    let password = params.required_str("password")?;
    let new_password = params.required_str("new_password")?;
    if new_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::Validation(format!(
            "new_password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let user = verify_user_password(&state, &tenant, client, &username, password).await?;
    let hash = state.passwords.hash(new_password.to_owned()).await?;
    state.store.change_password(user.id, &hash).await?;
    Ok(json(&PASSWORD_CHANGED))
}
