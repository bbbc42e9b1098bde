//! Offline activation for devices without network access: the device's SDK writes a request file,
//! someone carries it to Latch (the License API's `activate_offline`, the Management API or
//! `latch offline activate`), and the license file (`.lic`) that comes back is carried to the device.
//! Deactivation files free the seat the same ways; refresh files bring an activated device's license
//! up to date. Every front door calls these operations, so the same limits, events and signatures apply.
//!
//! A request file naming a bundle activates (or deactivates) the bundle license and every license it
//! came with, all or none, and is answered with a bundle file in the shape the requesting SDK reads.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use latch_domain::{
    decide_activation, decide_deactivation, decide_device_use, DomainError, Email, LicenseId,
};
use latch_store::{
    Activation, Actor, DeviceInfo, DeviceKey, LicenseIdent, LicenseView, OfflineOrigin, StoreError,
};
use latch_wire::body::{to_json, RequestExtras};
use latch_wire::bundle_file::bundle_file;
pub use latch_wire::bundle_file::BundleFileShape;
use latch_wire::offline::{
    offline_signature, same, OfflineLicenseBody, RequestFile, RequestFileError,
};
use latch_wire::signing::Signer;
use latch_wire::time::http_date;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::license_body::{
    latest_release, latest_release_fields, license_body, variable_iso, LicenseParts,
};
use crate::passwords::PasswordPool;
use crate::{ServiceError, Tenant};

/// Longest accepted text value in a request file, in characters (as in License API requests).
const MAX_TEXT_CHARS: usize = 1024;

/// Why an offline request is refused. The License API's error table gives each its code.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error(transparent)]
    File(#[from] RequestFileError),
    #[error("the request file lacks {0}")]
    Missing(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("the request file's signature does not match")]
    SignatureMismatch,
    #[error("the request file names an API key this company does not have")]
    UnknownApiKey,
    #[error("the request file's API key has been revoked")]
    RevokedApiKey,
    #[error("the request file's API key is read-only and cannot change licenses")]
    ReadOnlyApiKey,
    #[error("the request file names an OAuth client this company does not have")]
    UnknownOAuthClient,
    #[error("the request file's OAuth client has been revoked")]
    RevokedOAuthClient,
    #[error("Wrong username or password")]
    InvalidCredentials,
    #[error("Floating cloud licenses cannot be activated offline")]
    FloatingCloudNotSupported,
    #[error("signing failed: {0}")]
    Signing(#[from] latch_wire::signing::SigningError),
    /// The store's refusals carry the licensing rule's reason (unknown product, activation limit, ...).
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<DomainError> for OfflineError {
    fn from(error: DomainError) -> Self {
        StoreError::Rejected(error).into()
    }
}

pub type OfflineResult<T> = Result<T, OfflineError>;

/// What a request file asks for, from its `request` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Activation,
    Deactivation,
}

/// A request file whose signature was verified with one of the company's keys.
struct VerifiedRequest {
    fields: Map<String, Value>,
    /// The key it was signed with and the key's public name (API key or OAuth client id).
    signing_key: SecretString,
    key_id: String,
}

/// An answered activation: the license object (or, for a bundle, the bundle file), as the License
/// API answers it and as a `.lic` file holds it (base64).
#[derive(Debug, Clone)]
pub struct OfflineLicense {
    json: Vec<u8>,
}

impl OfflineLicense {
    /// The license object's compact JSON.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// The content of the license file: base64 of the JSON.
    pub fn file_content(&self) -> String {
        B64.encode(&self.json)
    }
}

/// Which activated device a refresh file is made for.
#[derive(Debug, Clone)]
pub struct RefreshTarget<'a> {
    pub license_id: LicenseId,
    pub hardware_id: &'a str,
    /// The credentials the device's app is configured with, whose secret signs `offline_signature`.
    pub signed_for: RefreshSigner<'a>,
}

