//! The fields each vendor listing can be filtered and ordered by, named as the Management API names
//! its query parameters.

use super::{Field, FieldKind};

/// Checks counted per license and hour (`cc`).
pub const CHECK_COUNT_FIELDS: &[Field] = &[
    Field::new("license", "cc.license_id", FieldKind::Int),
    Field::new("hour", "cc.hour", FieldKind::Time),
];

/// License API refusals counted per code and hour (`rc`).
pub const REFUSAL_COUNT_FIELDS: &[Field] = &[
    Field::new("code", "rc.code", FieldKind::Text),
    Field::new("hour", "rc.hour", FieldKind::Time),
];

/// The event log (`e`).
pub const EVENT_FIELDS: &[Field] = &[
    Field::new("event", "e.event", FieldKind::Text),
    Field::new("ts", "e.ts", FieldKind::Time),
    Field::new("license", "e.license_id", FieldKind::Int),
    Field::new("customer", "e.customer_id", FieldKind::Int),
    Field::new("device", "e.device_id", FieldKind::Int),
    Field::new("product", "e.product_id", FieldKind::Int),
    Field::new("order", "e.order_id", FieldKind::Int),
    Field::new("license_user", "e.license_user_id", FieldKind::Int),
    Field::new("actor_type", "e.actor_type", FieldKind::Text),
];

/// When a license was first activated: its first device that did not only come to be blacklisted.
pub const LICENSE_TIME_ACTIVATED: &str =
    "(SELECT MIN(d.created_at) FROM devices d WHERE d.license_id = l.id AND NOT d.blacklisted)";

/// When a license last changed: its latest event, or its creation.
pub const LICENSE_UPDATED_AT: &str =
    "COALESCE((SELECT MAX(e.ts) FROM events e WHERE e.license_id = l.id), l.created_at)";

/// Whether the license or one of its features is floating.
pub const LICENSE_IS_ANY_FLOATING: &str = "(l.is_floating_cloud OR EXISTS (SELECT 1 FROM \
    license_features lf WHERE lf.license_id = l.id AND lf.is_floating_cloud))";

/// Whether a device holds an activation of the license, from the count the database keeps by
/// trigger (`active_devices`, whose index finds the licenses without any).
pub const LICENSE_ACTIVE: &str = "(l.active_devices > 0)";

// The licenses of the matching users and devices rather than EXISTS per license: both databases
// then start from the few matching rows (by the user's e-mail or the hardware id index) instead of
// probing every license of the company.
const LICENSE_USER_OF: &str = "l.id IN (SELECT a.license_id FROM license_assignments a \
    JOIN license_users u ON u.id = a.license_user_id WHERE {})";
const DEVICE_OF: &str = "l.id IN (SELECT d.license_id FROM devices d WHERE {})";
// Likewise the licenses of the matching customers, found by the e-mail index, for searches; the
// joined `customer_email` field stays for ordering.
const CUSTOMER_OF: &str = "l.id IN (SELECT cl.id FROM customers cc \
    JOIN licenses cl ON cl.customer_id = cc.id WHERE {})";

/// Licenses (`l`) with their product (`p`), customer (`c`) and order (`o`).
pub const LICENSE_FIELDS: &[Field] = &[
    Field::new("id", "l.id", FieldKind::Int),
    Field::new("license_key", "l.license_key", FieldKind::Text),
    Field::new("order__store_id", "o.store_id", FieldKind::Text),
    Field::new("customer_id", "l.customer_id", FieldKind::Int),
    Field::new("customer_email", "c.email", FieldKind::Text),
    Field::related("customer__email", "cc.email", FieldKind::Text, CUSTOMER_OF),
    Field::new("customer_company_name", "c.company_name", FieldKind::Text),
    Field::new("customer__reference", "c.reference", FieldKind::Text),
    // First or last name: both in one text, so either matches a search.
    Field::new(
        "customer_name",
        "(c.first_name || ' ' || c.last_name)",
        FieldKind::Text,
    ),
    Field::new("product_id", "l.product_id", FieldKind::Int),
    Field::new("product_name", "p.name", FieldKind::Text),
    Field::new("product_short_code", "p.code", FieldKind::Text),
    Field::new("note", "l.note", FieldKind::Text),
    Field::related("license_users__id", "u.id", FieldKind::Int, LICENSE_USER_OF),
    Field::related(
        "license_users__true_email",
        "u.email",
        FieldKind::Text,
        LICENSE_USER_OF,
    ),
    Field::related(
        "product_features__id",
        "lf.product_feature_id",
        FieldKind::Int,
        "EXISTS (SELECT 1 FROM license_features lf WHERE lf.license_id = l.id AND {})",
    ),
    Field::new("is_any_floating", LICENSE_IS_ANY_FLOATING, FieldKind::Bool),
    Field::new("enabled", "l.enabled", FieldKind::Bool),
    Field::new("active", LICENSE_ACTIVE, FieldKind::Bool),
    Field::new("active_devices", "l.active_devices", FieldKind::Int),
    Field::new("validity_period", "l.validity_period", FieldKind::Time),
    Field::new("time_activated", LICENSE_TIME_ACTIVATED, FieldKind::Time),
    Field::new("updated_at", LICENSE_UPDATED_AT, FieldKind::Time),
    Field::new("created_at", "l.created_at", FieldKind::Time),
    Field::related(
        "devices__hardware_id",
        "d.hardware_id",
        FieldKind::Text,
        DEVICE_OF,
    ),
    Field::related(
        "devices__hostname",
        "d.hostname",
        FieldKind::Text,
        DEVICE_OF,
    ),
    Field::related("devices__os", "d.os_ver", FieldKind::Text, DEVICE_OF),
];

