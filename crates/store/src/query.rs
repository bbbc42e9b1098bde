//! Which rows a vendor listing shows and in what order: conditions on named fields. Each listing
//! offers its fields as a table ([`fields`]) mapping a vendor-facing name to a SQL expression, so
//! callers pick fields and values but never write SQL.

pub mod fields;

/// How a field's values are written in a query and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Int,
    Text,
    Bool,
    /// A moment, stored as epoch milliseconds.
    Time,
}

/// A field a listing can be filtered and ordered by.
#[derive(Debug)]
pub struct Field {
    /// The name vendors use (the Management API's query parameter name).
    pub name: &'static str,
    /// The SQL expression over the listing's tables, or over `related`'s.
    pub sql: &'static str,
    pub kind: FieldKind,
    /// For fields of related rows: a condition on the listing's row (`EXISTS (...)` or
    /// `l.id IN (...)`) with `{}` where the condition on the related row goes.
    pub related: Option<&'static str>,
}

impl Field {
    pub const fn new(name: &'static str, sql: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            sql,
            kind,
            related: None,
        }
    }

    pub const fn related(
        name: &'static str,
        sql: &'static str,
        kind: FieldKind,
        exists: &'static str,
    ) -> Self {
        Self {
            name,
            sql,
            kind,
            related: Some(exists),
        }
    }
}

/// How a condition compares a field with its value (Django's lookups, which the Management API uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Exact,
    IExact,
    IContains,
    StartsWith,
    In,
    Gt,
    Gte,
    Lt,
    Lte,
    /// On the date part of a moment: the value is the start of a UTC day.
    DateGt,
    DateGte,
    DateLt,
    DateLte,
    /// The value is `Bool(true)` for "is null", `Bool(false)` for "is not null".
    IsNull,
    Not,
}

impl Lookup {
    /// The lookup a query parameter's suffix names (`icontains` in `email__icontains`).
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "exact" => Lookup::Exact,
            "iexact" => Lookup::IExact,
            "icontains" => Lookup::IContains,
            "startswith" => Lookup::StartsWith,
            "in" => Lookup::In,
            "gt" => Lookup::Gt,
            "gte" => Lookup::Gte,
            "lt" => Lookup::Lt,
            "lte" => Lookup::Lte,
            "date__gt" => Lookup::DateGt,
            "date__gte" => Lookup::DateGte,
            "date__lt" => Lookup::DateLt,
            "date__lte" => Lookup::DateLte,
            "isnull" => Lookup::IsNull,
            "not" => Lookup::Not,
            _ => return None,
        })
    }

    /// Whether a field of this kind can be compared this way.
    pub fn applies_to(self, kind: FieldKind) -> bool {
        match self {
            Lookup::Exact | Lookup::In | Lookup::IsNull | Lookup::Not => true,
            Lookup::IExact | Lookup::IContains | Lookup::StartsWith => kind == FieldKind::Text,
            Lookup::Gt | Lookup::Gte | Lookup::Lt | Lookup::Lte => {
                matches!(kind, FieldKind::Int | FieldKind::Time)
            }
            Lookup::DateGt | Lookup::DateGte | Lookup::DateLt | Lookup::DateLte => {
                kind == FieldKind::Time
            }
        }
    }
}

/// A value compared with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    Bool(bool),
    /// The values of an `In` lookup.
    List(Vec<Value>),
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub field: &'static Field,
    pub lookup: Lookup,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct Ordering {
    pub field: &'static Field,
    pub descending: bool,
}

/// The rows of a listing to show: all conditions hold; ordered by `order`, newest first without one.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub conditions: Vec<Condition>,
    pub order: Option<Ordering>,
}

impl ListQuery {
    pub fn with(mut self, field: &'static Field, lookup: Lookup, value: Value) -> Self {
        self.conditions.push(Condition {
            field,
            lookup,
            value,
        });
        self
    }
}

/// The field of this name in a listing's table.
pub fn find_field(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|field| field.name == name)
}