/// Whose secret signs a refresh file's `offline_signature`.
#[derive(Debug, Clone, Copy)]
pub enum RefreshSigner<'a> {
    /// This API key's shared key.
    ApiKey(&'a str),
    /// This OAuth client's secret (apps configured with OAuth credentials).
    OAuthClient(&'a str),
    /// The company's only API key that may change licenses.
    OnlyApiKey,
}

/// Whom a request file names (a license key, or a license user's name), read without verifying the
/// file: for limits counted before anything else is done.
#[derive(Debug, Clone)]
pub struct RequestedHolder {
    pub name: String,
    pub is_user: bool,
}

pub fn requested_holder(file: &str) -> Option<RequestedHolder> {
    let file = RequestFile::decode(file).ok()?;
    let fields = Fields(&file.fields);
    let identity = Identity::from_fields(&fields).ok()?;
    Some(match identity.license_key {
        Some(key) => RequestedHolder {
            name: key.to_owned(),
            is_user: false,
        },
        None => RequestedHolder {
            name: identity.user_lookup_name().to_lowercase(),
            is_user: true,
        },
    })
}

impl Tenant<'_> {
    /// Activates the device a request file describes and answers its license file; a bundle's
    /// file is in `bundle_shape`, or else in the shape the SDK named by the request's `sdk_ver` reads.
    pub async fn activate_offline(
        &self,
        file: &str,
        passwords: &PasswordPool,
        bundle_shape: Option<BundleFileShape>,
    ) -> OfflineResult<OfflineLicense> {
        let request = self.verified(file, Kind::Activation).await?;
        let now = Utc::now();
        let fields = Fields(&request.fields);
        let identity = Identity::from_fields(&fields)?;
        let key = identity.device_key(self.company_id());
        let found = self.store.lookup(&key).await?;
        let license = found.license.as_ref().ok_or(StoreError::LicenseNotFound)?;
        if license.floating.is_floating_cloud {
            return Err(OfflineError::FloatingCloudNotSupported);
        }
        if let Some(username) = identity.username {
            let password = fields.required_text("password")?;
            let stored_hash = found
                .user
                .as_ref()
                .map(|(user, _)| user.password_hash.clone());
            if !passwords.verify(password.to_owned(), stored_hash).await? {
                tracing::debug!(username, "offline activation with a wrong password");
                return Err(OfflineError::InvalidCredentials);
            }
        }
        let info = fields.device_info()?;
        let variables = fields.variables()?;
        let rule = |license: &_, device| decide_activation(license, device, info.is_vm, now);
        let signer = self.company_signer().await?;
        let license_file = |activation: &Activation| {
            offline_license_file(
                &signer,
                activation,
                &identity,
                &request,
                fields.text("request_id")?,
                now,
            )
        };
        if self.names_bundle(&identity).await? {
            let activations = self
                .store
                .activate_bundle(
                    &key,
                    &info,
                    &variables,
                    &rule,
                    now,
                    Some(self.offline_origin()),
                )
                .await?;
            let licenses = activations
                .iter()
                .map(|activation| {
                    Ok((
                        activation.view.product.code.clone(),
                        license_file(activation)?,
                    ))
                })
                .collect::<OfflineResult<Vec<_>>>()?;
            let shape =
                bundle_shape.unwrap_or_else(|| BundleFileShape::for_sdk(info.sdk_ver.as_deref()));
            return Ok(OfflineLicense {
                json: bundle_file(shape, &licenses, &signer)?,
            });
        }
        let activation = self
            .store
            .activate_offline(&key, &info, &variables, &rule, now, self.offline_origin())
            .await?;
        Ok(OfflineLicense {
            json: to_json(&license_file(&activation)?),
        })
    }

    /// Deactivates the device a deactivation request file describes, freeing its activation.
    pub async fn deactivate_offline(&self, file: &str) -> OfflineResult<()> {
        let request = self.verified(file, Kind::Deactivation).await?;
        let fields = Fields(&request.fields);
        let identity = Identity::from_fields(&fields)?;
        let key = identity.device_key(self.company_id());
        let origin = self.offline_origin();
        if self.names_bundle(&identity).await? {
            self.store
                .deactivate_bundle(&key, &decide_deactivation, Some(origin))
                .await?;
        } else {
            self.store
                .deactivate_offline(&key, &decide_deactivation, origin)
                .await?;
        }
        Ok(())
    }

    /// Whether the request file's product is a bundle (`UnknownProduct` when there is no product).
    async fn names_bundle(&self, identity: &Identity<'_>) -> OfflineResult<bool> {
        Ok(self
            .store
            .product_is_bundle(self.company_id(), identity.product)
            .await?)
    }

    /// A refresh file for a device that holds an activation of the license: the license as a check
    /// would show it now, which the SDKs' `update_offline` / `updateOffline` read.
    pub async fn offline_refresh(
        &self,
        target: &RefreshTarget<'_>,
    ) -> OfflineResult<OfflineLicense> {
        let now = Utc::now();
        let (signing_key, key_id) = self.refresh_signing_key(target.signed_for).await?;
        let details = self.license_details(target.license_id).await?;
        let license_key = details.license.license_key.as_deref().ok_or_else(|| {
            OfflineError::Invalid("refresh files are made for key-based licenses".into())
        })?;
        let key = DeviceKey {
            company_id: self.company_id(),
            product_code: &details.product.code,
            ident: LicenseIdent::Key(license_key),
            license_id: Some(details.license.id),
            hardware_id: target.hardware_id,
        };
        let found = self.store.lookup(&key).await?;
        let license = found.license.as_ref().ok_or(StoreError::LicenseNotFound)?;
        decide_device_use(
            &license.rules(&found.product, found.assignment()),
            found.device.as_ref().map(|d| d.state()),
        )?;
        let view = found.into_view().ok_or(DomainError::DeviceNotFound)?;
        let releases = self
            .store
            .releases(self.company_id(), view.product.id)
            .await?;
        let extras =
            RequestExtras::Check(latest_release_fields(latest_release(&releases, None, None)));
        let identity = Identity {
            product: &view.product.code,
            hardware_id: target.hardware_id,
            license_key: Some(license_key),
            username: None,
            user_address: None,
            license_id: Some(view.license.id),
        };
        let request = VerifiedRequest {
            fields: Map::new(),
            signing_key,
            key_id,
        };
        let signer = self.company_signer().await?;
        let body = offline_body(&signer, &view, &identity, &request, now, extras)?;
        // A refresh file's v2 signature covers the v1 signature too.
        let signature_v2 = sign(&signer, &to_json(&body))?;
        Ok(OfflineLicense {
            json: to_json(&OfflineLicenseBody {
                license_signature_v2: Some(signature_v2),
                ..body
            }),
        })
    }

    /// Decodes a request file, checks that it asks for `kind` and that one of the company's keys
    /// signed it.
    async fn verified(&self, file: &str, kind: Kind) -> OfflineResult<VerifiedRequest> {
        let file = RequestFile::decode(file)?;
        let fields = Fields(&file.fields);
        // Node's deactivation files carry no `request` at all.
        let asked = match fields.text("request")? {
            Some("activation") => Some(Kind::Activation),
            Some("deactivation") => Some(Kind::Deactivation),
            None => None,
            Some(other) => {
                return Err(OfflineError::Invalid(format!(
                    "unknown request type {other:?} in the request file"
                )))
            }
        };
        if asked.is_some_and(|asked| asked != kind) {
            return Err(OfflineError::Invalid(match kind {
                Kind::Activation => "this is a deactivation request file, not an activation".into(),
                Kind::Deactivation => {
                    "this is an activation request file, not a deactivation".into()
                }
            }));
        }
        let (signing_key, key_id) = match (fields.text("api_key")?, fields.text("client_id")?) {
            (Some(api_key), _) => (self.offline_api_key(api_key).await?, api_key),
            (None, Some(client_id)) => (self.offline_oauth_client(client_id).await?, client_id),
            (None, None) => return Err(OfflineError::Missing("api_key")),
        };
        let signed = match &file.wrapper {
            Some(_) => {
                file.wrapper_signed_with(signing_key.expose_secret())
                    // The Python SDK signs OAuth deactivation files with the client id, not the secret.
                    || (kind == Kind::Deactivation
                        && fields.text("api_key")?.is_none()
                        && file.wrapper_signed_with(key_id))
            }
            None => {
                let identity = Identity::from_fields(&fields)?;
                let date = fields.required_text("date")?;
                let sent = fields.required_text("signature")?;
                same(
                    &offline_signature(
                        signing_key.expose_secret(),
                        date,
                        identity.offline_ident(),
                        identity.hardware_id,
                        key_id,
                    ),
                    sent,
                )
            }
        };
        if !signed {
            return Err(OfflineError::SignatureMismatch);
        }
        let key_id = key_id.to_owned();
        Ok(VerifiedRequest {
            fields: file.fields,
            signing_key,
            key_id,
        })
    }

    /// The shared key of the company's API key `api_key`, if that key may change licenses.
    async fn offline_api_key(&self, api_key: &str) -> OfflineResult<SecretString> {
        let key = self
            .store
            .api_key(api_key)
            .await?
            .filter(|key| key.company_id == self.company_id())
            .ok_or(OfflineError::UnknownApiKey)?;
        if key.revoked {
            return Err(OfflineError::RevokedApiKey);
        }
        if key.read_only {
            return Err(OfflineError::ReadOnlyApiKey);
        }
        Ok(key.shared_key)
    }

    /// The secret of the company's OAuth client `client_id`, which signs its offline files.
    async fn offline_oauth_client(&self, client_id: &str) -> OfflineResult<SecretString> {
        let client = self
            .store
            .oauth_client(client_id)
            .await?
            .filter(|client| client.company_id == self.company_id())
            .ok_or(OfflineError::UnknownOAuthClient)?;
        if client.revoked {
            return Err(OfflineError::RevokedOAuthClient);
        }
        Ok(client.client_secret)
    }

    /// The secret a refresh file's `offline_signature` is made with, and the public name it signs
    /// with it.
    async fn refresh_signing_key(
        &self,
        signed_for: RefreshSigner<'_>,
    ) -> OfflineResult<(SecretString, String)> {
        match signed_for {
            RefreshSigner::ApiKey(api_key) => {
                return Ok((self.offline_api_key(api_key).await?, api_key.to_owned()))
            }
            RefreshSigner::OAuthClient(client_id) => {
                return Ok((
                    self.offline_oauth_client(client_id).await?,
                    client_id.to_owned(),
                ))
            }
            RefreshSigner::OnlyApiKey => {}
        }
        let mut usable: Vec<_> = self
            .store
            .api_keys(self.company_id())
            .await?
            .into_iter()
            .filter(|key| !key.revoked && !key.read_only)
            .collect();
        match usable.len() {
            1 => {
                let key = usable.remove(0);
                Ok((key.shared_key, key.api_key))
            }
            0 => Err(OfflineError::Invalid(
                "the company has no API key that may change licenses".into(),
            )),
            _ => Err(OfflineError::Invalid(
                "the company has several API keys: name the one the device's app uses".into(),
            )),
        }
    }

    /// Events of offline files name the device when it brought the file itself, else the vendor.
    fn offline_origin(&self) -> OfflineOrigin<'_> {
        match &self.actor {
            Actor::Device(_) => OfflineOrigin::Device,
            actor => OfflineOrigin::Vendor(actor),
        }
    }
}

