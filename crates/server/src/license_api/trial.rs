use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};
use latch_domain::{Email, LicenseType};
use latch_store::{AuthorizationMethod, License, NewLicense, NewLicenseUser, Product, TrialUser};
use latch_wire::body::{
    CompanyRef, ExistingTrialBody, ExistingTrialHolder, NewTrialBody, TrialHolder,
};
use latch_wire::time::iso_millis;

use super::body::{exposes_initial_passwords, metadata, shown_initial_password};
use super::json;
use crate::auth::{Tenant, WritableTenant};
use crate::error::{ApiError, InternalError};
use crate::params::Params;
use crate::rate_limits::ClientAddr;
use crate::state::AppState;
use latch_service::keys::{generate_license_key, generate_password};

/// A trial has a key (key-based products) or an e-mail address (user-based products).
const NO_TRIAL_HOLDER: InternalError =
    InternalError::invariant("a trial has a license key or an e-mail address");

/// `GET /api/v4/trial_key`: a trial license for this device, created once per product and hardware id
/// (and, for user-based products, once per e-mail address); later calls answer with the same trial.
pub async fn trial_key(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    params: Params,
) -> Result<Response, ApiError> {
    let code = params.required_str("product")?;
    state.rate_limits.trial(tenant.company_id, code, client)?;
    let hardware_id = params
        .optional_str("hardware_id")?
        .filter(|h| !h.is_empty())
        .ok_or(ApiError::MissingHardwareId)?;
    let product = state
        .store
        .product(tenant.company_id, code)
        .await?
        .ok_or(ApiError::UnknownProduct)?;
    if !product.allow_trial {
        return Err(ApiError::TrialNotAllowed);
    }
    let user_based = product.authorization_method == AuthorizationMethod::User;
    // A trial creates its license user: unlike a lookup, an address that is none is refused.
    let email = if user_based {
        Some(params.required_email("email")?)
    } else {
        None
    };
    let email_text = email.as_ref().map(Email::as_str);
    if let Some(existing) = state
        .store
        .trial(product.id, hardware_id, email_text)
        .await?
    {
        return existing_trial(&state, &tenant, &existing, email.as_ref()).await;
    }
    let now = Utc::now();
    let mut license = NewLicense::basic(tenant.company_id, product.id, String::new());
    license.license_key = if user_based {
        None
    } else {
        Some(generate_license_key()?)
    };
    license.license_type = LicenseType::TimeLimited;
    license.is_trial = true;
    license.validity_period = Some(now + Duration::days(product.trial_days.max(1)));
    let user = match &email {
        None => None,
        Some(email) => Some(trial_user(&state, &tenant, email, &params).await?),
    };
    // The SDK flow shows a new user's password once, in the answer of the trial that created it.
    let creates_user = matches!(user, Some(TrialUser::New(_)));
    let (license, created) = state
        .store
        .create_trial(hardware_id, email_text, license, user, now)
        .await?;
    if !created {
        return existing_trial(&state, &tenant, &license, email.as_ref()).await;
    }
    let holder = match (&license.license_key, &email) {
        (Some(key), _) => TrialHolder::Key {
            license: key.clone(),
            license_key: key.clone(),
        },
        (None, Some(email)) => {
            let user = state
                .store
                .license_user(tenant.company_id, email.as_str())
                .await?
                .ok_or(InternalError::invariant(
                    "a new user-based trial has its license user",
                ))?;
            let shown = creates_user || exposes_initial_passwords(&state, &tenant).await?;
            TrialHolder::User {
                license_user: user.email,
                initial_password: shown_initial_password(user.initial_password, shown),
                license_user_id: user.id.get(),
                max_license_users: license.max_license_users,
            }
        }
        (None, None) => return Err(NO_TRIAL_HOLDER.into()),
    };
    Ok(json(&new_trial_body(&product, &license, holder)))
}

/// The user a new user-based trial goes to: the existing account for this e-mail, or a new one with
/// the password sent (or a generated one).
async fn trial_user(
    state: &AppState,
    tenant: &Tenant,
    email: &Email,
    params: &Params,
) -> Result<TrialUser, ApiError> {
    if let Some(existing) = state
        .store
        .license_user(tenant.company_id, email.as_str())
        .await?
    {
        return Ok(TrialUser::Existing(existing));
    }
    let password = match params.optional_str("password")?.filter(|p| !p.is_empty()) {
        Some(password) => password.to_owned(),
        None => generate_password()?,
    };
    let text = |name| {
        params
            .optional_str(name)
            .map(|v| v.unwrap_or_default().to_owned())
    };
    Ok(TrialUser::New(NewLicenseUser {
        company_id: tenant.company_id,
        customer_id: None,
        email: email.to_string(),
        password_hash: state.passwords.hash(password.clone()).await?,
        initial_password: password.into(),
        first_name: text("first_name")?,
        last_name: text("last_name")?,
        phone_number: text("phone")?,
    }))
}

async fn existing_trial(
    state: &AppState,
    tenant: &Tenant,
    license: &License,
    email: Option<&Email>,
) -> Result<Response, ApiError> {
    let holder = match (&license.license_key, email) {
        (Some(key), _) => ExistingTrialHolder::Key {
            license: key.clone(),
        },
        (None, Some(email)) => {
            let shown = exposes_initial_passwords(state, tenant).await?;
            let user = state
                .store
                .license_user(tenant.company_id, email.as_str())
                .await?;
            ExistingTrialHolder::User {
                license_user: email.to_string(),
                initial_password: shown_initial_password(
                    user.and_then(|u| u.initial_password),
                    shown,
                ),
            }
        }
        (None, None) => return Err(NO_TRIAL_HOLDER.into()),
    };
    Ok(json(&ExistingTrialBody {
        license_type: license.license_type.as_str(),
        is_trial: true,
        holder,
    }))
}

fn new_trial_body(product: &Product, license: &License, holder: TrialHolder) -> NewTrialBody {
    NewTrialBody {
        id: license.id.get(),
        order_id: None,
        product_id: product.id.get(),
        created_at: license.created_at.timestamp_millis(),
        updated_at: license.created_at.timestamp_millis(),
        times_activated: license.times_activated,
        is_trial: true,
        active: false,
        enabled: license.enabled,
        is_floating: false,
        is_floating_cloud: license.floating.is_floating_cloud,
        max_activations: license.max_activations,
        trial_days: product.trial_days,
        license_type: license.license_type.as_str(),
        max_transfers: license.max_transfers,
        prevent_vm: license.prevent_vm || product.prevent_vm,
        enable_maintenance_period: false,
        maintenance_duration: None,
        metadata: metadata(&license.metadata),
        is_hardware_key_auth: false,
        validity_period: license.validity_period.map(iso_millis),
        company: CompanyRef {
            id: license.company_id.get(),
        },
        license_product_features: Vec::new(),
        license_custom_fields: Vec::new(),
        floating_users: license.floating.floating_users,
        floating_timeout: license.floating.floating_timeout,
        allow_overages: license.consumption.allow_overages,
        max_overages: license.consumption.max_overages,
        max_consumptions: license.consumption.max_consumptions,
        valid_duration: Some(format!("{}d", product.trial_days)),
        consumption_period: license.consumption.consumption_period.map(|p| p.as_str()),
        reset_consumption: license.consumption.reset_consumption,
        grace_period: license.grace_period,
        allow_grace_period: license.allow_grace_period,
        holder,
    }
}