/// Orders (`o`) with their customer (`c`, absent on orders without one).
pub const ORDER_FIELDS: &[Field] = &[
    Field::new("id", "o.id", FieldKind::Int),
    Field::new("store_id", "o.store_id", FieldKind::Text),
    Field::new("type", "o.order_type", FieldKind::Text),
    Field::new("is_test", "o.is_test", FieldKind::Bool),
    Field::new("is_trial", "o.is_trial", FieldKind::Bool),
    Field::new("reference", "o.reference", FieldKind::Text),
    Field::new("created_at", "o.created_at", FieldKind::Time),
    Field::new("updated_at", "o.updated_at", FieldKind::Time),
    Field::new("customer_id", "o.customer_id", FieldKind::Int),
    Field::new("customer", "o.customer_id", FieldKind::Int),
    Field::new("customer__email", "c.email", FieldKind::Text),
    Field::new("customer_email", "c.email", FieldKind::Text),
    Field::new("customer_company_name", "c.company_name", FieldKind::Text),
    Field::new("customer_reference", "c.reference", FieldKind::Text),
    Field::new(
        "customer_name",
        "(c.first_name || ' ' || c.last_name)",
        FieldKind::Text,
    ),
];

/// Customers (`c`).
pub const CUSTOMER_FIELDS: &[Field] = &[
    Field::new("id", "c.id", FieldKind::Int),
    Field::new("email", "c.email", FieldKind::Text),
    Field::new("first_name", "c.first_name", FieldKind::Text),
    Field::new("last_name", "c.last_name", FieldKind::Text),
    Field::new("company_name", "c.company_name", FieldKind::Text),
    Field::new("phone", "c.phone", FieldKind::Text),
    Field::new("reference", "c.reference", FieldKind::Text),
    Field::new("city", "c.city", FieldKind::Text),
    Field::new("country", "c.country", FieldKind::Text),
    Field::new("created_at", "c.created_at", FieldKind::Time),
    Field::new("account", "c.customer_account_id", FieldKind::Int),
    Field::related(
        "account__code",
        "ca.code",
        FieldKind::Text,
        CUSTOMER_ACCOUNT_OF,
    ),
    Field::related(
        "account__name",
        "ca.name",
        FieldKind::Text,
        CUSTOMER_ACCOUNT_OF,
    ),
];

const CUSTOMER_ACCOUNT_OF: &str =
    "EXISTS (SELECT 1 FROM customer_accounts ca WHERE ca.id = c.customer_account_id AND {})";

/// Customer accounts (`ca`).
pub const CUSTOMER_ACCOUNT_FIELDS: &[Field] = &[
    Field::new("id", "ca.id", FieldKind::Int),
    Field::new("code", "ca.code", FieldKind::Text),
    Field::new("name", "ca.name", FieldKind::Text),
    Field::new("created_at", "ca.created_at", FieldKind::Time),
];

/// License users (`u`).
pub const LICENSE_USER_FIELDS: &[Field] = &[
    Field::new("id", "u.id", FieldKind::Int),
    Field::new("true_email", "u.email", FieldKind::Text),
    Field::new("email", "u.email", FieldKind::Text),
    Field::new("first_name", "u.first_name", FieldKind::Text),
    Field::new("last_name", "u.last_name", FieldKind::Text),
    Field::new("phone", "u.phone_number", FieldKind::Text),
    Field::new("phone_number", "u.phone_number", FieldKind::Text),
    Field::new("customer", "u.customer_id", FieldKind::Int),
    Field::new(
        "is_initial_password",
        "u.is_initial_password",
        FieldKind::Bool,
    ),
    Field::new("created_at", "u.created_at", FieldKind::Time),
    Field::related(
        "license",
        "a.license_id",
        FieldKind::Int,
        "EXISTS (SELECT 1 FROM license_assignments a WHERE a.license_user_id = u.id AND {})",
    ),
];

