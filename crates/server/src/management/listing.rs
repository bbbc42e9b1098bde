//! List requests as the Management API takes them: `limit`/`offset` pages answered as
//! `{count, next, previous, results}` with links to the neighbouring pages, `order_by` (`-` for
//! descending) and Django-style filters (`field`, `field__icontains`, `field__in`, ...) on the fields
//! each list offers.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Uri};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use latch_service::query::{Condition, Field, FieldKind, ListQuery, Lookup, Ordering, Value};
use latch_service::{Listing, Page};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{FieldErrors, ManagementError};
use super::json::NULL_CHARACTERS;
use crate::state::AppState;

/// What a list offers: the fields it filters and orders by, and its largest page.
pub trait ListSpec {
    const FIELDS: &'static [Field];
    const MAX_LIMIT: u32 = 1000;
}

pub const DEFAULT_LIMIT: u32 = 20;

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    /// Rows that match, on every page.
    pub count: i64,
    /// The next page, or null on the last.
    pub next: Option<String>,
    /// The previous page, or null on the first.
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// A list request: which page, which rows in which order, and where it was asked (for the links).
pub struct ListRequest<S> {
    pub page: Page,
    pub query: ListQuery,
    /// `scheme://host/path`, without the query.
    base: String,
    /// The query's other parameters, kept in the links.
    others: Vec<(String, String)>,
    spec: PhantomData<S>,
}

impl<S> ListRequest<S> {
    /// The page of `listing` with its rows shown by `show`.
    pub fn answer<T, U>(self, listing: Listing<T>, show: impl FnMut(T) -> U) -> Paginated<U> {
        let limit = u64::from(self.page.limit);
        let offset = self.page.offset;
        let count = listing.total;
        let next = (offset.saturating_add(limit) < u64::try_from(count).unwrap_or(0))
            .then(|| self.link(Some(offset + limit)));
        let previous = (offset > 0).then(|| {
            let previous = offset.saturating_sub(limit);
            self.link((previous > 0).then_some(previous))
        });
        Paginated {
            count,
            next,
            previous,
            results: listing.items.into_iter().map(show).collect(),
        }
    }

    /// This request's URL at another offset (none: the first page).
    fn link(&self, offset: Option<u64>) -> String {
        let mut pairs = self.others.clone();
        pairs.push(("limit".into(), self.page.limit.to_string()));
        if let Some(offset) = offset {
            pairs.push(("offset".into(), offset.to_string()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}?{query}", self.base)
    }
}

impl<S: ListSpec + Send> FromRequestParts<AppState> for ListRequest<S> {
    type Rejection = ManagementError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).map_err(|_| {
                ManagementError::field("non_field_errors", "Malformed query string.")
            })?;
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or("localhost");
        let base = format!(
            "{}://{host}{}",
            state.scheme,
            original_path(&parts.uri, parts)
        );
        parse(&pairs, base)
    }
}

/// The path the client asked for (a nested router sees only its own part).
fn original_path(uri: &Uri, parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|original| original.0.path().to_owned())
        .unwrap_or_else(|| uri.path().to_owned())
}

