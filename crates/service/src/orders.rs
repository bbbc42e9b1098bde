//! Orders: a vendor's store places one with its customer and licenses in one call, idempotent per
//! store order id; orders are listed, shown and changed; license keys are generated ahead of orders.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use latch_domain::{ConsumptionPeriod, LicenseType};
use latch_store::query::fields::ORDER_FIELDS;
use latch_store::query::{find_field, ListQuery, Lookup, Value};
use latch_store::{
    AuthorizationMethod, Customer, CustomerChanges, License, LicenseRecord, Listing,
    NewLicenseFeature, NewLicenseUser, NewOrder, Order, OrderChanges, OrderCustomer, OrderFields,
    OrderLicense, OrderLicenseUser, OrderRecord, Page, Product, StoreError,
};
use secrecy::SecretString;

use crate::customers::parse_email;
use crate::keys::{generate_license_key, generate_license_keys, generate_password};
use crate::terms::{validate_metadata, TermLength};
use crate::{
    passwords, ConsumptionTerms, FloatingTerms, LicenseTerms, ServiceError, ServiceResult, Tenant,
};

/// The only order type there is.
const NORMAL_ORDER: &str = "normal";

/// An order as a store places it.
#[derive(Debug, Clone, Default)]
pub struct OrderSpec {
    /// The store's own order id.
    pub store_id: String,
    /// With an existing store id: add the licenses to that order.
    pub append: bool,
    pub is_test: bool,
    pub created: Option<DateTime<Utc>>,
    pub order_type: Option<String>,
    pub language: String,
    pub campaign_params: String,
    pub download_id: String,
    pub reference: String,
    /// A JSON object, as text.
    pub metadata: Option<String>,
    /// The customer by e-mail, with the fields to set (`email` is required).
    pub customer: Option<CustomerChanges>,
    pub items: Vec<OrderItemSpec>,
}

/// Licenses of one product in an order.
#[derive(Debug, Clone, Default)]
pub struct OrderItemSpec {
    pub product_code: String,
    pub licenses: Vec<OrderLicenseSpec>,
}

/// One license of an order: the terms, and what the Management API writes differently from them.
#[derive(Debug, Clone, Default)]
pub struct OrderLicenseSpec {
    /// Everything but the type and the validity, which come from the fields below.
    pub terms: LicenseTerms,
    /// `perpetual`, `time-limited`, `subscription` or `consumption`; absent: perpetual, or
    /// time-limited when the license ends.
    pub license_type: Option<String>,
    pub validity_period: Option<DateTime<Utc>>,
    /// `30d`, `6m`, `1y`: validity from the start date (or now).
    pub valid_duration: Option<String>,
    /// Days a trial lasts, when no other validity is given.
    pub trial_days: Option<i64>,
    pub maintenance_duration: Option<String>,
    pub consumption_period: Option<String>,
    pub reset_consumption: Option<bool>,
    pub allow_overages: Option<bool>,
    pub is_floating: bool,
    pub floating_users: Option<i64>,
    pub floating_timeout: Option<i64>,
    pub can_borrow: Option<bool>,
    pub note: String,
    pub users: Vec<OrderUserSpec>,
    /// Product feature codes, each with its most consumptions.
    pub features: Vec<(String, Option<i64>)>,
    /// Product custom field names with the license's values.
    pub custom_fields: Vec<(String, String)>,
}

/// A license user an order places on a license, by e-mail.
#[derive(Debug, Clone, Default)]
pub struct OrderUserSpec {
    pub email: String,
    /// Activations the user may make; the license's when absent.
    pub max_activations: Option<i64>,
}

/// What placing an order did.
#[derive(Debug)]
pub struct CreatedOrder {
    pub order: Order,
    /// False for a repeated order id without `append`: nothing changed.
    pub created_anything: bool,
    /// The licenses created, or the order's licenses when nothing was created, with their products.
    pub licenses: Vec<(License, Product)>,
    /// Each new license user's e-mail and generated password.
    pub new_passwords: Vec<(String, SecretString)>,
}