/// Devices (`d`) with their license (`l`).
pub const DEVICE_FIELDS: &[Field] = &[
    Field::new("id", "d.id", FieldKind::Int),
    Field::new("license", "d.license_id", FieldKind::Int),
    Field::new("blacklisted", "d.blacklisted", FieldKind::Bool),
    Field::new("hostname", "d.hostname", FieldKind::Text),
    Field::new("hardware_id", "d.hardware_id", FieldKind::Text),
    Field::new("os", "d.os_ver", FieldKind::Text),
    Field::new("device_active", "d.active", FieldKind::Bool),
    Field::new("is_vm", "d.is_vm", FieldKind::Bool),
    Field::related(
        "license_users__id",
        "a.license_user_id",
        FieldKind::Int,
        "EXISTS (SELECT 1 FROM license_assignments a WHERE a.license_id = d.license_id AND {})",
    ),
    Field::new("created", "d.created_at", FieldKind::Time),
    Field::new("created_at", "d.created_at", FieldKind::Time),
    Field::new("last_check", "d.last_check_at", FieldKind::Time),
];

/// Device variables (`v`).
pub const DEVICE_VARIABLE_FIELDS: &[Field] = &[
    Field::new("id", "v.id", FieldKind::Int),
    Field::new("device", "v.device_id", FieldKind::Int),
    Field::new("variable", "v.name", FieldKind::Text),
    Field::new("created_at", "v.created_at", FieldKind::Time),
];

/// Products (`p`).
pub const PRODUCT_FIELDS: &[Field] = &[
    Field::new("id", "p.id", FieldKind::Int),
    Field::new("short_code", "p.code", FieldKind::Text),
    Field::new("product_name", "p.name", FieldKind::Text),
    Field::new("is_archived", "p.is_archived", FieldKind::Bool),
    Field::new("is_bundle", "p.is_bundle", FieldKind::Bool),
    Field::new(
        "authorization_method",
        "p.authorization_method",
        FieldKind::Text,
    ),
    Field::new("created", "p.created_at", FieldKind::Time),
    Field::new("created_at", "p.created_at", FieldKind::Time),
    Field::new(
        "updated_at",
        "COALESCE(p.updated_at, p.created_at)",
        FieldKind::Time,
    ),
];

/// Product features (`pf`).
pub const PRODUCT_FEATURE_FIELDS: &[Field] = &[
    Field::new("id", "pf.id", FieldKind::Int),
    Field::new("product", "pf.product_id", FieldKind::Int),
    Field::new("code", "pf.code", FieldKind::Text),
    Field::new("name", "pf.name", FieldKind::Text),
    Field::new("feature_type", "pf.feature_type", FieldKind::Text),
    Field::new("created_at", "pf.created_at", FieldKind::Time),
];

/// Installation files: releases (`r`).
pub const INSTALLATION_FILE_FIELDS: &[Field] = &[
    Field::new("id", "r.id", FieldKind::Int),
    Field::new("product", "r.product_id", FieldKind::Int),
    Field::new("version", "r.version", FieldKind::Text),
    Field::new("environment", "r.environment", FieldKind::Text),
    Field::new("channel", "r.channel", FieldKind::Text),
    Field::new("enabled", "r.enabled", FieldKind::Bool),
    Field::new("release_date", "r.release_date", FieldKind::Time),
    Field::new("created_at", "r.created_at", FieldKind::Time),
];

/// Product custom fields (`pcf`).
pub const PRODUCT_CUSTOM_FIELD_FIELDS: &[Field] = &[
    Field::new("id", "pcf.id", FieldKind::Int),
    Field::new("product", "pcf.product_id", FieldKind::Int),
    Field::new("name", "pcf.name", FieldKind::Text),
];

/// License custom fields (`lcf`).
pub const LICENSE_CUSTOM_FIELD_FIELDS: &[Field] = &[
    Field::new("id", "lcf.id", FieldKind::Int),
    Field::new("license", "lcf.license_id", FieldKind::Int),
    Field::new(
        "product_custom_field",
        "lcf.product_custom_field_id",
        FieldKind::Int,
    ),
];

/// Webhook deliveries (`d`) with their events (`e`).
pub const WEBHOOK_DELIVERY_FIELDS: &[Field] = &[
    Field::new("webhook", "d.endpoint_id", FieldKind::Int),
    Field::new("status", "d.status", FieldKind::Text),
    Field::new("event", "e.event", FieldKind::Text),
    Field::new("license", "d.license_id", FieldKind::Int),
    Field::new("attempts", "d.attempts", FieldKind::Int),
    Field::new("created_at", "d.created_at", FieldKind::Time),
];