/// The request a query string makes.
fn parse<S: ListSpec>(
    pairs: &[(String, String)],
    base: String,
) -> Result<ListRequest<S>, ManagementError> {
    let mut errors = FieldErrors::new();
    let mut query = ListQuery::default();
    let mut limit = DEFAULT_LIMIT;
    let mut offset = 0;
    let mut others = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            // Like Django REST Framework, an unusable limit or offset falls back to the default.
            "limit" => {
                limit = match value.parse::<u32>() {
                    Ok(0) | Err(_) => DEFAULT_LIMIT,
                    Ok(asked) => asked.min(S::MAX_LIMIT),
                }
            }
            "offset" => offset = value.parse::<u64>().unwrap_or(0),
            "order_by" => {
                others.push((name.clone(), value.clone()));
                query.order = ordering(S::FIELDS, value);
            }
            _ => {
                others.push((name.clone(), value.clone()));
                match condition(S::FIELDS, name, value) {
                    Some(Ok(condition)) => query.conditions.push(condition),
                    Some(Err(message)) => {
                        errors.entry(name.clone()).or_default().push(message);
                    }
                    // Parameters that name no filter are ignored, as django-filter does.
                    None => {}
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(ManagementError::Invalid(errors));
    }
    Ok(ListRequest {
        page: Page { limit, offset },
        query,
        base,
        others,
        spec: PhantomData,
    })
}

/// `order_by=field` or `order_by=-field`; a field the list does not offer, or a field of related rows
/// (many per listed row, so no order of their own), leaves the default order.
fn ordering(fields: &'static [Field], value: &str) -> Option<Ordering> {
    let (name, descending) = match value.strip_prefix('-') {
        Some(name) => (name, true),
        None => (value, false),
    };
    let field = fields
        .iter()
        .find(|field| field.name == name && field.related.is_none())?;
    Some(Ordering { field, descending })
}

/// The condition a query parameter sets, `None` when it names no filter of the list.
fn condition(
    fields: &'static [Field],
    name: &str,
    value: &str,
) -> Option<Result<Condition, String>> {
    let (field, lookup) = fields
        .iter()
        .filter_map(|field| {
            let lookup = if name == field.name {
                Lookup::Exact
            } else {
                let suffix = name.strip_prefix(field.name)?.strip_prefix("__")?;
                Lookup::from_suffix(suffix)?
            };
            Some((field, lookup))
        })
        // `customer__email` is a field, `customer` with `__email` is not: the longest name wins.
        .max_by_key(|(field, _)| field.name.len())?;
    if !lookup.applies_to(field.kind) {
        return None;
    }
    let value = match lookup {
        Lookup::IsNull => parse_bool(value).map(Value::Bool),
        Lookup::In => value
            .split(',')
            .map(|item| parse_value(field.kind, item.trim(), lookup))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        _ => parse_value(field.kind, value, lookup),
    };
    Some(value.map(|value| Condition {
        field,
        lookup,
        value,
    }))
}

fn parse_value(kind: FieldKind, text: &str, lookup: Lookup) -> Result<Value, String> {
    match kind {
        FieldKind::Text if text.contains('\0') => Err(NULL_CHARACTERS.to_owned()),
        FieldKind::Text => Ok(Value::Text(text.to_owned())),
        FieldKind::Int => text
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| "Enter a whole number.".to_owned()),
        FieldKind::Bool => parse_bool(text).map(Value::Bool),
        FieldKind::Time => {
            let date_only = matches!(
                lookup,
                Lookup::DateGt | Lookup::DateGte | Lookup::DateLt | Lookup::DateLte
            );
            let moment = if date_only {
                parse_date(text)
            } else {
                parse_moment(text)
            };
            moment
                .map(|at| Value::Int(at.timestamp_millis()))
                .ok_or_else(|| {
                    if date_only {
                        "Enter a valid date.".to_owned()
                    } else {
                        "Enter a valid date/time.".to_owned()
                    }
                })
        }
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "true" | "True" | "1" => Ok(true),
        "false" | "False" | "0" => Ok(false),
        _ => Err("Enter true or false.".to_owned()),
    }
}

/// A UTC day's first moment from `yyyy-mm-dd`.
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

/// A moment as ISO-8601 with an offset, as a naive date-time taken as UTC, or as a date.
pub fn parse_moment(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    parse_date(text)
}

#[cfg(test)]
mod tests {
    use latch_service::query::fields::EVENT_FIELDS;

    use super::*;

    struct Events;
    impl ListSpec for Events {
        const FIELDS: &'static [Field] = EVENT_FIELDS;
    }

    struct Small;
    impl ListSpec for Small {
        const FIELDS: &'static [Field] = EVENT_FIELDS;
        const MAX_LIMIT: u32 = 100;
    }