/// An order with its licenses and their products, oldest license first.
#[derive(Debug, Clone)]
pub struct OrderDetails {
    pub record: OrderRecord,
    /// The order's licenses, whole, oldest first.
    pub licenses: Vec<LicenseRecord>,
}

/// Keys asked for ahead of an order.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    pub product_code: String,
    pub quantity: i64,
    pub key_length: i64,
    pub alphabet: String,
}

/// Products of one request, each read once.
#[derive(Default)]
struct Products(BTreeMap<latch_domain::ProductId, Product>);

impl Products {
    async fn by_id(&mut self, tenant: &Tenant<'_>, license: &License) -> ServiceResult<Product> {
        if let Some(product) = self.0.get(&license.product_id) {
            return Ok(product.clone());
        }
        let product = tenant
            .store
            .product_by_id(tenant.company_id(), license.product_id)
            .await?;
        self.0.insert(product.id, product.clone());
        Ok(product)
    }

    async fn of(
        &mut self,
        tenant: &Tenant<'_>,
        licenses: Vec<License>,
    ) -> ServiceResult<Vec<(License, Product)>> {
        let mut shown = Vec::with_capacity(licenses.len());
        for license in licenses {
            let product = self.by_id(tenant, &license).await?;
            shown.push((license, product));
        }
        Ok(shown)
    }
}

fn order_type(field: &'static str, text: Option<String>) -> ServiceResult<Option<String>> {
    match text {
        Some(text) if text != NORMAL_ORDER => Err(ServiceError::invalid(
            field,
            format!("\"{text}\" is not a valid choice."),
        )),
        other => Ok(other),
    }
}

fn at(path: &str) -> impl Fn(ServiceError) -> ServiceError + '_ {
    move |error| error.under(path)
}

impl OrderLicenseSpec {
    /// The terms with the type and validity this license's fields give.
    fn resolve_terms(&mut self, now: DateTime<Utc>) -> ServiceResult<LicenseTerms> {
        let mut terms = std::mem::take(&mut self.terms);
        let start = terms.start_date.unwrap_or(now);
        let from_length = |field, text: &str| -> ServiceResult<DateTime<Utc>> {
            TermLength::parse(field, text)?
                .after(start)
                .ok_or_else(|| ServiceError::invalid(field, "is too long"))
        };
        terms.valid_until = match (&self.validity_period, &self.valid_duration) {
            (Some(_), Some(_)) => {
                return Err(ServiceError::invalid(
                    "valid_duration",
                    "give valid_duration or validity_period, not both",
                ))
            }
            (Some(until), None) => Some(*until),
            (None, Some(length)) => Some(from_length("valid_duration", length)?),
            (None, None) => match self.trial_days.filter(|_| terms.trial) {
                Some(days) if days > 0 => Some(from_length("trial_days", &format!("{days}d"))?),
                Some(_) => return Err(ServiceError::invalid("trial_days", "must be at least 1")),
                None => None,
            },
        };
        if let Some(length) = &self.maintenance_duration {
            terms.maintenance_until = Some(from_length("maintenance_duration", length)?);
        }
        terms.license_type = match &self.license_type {
            Some(text) => text.parse::<LicenseType>().map_err(|_| {
                ServiceError::invalid("license_type", format!("\"{text}\" is not a valid choice."))
            })?,
            None if terms.valid_until.is_some() => LicenseType::TimeLimited,
            None => LicenseType::Perpetual,
        };
        self.resolve_consumption(&mut terms.consumption)?;
        self.resolve_floating(&mut terms.floating)?;
        Ok(terms)
    }

