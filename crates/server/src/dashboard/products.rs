//! Products: the list, a new product, and a product's page with its settings, bundle, features,
//! installation files and custom fields. Everyone reads them; admins change them, each change through
//! the service function the Management API calls. A refused form is shown again as it was filled
//! in, with the refusal in an alert beside it.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use latch_domain::{ProductFeatureId, ProductId, ReleaseId};
use latch_service::model::{
    AuthorizationMethod, ProductCustomField, ProductFeatureRecord, ProductRecord, Release,
    StaffRole,
};
use latch_service::query::fields::INSTALLATION_FILE_FIELDS;
use latch_service::query::ListQuery;
use latch_service::{
    is_user_based, CustomFieldUpdate, FeatureUpdate, Page, ProductRef, ProductSpec, ProductUpdate,
    ReleaseSpec, ReleaseUpdate, Tenant, CUSTOM_FIELD_TYPES, ENVIRONMENTS,
};
use maud::{html, Markup};

use super::error::{DashboardError, DashboardResult};
use super::licenses::{having, path_id, Noticed};
use super::lists::Filters;
use super::page::{action_button, csrf_field, empty, notice, page, pager, when};
use super::session::{Action, Form, Signed};
use crate::state::AppState;

/// Products a bundle form offers, and installation files a product's page lists.
const SHOWN_AT_ONCE: u32 = 200;

const AUTHORIZATION_METHODS: &[(&str, &str)] = &[
    ("license-key", "License key"),
    ("user", "User (e-mail and password)"),
];

const FEATURE_TYPES: &[(&str, &str)] =
    &[("activation", "Activation"), ("consumption", "Consumption")];

const CONSUMPTION_PERIODS: &[(&str, &str)] = &[
    ("", "Never reset"),
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("annually", "Annually"),
];

/// A form the service refused: which one, what it sent, and why.
pub(super) struct Refused<'a> {
    pub form: &'a str,
    pub sent: &'a Form,
    pub message: String,
}

/// The alert beside `form` when it is the one refused.
pub(super) fn refusal(refused: Option<&Refused>, form: &str) -> Markup {
    html! {
        @if let Some(refused) = refused.filter(|refused| refused.form == form) {
            p.alert role="alert" { (sentence(&refused.message)) " Correct it and send the form again." }
        }
    }
}

/// A refusal as a sentence of its own, whatever its last character.
fn sentence(message: &str) -> String {
    if message.ends_with(['.', '!', '?']) {
        message.to_owned()
    } else {
        format!("{message}.")
    }
}

/// What `form` shows: what it sent when it was refused, else the stored values.
pub(super) fn shown<'a>(refused: Option<&'a Refused>, form: &str, stored: &'a Form) -> &'a Form {
    refused
        .filter(|refused| refused.form == form)
        .map_or(stored, |refused| refused.sent)
}

/// The outcome of `form`, which sent `sent`, with its refusal split off to show the form again;
/// other failures stay failures.
pub(super) fn refusal_of<'a>(
    outcome: DashboardResult<Response>,
    form: &'a str,
    sent: &'a Form,
) -> DashboardResult<Result<Response, Refused<'a>>> {
    match outcome {
        Ok(done) => Ok(Ok(done)),
        Err(DashboardError::Invalid(message)) => Ok(Err(Refused {
            form,
            sent,
            message,
        })),
        Err(other) => Err(other),
    }
}

/// A page showing a refused form again.
pub(super) fn shown_again(page: Markup) -> DashboardResult<Response> {
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

/// The inputs of one form, each with a visible label and an id unique on the page.
pub(super) struct Fields<'a> {
    pub form: &'a str,
    pub values: &'a Form,
}

impl Fields<'_> {
    pub(super) fn id(&self, name: &str) -> String {
        format!("{}-{name}", self.form)
    }

    /// A one-line input of `kind` (text, number, date, url).
    pub(super) fn input(&self, name: &str, label: &str, kind: &str, required: bool) -> Markup {
        let id = self.id(name);
        html! {
            div.field {
                label for=(id) { (label) }
                input id=(id) type=(kind) name=(name) value=(self.values.text(name)) required[required]
                    min=[(kind == "number").then_some("0")];
            }
        }
    }

    pub(super) fn checkbox(&self, name: &str, label: &str) -> Markup {
        html! {
            div.field.check {
                label { input type="checkbox" name=(name) value="true" checked[self.values.flag(name)]; " " (label) }
            }
        }
    }

    fn select(&self, name: &str, label: &str, options: &[(&str, &str)]) -> Markup {
        let id = self.id(name);
        let chosen = self.values.text(name);
        html! {
            div.field {
                label for=(id) { (label) }
                select id=(id) name=(name) {
                    @for (value, text) in options { option value=(value) selected[*value == chosen] { (text) } }
                }
            }
        }
    }

    pub(super) fn textarea(&self, name: &str, label: &str) -> Markup {
        let id = self.id(name);
        html! {
            div.field.wide {
                label for=(id) { (label) }
                textarea id=(id) name=(name) rows="2" { (self.values.text(name)) }
            }
        }
    }
}

