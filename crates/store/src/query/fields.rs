//! The fields each vendor listing can be filtered and ordered by, named as the Management API names
//! its query parameters.

use super::{Field, FieldKind};

/// Checks counted per license and hour (`cc`).
pub const CHECK_COUNT_FIELDS: &[Field] = &[
    Field::new("license", "cc.license_id", FieldKind::Int),
    Field::new("hour", "cc.hour", FieldKind::Time),
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