    fn resolve_consumption(&self, consumption: &mut ConsumptionTerms) -> ServiceResult<()> {
        let period = match self.consumption_period.as_deref() {
            None | Some("") | Some("null") => None,
            // LicenseSpring's license pages spell it so.
            Some("annualy") => Some(ConsumptionPeriod::Annually),
            Some(text) => Some(text.parse::<ConsumptionPeriod>().map_err(|_| {
                ServiceError::invalid(
                    "consumption_period",
                    format!("\"{text}\" is not a valid choice."),
                )
            })?),
        };
        consumption.consumption_period = match self.reset_consumption {
            Some(false) => None,
            _ => period,
        };
        if self.allow_overages == Some(false) {
            consumption.max_overages = 0;
        }
        Ok(())
    }

    fn resolve_floating(&self, floating: &mut FloatingTerms) -> ServiceResult<()> {
        if self.is_floating {
            floating.floating_users = Some(self.floating_users.unwrap_or(1));
        }
        if let Some(minutes) = self.floating_timeout {
            floating.floating_timeout = minutes;
        }
        if self.can_borrow == Some(false) {
            floating.max_borrow_time = 0;
        }
        Ok(())
    }
}

impl Tenant<'_> {
    /// Places an order: its customer, licenses, features, custom field values and users, in one
    /// transaction; nothing is created when any part is refused. A store order id seen before
    /// answers that order unchanged, unless `append` adds the licenses to it.
    pub async fn create_order(&self, spec: OrderSpec) -> ServiceResult<CreatedOrder> {
        let now = Utc::now();
        if spec.store_id.trim().is_empty() || spec.store_id.len() > 256 {
            return Err(ServiceError::invalid("id", "must have 1 to 256 characters"));
        }
        if !spec.append {
            if let Some(known) = self.order_by_store_id(&spec.store_id).await? {
                return Ok(known);
            }
        }
        let metadata = match &spec.metadata {
            Some(text) if !text.trim().is_empty() => validate_metadata(text)?,
            _ => "{}".to_owned(),
        };
        let customer = match spec.customer {
            Some(changes) => Some(self.order_customer(changes)?),
            None => None,
        };
        let mut passwords: BTreeMap<String, SecretString> = BTreeMap::new();
        let mut licenses = Vec::new();
        let mut keys = HashSet::new();
        let mut products = Products::default();
        for (i, item) in spec.items.into_iter().enumerate() {
            let path = format!("items[{i}]");
            let product = self
                .store
                .product(self.company_id(), &item.product_code)
                .await?
                .ok_or_else(|| ServiceError::InvalidAt {
                    path: format!("{path}.product_code"),
                    message: format!("No product with code \"{}\".", item.product_code),
                })?;
            products.0.insert(product.id, product.clone());
            let features = self
                .store
                .product_features(self.company_id(), product.id)
                .await?;
            let custom_fields = self
                .store
                .product_custom_field_names(self.company_id(), product.id)
                .await?;
            if item.licenses.is_empty() {
                return Err(ServiceError::InvalidAt {
                    path: format!("{path}.licenses"),
                    message: "This list may not be empty.".into(),
                });
            }
            for (j, license) in item.licenses.into_iter().enumerate() {
                let path = format!("{path}.licenses[{j}]");
                let license = self
                    .order_license(
                        license,
                        &product,
                        &features,
                        &custom_fields,
                        now,
                        &mut passwords,
                    )
                    .await
                    .map_err(at(&path))?;
                if let Some(key) = &license.license.license_key {
                    if !keys.insert((product.id, key.clone()))
                        || self.key_taken(&product, key).await?
                    {
                        return Err(ServiceError::InvalidAt {
                            path: format!("{path}.key"),
                            message: "A license with this key already exists.".into(),
                        });
                    }
                }
                licenses.push(license);
            }
        }
        if licenses.is_empty() && !spec.append {
            return Err(ServiceError::invalid(
                "items",
                "This list may not be empty.",
            ));
        }
        let order = NewOrder {
            company_id: self.company_id(),
            store_id: spec.store_id,
            append: spec.append,
            fields: OrderFields {
                order_type: order_type("order_type", spec.order_type)?
                    .unwrap_or_else(|| NORMAL_ORDER.to_owned()),
                is_test: spec.is_test,
                is_trial: licenses.iter().any(|l| l.license.is_trial),
                download_id: spec.download_id,
                language: spec.language,
                campaign_params: spec.campaign_params,
                reference: spec.reference,
                metadata,
                created_at: spec.created,
            },
            customer,
            licenses,
        };
        let placed = self
            .store
            .place_order(order, &self.actor, now)
            .await
            .map_err(|error| match error {
                StoreError::Duplicate("license key") => ServiceError::invalid(
                    "items",
                    "A license with one of these keys already exists.",
                ),
                other => other.into(),
            })?;
        let new_passwords = placed
            .new_users
            .into_iter()
            .filter_map(|(_, email)| {
                let password = passwords.remove(&email)?;
                Some((email, password))
            })
            .collect();
        Ok(CreatedOrder {
            order: placed.order,
            created_anything: placed.created_anything,
            licenses: products.of(self, placed.licenses).await?,
            new_passwords,
        })
    }

    /// The order with this store id as a repeated `create_order` answers it: unchanged, with all its
    /// licenses. The store answers the same when another request placed the order meanwhile.
    async fn order_by_store_id(&self, store_id: &str) -> ServiceResult<Option<CreatedOrder>> {
        let Some(field) = find_field(ORDER_FIELDS, "store_id") else {
            return Ok(None);
        };
        let query =
            ListQuery::default().with(field, Lookup::Exact, Value::Text(store_id.to_owned()));
        let page = Page {
            limit: 1,
            offset: 0,
        };
        let Some(known) = self.orders(&query, page).await?.items.pop() else {
            return Ok(None);
        };
        let details = self.order(known.order.id).await?;
        Ok(Some(CreatedOrder {
            order: details.record.order,
            created_anything: false,
            licenses: details
                .licenses
                .into_iter()
                .map(|record| (record.license, record.product))
                .collect(),
            new_passwords: Vec::new(),
        }))
    }

    /// The customer an order names, as a new customer and as changes to an existing one.
    fn order_customer(&self, mut changes: CustomerChanges) -> ServiceResult<OrderCustomer> {
        let email = changes
            .email
            .take()
            .ok_or_else(|| ServiceError::invalid("customer.email", "This field is required."))?;
        let email = parse_email("email", &email)
            .map_err(at("customer"))?
            .into_string();
        if let Some(metadata) = &changes.metadata {
            changes.metadata = Some(validate_metadata(metadata).map_err(at("customer"))?);
        }
        let given = |value: &Option<String>| value.clone().unwrap_or_default();
        let new = Customer {
            company_id: self.company_id(),
            email,
            first_name: given(&changes.first_name),
            last_name: given(&changes.last_name),
            company_name: given(&changes.company_name),
            phone: given(&changes.phone),
            reference: given(&changes.reference),
            address: given(&changes.address),
            city: given(&changes.city),
            postcode: given(&changes.postcode),
            state: given(&changes.state),
            country: given(&changes.country),
            metadata: changes.metadata.clone().unwrap_or_else(|| "{}".to_owned()),
            ..Customer::default()
        };
        Ok(OrderCustomer { new, changes })
    }

    async fn key_taken(&self, product: &Product, key: &str) -> ServiceResult<bool> {
        Ok(self
            .store
            .licenses_by_key(Some(self.company_id()), key)
            .await?
            .iter()
            .any(|license| license.product_id == product.id))
    }

    /// One license of an order, checked against its product; new users get a generated password,
    /// remembered in `passwords` by e-mail.
    async fn order_license(
        &self,
        mut spec: OrderLicenseSpec,
        product: &Product,
        features: &[latch_store::ProductFeature],
        custom_fields: &[(i64, String)],
        now: DateTime<Utc>,
        passwords: &mut BTreeMap<String, SecretString>,
    ) -> ServiceResult<OrderLicense> {
        let terms = spec.resolve_terms(now)?;
        let license = terms
            .new_license(product, None, generate_license_key)
            .map_err(|error| match error {
                ServiceError::Invalid {
                    field: "license_key",
                    message,
                } => ServiceError::invalid("key", message),
                other => other,
            })?;
        let mut granted = Vec::with_capacity(spec.features.len());
        for (k, (code, max_consumption)) in spec.features.iter().enumerate() {
            let path = format!("product_features[{k}]");
            let feature = features
                .iter()
                .find(|feature| &feature.code == code)
                .ok_or_else(|| {
                    ServiceError::invalid("code", format!("The product has no feature \"{code}\"."))
                        .under(&path)
                })?;
            let consumption = ConsumptionTerms {
                max_consumptions: max_consumption.unwrap_or(0),
                ..ConsumptionTerms::default()
            };
            granted.push(NewLicenseFeature {
                license_id: latch_domain::LicenseId::new(0),
                product_feature_id: feature.id,
                expiry_date: None,
                floating: FloatingTerms::default().columns().map_err(at(&path))?,
                consumption: consumption.columns().map_err(at(&path))?,
            });
        }
        let mut values = Vec::with_capacity(spec.custom_fields.len());
        for (k, (name, value)) in spec.custom_fields.iter().enumerate() {
            let (id, _) = custom_fields
                .iter()
                .find(|(_, field)| field == name)
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "name",
                        format!("The product has no custom field \"{name}\"."),
                    )
                    .under(&format!("custom_fields[{k}]"))
                })?;
            values.push((*id, value.clone()));
        }
        let users = self
            .order_users(&spec, product, &license, passwords)
            .await?;
        Ok(OrderLicense {
            license,
            note: spec.note,
            features: granted,
            custom_fields: values,
            users,
        })
    }

    async fn order_users(
        &self,
        spec: &OrderLicenseSpec,
        product: &Product,
        license: &latch_store::NewLicense,
        passwords: &mut BTreeMap<String, SecretString>,
    ) -> ServiceResult<Vec<OrderLicenseUser>> {
        match (product.authorization_method, spec.users.is_empty()) {
            (AuthorizationMethod::LicenseKey, false) => {
                return Err(ServiceError::invalid(
                    "users",
                    "Only licenses of a user-based product have users.",
                ))
            }
            (AuthorizationMethod::User, true) => {
                return Err(ServiceError::invalid(
                    "users",
                    "A license of a user-based product needs at least one user.",
                ))
            }
            _ => {}
        }
        if license.max_license_users > 0 && spec.users.len() as i64 > license.max_license_users {
            return Err(ServiceError::invalid(
                "users",
                format!(
                    "At most {} users may hold this license.",
                    license.max_license_users
                ),
            ));
        }
        let mut users: Vec<OrderLicenseUser> = Vec::with_capacity(spec.users.len());
        for (k, user) in spec.users.iter().enumerate() {
            let path = format!("users[{k}]");
            let email = parse_email("email", &user.email)
                .map_err(at(&path))?
                .into_string();
            if users.iter().any(|u| u.email == email) {
                return Err(
                    ServiceError::invalid("email", "This user is listed twice.").under(&path)
                );
            }
            let max_activations = user.max_activations.unwrap_or(license.max_activations);
            if max_activations < 0 {
                return Err(
                    ServiceError::invalid("max_activations", "must not be negative").under(&path),
                );
            }
            let new = match self.store.license_user(self.company_id(), &email).await? {
                Some(_) => None,
                None => Some(self.new_order_user(&email, passwords).await?),
            };
            users.push(OrderLicenseUser {
                email,
                new,
                max_activations,
                allow_unlimited_activations: license.allow_unlimited_activations,
            });
        }
        Ok(users)
    }

    /// A user to create with a generated password, the same one wherever the order names it.
    async fn new_order_user(
        &self,
        email: &str,
        passwords: &mut BTreeMap<String, SecretString>,
    ) -> ServiceResult<NewLicenseUser> {
        let password = match passwords.get(email) {
            Some(password) => secrecy::ExposeSecret::expose_secret(password).to_owned(),
            None => generate_password()?,
        };
        passwords.insert(email.to_owned(), password.clone().into());
        Ok(NewLicenseUser {
            company_id: self.company_id(),
            customer_id: None,
            email: email.to_owned(),
            password_hash: passwords::hash_off_runtime(password.clone()).await?,
            initial_password: password.into(),
            first_name: String::new(),
            last_name: String::new(),
            phone_number: String::new(),
        })
    }

    /// The company's orders that match, newest first unless the query orders them.
    pub async fn orders(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<OrderRecord>> {
        Ok(self
            .store
            .orders(self.company_id(), list_query, page)
            .await?)
    }

    /// The company's order with this id and its licenses.
    pub async fn order(&self, order_id: i64) -> ServiceResult<OrderDetails> {
        let record = self
            .store
            .order(self.company_id(), order_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order with id {order_id}")))?;
        let ids: Vec<_> = self
            .store
            .order_licenses(self.company_id(), order_id)
            .await?
            .iter()
            .map(|license| license.id)
            .collect();
        let licenses = self
            .store
            .license_records(self.company_id(), &ids, Utc::now())
            .await?;
        Ok(OrderDetails { record, licenses })
    }

    /// Changes the company's order.
    pub async fn update_order(
        &self,
        order_id: i64,
        mut changes: OrderChanges,
    ) -> ServiceResult<OrderRecord> {
        changes.order_type = order_type("type", changes.order_type)?;
        if let Some(store_id) = &changes.store_id {
            if store_id.trim().is_empty() || store_id.len() > 256 {
                return Err(ServiceError::invalid(
                    "store_id",
                    "must have 1 to 256 characters",
                ));
            }
        }
        if let Some(metadata) = &changes.metadata {
            changes.metadata = Some(validate_metadata(metadata)?);
        }
        self.store
            .update_order(
                self.company_id(),
                order_id,
                &changes,
                &self.actor,
                Utc::now(),
            )
            .await
            .map_err(|error| match error {
                StoreError::Duplicate(_) => {
                    ServiceError::invalid("store_id", "An order with this store_id already exists.")
                }
                StoreError::NotFound("customer") => {
                    let id = changes.customer_id.flatten().map_or(0, |id| id.get());
                    ServiceError::invalid(
                        "customer",
                        format!("Invalid pk \"{id}\" - object does not exist."),
                    )
                }
                other => other.into(),
            })?
            .ok_or_else(|| ServiceError::NotFound(format!("order with id {order_id}")))
    }

    /// Random license keys for a product; they are not reserved, and a key taken meanwhile is
    /// refused when an order uses it.
    pub async fn generate_license_keys(&self, request: &KeyRequest) -> ServiceResult<Vec<String>> {
        self.product(&request.product_code).await?;
        if !(1..=1000).contains(&request.quantity) {
            return Err(ServiceError::invalid("quantity", "must be 1 to 1000"));
        }
        if !(16..=240).contains(&request.key_length) {
            return Err(ServiceError::invalid("key_length", "must be 16 to 240"));
        }
        let mut alphabet: Vec<char> = request.alphabet.chars().collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        if alphabet.len() < 2 || alphabet.iter().any(|c| !c.is_ascii_graphic() || *c == '-') {
            return Err(ServiceError::invalid(
                "alphabet",
                "must have at least 2 different printable ASCII characters other than -",
            ));
        }
        // The bounds above make both conversions lossless.
        generate_license_keys(
            &alphabet,
            request.key_length as usize,
            request.quantity as usize,
        )
    }
}