fn product_id(text: &str) -> DashboardResult<ProductId> {
    path_id(text).map(ProductId::new)
}

/// The JSON object a metadata field holds; empty is `{}`.
fn metadata(form: &Form) -> String {
    form.optional("metadata").unwrap_or("{}").to_owned()
}

/// `GET /dashboard/products`.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(noticed): Query<Noticed>,
    Query(filters): Query<Filters>,
) -> DashboardResult<Markup> {
    let found = signed
        .tenant(&state)
        .await?
        .products_matching(&ListQuery::default(), filters.page())
        .await?;
    let admin = signed.staff.role >= StaffRole::Admin;
    let body = html! {
        h1 { "Products" }
        (notice(noticed.notice()))
        @if admin { p { a.button href="/dashboard/products/new" { "New product" } } }
        @if found.items.is_empty() {
            (empty(if admin { "No products yet. Create one with New product; its short code is what apps send as product." } else { "No products yet. An admin creates them." }))
        } @else {
            table { thead { tr { th { "Name" } th { "Code" } th { "Authorization" } th { "Trials" } th { "Features" } th { "Kind" } } }
                tbody { @for record in &found.items { tr {
                    td { a href={ "/dashboard/products/" (record.product.id) } { (record.product.name) } }
                    td { code { (record.product.code) } }
                    td { (record.product.authorization_method.as_str()) }
                    td { @if record.product.allow_trial { (record.product.trial_days) " days" } @else { "off" } }
                    td { (record.features.len()) }
                    td { @if record.is_bundle { "bundle" } @else { "product" } @if record.is_archived { " (archived)" } }
                } } } }
        }
        (pager("/dashboard/products", &[], filters.offset(), found.total))
    };
    Ok(page(&signed, "/dashboard/products", "Products", body))
}

/// The company's products a bundle form offers: every one but `except` that is no bundle itself.
async fn bundle_choices(
    tenant: &Tenant<'_>,
    except: Option<ProductId>,
) -> DashboardResult<Vec<ProductRecord>> {
    Ok(tenant
        .products_matching(
            &ListQuery::default(),
            Page {
                limit: SHOWN_AT_ONCE,
                offset: 0,
            },
        )
        .await?
        .items
        .into_iter()
        .filter(|record| Some(record.product.id) != except && !record.is_bundle)
        .collect())
}

fn bundle_boxes(choices: &[ProductRecord], values: &Form) -> Markup {
    html! {
        fieldset {
            legend { "Included products" }
            @for record in choices {
                @let id = record.product.id.to_string();
                label.check { input type="checkbox" name="includes" value=(id) checked[values.all("includes").any(|v| v == id)]; " " (record.product.name) " (" code { (record.product.code) } ")" }
            }
        }
    }
}

fn included(form: &Form) -> DashboardResult<Vec<ProductRef>> {
    form.all("includes")
        .map(|id| product_id(id).map(ProductRef::Id))
        .collect::<Result<_, _>>()
        .map_err(|_| DashboardError::Invalid("Choose included products from the list.".into()))
}

/// `GET /dashboard/products/new`.
pub async fn new_form(State(state): State<AppState>, signed: Signed) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    let tenant = signed.tenant(&state).await?;
    new_product_page(&signed, &tenant, None).await
}

async fn new_product_page(
    signed: &Signed,
    tenant: &Tenant<'_>,
    refused: Option<&Refused<'_>>,
) -> DashboardResult<Markup> {
    let defaults = Form::from_pairs([
        ("authorization_method", "license-key".to_owned()),
        ("trial_days", "0".to_owned()),
    ]);
    let fields = Fields {
        form: "product",
        values: shown(refused, "product", &defaults),
    };
    let choices = bundle_choices(tenant, None).await?;
    let body = html! {
        p.crumbs { a href="/dashboard/products" { "Products" } " / " }
        h1 { "New product" }
        (refusal(refused, "product"))
        form.card.fields method="post" action="/dashboard/products" {
            (csrf_field(signed))
            (fields.input("name", "Name", "text", true))
            (fields.input("code", "Short code (what apps send as product; it cannot change later)", "text", true))
            (fields.select("authorization_method", "Licenses are held by", AUTHORIZATION_METHODS))
            (fields.checkbox("prevent_vm", "Refuse activations on virtual machines"))
            (fields.checkbox("allow_trial", "Allow trials"))
            (fields.input("trial_days", "Trial days", "number", false))
            (fields.textarea("metadata", "Metadata (a JSON object, sent to apps)"))
            @if !choices.is_empty() {
                p.hint.wide { "Tick products to make this a bundle of them: each license of it comes with one license per included product." }
                (bundle_boxes(&choices, fields.values))
            }
            button type="submit" { "Create product" }
        }
    };
    Ok(page(signed, "/dashboard/products", "New product", body))
}

