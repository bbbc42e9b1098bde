//! The vendor dashboard (`/dashboard/`) over HTTP against a real `latch serve`, on SQLite and on
//! PostgreSQL, as a browser uses it: a session cookie, forms with their CSRF token, redirects.
//! Run one with e.g. `cargo test -p latch --test dashboard csrf`.

#[path = "../support/mod.rs"]
#[macro_use]
mod support;

mod customer_accounts;
mod imports;
mod products;
mod refusals;
mod staff;
mod webhooks;

use std::collections::BTreeMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Value};
use support::{send, Backend, Company, Latch, Reply, Server};

const PASSWORD: &str = "correct horse battery";

/// A browser of one person: its own cookies, redirects not followed so tests see them.
struct Browser<'a> {
    server: &'a Server,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    fn new(server: &'a Server) -> Self {
        Self {
            server,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: BTreeMap::new(),
        }
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for value in reply.headers.get_all(SET_COOKIE) {
            let text = value.to_str().expect("a cookie is text");
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Reply {
        let reply = send(
            self.http
                .get(self.server.url(path))
                .header(COOKIE, self.cookie_header()),
        )
        .await;
        self.keep_cookies(&reply);
        reply
    }

    /// POSTs a form as it is, CSRF token or not.
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let reply = send(
            self.http
                .post(self.server.url(path))
                .header(COOKIE, self.cookie_header())
                .form(form),
        )
        .await;
        self.keep_cookies(&reply);
        reply
    }

    /// POSTs a form with the CSRF token of the page at `page`.
    async fn submit(&mut self, page: &str, path: &str, form: &[(&str, &str)]) -> Reply {
        let shown = self.get(page).await;
        assert_eq!(shown.status, 200, "{page}: {}", shown.text());
        let token = csrf_token(&shown.text());
        let mut fields = form.to_vec();
        fields.push(("csrf_token", &token));
        self.post(path, &fields).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        let form = self.get("/dashboard/login").await;
        assert_eq!(form.status, 200, "{}", form.text());
        let token = csrf_token(&form.text());
        self.post(
            "/dashboard/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ],
        )
        .await
    }

    async fn signed_in(server: &'a Server, email: &str) -> Self {
        let mut browser = Self::new(server);
        let reply = browser.sign_in(email, PASSWORD).await;
        assert_eq!(location(&reply), "/dashboard/", "{}", reply.text());
        browser
    }
}

/// The CSRF token a page's forms carry.
fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF token in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn location(reply: &Reply) -> String {
    assert_eq!(reply.status, 303, "expected a redirect: {}", reply.text());
    reply.headers[LOCATION].to_str().unwrap().to_owned()
}

fn add_staff(latch: &Latch, company: &Company, email: &str, role: &str) -> Value {
    let id = company.id.to_string();
    latch.cli(&[
        "staff",
        "add",
        "--company",
        &id,
        "--email",
        email,
        "--password",
        PASSWORD,
        "--role",
        role,
    ])
}

/// Adds a feature `code` (named as its code) to the product.
fn add_feature(latch: &Latch, company: &Company, product: &str, code: &str) {
    latch.cli(&[
        "product",
        "add-feature",
        "--company",
        &company.id.to_string(),
        "--product",
        product,
        "--code",
        code,
        "--name",
        code,
    ]);
}

/// The id of the license with this key.
fn license_id(latch: &Latch, company: &Company, key: &str) -> i64 {
    latch.show_license(company, key)["license_id"]
        .as_i64()
        .expect("the license's id")
}

both_backends!(staff_sign_in_and_out_and_sessions_end_everywhere);