/// The offline license object of `view` for `identity`, with `date` and `offline_signature`;
/// the v1 signature is in `license_signature`, `device` is left out and no v2 signature is made.
fn offline_body(
    signer: &Signer,
    view: &LicenseView,
    identity: &Identity<'_>,
    request: &VerifiedRequest,
    now: DateTime<Utc>,
    extras: RequestExtras,
) -> OfflineResult<OfflineLicenseBody> {
    let mut license = license_body(
        LicenseParts::of_view(view, identity.hardware_id, identity.signature_ident()),
        now,
        Some(extras),
        |license, shown| {
            signer
                .license_signature(
                    shown.hardware_id,
                    shown.signature_ident,
                    license.validity_period,
                )
                .map_err(OfflineError::from)
        },
    )?;
    let device = license
        .device
        .take()
        // A view always shows its device; not finding it is a bug, not a refusal.
        .ok_or(StoreError::NotFound("the device of a license view"))?;
    let date = http_date(now);
    let offline_signature = offline_signature(
        request.signing_key.expose_secret(),
        &date,
        identity.offline_ident(),
        identity.hardware_id,
        &request.key_id,
    );
    Ok(OfflineLicenseBody {
        license,
        device_id: device.device_id,
        hardware_id: device.hardware_id,
        username: identity.username.map(str::to_owned),
        request_id: None,
        date,
        offline_signature,
        license_signature: Some(device.license_signature),
        license_signature_v2: None,
    })
}