/// `POST /dashboard/products`: the product, then its page.
pub async fn create(State(state): State<AppState>, action: Action) -> DashboardResult<Response> {
    action.signed.require(StaffRole::Admin)?;
    let tenant = action.signed.tenant(&state).await?;
    match refusal_of(
        create_product(&tenant, &action.fields).await,
        "product",
        &action.fields,
    )? {
        Ok(created) => Ok(created),
        Err(refused) => {
            shown_again(new_product_page(&action.signed, &tenant, Some(&refused)).await?)
        }
    }
}

async fn create_product(tenant: &Tenant<'_>, form: &Form) -> DashboardResult<Response> {
    let spec = ProductSpec {
        code: form.text("code").to_owned(),
        name: form.text("name").to_owned(),
        user_based: is_user_based(form.text("authorization_method"))?,
        prevent_vm: form.flag("prevent_vm"),
        allow_trial: form.flag("allow_trial"),
        trial_days: form.number("trial_days", "Trial days")?.unwrap_or(0),
        metadata: Some(metadata(form)),
    };
    let includes = included(form)?;
    let created = if includes.is_empty() {
        tenant.create_product_record(spec).await?
    } else {
        tenant.create_bundle_product(spec, &includes).await?
    };
    Ok(Redirect::to(&format!(
        "/dashboard/products/{}?notice=product-created",
        created.product.id
    ))
    .into_response())
}

/// `GET /dashboard/products/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    let tenant = signed.tenant(&state).await?;
    product_page(&signed, &tenant, product_id(&id)?, noticed.notice(), None).await
}

fn settings_values(record: &ProductRecord) -> Form {
    let product = &record.product;
    Form::from_pairs([
        ("name", product.name.clone()),
        (
            "authorization_method",
            product.authorization_method.as_str().to_owned(),
        ),
        ("prevent_vm", product.prevent_vm.to_string()),
        ("allow_trial", product.allow_trial.to_string()),
        ("trial_days", product.trial_days.to_string()),
        ("floating_timeout", product.floating_timeout.to_string()),
        ("metadata", product.metadata.clone()),
        ("is_archived", record.is_archived.to_string()),
    ])
}

