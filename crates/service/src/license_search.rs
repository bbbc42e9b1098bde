//! The vendor's license search (the dashboard's licenses page and its export): a key or its start,
//! a customer's e-mail, a license user, a hardware id, a product and a status.

use chrono::Utc;
use latch_domain::ProductId;
use latch_store::query::fields::LICENSE_FIELDS;
use latch_store::query::{find_field, Field, ListQuery, Lookup, Value};
use latch_store::{LicenseRecord, Listing, Page};

use crate::{ServiceResult, Tenant};

/// Which licenses a status filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseStatus {
    Enabled,
    Disabled,
    /// Enabled, with its validity period over.
    Expired,
    /// With at least one active device.
    Active,
    /// Without any active device.
    Inactive,
}

/// What a vendor searches licenses by; empty parts do not filter.
#[derive(Debug, Clone, Default)]
pub struct LicenseSearch {
    /// A license key or its start, or a customer's e-mail when it holds an `@`.
    pub text: String,
    /// A license user's e-mail.
    pub user: String,
    pub hardware_id: String,
    pub product: Option<ProductId>,
    pub status: Option<LicenseStatus>,
}

/// How many licenses a search matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchCount {
    Exactly(u64),
    /// More than this many: counting stopped there.
    MoreThan(u64),
}

impl From<i64> for MatchCount {
    fn from(total: i64) -> Self {
        Self::Exactly(u64::try_from(total).unwrap_or(0))
    }
}

/// One page of what a search found.
#[derive(Debug)]
pub struct FoundLicenses {
    /// The conditions that found them, for an export of them all.
    pub query: ListQuery,
    pub count: MatchCount,
    pub items: Vec<LicenseRecord>,
}

fn license_field(name: &str) -> &'static Field {
    find_field(LICENSE_FIELDS, name).expect("the license search names license fields")
}

impl LicenseSearch {
    /// The conditions of every part but the text.
    fn filters(&self) -> ListQuery {
        let mut query = ListQuery::default();
        let user = self.user.trim();
        if !user.is_empty() {
            query = query.with(
                license_field("license_users__true_email"),
                Lookup::Exact,
                Value::Text(user.to_lowercase()),
            );
        }
        let hardware_id = self.hardware_id.trim();
        if !hardware_id.is_empty() {
            query = query.with(
                license_field("devices__hardware_id"),
                Lookup::Exact,
                Value::Text(hardware_id.to_owned()),
            );
        }
        if let Some(product) = self.product {
            query = query.with(
                license_field("product_id"),
                Lookup::Exact,
                Value::Int(product.get()),
            );
        }
        let enabled = |query: ListQuery, enabled: bool| {
            query.with(
                license_field("enabled"),
                Lookup::Exact,
                Value::Bool(enabled),
            )
        };
        let active = |query: ListQuery, active: bool| {
            query.with(license_field("active"), Lookup::Exact, Value::Bool(active))
        };
        match self.status {
            None => query,
            Some(LicenseStatus::Enabled) => enabled(query, true),
            Some(LicenseStatus::Disabled) => enabled(query, false),
            Some(LicenseStatus::Expired) => enabled(query, true).with(
                license_field("validity_period"),
                Lookup::Lte,
                Value::Int(Utc::now().timestamp_millis()),
            ),
            Some(LicenseStatus::Active) => active(query, true),
            Some(LicenseStatus::Inactive) => active(query, false),
        }
    }

    /// The queries to try in turn until one finds licenses, the last one answering even when it
    /// finds none. A whole key is found through the key index at once; only when no key equals the
    /// text is it taken as the start of keys, which compares the company's keys one by one.
    fn attempts(&self) -> (Vec<ListQuery>, ListQuery) {
        let filters = self.filters();
        let text = self.text.trim();
        if text.is_empty() {
            return (Vec::new(), filters);
        }
        if text.contains('@') {
            let email = filters.with(
                license_field("customer_email"),
                Lookup::Exact,
                Value::Text(text.to_lowercase()),
            );
            return (Vec::new(), email);
        }
        let key = |lookup| {
            filters.clone().with(
                license_field("license_key"),
                lookup,
                Value::Text(text.to_owned()),
            )
        };
        (vec![key(Lookup::Exact)], key(Lookup::StartsWith))
    }
}

impl Tenant<'_> {
    /// One page of the company's licenses a vendor's search finds, newest first, and how many.
    pub async fn search_licenses(
        &self,
        search: &LicenseSearch,
        page: Page,
    ) -> ServiceResult<FoundLicenses> {
        let (earlier, last) = search.attempts();
        for query in earlier {
            let found = self.license_records(&query, page).await?;
            if found.total > 0 {
                return Ok(FoundLicenses::of(query, found));
            }
        }
        let found = self.license_records(&last, page).await?;
        Ok(FoundLicenses::of(last, found))
    }
}

impl FoundLicenses {
    fn of(query: ListQuery, found: Listing<LicenseRecord>) -> Self {
        Self {
            query,
            count: found.total.into(),
            items: found.items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes(search: &LicenseSearch) -> Vec<(&'static str, String)> {
        let (mut attempts, last) = search.attempts();
        attempts.push(last);
        attempts
            .iter()
            .map(|query| {
                let condition = query.conditions.last().expect("a text condition");
                let Value::Text(prefix) = &condition.value else {
                    unreachable!("text conditions compare text")
                };
                (condition.field.name, prefix.clone())
            })
            .collect()
    }

    #[test]
    fn a_text_is_a_whole_key_then_a_key_start_or_an_email() {
        let search = |text: &str| LicenseSearch {
            text: text.to_owned(),
            ..LicenseSearch::default()
        };
        assert_eq!(
            prefixes(&search(" ABCD ")),
            [
                ("license_key", "ABCD".to_owned()),
                ("license_key", "ABCD".to_owned())
            ]
        );
        assert_eq!(
            prefixes(&search("Buyer@Example.com")),
            [("customer_email", "buyer@example.com".to_owned())]
        );
        let (earlier, last) = search("  ").attempts();
        assert!(earlier.is_empty() && last.conditions.is_empty());
    }
}