async fn staff_sign_in_and_out_and_sessions_end_everywhere(backend: Backend) {
    let latch = Latch::new(backend, "dash_sessions").await;
    let company = latch.company("Acme");
    let added = add_staff(&latch, &company, "Admin@Example.com", "admin");
    assert_eq!(added["email"], "admin@example.com", "{added}");
    assert_eq!(added["role"], "admin", "{added}");
    let server = latch.serve();

    let mut anonymous = Browser::new(&server);
    let reply = anonymous.get("/dashboard/").await;
    assert_eq!(location(&reply), "/dashboard/login");

    let mut browser = Browser::new(&server);
    let reply = browser.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(location(&reply), "/dashboard/");
    let cookie = reply
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("latch_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let overview = browser.get("/dashboard/").await;
    assert_eq!(overview.status, 200, "{}", overview.text());
    assert!(overview.text().contains("Overview"));

    // Signing out ends the session in the database: the old cookie is worthless.
    let kept = browser.cookies.clone();
    let reply = browser
        .submit("/dashboard/", "/dashboard/logout", &[])
        .await;
    assert_eq!(location(&reply), "/dashboard/login");
    browser.cookies = kept;
    assert_eq!(
        location(&browser.get("/dashboard/").await),
        "/dashboard/login"
    );

    // The CLI signs a member out of every session.
    let mut first = Browser::signed_in(&server, "admin@example.com").await;
    let mut second = Browser::signed_in(&server, "admin@example.com").await;
    let id = company.id.to_string();
    let revoked = latch.cli(&[
        "staff",
        "revoke-sessions",
        "--company",
        &id,
        "--email",
        "admin@example.com",
    ]);
    assert_eq!(revoked["sessions_ended"], 2, "{revoked}");
    assert_eq!(
        location(&first.get("/dashboard/").await),
        "/dashboard/login"
    );
    assert_eq!(
        location(&second.get("/dashboard/licenses").await),
        "/dashboard/login"
    );
}

both_backends!(a_wrong_password_is_refused_and_attempts_are_limited);

async fn a_wrong_password_is_refused_and_attempts_are_limited(backend: Backend) {
    let latch = Latch::new(backend, "dash_sign_in_limit").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "support@example.com", "support");
    let server = latch.serve_with(&[("LATCH_PASSWORD_ATTEMPTS", "3")]);
    let mut browser = Browser::new(&server);

    for _ in 0..3 {
        let reply = browser
            .sign_in("support@example.com", "wrong password")
            .await;
        assert_eq!(reply.status, 401, "{}", reply.text());
        assert!(
            reply.text().contains("role=\"alert\"")
                && reply
                    .text()
                    .contains("Wrong email, password or authentication code"),
            "{}",
            reply.text()
        );
        assert!(!browser.cookies.contains_key("latch_session"));
    }
    // An unknown address gets the very same answer.
    let reply = browser.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(reply.status, 401, "{}", reply.text());

    // Over the limit even the right password waits.
    let reply = browser.sign_in("support@example.com", PASSWORD).await;
    assert_eq!(reply.status, 429, "{}", reply.text());
    assert!(reply.text().contains("role=\"alert\""), "{}", reply.text());
    assert!(!browser.cookies.contains_key("latch_session"));

    // The sign-in form itself needs its token.
    let mut forger = Browser::new(&server);
    let reply = forger
        .post(
            "/dashboard/login",
            &[("email", "support@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
}

both_backends!(every_action_needs_the_session_csrf_token);

async fn every_action_needs_the_session_csrf_token(backend: Backend) {
    let latch = Latch::new(backend, "dash_csrf").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "support@example.com", "support");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let id = license_id(&latch, &company, &key);
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "support@example.com").await;
    let disable = format!("/dashboard/licenses/{id}/disable");

    let reply = browser.post(&disable, &[]).await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = browser.post(&disable, &[("csrf_token", "forged")]).await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    // Another session's token is no good either.
    let mut other = Browser::signed_in(&server, "support@example.com").await;
    let page = other.get(&format!("/dashboard/licenses/{id}")).await;
    let foreign = csrf_token(&page.text());
    let reply = browser.post(&disable, &[("csrf_token", &foreign)]).await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(latch.show_license(&company, &key)["enabled"], true);

    let page = format!("/dashboard/licenses/{id}");
    let reply = browser.submit(&page, &disable, &[]).await;
    assert_eq!(location(&reply), format!("{page}?notice=disabled"));
    assert_eq!(latch.show_license(&company, &key)["enabled"], false);
}

both_backends!(roles_decide_what_staff_may_do);

async fn roles_decide_what_staff_may_do(backend: Backend) {
    let latch = Latch::new(backend, "dash_roles").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "viewer@example.com", "viewer");
    add_staff(&latch, &company, "support@example.com", "support");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let id = license_id(&latch, &company, &key);
    let page = format!("/dashboard/licenses/{id}");
    let disable = format!("/dashboard/licenses/{id}/disable");
    let server = latch.serve();

    let mut viewer = Browser::signed_in(&server, "viewer@example.com").await;
    let shown = viewer.get(&page).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert!(shown.text().contains(&key));
    assert!(
        !shown.text().contains(">Disable<"),
        "a viewer sees no actions"
    );
    let reply = viewer.submit(&page, &disable, &[]).await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(latch.show_license(&company, &key)["enabled"], true);
    assert_eq!(viewer.get("/dashboard/staff").await.status, 403);

    let mut support = Browser::signed_in(&server, "support@example.com").await;
    assert_eq!(support.get("/dashboard/issue").await.status, 403);
    let reply = support
        .submit(
            &page,
            "/dashboard/issue",
            &[("product", "app"), ("count", "1")],
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = support.submit(&page, &disable, &[]).await;
    assert_eq!(location(&reply), format!("{page}?notice=disabled"));
    assert_eq!(latch.show_license(&company, &key)["enabled"], false);
}

both_backends!(another_companys_rows_are_not_found);

async fn another_companys_rows_are_not_found(backend: Backend) {
    let latch = Latch::new(backend, "dash_tenants").await;
    let acme = latch.company("Acme");
    let globex = latch.company("Globex");
    add_staff(&latch, &globex, "admin@globex.example", "admin");
    latch.product(&acme, "app");
    let key = latch.license(&acme, "app", &[]);
    let id = license_id(&latch, &acme, &key);
    let server = latch.serve();
    let mut intruder = Browser::signed_in(&server, "admin@globex.example").await;

    let reply = intruder.get(&format!("/dashboard/licenses/{id}")).await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    assert!(!reply.text().contains(&key));
    for action in ["disable", "reset"] {
        let reply = intruder
            .submit(
                "/dashboard/licenses",
                &format!("/dashboard/licenses/{id}/{action}"),
                &[],
            )
            .await;
        assert_eq!(reply.status, 404, "{action}: {}", reply.text());
    }
    let id_text = id.to_string();
    let reply = intruder
        .submit(
            "/dashboard/licenses",
            "/dashboard/licenses/disable",
            &[("license", &id_text)],
        )
        .await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    assert_eq!(latch.show_license(&acme, &key)["enabled"], true);
    let listed = intruder.get("/dashboard/licenses").await;
    assert!(!listed.text().contains(&key), "{}", listed.text());
}

both_backends!(a_license_disabled_in_the_dashboard_is_refused_by_checks_and_logged);

async fn a_license_disabled_in_the_dashboard_is_refused_by_checks_and_logged(backend: Backend) {
    let latch = Latch::new(backend, "dash_disable_check").await;
    let company = latch.company("Acme");
    let staff = add_staff(&latch, &company, "support@example.com", "support");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let id = license_id(&latch, &company, &key);
    let server = latch.serve();
    let device = json!({"product": "app", "license_key": key, "hardware_id": "hw-1"});
    server
        .post(&company.creds, "activate_license", &device)
        .await
        .ok();
    let query = [
        ("product", "app"),
        ("license_key", key.as_str()),
        ("hardware_id", "hw-1"),
    ];
    server
        .get(&company.creds, "check_license", &query)
        .await
        .ok();

    let mut browser = Browser::signed_in(&server, "support@example.com").await;
    let page = format!("/dashboard/licenses/{id}");
    let shown = browser.get(&page).await;
    assert!(shown.text().contains("hw-1"), "the device is listed");
    let reply = browser.submit(&page, &format!("{page}/disable"), &[]).await;
    assert_eq!(location(&reply), format!("{page}?notice=disabled"));
    server
        .get(&company.creds, "check_license", &query)
        .await
        .assert_error(400, "license_not_enabled");

    let events = latch.cli(&[
        "events",
        "--company",
        &company.id.to_string(),
        "--license",
        &id.to_string(),
        "--event",
        "license.updated",
    ]);
    let logged = events["events"].as_array().expect("events");
    assert_eq!(logged.len(), 1, "{events}");
    assert_eq!(logged[0]["data"]["enabled"], false, "{events}");
    assert_eq!(logged[0]["actor"]["type"], "staff", "{events}");
    assert_eq!(
        logged[0]["actor"]["id"],
        staff["id"].to_string(),
        "{events}"
    );

    let reply = browser.submit(&page, &format!("{page}/enable"), &[]).await;
    assert_eq!(location(&reply), format!("{page}?notice=enabled"));
    server
        .get(&company.creds, "check_license", &query)
        .await
        .ok();
}

both_backends!(the_search_finds_licenses_by_key_prefix_customer_and_device);

async fn the_search_finds_licenses_by_key_prefix_customer_and_device(backend: Backend) {
    let latch = Latch::new(backend, "dash_search").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "viewer@example.com", "viewer");
    latch.product(&company, "app");
    let id = company.id.to_string();
    latch.cli(&[
        "customer",
        "create",
        "--company",
        &id,
        "--email",
        "buyer@example.com",
    ]);
    for key in ["ALPHA-0001", "ALPHA-0002", "BETA-0001"] {
        latch.license(&company, "app", &["--key", key]);
    }
    latch.license(
        &company,
        "app",
        &["--key", "GAMMA-0001", "--customer", "buyer@example.com"],
    );
    let server = latch.serve();
    server
        .post(
            &company.creds,
            "activate_license",
            &json!({"product": "app", "license_key": "BETA-0001", "hardware_id": "pc-42"}),
        )
        .await
        .ok();
    let mut browser = Browser::signed_in(&server, "viewer@example.com").await;

    let found = |reply: &Reply| -> Vec<&str> {
        let text = reply.text();
        ["ALPHA-0001", "ALPHA-0002", "BETA-0001", "GAMMA-0001"]
            .into_iter()
            .filter(|key| text.contains(&format!("<code>{key}</code>")))
            .collect()
    };
    let reply = browser.get("/dashboard/licenses?q=ALPHA-").await;
    assert_eq!(found(&reply), ["ALPHA-0001", "ALPHA-0002"]);
    let reply = browser
        .get("/dashboard/licenses?q=Buyer%40Example.com")
        .await;
    assert_eq!(found(&reply), ["GAMMA-0001"]);
    let reply = browser.get("/dashboard/licenses?hardware_id=pc-42").await;
    assert_eq!(found(&reply), ["BETA-0001"]);
    let reply = browser.get("/dashboard/licenses?status=active").await;
    assert_eq!(found(&reply), ["BETA-0001"]);
    let reply = browser.get("/dashboard/licenses?q=NOPE").await;
    assert!(found(&reply).is_empty());
    assert!(reply.text().contains("No license matches"));

    // The status filter reads a count kept by the database: it follows every kind of device write.
    assert_eq!(
        by_activity(&mut browser).await,
        ["BETA-0001", "ALPHA-0001,ALPHA-0002,GAMMA-0001"]
    );
    let device = |key: &str, hardware_id: &str| json!({"product": "app", "license_key": key, "hardware_id": hardware_id});
    server
        .post(
            &company.creds,
            "deactivate_license",
            &device("BETA-0001", "pc-42"),
        )
        .await
        .ok();
    assert_eq!(
        by_activity(&mut browser).await,
        ["", "ALPHA-0001,ALPHA-0002,BETA-0001,GAMMA-0001"]
    );
    // A device active again, and a new one.
    for (key, hardware_id) in [("BETA-0001", "pc-42"), ("ALPHA-0002", "pc-44")] {
        server
            .post(
                &company.creds,
                "activate_license",
                &device(key, hardware_id),
            )
            .await
            .ok();
    }
    assert_eq!(
        by_activity(&mut browser).await,
        ["ALPHA-0002,BETA-0001", "ALPHA-0001,GAMMA-0001"]
    );
    latch.cli(&["license", "reset", "BETA-0001", "--company", &id]);
    assert_eq!(
        by_activity(&mut browser).await,
        ["ALPHA-0002", "ALPHA-0001,BETA-0001,GAMMA-0001"]
    );
}