async fn product_page(
    signed: &Signed,
    tenant: &Tenant<'_>,
    id: ProductId,
    notice_code: Option<&str>,
    refused: Option<&Refused<'_>>,
) -> DashboardResult<Markup> {
    let record = tenant.product_record(id).await?;
    let releases = tenant
        .releases_matching(
            &having(INSTALLATION_FILE_FIELDS, "product", id.get())?,
            Page {
                limit: SHOWN_AT_ONCE,
                offset: 0,
            },
        )
        .await?;
    let included = tenant.bundle_products(id).await?;
    let including = tenant.bundles_including(id).await?;
    let admin = signed.staff.role >= StaffRole::Admin;
    let choices = if admin {
        bundle_choices(tenant, Some(id)).await?
    } else {
        Vec::new()
    };
    let product = &record.product;
    let base = format!("/dashboard/products/{id}");
    let stored_settings = settings_values(&record);
    let settings = Fields {
        form: "settings",
        values: shown(refused, "settings", &stored_settings),
    };
    let stored_bundle = Form::from_pairs(
        included
            .iter()
            .map(|record| ("includes", record.product.id.to_string())),
    );
    let none = Form::default();
    let body = html! {
        p.crumbs { a href="/dashboard/products" { "Products" } " / " }
        h1 { (product.name) " " code { (product.code) } }
        (notice(notice_code))
        section.grid {
            dl.card {
                dt { "Short code" } dd { code { (product.code) } }
                dt { "Licenses held by" } dd { (product.authorization_method.as_str()) }
                dt { "Trials" } dd { @if product.allow_trial { (product.trial_days) " days" } @else { "off" } }
                dt { "Prevent virtual machines" } dd { (if product.prevent_vm { "yes" } else { "no" }) }
                dt { "Floating lease" } dd { (product.floating_timeout) " min" }
                dt { "Metadata" } dd { code { (product.metadata) } }
                dt { "Archived" } dd { (if record.is_archived { "yes" } else { "no" }) }
                dt { "Created" } dd { (when(Some(record.created_at))) }
            }
            @if admin {
                div.card {
                    h2 { "Settings" }
                    (refusal(refused, "settings"))
                    form.fields method="post" action={ (base) "/settings" } {
                        (csrf_field(signed))
                        (settings.input("name", "Name", "text", true))
                        (settings.select("authorization_method", "Licenses are held by", AUTHORIZATION_METHODS))
                        (settings.checkbox("prevent_vm", "Refuse activations on virtual machines"))
                        (settings.checkbox("allow_trial", "Allow trials"))
                        (settings.input("trial_days", "Trial days", "number", false))
                        (settings.input("floating_timeout", "Floating lease (minutes)", "number", false))
                        (settings.textarea("metadata", "Metadata (a JSON object, sent to apps)"))
                        (settings.checkbox("is_archived", "Archived"))
                        p.hint.wide { "The short code cannot change: apps name the product by it." }
                        button type="submit" { "Save settings" }
                    }
                }
            }
        }
        h2 { "Bundle" }
        @if !including.is_empty() {
            p { "Included in: " @for (i, bundle) in including.iter().enumerate() {
                @if i > 0 { ", " } a href={ "/dashboard/products/" (bundle.product.id) } { (bundle.product.name) }
            } }
        }
        @if included.is_empty() {
            (empty("Not a bundle. A bundle's licenses come with one license per included product, with the same key."))
        } @else {
            p { "Each license of this bundle comes with a license of: " @for (i, item) in included.iter().enumerate() {
                @if i > 0 { ", " } a href={ "/dashboard/products/" (item.product.id) } { (item.product.name) }
            } }
        }
        @if admin && !including.is_empty() {
            p.hint { "A product included in a bundle cannot be a bundle itself." }
        } @else if admin && product.authorization_method != AuthorizationMethod::LicenseKey {
            p.hint { "Only key-based products can be bundles." }
        } @else if admin && !choices.is_empty() {
            (refusal(refused, "bundle"))
            form.card.fields method="post" action={ (base) "/bundle" } {
                (csrf_field(signed))
                (bundle_boxes(&choices, shown(refused, "bundle", &stored_bundle)))
                p.hint.wide { "Untick every product to make it a product of its own again; licenses issued before keep the licenses they came with." }
                button type="submit" { "Save bundle" }
            }
        }
        (section_block(signed, &base, Section::Features, admin, refused, &none, html! {
            @if record.features.is_empty() { (empty("No features. Add one below; apps check features by their code.")) } @else {
                table { thead { tr { th { "Code" } th { "Name" } th { "Type" } th { "Max consumptions" } th { "Floating" } @if admin { th { "Actions" } } } }
                    tbody { @for feature in &record.features { tr {
                        td { code { (feature.feature.code) } } td { (feature.feature.name) } td { (feature.feature.feature_type.as_str()) }
                        td { @if feature.defaults.allow_unlimited_consumptions { "unlimited" } @else { (feature.defaults.max_consumption) } }
                        td { @if feature.defaults.is_floating_cloud { (feature.defaults.floating_users) " seats" } @else { "no" } }
                        @if admin { td { (item_actions(signed, &base, Section::Features, feature.feature.id.get(), &feature.feature.code)) } }
                    } } } }
            }
        }))
        (section_block(signed, &base, Section::Releases, admin, refused, &none, html! {
            @if releases.items.is_empty() { (empty("No installation files. Add one below; checks tell apps of the latest version.")) } @else {
                table { thead { tr { th { "Version" } th { "Channel" } th { "Environment" } th { "File" } th { "Released" } th { "Enabled" } @if admin { th { "Actions" } } } }
                    tbody { @for release in &releases.items { tr {
                        td { (release.version) } td { (release.channel) } td { (if release.environment.is_empty() { "any" } else { release.environment.as_str() }) }
                        td { (release.installation_file) } td { (when(release.release_date)) }
                        td { (if release.enabled { "yes" } else { "no" }) }
                        @if admin { td { (item_actions(signed, &base, Section::Releases, release.id.get(), &release.version)) } }
                    } } } }
                @if releases.total > i64::from(SHOWN_AT_ONCE) {
                    p.hint { "The newest " (SHOWN_AT_ONCE) " of " (releases.total) " are shown; the Management API's installation-files listing has them all." }
                }
            }
        }))
        (section_block(signed, &base, Section::CustomFields, admin, refused, &none, html! {
            @if record.custom_fields.is_empty() { (empty("No custom fields. Add one below; licenses show its default unless they set their own value.")) } @else {
                table { thead { tr { th { "Name" } th { "Type" } th { "Default" } th { "Description" } @if admin { th { "Actions" } } } }
                    tbody { @for custom in &record.custom_fields { tr {
                        td { (custom.name) } td { (custom.data_type.as_deref().unwrap_or("—")) } td { (custom.default_value) }
                        td { (custom.description.as_deref().unwrap_or("")) }
                        @if admin { td { (item_actions(signed, &base, Section::CustomFields, custom.id, &custom.name)) } }
                    } } } }
            }
        }))
    };
    Ok(page(signed, "/dashboard/products", &product.name, body))
}