/// The license file of one offline activation: the license object with the request's id, its v1
/// signature and a v2 signature over the object without either signature.
fn offline_license_file(
    signer: &Signer,
    activation: &Activation,
    identity: &Identity<'_>,
    request: &VerifiedRequest,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> OfflineResult<OfflineLicenseBody> {
    let extras = RequestExtras::Activation {
        active: true,
        request: "activation",
        username: None,
        variables: activation.variables.iter().map(variable_iso).collect(),
    };
    let body = offline_body(signer, &activation.view, identity, request, now, extras)?;
    let unsigned = OfflineLicenseBody {
        request_id: request_id.map(str::to_owned),
        license_signature: None,
        ..body.clone()
    };
    let signature_v2 = sign(signer, &to_json(&unsigned))?;
    Ok(OfflineLicenseBody {
        license_signature: body.license_signature,
        license_signature_v2: Some(signature_v2),
        ..unsigned
    })
}

/// base64 RSA signature of `bytes` with the company's key.
fn sign(signer: &Signer, bytes: &[u8]) -> OfflineResult<String> {
    Ok(signer.sign(bytes)?)
}

/// Who and what a request file names: product, device and license.
struct Identity<'a> {
    product: &'a str,
    hardware_id: &'a str,
    license_key: Option<&'a str>,
    /// The license user's name as sent (user-based products).
    username: Option<&'a str>,
    user_address: Option<Email>,
    license_id: Option<LicenseId>,
}

