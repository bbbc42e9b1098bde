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

/// Products (`p`). Latch has no bundles yet: `is_bundle` is false for every product.
pub const PRODUCT_FIELDS: &[Field] = &[
    Field::new("id", "p.id", FieldKind::Int),
    Field::new("short_code", "p.code", FieldKind::Text),
    Field::new("product_name", "p.name", FieldKind::Text),
    Field::new("is_archived", "p.is_archived", FieldKind::Bool),
    Field::new("is_bundle", "FALSE", FieldKind::Bool),
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