/// A section of a product's page: its heading, its table, and for admins its add form.
fn section_block(
    signed: &Signed,
    base: &str,
    section: Section,
    admin: bool,
    refused: Option<&Refused>,
    blank: &Form,
    table: Markup,
) -> Markup {
    let fields = Fields {
        form: section.path(),
        values: shown(refused, section.path(), blank),
    };
    html! {
        h2 { (section.names().title) }
        (refusal(refused, &section.delete_form()))
        (table)
        @if admin {
            (refusal(refused, section.path()))
            form.card.fields method="post" action={ (base) "/" (section.path()) } {
                h3 { "Add " (section.singular()) }
                (csrf_field(signed))
                (section.fields(&fields, false))
                button type="submit" { "Add " (section.singular()) }
            }
        }
    }
}

fn item_actions(signed: &Signed, base: &str, section: Section, id: i64, label: &str) -> Markup {
    let path = format!("{base}/{}/{id}", section.path());
    html! {
        a href=(path) aria-label={ "Edit " (label) } { "Edit" } " "
        (action_button(signed, &format!("{path}/delete"), "Delete", Some(&format!("Delete {} {label}?", section.singular()))))
    }
}

/// The lists on a product's page that admins add to, change and delete from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Features,
    Releases,
    CustomFields,
}

/// What a section is called in paths, on the page and in notices.
struct Names {
    path: &'static str,
    title: &'static str,
    singular: &'static str,
    /// The item in `?notice=` codes.
    notice: &'static str,
}

impl Section {
    const ALL: [Section; 3] = [Section::Features, Section::Releases, Section::CustomFields];

    fn names(self) -> Names {
        match self {
            Section::Features => Names {
                path: "features",
                title: "Features",
                singular: "feature",
                notice: "feature",
            },
            Section::Releases => Names {
                path: "releases",
                title: "Installation files",
                singular: "installation file",
                notice: "release",
            },
            Section::CustomFields => Names {
                path: "custom-fields",
                title: "Custom fields",
                singular: "custom field",
                notice: "custom-field",
            },
        }
    }

    fn parse(text: &str) -> DashboardResult<Self> {
        Self::ALL
            .into_iter()
            .find(|section| section.names().path == text)
            .ok_or(DashboardError::NotFound)
    }

    fn path(self) -> &'static str {
        self.names().path
    }

    fn singular(self) -> &'static str {
        self.names().singular
    }

    /// The form id of the section's delete buttons, whose refusal shows above its table.
    fn delete_form(self) -> String {
        format!("{}-delete", self.path())
    }

    /// The `?notice=` after `done` (`added`, `saved`, `deleted`) to one of the section's items.
    fn notice(self, done: &str) -> String {
        format!("{}-{done}", self.names().notice)
    }

    /// The inputs of an item of the section; an existing item's (`editing`) has more.
    fn fields(self, fields: &Fields, editing: bool) -> Markup {
        match self {
            Section::Features => html! {
                (fields.input("code", "Code (what apps check the feature by)", "text", true))
                (fields.input("name", "Name", "text", true))
                (fields.select("feature_type", "Type", FEATURE_TYPES))
                (fields.input("max_consumption", "Max consumptions (consumption features)", "number", false))
                (fields.checkbox("allow_unlimited_consumptions", "Unlimited consumptions"))
                (fields.checkbox("allow_overages", "Allow overages"))
                (fields.input("max_overages", "Max overages", "number", false))
                (fields.select("consumption_period", "Reset consumptions", CONSUMPTION_PERIODS))
                (fields.checkbox("is_floating_cloud", "Floating (seats shared by devices)"))
                (fields.checkbox("is_floating", "Floating on an on-premises server"))
                (fields.input("floating_users", "Floating seats", "number", false))
                (fields.input("floating_timeout", "Floating lease (minutes)", "number", false))
                (fields.textarea("metadata", "Metadata (a JSON object, sent to apps)"))
            },
            Section::Releases => {
                html! {
                    (fields.input("version", "Version", "text", true))
                    (fields.select("environment", "Environment", &any_or(ENVIRONMENTS)))
                    (fields.input("channel", "Channel (e.g. stable, beta)", "text", false))
                    (fields.input("full_link", "Download URL", "url", false))
                    (fields.input("hash_md5", "MD5 hash", "text", false))
                    (fields.input("size", "Size (bytes)", "text", false))
                    (fields.input("release_date", "Release date", "date", false))
                    (fields.input("requires_version", "Requires version", "text", false))
                    (fields.input("eula_link", "EULA link", "url", false))
                    (fields.input("release_notes_link", "Release notes link", "url", false))
                    @if editing { (fields.checkbox("enabled", "Enabled (offered to apps)")) }
                }
            }
            Section::CustomFields => {
                html! {
                    (fields.input("name", "Name", "text", true))
                    (fields.select("data_type", "Type", &any_or(CUSTOM_FIELD_TYPES)))
                    (fields.input("default_value", "Default value", "text", false))
                    (fields.input("description", "Description", "text", false))
                }
            }
        }
    }
}