/// The keys listed with active devices, and without, each joined by commas.
async fn by_activity(browser: &mut Browser<'_>) -> [String; 2] {
    let mut listed = [String::new(), String::new()];
    for (status, keys) in ["active", "inactive"].into_iter().zip(&mut listed) {
        let reply = browser
            .get(&format!("/dashboard/licenses?status={status}"))
            .await;
        let text = reply.text();
        *keys = ["ALPHA-0001", "ALPHA-0002", "BETA-0001", "GAMMA-0001"]
            .into_iter()
            .filter(|key| text.contains(&format!("<code>{key}</code>")))
            .collect::<Vec<_>>()
            .join(",");
    }
    listed
}

both_backends!(an_admin_issues_licenses_and_downloads_their_keys);

async fn an_admin_issues_licenses_and_downloads_their_keys(backend: Backend) {
    let latch = Latch::new(backend, "dash_issue").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    latch.product(&company, "app");
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "admin@example.com").await;

    let reply = browser
        .submit(
            "/dashboard/issue",
            "/dashboard/issue",
            &[
                ("product", "app"),
                ("customer", "new.buyer@example.com"),
                ("license_type", "perpetual"),
                ("max_activations", "2"),
                ("count", "3"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    let csv_link = text
        .split("href=\"")
        .find(|part| part.starts_with("/dashboard/orders/"))
        .and_then(|part| part.split('"').next())
        .expect("a CSV link")
        .to_owned();
    let csv = browser.get(&csv_link).await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    let lines: Vec<String> = csv.text().lines().skip(1).map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{}", csv.text());
    for line in &lines {
        let key = line.split(',').nth(1).expect("a key column");
        assert!(text.contains(key), "{key} is shown");
        let shown = latch.show_license(&company, key);
        assert_eq!(shown["max_activations"], 2, "{shown}");
    }

    let reply = browser
        .submit(
            "/dashboard/issue",
            "/dashboard/issue",
            &[("product", "app"), ("keys", "PASTED-0001\nPASTED-0002\n")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.text().contains("PASTED-0002"));
    assert_eq!(latch.show_license(&company, "PASTED-0001")["enabled"], true);
}

both_backends!(every_screen_renders_with_and_without_filters);

async fn every_screen_renders_with_and_without_filters(backend: Backend) {
    let latch = Latch::new(backend, "dash_screens").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    latch.product(&company, "app");
    let soon = (chrono::Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let key = latch.license(
        &company,
        "app",
        &["--type", "time-limited", "--valid-until", &soon],
    );
    let product = latch.cli(&["product", "list", "--company", &company.id.to_string()]);
    let product_id = product["products"][0]["product_id"].clone();
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "admin@example.com").await;

    for (path, shows) in [
        ("/dashboard/?days=90", key.as_str()),
        (
            "/dashboard/licenses?q=&product=&status=disabled",
            "No license matches",
        ),
        ("/dashboard/devices", "No device matches"),
        (
            "/dashboard/devices?hardware_id=x&license=nan&offset=junk",
            "No device matches",
        ),
        (
            "/dashboard/customers?email=Nobody%40Example.com",
            "No customer matches",
        ),
        (
            "/dashboard/license-users?email=someone%40example.com",
            "No license user matches",
        ),
        ("/dashboard/products", "app"),
        (
            &format!("/dashboard/products/{product_id}"),
            "Installation files",
        ),
        (
            "/dashboard/events?event=license.created&actor=cli&from=2020-01-01&to=2099-12-31",
            &key,
        ),
        ("/dashboard/staff", "admin@example.com"),
        ("/dashboard/issue", "Issue licenses"),
    ] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        assert!(
            reply.text().contains(shows),
            "{path} shows {shows}: {}",
            reply.text()
        );
        assert_eq!(reply.headers["cache-control"], "no-store", "{path}");
        assert!(
            reply.headers.contains_key("content-security-policy"),
            "{path}"
        );
    }
    for (path, status) in [
        ("/dashboard/events?from=yesterday", 400),
        ("/dashboard/licenses/not-a-number", 404),
        ("/dashboard/products/999999", 404),
        ("/dashboard/orders/999999/keys.csv", 404),
    ] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
    }
    for asset in [
        "/dashboard/assets/dashboard.css",
        "/dashboard/assets/dashboard.js",
    ] {
        assert_eq!(
            Browser::new(&server).get(asset).await.status,
            200,
            "{asset}"
        );
    }
}

both_backends!(admins_grant_and_manage_keys_support_resets_passwords);

async fn admins_grant_and_manage_keys_support_resets_passwords(backend: Backend) {
    let latch = Latch::new(backend, "dash_admin").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    add_staff(&latch, &company, "support@example.com", "support");
    latch.product(&company, "app");
    add_feature(&latch, &company, "app", "export");
    let key = latch.license(&company, "app", &[]);
    let license = license_id(&latch, &company, &key);
    let page = format!("/dashboard/licenses/{license}");
    let server = latch.serve();
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;
    let mut support = Browser::signed_in(&server, "support@example.com").await;

    // Granting more is for admins: limits, users, features.
    let limits = [("max_activations", "4"), ("max_transfers", "1")];
    let reply = support
        .submit(&page, &format!("{page}/limits"), &limits)
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = admin
        .submit(&page, &format!("{page}/limits"), &limits)
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=limits"));
    assert_eq!(latch.show_license(&company, &key)["max_activations"], 4);
    let shown = admin.get(&page).await.text();
    let feature = shown
        .split("<option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a feature to add")
        .to_owned();
    let reply = admin
        .submit(
            &page,
            &format!("{page}/feature"),
            &[("product_feature", &feature)],
        )
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=feature"));
    let features = latch.show_license(&company, &key)["features"].clone();
    assert_eq!(features[0]["code"], "export", "{features}");
    let reply = admin
        .submit(
            &page,
            &format!("{page}/assign"),
            &[("email", "person@example.com")],
        )
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=user"));

    // Support resets a license user's password: shown once, and the old one is gone.
    let shown = support.get(&page).await.text();
    let reset = shown
        .split("action=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|action| action.ends_with("/password"))
        .expect("a password reset button")
        .to_owned();
    let reply = support.submit(&page, &reset, &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply.text().contains("person@example.com"),
        "{}",
        reply.text()
    );

    // Settings: the public key, and a management key that works at once.
    assert_eq!(support.get("/dashboard/settings").await.status, 403);
    let pem = admin.get("/dashboard/settings/public-key.pem").await;
    assert_eq!(pem.text(), company.public_key_pem);
    let reply = admin
        .submit(
            "/dashboard/settings",
            "/dashboard/settings/management-keys",
            &[],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let secret = reply
        .text()
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new key")
        .to_owned();
    let listed = send(
        server
            .http
            .get(server.url("/api/v1/licenses/"))
            .header("Authorization", format!("Api-Key {secret}")),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["count"], 1);

    // A License API key made in the dashboard signs requests at once, and is refused once revoked.
    let reply = admin
        .submit("/dashboard/settings", "/dashboard/settings/api-keys", &[])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let shown: Vec<String> = reply
        .text()
        .split("<code class=\"secret\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect();
    let [api_key, shared_key] = <[String; 2]>::try_from(shown).expect("the API key and shared key");
    let creds = support::Creds {
        api_key: api_key.clone(),
        shared_key,
    };
    let details = [("product", "app")];
    server.get(&creds, "product_details", &details).await.ok();
    let reply = admin
        .submit(
            "/dashboard/settings",
            &format!("/dashboard/settings/api-keys/{api_key}/revoke"),
            &[],
        )
        .await;
    assert_eq!(location(&reply), "/dashboard/settings?notice=key-revoked");
    let listed = latch.cli(&["api-key", "list", "--company", &company.id.to_string()]);
    let revoked = listed["api_keys"]
        .as_array()
        .expect("API keys")
        .iter()
        .find(|key| key["api_key"] == api_key.as_str())
        .map(|key| key["revoked"].clone());
    assert_eq!(revoked, Some(Value::Bool(true)), "{listed}");
    // Refused once the server's 2 s key cache has expired.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    server
        .get(&creds, "product_details", &details)
        .await
        .assert_error(400, "revoked_api_key");
}

/// The current code of a base32 TOTP secret, as an authenticator app shows it.
fn totp_code(secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("a base32 secret");
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)
        .expect("a TOTP")
        .generate_current()
        .expect("a clock")
}

both_backends!(a_second_factor_is_turned_on_and_asked_for_at_sign_in);

async fn a_second_factor_is_turned_on_and_asked_for_at_sign_in(backend: Backend) {
    let latch = Latch::new(backend, "dash_totp").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    add_staff(&latch, &company, "viewer@example.com", "viewer");
    let id = company.id.to_string();
    let turned_on = latch.cli(&[
        "staff",
        "totp",
        "--company",
        &id,
        "--email",
        "admin@example.com",
    ]);
    assert_eq!(turned_on["two_factor"], true, "{turned_on}");
    let secret = turned_on["totp_secret"]
        .as_str()
        .expect("the secret")
        .to_owned();
    assert!(turned_on["totp_link"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let server = latch.serve();

    let mut browser = Browser::new(&server);
    let reply = browser.sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(reply.status, 401, "the code is missing: {}", reply.text());
    let form = browser.get("/dashboard/login").await;
    let token = csrf_token(&form.text());
    let code = totp_code(&secret);
    let reply = browser
        .post(
            "/dashboard/login",
            &[
                ("email", "admin@example.com"),
                ("password", PASSWORD),
                ("code", &code),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(location(&reply), "/dashboard/");
    latch.cli(&[
        "staff",
        "totp",
        "--company",
        &id,
        "--email",
        "admin@example.com",
        "--off",
    ]);
    Browser::signed_in(&server, "admin@example.com").await;

    // A member turns it on from their account page, proving the app has the secret.
    let mut viewer = Browser::signed_in(&server, "viewer@example.com").await;
    let started = viewer
        .submit("/dashboard/account", "/dashboard/account/totp", &[])
        .await;
    assert_eq!(started.status, 200, "{}", started.text());
    let text = started.text();
    let secret = text
        .split("name=\"secret\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the new secret")
        .to_owned();
    let token = csrf_token(&text);
    let reply = viewer
        .post(
            "/dashboard/account/totp/confirm",
            &[
                ("secret", &secret),
                ("code", "000000"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "a wrong code: {}", reply.text());
    let code = totp_code(&secret);
    let reply = viewer
        .post(
            "/dashboard/account/totp/confirm",
            &[("secret", &secret), ("code", &code), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(location(&reply), "/dashboard/account?notice=totp-on");
    let listed = latch.cli(&["staff", "list", "--company", &id]);
    assert_eq!(listed["staff"][1]["two_factor"], true, "{listed}");
    let reply = Browser::new(&server)
        .sign_in("viewer@example.com", PASSWORD)
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text());
}

both_backends!(the_search_finds_keys_and_emails_by_their_start);

async fn the_search_finds_keys_and_emails_by_their_start(backend: Backend) {
    let latch = Latch::new(backend, "dash_prefix").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "viewer@example.com", "viewer");
    latch.product(&company, "app");
    let id = company.id.to_string();
    for email in ["buyer@example.com", "buyer.two@example.com"] {
        latch.cli(&["customer", "create", "--company", &id, "--email", email]);
    }
    // `ZZZ[` is what the range of `ZZZZ` ends before; `%` and `_` are LIKE's wildcards.
    let keys = [
        "ABCD-0001",
        "ABCD-0002",
        "ABCE-0001",
        "ZZZZ-0001",
        "ZZZ[-0001",
        "50%_OFF-1",
        "50%XOFF-1",
        "50X_OFF-1",
    ];
    for key in keys {
        latch.license(&company, "app", &["--key", key]);
    }
    for (key, email) in [
        ("GAMMA-0001", "buyer@example.com"),
        ("GAMMA-0002", "buyer.two@example.com"),
    ] {
        latch.license(&company, "app", &["--key", key, "--customer", email]);
    }
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "viewer@example.com").await;

    for (text, expected) in [
        ("ABCD", &["ABCD-0001", "ABCD-0002"][..]),
        ("abcd-", &["ABCD-0001", "ABCD-0002"]),
        ("ABCD-0001", &["ABCD-0001"]),
        ("ZZZZ", &["ZZZZ-0001"]),
        ("ZZZ", &["ZZZZ-0001", "ZZZ[-0001"]),
        ("50%_", &["50%_OFF-1"]),
        ("50%", &["50%_OFF-1", "50%XOFF-1"]),
        ("Buyer@Example.com", &["GAMMA-0001"]),
        ("buyer", &["GAMMA-0001", "GAMMA-0002"]),
        ("BUYER.T", &["GAMMA-0002"]),
        ("buyer_", &[]),
        ("ABCF", &[]),
    ] {
        let url = reqwest::Url::parse_with_params("http://latch/dashboard/licenses", [("q", text)])
            .unwrap();
        let reply = browser
            .get(&format!(
                "{}?{}",
                url.path(),
                url.query().unwrap_or_default()
            ))
            .await;
        let page = reply.text();
        let found: Vec<&str> = keys
            .iter()
            .chain(&["GAMMA-0001", "GAMMA-0002"])
            .copied()
            .filter(|key| page.contains(&format!("<code>{key}</code>")))
            .collect();
        assert_eq!(found, expected, "searching {text:?}");
        if expected.is_empty() {
            assert!(page.contains("No license matches"), "searching {text:?}");
        } else {
            let count = format!("1–{} of {}", expected.len(), expected.len());
            assert!(page.contains(&count), "searching {text:?}: {count}");
        }
    }
}