    fn request<S: ListSpec>(query: &str) -> Result<ListRequest<S>, ManagementError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        parse::<S>(&pairs, "http://h/api/v1/events/".into())
    }

    fn listing(total: i64) -> Listing<i64> {
        Listing {
            total,
            items: vec![1, 2],
        }
    }

    #[test]
    fn limits_default_to_twenty_and_stop_at_the_lists_maximum() {
        assert_eq!(
            request::<Events>("").unwrap().page,
            Page {
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(request::<Events>("limit=5000").unwrap().page.limit, 1000);
        assert_eq!(request::<Small>("limit=500").unwrap().page.limit, 100);
        for unusable in ["limit=0", "limit=-3", "limit=many"] {
            assert_eq!(request::<Events>(unusable).unwrap().page.limit, 20);
        }
        assert_eq!(request::<Events>("offset=x").unwrap().page.offset, 0);
    }

    #[test]
    fn links_lead_to_the_neighbouring_pages_and_keep_the_filters() {
        let page = request::<Events>("event=license.created&limit=2&offset=2")
            .unwrap()
            .answer(listing(5), |item| item);
        assert_eq!(
            page.next.as_deref(),
            Some("http://h/api/v1/events/?event=license.created&limit=2&offset=4")
        );
        assert_eq!(
            page.previous.as_deref(),
            Some("http://h/api/v1/events/?event=license.created&limit=2")
        );
        let last = request::<Events>("limit=2&offset=4")
            .unwrap()
            .answer(listing(5), |item| item);
        assert_eq!(last.next, None);
        assert_eq!(
            last.previous.as_deref(),
            Some("http://h/api/v1/events/?limit=2&offset=2")
        );
        let first = request::<Events>("limit=2")
            .unwrap()
            .answer(listing(5), |item| item);
        assert_eq!(first.previous, None);
    }

    #[test]
    fn filters_take_the_lookup_their_suffix_names() {
        let query = request::<Events>(
            "event__in=license.created,license.reset&ts__gte=2026-01-02T03:04:05Z&license=7&actor_type__icontains=KEY",
        )
        .unwrap()
        .query;
        let lookups: Vec<(&str, Lookup)> = query
            .conditions
            .iter()
            .map(|condition| (condition.field.name, condition.lookup))
            .collect();
        assert_eq!(
            lookups,
            [
                ("event", Lookup::In),
                ("ts", Lookup::Gte),
                ("license", Lookup::Exact),
                ("actor_type", Lookup::IContains)
            ]
        );
        assert_eq!(
            query.conditions[0].value,
            Value::List(vec![
                Value::Text("license.created".into()),
                Value::Text("license.reset".into())
            ])
        );
    }

    #[test]
    fn unknown_parameters_and_lookups_are_ignored() {
        let query = request::<Events>("colour=red&license__icontains=3&event__regex=x")
            .unwrap()
            .query;
        assert!(query.conditions.is_empty());
    }

    #[test]
    fn values_of_the_wrong_kind_are_refused_by_name() {
        let Err(ManagementError::Invalid(errors)) =
            request::<Events>("license=seven&ts__date__gt=yesterday&ts__lt=2026-13-01")
        else {
            panic!("expected field errors");
        };
        assert_eq!(errors["license"], ["Enter a whole number."]);
        assert_eq!(errors["ts__date__gt"], ["Enter a valid date."]);
        assert_eq!(errors["ts__lt"], ["Enter a valid date/time."]);
    }

    #[test]
    fn related_rows_give_no_order() {
        let fields = latch_service::query::fields::LICENSE_FIELDS;
        assert!(ordering(fields, "-customer_email").is_some());
        for related in [
            "license_users__true_email",
            "customer__email",
            "devices__hardware_id",
        ] {
            assert!(ordering(fields, related).is_none(), "{related}");
        }
    }

    #[test]
    fn order_by_takes_a_minus_for_descending() {
        let order = request::<Events>("order_by=-ts")
            .unwrap()
            .query
            .order
            .unwrap();
        assert_eq!((order.field.name, order.descending), ("ts", true));
        assert!(request::<Events>("order_by=nonsense")
            .unwrap()
            .query
            .order
            .is_none());
    }

    #[test]
    fn moments_are_read_in_the_forms_the_api_documents() {
        for text in [
            "2022-04-14T12:30:50Z",
            "2022-04-14T12:30:50",
            "2022-04-14 12:30:50",
            "2022-04-14T14:30:50+02:00",
        ] {
            assert_eq!(
                parse_moment(text).unwrap().to_rfc3339(),
                "2022-04-14T12:30:50+00:00",
                "{text}"
            );
        }
        assert_eq!(
            parse_moment("2022-04-14").unwrap().to_rfc3339(),
            "2022-04-14T00:00:00+00:00"
        );
        assert!(parse_moment("14/04/2022").is_none());
    }
}