/// A select's options: "Any" (empty), then each of `names` as itself.
fn any_or(names: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    std::iter::once(("", "Any"))
        .chain(names.iter().map(|name| (*name, *name)))
        .collect()
}

/// An existing item of a section, checked to belong to the product.
enum Item {
    Feature(ProductFeatureRecord),
    Release(Release),
    CustomField(ProductCustomField),
}

impl Item {
    async fn load(
        tenant: &Tenant<'_>,
        product: ProductId,
        section: Section,
        id: &str,
    ) -> DashboardResult<Self> {
        let id = path_id(id)?;
        let (item, owner) = match section {
            Section::Features => {
                let feature = tenant.product_feature(ProductFeatureId::new(id)).await?;
                let owner = feature.feature.product_id;
                (Item::Feature(feature), owner)
            }
            Section::Releases => {
                let release = tenant.release(ReleaseId::new(id)).await?;
                let owner = release.product_id;
                (Item::Release(release), owner)
            }
            Section::CustomFields => {
                let custom = tenant.product_custom_field(id).await?;
                let owner = custom.product_id;
                (Item::CustomField(custom), owner)
            }
        };
        if owner != product {
            return Err(DashboardError::NotFound);
        }
        Ok(item)
    }

    fn label(&self) -> &str {
        match self {
            Item::Feature(feature) => &feature.feature.code,
            Item::Release(release) => &release.version,
            Item::CustomField(custom) => &custom.name,
        }
    }