impl<'a> Identity<'a> {
    fn from_fields(fields: &Fields<'a>) -> OfflineResult<Self> {
        let license_key = fields.text("license_key")?.filter(|k| !k.is_empty());
        let username = fields.text("username")?.filter(|u| !u.is_empty());
        if license_key.is_none() && username.is_none() {
            return Err(OfflineError::Missing("license_key"));
        }
        Ok(Self {
            product: fields.required_text("product")?,
            hardware_id: fields.required_text("hardware_id")?,
            license_key,
            username: username.filter(|_| license_key.is_none()),
            user_address: username.and_then(|name| Email::parse(name).ok()),
            license_id: fields.integer("license_id")?.map(LicenseId::new),
        })
    }

    fn device_key(&self, company_id: latch_domain::CompanyId) -> DeviceKey<'_> {
        DeviceKey {
            company_id,
            product_code: self.product,
            ident: match (self.license_key, self.username) {
                (Some(key), _) => LicenseIdent::Key(key),
                (None, _) => LicenseIdent::User(self.user_lookup_name()),
            },
            license_id: self.license_id,
            hardware_id: self.hardware_id,
        }
    }

    /// The license user's address as stored; a name that is not an address belongs to no one.
    fn user_lookup_name(&self) -> &str {
        self.user_address.as_ref().map_or("", Email::as_str)
    }

    /// What `offline_signature` names the license by: the key, or the user name as sent.
    fn offline_ident(&self) -> &'a str {
        self.license_key.or(self.username).unwrap_or_default()
    }

    /// What the v1 signature names the license by: the key, or the user name up to the first `|`.
    fn signature_ident(&self) -> &'a str {
        match (self.license_key, self.username) {
            (Some(key), _) => key,
            (None, username) => username
                .unwrap_or_default()
                .split('|')
                .next()
                .unwrap_or_default(),
        }
    }
}

