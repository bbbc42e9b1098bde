//! The page shell every screen shares (title, navigation, sign-out), and the small pieces screens
//! repeat: CSRF-protected action buttons, pagination, dates.

use chrono::{DateTime, Utc};
use latch_service::model::StaffRole;
use latch_service::MatchCount;
use maud::{html, Markup, DOCTYPE};

use super::session::{Signed, CSRF_FIELD};

/// Rows per page of every list.
pub const PAGE_SIZE: u32 = 25;

/// The screens in the navigation: path, link text, and the least role that sees it.
const NAVIGATION: &[(&str, &str, StaffRole)] = &[
    ("/dashboard/", "Overview", StaffRole::Viewer),
    ("/dashboard/licenses", "Licenses", StaffRole::Viewer),
    ("/dashboard/devices", "Devices", StaffRole::Viewer),
    ("/dashboard/issue", "Issue licenses", StaffRole::Admin),
    ("/dashboard/customers", "Customers", StaffRole::Viewer),
    (
        "/dashboard/customer-accounts",
        "Customer accounts",
        StaffRole::Viewer,
    ),
    (
        "/dashboard/license-users",
        "License users",
        StaffRole::Viewer,
    ),
    ("/dashboard/products", "Products", StaffRole::Viewer),
    ("/dashboard/events", "Event log", StaffRole::Viewer),
    ("/dashboard/webhooks", "Webhooks", StaffRole::Viewer),
    ("/dashboard/staff", "Staff", StaffRole::Admin),
    ("/dashboard/settings", "Settings", StaffRole::Admin),
];

fn head(title: &str) -> Markup {
    html! {
        (DOCTYPE)
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · Latch" }
        link rel="stylesheet" href="/dashboard/assets/dashboard.css";
        script src="/dashboard/assets/dashboard.js" defer {}
    }
}

/// A page without navigation: sign-in and failures before a session.
pub fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        html lang="en" {
            head { (head(title)) }
            body.bare { main { (body) } }
        }
    }
}

/// A signed-in screen: navigation for the member's role, `current` marked, a sign-out button.
pub fn page(signed: &Signed, current: &str, title: &str, body: Markup) -> Markup {
    html! {
        html lang="en" {
            head { (head(title)) }
            body {
                header.top {
                    span.brand { "Latch" }
                    nav aria-label="Main" {
                        @for (path, label, role) in NAVIGATION {
                            @if signed.staff.role >= *role {
                                a href=(path) aria-current=[(*path == current).then_some("page")] { (label) }
                            }
                        }
                    }
                    a.who href="/dashboard/account" { (signed.staff.email) " · " (signed.staff.role.as_str()) }
                    form method="post" action="/dashboard/logout" {
                        (csrf_field(signed))
                        button.link type="submit" { "Sign out" }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub fn csrf_field(signed: &Signed) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(signed.csrf_token()); }
}

/// A button that POSTs to `action` with the CSRF token; `confirm` asks before destructive actions.
pub fn action_button(signed: &Signed, action: &str, label: &str, confirm: Option<&str>) -> Markup {
    html! {
        form.inline method="post" action=(action) data-confirm=[confirm] {
            (csrf_field(signed))
            button type="submit" { (label) }
        }
    }
}

/// Links to the previous and next pages of a list of `total` rows (a count, or a [`MatchCount`] that
/// stopped counting); `query` keeps the filters.
pub fn pager(
    path: &str,
    query: &[(&str, String)],
    offset: u64,
    total: impl Into<MatchCount>,
) -> Markup {
    let (total, more) = match total.into() {
        MatchCount::Exactly(total) => (total, false),
        MatchCount::MoreThan(total) => (total, true),
    };
    let size = u64::from(PAGE_SIZE);
    let link = |offset: u64| {
        let mut pairs: Vec<(&str, String)> = query
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .cloned()
            .collect();
        if offset > 0 {
            pairs.push(("offset", offset.to_string()));
        }
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let last = (offset + size).min(total);
    html! {
        nav.pager aria-label="Pages" {
            @if total == 0 {
                span { "No rows" }
            } @else if more {
                span { (offset + 1) "–" (last) " of more than " (total) }
            } @else {
                span { (offset + 1) "–" (last) " of " (total) }
            }
            @if offset > 0 {
                a href=(link(offset.saturating_sub(size))) { "Previous" }
            }
            @if more || last < total {
                a href=(link(offset + size)) { "Next" }
            }
        }
    }
}

/// A moment as staff read it, in UTC to the minute; `—` for none.
pub fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M").to_string(),
    )
}

/// The message a redirect after an action asks for (`?notice=`), from a fixed list.
pub fn notice(code: Option<&str>) -> Markup {
    let text = match code.unwrap_or_default() {
        "enabled" => "License enabled.",
        "disabled" => "License disabled.",
        "bulk-disabled" => "Licenses disabled.",
        "reset" => "License reset: every device deactivated.",
        "renewed" => "Validity changed.",
        "limits" => "Limits saved.",
        "user" => "User assigned.",
        "feature" => "Feature added.",
        "released" => "Seat released.",
        "device-reset" => "Device deactivated.",
        "blacklisted" => "Device blacklisted.",
        "product-created" => "Product created.",
        "product-saved" => "Product settings saved.",
        "bundle-saved" => "Bundle saved.",
        "feature-added" => "Feature added to the product.",
        "feature-saved" => "Feature saved.",
        "feature-deleted" => "Feature deleted.",
        "release-added" => "Installation file added.",
        "release-saved" => "Installation file saved.",
        "release-deleted" => "Installation file deleted.",
        "custom-field-added" => "Custom field added.",
        "custom-field-saved" => "Custom field saved.",
        "custom-field-deleted" => "Custom field deleted.",
        "account-created" => "Customer account created.",
        "customer-added" => "Customer added to the account.",
        "customer-removed" => "Customer taken out of the account.",
        "account-saved" => "Customer account saved.",
        "staff" => "Staff member added.",
        "sessions" => "Sessions ended.",
        "role-changed" => "Role changed: it applies from the member's next request.",
        "staff-removed" => "Staff member removed and signed out everywhere.",
        "webhook-enabled" => "Endpoint enabled.",
        "webhook-disabled" => "Endpoint disabled: events are no longer delivered to it.",
        "webhook-deleted" => "Endpoint deleted with its delivery log.",
        "retried" => "Delivery queued to be sent again now.",
        "key-revoked" => "Management key revoked.",
        "totp-on" => "Two-factor sign-in is on: signing in now also takes a code.",
        "totp-off" => "Two-factor sign-in is off.",
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

/// An empty list's message, with what to do next.
pub fn empty(message: &str) -> Markup {
    html! { p.empty { (message) } }
}