    /// The item's values as its form sends them.
    fn values(&self) -> Form {
        let optional = |value: &Option<String>| value.clone().unwrap_or_default();
        match self {
            Item::Feature(record) => {
                let defaults = &record.defaults;
                Form::from_pairs([
                    ("code", record.feature.code.clone()),
                    ("name", record.feature.name.clone()),
                    (
                        "feature_type",
                        record.feature.feature_type.as_str().to_owned(),
                    ),
                    ("max_consumption", defaults.max_consumption.to_string()),
                    (
                        "allow_unlimited_consumptions",
                        defaults.allow_unlimited_consumptions.to_string(),
                    ),
                    ("allow_overages", defaults.allow_overages.to_string()),
                    ("max_overages", defaults.max_overages.to_string()),
                    (
                        "consumption_period",
                        defaults
                            .consumption_period
                            .map(|period| period.as_str().to_owned())
                            .unwrap_or_default(),
                    ),
                    ("is_floating_cloud", defaults.is_floating_cloud.to_string()),
                    ("is_floating", defaults.is_floating.to_string()),
                    ("floating_users", defaults.floating_users.to_string()),
                    ("floating_timeout", defaults.floating_timeout.to_string()),
                    ("metadata", record.feature.metadata.clone()),
                ])
            }
            Item::Release(release) => Form::from_pairs([
                ("version", release.version.clone()),
                ("environment", release.environment.clone()),
                ("channel", release.channel.clone()),
                ("full_link", release.installation_file.clone()),
                ("hash_md5", optional(&release.hash_md5)),
                ("size", optional(&release.size)),
                (
                    "release_date",
                    release
                        .release_date
                        .map(|day| day.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                ),
                ("requires_version", optional(&release.requires_version)),
                ("eula_link", optional(&release.eula_link)),
                ("release_notes_link", optional(&release.release_notes_link)),
                ("enabled", release.enabled.to_string()),
            ]),
            Item::CustomField(custom) => Form::from_pairs([
                ("name", custom.name.clone()),
                ("data_type", optional(&custom.data_type)),
                ("default_value", custom.default_value.clone()),
                ("description", optional(&custom.description)),
            ]),
        }
    }
}

fn feature_update(form: &Form) -> DashboardResult<FeatureUpdate> {
    let period = form.optional("consumption_period").map(str::to_owned);
    Ok(FeatureUpdate {
        code: Some(form.text("code").to_owned()),
        name: Some(form.text("name").to_owned()),
        feature_type: Some(form.text("feature_type").to_owned()),
        metadata: Some(metadata(form)),
        max_consumption: form.number("max_consumption", "Max consumptions")?,
        allow_unlimited_consumptions: Some(form.flag("allow_unlimited_consumptions")),
        allow_overages: Some(form.flag("allow_overages")),
        max_overages: form.number("max_overages", "Max overages")?,
        reset_consumption: Some(period.is_some()),
        consumption_period: Some(period),
        is_floating: Some(form.flag("is_floating")),
        is_floating_cloud: Some(form.flag("is_floating_cloud")),
        floating_users: form.number("floating_users", "Floating seats")?,
        floating_timeout: form.number("floating_timeout", "Floating lease")?,
    })
}

fn release_update(form: &Form) -> DashboardResult<ReleaseUpdate> {
    let optional = |name: &str| Some(form.optional(name).map(str::to_owned));
    Ok(ReleaseUpdate {
        version: Some(form.text("version").to_owned()),
        url: Some(form.text("full_link").to_owned()),
        channel: Some(form.text("channel").to_owned()),
        environment: Some(form.text("environment").to_owned()),
        hash_md5: optional("hash_md5"),
        size: optional("size"),
        eula_link: optional("eula_link"),
        release_notes_link: optional("release_notes_link"),
        requires_version: optional("requires_version"),
        release_date: Some(form.day("release_date", "Release date")?),
        enabled: Some(form.flag("enabled")),
    })
}

fn custom_field_update(form: &Form) -> CustomFieldUpdate {
    CustomFieldUpdate {
        name: Some(form.text("name").to_owned()),
        data_type: Some(form.optional("data_type").map(str::to_owned)),
        default_value: Some(form.text("default_value").to_owned()),
        description: Some(form.optional("description").map(str::to_owned)),
    }
}

/// `POST /dashboard/products/{id}/{settings|bundle|features|releases|custom-fields}`: saves the
/// settings or the bundle, or adds an item, then the product's page.
pub async fn change(
    State(state): State<AppState>,
    Path((id, form)): Path<(String, String)>,
    action: Action,
) -> DashboardResult<Response> {
    action.signed.require(StaffRole::Admin)?;
    let id = product_id(&id)?;
    let tenant = action.signed.tenant(&state).await?;
    // Another company's product is "not found", before any form is read.
    tenant.product_record(id).await?;
    match refusal_of(
        apply_change(&tenant, id, &form, &action.fields).await,
        &form,
        &action.fields,
    )? {
        Ok(changed) => Ok(changed),
        Err(refused) => {
            shown_again(product_page(&action.signed, &tenant, id, None, Some(&refused)).await?)
        }
    }
}

async fn apply_change(
    tenant: &Tenant<'_>,
    id: ProductId,
    form: &str,
    fields: &Form,
) -> DashboardResult<Response> {
    let done = match form {
        "settings" => {
            let update = ProductUpdate {
                name: Some(fields.text("name").to_owned()),
                authorization_method: Some(fields.text("authorization_method").to_owned()),
                prevent_vm: Some(fields.flag("prevent_vm")),
                allow_trial: Some(fields.flag("allow_trial")),
                trial_days: fields.number("trial_days", "Trial days")?,
                floating_timeout: fields.number("floating_timeout", "Floating lease")?,
                metadata: Some(metadata(fields)),
                is_archived: Some(fields.flag("is_archived")),
            };
            tenant.update_product(id, update).await?;
            "product-saved"
        }
        "bundle" => {
            tenant.set_bundle(id, &included(fields)?).await?;
            "bundle-saved"
        }
        section => {
            let section = Section::parse(section)?;
            match section {
                Section::Features => {
                    tenant
                        .create_product_feature(
                            id,
                            fields.text("code").to_owned(),
                            fields.text("name").to_owned(),
                            fields.text("feature_type"),
                            feature_update(fields)?,
                        )
                        .await?;
                }
                Section::Releases => {
                    let values = release_update(fields)?;
                    let spec = ReleaseSpec {
                        version: values.version.unwrap_or_default(),
                        url: values.url.unwrap_or_default(),
                        channel: values.channel.unwrap_or_default(),
                        environment: values.environment.unwrap_or_default(),
                        hash_md5: values.hash_md5.flatten(),
                        size: values.size.flatten(),
                        eula_link: values.eula_link.flatten(),
                        release_notes_link: values.release_notes_link.flatten(),
                        requires_version: values.requires_version.flatten(),
                        release_date: values.release_date.flatten(),
                    };
                    tenant.create_release(id, spec).await?;
                }
                Section::CustomFields => {
                    tenant
                        .create_product_custom_field(
                            id,
                            fields.text("name").to_owned(),
                            fields.text("default_value").to_owned(),
                            fields.optional("data_type").map(str::to_owned),
                            fields.optional("description").map(str::to_owned),
                        )
                        .await?;
                }
            }
            return Ok(back_to_product(id, section, "added"));
        }
    };
    Ok(Redirect::to(&format!("/dashboard/products/{id}?notice={done}")).into_response())
}

/// `GET /dashboard/products/{id}/{section}/{item}`: an item's form (admins).
pub async fn edit_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(path): Path<(String, String, String)>,
) -> DashboardResult<Markup> {
    let (id, section, _, item) = item_named(&state, &signed, path).await?;
    Ok(edit_page(&signed, id, section, &item, None))
}