/// The parameters of a request file, read as leniently as the SDKs write them (`null` is absent).
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn present(&self, name: &'static str) -> Option<&'a Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    fn text(&self, name: &'static str) -> OfflineResult<Option<&'a str>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(text)) => checked_text(name, text).map(Some),
            Some(_) => Err(OfflineError::Invalid(format!("{name} must be a string"))),
        }
    }

    fn required_text(&self, name: &'static str) -> OfflineResult<&'a str> {
        self.text(name)?
            .filter(|text| !text.is_empty())
            .ok_or(OfflineError::Missing(name))
    }

    fn integer(&self, name: &'static str) -> OfflineResult<Option<i64>> {
        let invalid = || OfflineError::Invalid(format!("{name} must be an integer"));
        match self.present(name) {
            None => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(text)) if text.is_empty() => Ok(None),
            Some(Value::String(text)) => text.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    fn flag(&self, name: &'static str) -> OfflineResult<bool> {
        match self.present(name) {
            None => Ok(false),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(true),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(OfflineError::Invalid(format!(
                "{name} must be true or false"
            ))),
        }
    }

    fn device_info(&self) -> OfflineResult<DeviceInfo> {
        let text = |name| self.text(name).map(|value| value.map(str::to_owned));
        Ok(DeviceInfo {
            is_vm: self.flag("is_vm")?,
            vm_info: text("vm_info")?,
            os_ver: text("os_ver")?,
            hostname: text("hostname")?,
            ip: text("ip")?,
            mac_address: text("mac_address")?,
            app_ver: text("app_ver")?,
            sdk_ver: text("sdk_ver")?,
        })
    }

    /// `variables`: an object of names to strings, numbers or booleans, kept as text.
    fn variables(&self) -> OfflineResult<Vec<(String, String)>> {
        let Some(value) = self.present("variables") else {
            return Ok(Vec::new());
        };
        let Value::Object(variables) = value else {
            return Err(OfflineError::Invalid("variables must be an object".into()));
        };
        variables
            .iter()
            .map(|(name, value)| {
                let name = checked_text("variable names", name)?;
                if name.is_empty() {
                    return Err(OfflineError::Invalid(
                        "variable names must not be empty".into(),
                    ));
                }
                let value = match value {
                    Value::String(text) => checked_text("variable values", text)?.to_owned(),
                    Value::Number(number) => number.to_string(),
                    Value::Bool(flag) => flag.to_string(),
                    _ => {
                        return Err(OfflineError::Invalid(format!(
                            "variable {name} must be a string, number or boolean"
                        )))
                    }
                };
                Ok((name.to_owned(), value))
            })
            .collect()
    }
}

/// Text the database can store and the License API would accept: no NUL, at most
/// [`MAX_TEXT_CHARS`] characters.
fn checked_text<'t>(name: &str, text: &'t str) -> OfflineResult<&'t str> {
    if text.contains('\0') || text.chars().count() > MAX_TEXT_CHARS {
        return Err(OfflineError::Invalid(format!(
            "{name} must have at most {MAX_TEXT_CHARS} characters and no NUL"
        )));
    }
    Ok(text)
}
