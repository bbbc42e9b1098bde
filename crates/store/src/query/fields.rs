//! The fields each vendor listing can be filtered and ordered by, named as the Management API names
//! its query parameters.

use super::{Field, FieldKind};

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