/// The product, section and item a path names, for an admin of the product's company.
async fn item_named<'a>(
    state: &'a AppState,
    signed: &Signed,
    (id, section, item): (String, String, String),
) -> DashboardResult<(ProductId, Section, Tenant<'a>, Item)> {
    signed.require(StaffRole::Admin)?;
    let (id, section) = (product_id(&id)?, Section::parse(&section)?);
    let tenant = signed.tenant(state).await?;
    let item = Item::load(&tenant, id, section, &item).await?;
    Ok((id, section, tenant, item))
}

fn edit_page(
    signed: &Signed,
    product: ProductId,
    section: Section,
    item: &Item,
    refused: Option<&Refused>,
) -> Markup {
    let stored = item.values();
    let fields = Fields {
        form: "edit",
        values: shown(refused, "edit", &stored),
    };
    let base = format!("/dashboard/products/{product}");
    let id = match item {
        Item::Feature(feature) => feature.feature.id.get(),
        Item::Release(release) => release.id.get(),
        Item::CustomField(custom) => custom.id,
    };
    let title = format!("Edit {} {}", section.singular(), item.label());
    let body = html! {
        p.crumbs { a href="/dashboard/products" { "Products" } " / " a href=(base) { "Product" } " / " }
        h1 { (title) }
        (refusal(refused, "edit"))
        form.card.fields method="post" action={ (base) "/" (section.path()) "/" (id) } {
            (csrf_field(signed))
            (section.fields(&fields, true))
            button type="submit" { "Save " (section.singular()) }
        }
        p { a href=(base) { "Back to the product" } }
    };
    page(signed, "/dashboard/products", &title, body)
}

/// `POST /dashboard/products/{id}/{section}/{item}`: saves an item, then the product's page.
pub async fn save(
    State(state): State<AppState>,
    Path(path): Path<(String, String, String)>,
    action: Action,
) -> DashboardResult<Response> {
    let (id, section, tenant, item) = item_named(&state, &action.signed, path).await?;
    let saved = save_item(&tenant, &item, &action.fields)
        .await
        .map(|()| back_to_product(id, section, "saved"));
    match refusal_of(saved, "edit", &action.fields)? {
        Ok(saved) => Ok(saved),
        Err(refused) => shown_again(edit_page(
            &action.signed,
            id,
            section,
            &item,
            Some(&refused),
        )),
    }
}

/// The product's page after `done` to an item of `section`.
fn back_to_product(id: ProductId, section: Section, done: &str) -> Response {
    Redirect::to(&format!(
        "/dashboard/products/{id}?notice={}",
        section.notice(done)
    ))
    .into_response()
}

async fn save_item(tenant: &Tenant<'_>, item: &Item, fields: &Form) -> DashboardResult<()> {
    match item {
        Item::Feature(feature) => {
            tenant
                .update_product_feature(feature.feature.id, feature_update(fields)?)
                .await?;
        }
        Item::Release(release) => {
            tenant
                .update_release(release.id, release_update(fields)?)
                .await?;
        }
        Item::CustomField(custom) => {
            tenant
                .update_product_custom_field(custom.id, custom_field_update(fields))
                .await?;
        }
    }
    Ok(())
}

/// `POST /dashboard/products/{id}/{section}/{item}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(path): Path<(String, String, String)>,
    action: Action,
) -> DashboardResult<Response> {
    let (id, section, tenant, item) = item_named(&state, &action.signed, path).await?;
    let deleted = match &item {
        Item::Feature(feature) => tenant.delete_product_feature(feature.feature.id).await,
        Item::Release(release) => tenant.delete_release(release.id).await,
        Item::CustomField(custom) => tenant.delete_product_custom_field(custom.id).await,
    }
    .map_err(DashboardError::from)
    .map(|()| back_to_product(id, section, "deleted"));
    let form = section.delete_form();
    match refusal_of(deleted, &form, &action.fields)? {
        Ok(deleted) => Ok(deleted),
        Err(refused) => {
            shown_again(product_page(&action.signed, &tenant, id, None, Some(&refused)).await?)
        }
    }
}
