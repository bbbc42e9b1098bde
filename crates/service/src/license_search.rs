//! The vendor's license search (the dashboard's licenses page and its export): the start of a key or
//! of a customer's e-mail, a license user, a hardware id, a product and a status. Every condition
//! can start from an index, and the total stops counting early, so a page costs about the same at a
//! million licenses as at a hundred.

use chrono::Utc;
use latch_domain::{LicenseId, ProductId};
use latch_store::query::fields::{CUSTOMER_FIELDS, LICENSE_FIELDS};
use latch_store::query::{find_field, Field, ListQuery, Lookup, Value};
use latch_store::{LicenseRecord, Listing, Page};

use crate::{ServiceResult, Tenant};

/// How many matches past the page's start a search counts; beyond, it only knows there are more.
pub const SEARCH_COUNT_LIMIT: u64 = 10_000;

/// How many customers an e-mail prefix may match for the search to start from their licenses. With
/// more, walking the company's licenses newest first and reading each one's customer fills a page
/// and its capped count sooner than listing the licenses of them all; SQLite keeps no statistics to
/// make that choice itself.
const CUSTOMERS_TO_START_FROM: u64 = 10_000;

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
    /// The start of a license key, or of a customer's e-mail (always when it holds an `@`).
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
        match self.status {
            None => query,
            Some(LicenseStatus::Enabled) => enabled(query, true),
            Some(LicenseStatus::Disabled) => enabled(query, false),
            Some(LicenseStatus::Expired) => enabled(query, true).with(
                license_field("validity_period"),
                Lookup::Lte,
                Value::Int(Utc::now().timestamp_millis()),
            ),
            // Most licenses are active: walking them newest first fills a page at once.
            Some(LicenseStatus::Active) => {
                query.with(license_field("active"), Lookup::Exact, Value::Bool(true))
            }
            // A number, not a negated flag, so both databases read it from their index.
            Some(LicenseStatus::Inactive) => query.with(
                license_field("active_devices"),
                Lookup::Exact,
                Value::Int(0),
            ),
        }
    }

    /// The queries to try in turn until one finds licenses, the last one answering even when it
    /// finds none: the text as the start of a key (as typed, then in capitals, as keys are
    /// generated), else as the start of a customer's e-mail.
    fn attempts(&self) -> (Vec<ListQuery>, ListQuery) {
        let filters = self.filters();
        let text = self.text.trim();
        if text.is_empty() {
            return (Vec::new(), filters);
        }
        let starting = |name: &str, prefix: String| {
            filters
                .clone()
                .with(license_field(name), Lookup::StartsWith, Value::Text(prefix))
        };
        let email = starting("customer__email", text.to_lowercase());
        if text.contains('@') {
            return (Vec::new(), email);
        }
        let mut keys = vec![starting("license_key", text.to_owned())];
        let capitals = text.to_uppercase();
        if capitals != text {
            keys.push(starting("license_key", capitals));
        }
        (keys, email)
    }
}

impl Tenant<'_> {
    /// One page of the company's licenses a vendor's search finds, newest first, and how many it
    /// finds, counted up to [`SEARCH_COUNT_LIMIT`] past the page's start.
    pub async fn search_licenses(
        &self,
        search: &LicenseSearch,
        page: Page,
    ) -> ServiceResult<FoundLicenses> {
        let count_limit = page.offset.saturating_add(SEARCH_COUNT_LIMIT);
        let (earlier, last) = search.attempts();
        let mut found = None;
        for query in earlier {
            let ids = self.search_ids(&query, page, count_limit).await?;
            if ids.total > 0 {
                found = Some((query, ids));
                break;
            }
        }
        let (query, ids) = match found {
            Some(found) => found,
            None => {
                let last = self.quickest_email_search(last).await?;
                let ids = self.search_ids(&last, page, count_limit).await?;
                (last, ids)
            }
        };
        let total = u64::try_from(ids.total).unwrap_or(0);
        let count = if total > count_limit {
            MatchCount::MoreThan(count_limit)
        } else {
            MatchCount::Exactly(total)
        };
        let items = self
            .store
            .license_records(self.company_id(), &ids.items, Utc::now())
            .await?;
        Ok(FoundLicenses {
            query,
            count,
            items,
        })
    }

    /// `query`, with its customer e-mail prefix (if it ends with one) read from each license's
    /// customer when the prefix matches too many customers to start from them.
    async fn quickest_email_search(&self, mut query: ListQuery) -> ServiceResult<ListQuery> {
        let Some(condition) = query
            .conditions
            .last_mut()
            .filter(|condition| condition.field.name == "customer__email")
        else {
            return Ok(query);
        };
        let customers = ListQuery::default().with(
            find_field(CUSTOMER_FIELDS, "email").expect("customers have an e-mail field"),
            condition.lookup,
            condition.value.clone(),
        );
        let matched = self
            .store
            .count_customers(self.company_id(), &customers, CUSTOMERS_TO_START_FROM)
            .await?;
        if matched >= CUSTOMERS_TO_START_FROM {
            condition.field = license_field("customer_email");
        }
        Ok(query)
    }

    /// One page of the ids `query` finds, and their count up to one past `count_limit`: the one
    /// more tells "more than" from "exactly".
    async fn search_ids(
        &self,
        query: &ListQuery,
        page: Page,
        count_limit: u64,
    ) -> ServiceResult<Listing<LicenseId>> {
        Ok(self
            .store
            .license_ids(
                self.company_id(),
                query,
                page,
                Some(count_limit.saturating_add(1)),
            )
            .await?)
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
    fn a_text_is_a_key_start_then_an_email_start() {
        let search = |text: &str| LicenseSearch {
            text: text.to_owned(),
            ..LicenseSearch::default()
        };
        assert_eq!(
            prefixes(&search(" ABCD ")),
            [
                ("license_key", "ABCD".to_owned()),
                ("customer__email", "abcd".to_owned())
            ]
        );
        assert_eq!(
            prefixes(&search("ab-1")),
            [
                ("license_key", "ab-1".to_owned()),
                ("license_key", "AB-1".to_owned()),
                ("customer__email", "ab-1".to_owned())
            ]
        );
        assert_eq!(
            prefixes(&search("Buyer@Example")),
            [("customer__email", "buyer@example".to_owned())]
        );
        let (earlier, last) = search("  ").attempts();
        assert!(earlier.is_empty() && last.conditions.is_empty());
    }
}
