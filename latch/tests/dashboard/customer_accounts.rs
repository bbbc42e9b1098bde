//! Customer accounts in the dashboard: admins create and change them with their single sign-on
//! provider, the Management API sees each change, the client secret is never shown back and an empty
//! secret field keeps it; viewers only read, and other companies get 404.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{json, Value};

use super::products::management;
use super::{add_staff, location, Browser};
use crate::support::{send, Backend, Latch};

const LIST: &str = "/dashboard/customer-accounts";
const SECRET: &str = "first-client-secret-0123456789";
const ROTATED: &str = "rotated-client-secret-abcdWXYZ";

/// The account's form as an admin fills it in, with `secret` as the client secret.
fn account_form<'a>(client_id: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "Initech"),
        ("code", "initech"),
        ("oidc_issuer", "https://login.initech.example/realms/staff"),
        ("oidc_client_id", client_id),
        ("oidc_client_secret", secret),
        (
            "oidc_redirect_uris",
            "myapp://callback\r\nhttp://localhost:3333/callback",
        ),
        ("oidc_email_claim", "upn"),
    ]
}

/// Creates the account of [`account_form`] as `admin`; returns its page's path.
async fn create_account(admin: &mut Browser<'_>) -> String {
    let reply = admin
        .submit(
            &format!("{LIST}/new"),
            LIST,
            &account_form("latch-app", SECRET),
        )
        .await;
    location(&reply).split('?').next().unwrap().to_owned()
}

both_backends!(an_admin_creates_and_edits_a_customer_account_with_its_single_sign_on);

async fn an_admin_creates_and_edits_a_customer_account_with_its_single_sign_on(backend: Backend) {
    let latch = Latch::new(backend, "dash_accounts").await;
    let company = latch.company("Acme");
    let admin = add_staff(&latch, &company, "admin@example.com", "admin");
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "admin@example.com").await;

    let empty = browser.get(LIST).await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert!(
        empty.text().contains("No customer account yet."),
        "{}",
        empty.text()
    );
    let customers = browser.get("/dashboard/customers").await.text();
    assert!(
        customers.contains(&format!("href=\"{LIST}\"")),
        "{customers}"
    );

    // A provider without its redirect URIs is refused: an alert, the values kept, the secret not.
    let mut incomplete = account_form("latch-app", SECRET);
    incomplete.retain(|(name, _)| *name != "oidc_redirect_uris");
    let reply = browser
        .submit(&format!("{LIST}/new"), LIST, &incomplete)
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("role=\"alert\"") && text.contains("oidc redirect uris"),
        "{text}"
    );
    assert!(text.contains("value=\"Initech\""), "{text}");
    assert!(text.contains("value=\"latch-app\""), "{text}");
    assert!(!text.contains(SECRET), "the secret is never shown: {text}");
    assert_eq!(
        management(&latch, &server, &company, "customer-accounts/").await["count"],
        0
    );

    let reply = browser
        .submit(
            &format!("{LIST}/new"),
            LIST,
            &account_form("latch-app", SECRET),
        )
        .await;
    let created = location(&reply);
    let page = created.split('?').next().unwrap().to_owned();
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(created, format!("{page}?notice=account-created"));
    let shown = browser.get(&created).await.text();
    assert!(shown.contains("Customer account created."), "{shown}");
    assert!(
        shown.contains("https://login.initech.example/realms/staff"),
        "{shown}"
    );
    assert!(
        !shown.contains(SECRET),
        "the secret is never shown: {shown}"
    );

    let seen = management(
        &latch,
        &server,
        &company,
        &format!("customer-accounts/{id}/"),
    )
    .await;
    assert_eq!(seen["code"], "initech", "{seen}");
    assert_eq!(seen["name"], "Initech", "{seen}");
    assert_eq!(
        seen["oidc_issuer"], "https://login.initech.example/realms/staff",
        "{seen}"
    );
    assert_eq!(seen["oidc_client_id"], "latch-app", "{seen}");
    assert_eq!(seen["oidc_client_secret"], "…6789", "{seen}");
    assert_eq!(
        seen["oidc_redirect_uris"],
        json!(["myapp://callback", "http://localhost:3333/callback"]),
        "{seen}"
    );
    assert_eq!(seen["oidc_email_claim"], "upn", "{seen}");
    let events = management(
        &latch,
        &server,
        &company,
        "events/?event=customer_account.created",
    )
    .await;
    assert_eq!(events["results"][0]["actor"]["type"], "staff", "{events}");
    assert_eq!(events["results"][0]["actor"]["id"], admin["id"], "{events}");

    // An empty secret keeps the stored one; a new one replaces it. Neither is ever shown.
    let reply = browser
        .submit(&page, &page, &account_form("latch-renamed", ""))
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=account-saved"));
    let seen = management(
        &latch,
        &server,
        &company,
        &format!("customer-accounts/{id}/"),
    )
    .await;
    assert_eq!(seen["oidc_client_id"], "latch-renamed", "{seen}");
    assert_eq!(seen["oidc_client_secret"], "…6789", "{seen}");
    let reply = browser
        .submit(&page, &page, &account_form("latch-renamed", ROTATED))
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=account-saved"));
    let seen = management(
        &latch,
        &server,
        &company,
        &format!("customer-accounts/{id}/"),
    )
    .await;
    assert_eq!(seen["oidc_client_secret"], "…WXYZ", "{seen}");
    let shown = browser.get(&page).await.text();
    assert!(
        !shown.contains(SECRET) && !shown.contains(ROTATED),
        "{shown}"
    );
    assert!(shown.contains("value=\"latch-renamed\""), "{shown}");

    // The account's customers, and the account on the customers list.
    let key = latch.cli(&[
        "management-key",
        "create",
        "--company",
        &company.id.to_string(),
    ])["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let customer: Value = send(
        server
            .http
            .post(server.url("/api/v1/customers/"))
            .header(AUTHORIZATION, format!("Api-Key {key}"))
            .header(CONTENT_TYPE, "application/json")
            .body(json!({"email": "buyer@initech.example", "customer_account": id}).to_string()),
    )
    .await
    .ok();
    assert_eq!(customer["customer_account"], id, "{customer}");
    let shown = browser.get(&page).await.text();
    assert!(shown.contains("buyer@initech.example"), "{shown}");
    let listed = browser.get(LIST).await.text();
    assert!(
        listed.contains(&format!("href=\"{page}\">Initech</a>")),
        "{listed}"
    );
    assert!(
        listed.contains("<td>yes</td><td>1</td>"),
        "SSO configured, one customer: {listed}"
    );
    let customers = browser.get("/dashboard/customers").await.text();
    assert!(
        customers.contains(&format!("href=\"{page}\"><code>initech</code></a>")),
        "{customers}"
    );

    // Removing the provider.
    let reply = browser
        .submit(
            &page,
            &page,
            &[
                ("name", "Initech"),
                ("code", "initech"),
                ("oidc_remove", "true"),
            ],
        )
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=account-saved"));
    let seen = management(
        &latch,
        &server,
        &company,
        &format!("customer-accounts/{id}/"),
    )
    .await;
    assert_eq!(seen["oidc_issuer"], Value::Null, "{seen}");
    assert!(
        browser
            .get(LIST)
            .await
            .text()
            .contains("<td>no</td><td>1</td>"),
        "no SSO any more"
    );
}

both_backends!(viewers_read_customer_accounts_and_other_companies_get_404);

async fn viewers_read_customer_accounts_and_other_companies_get_404(backend: Backend) {
    let latch = Latch::new(backend, "dash_accounts_roles").await;
    let acme = latch.company("Acme");
    let globex = latch.company("Globex");
    add_staff(&latch, &acme, "admin@example.com", "admin");
    add_staff(&latch, &acme, "viewer@example.com", "viewer");
    add_staff(&latch, &globex, "admin@globex.example", "admin");
    let server = latch.serve();
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;
    let page = create_account(&mut admin).await;

    let mut viewer = Browser::signed_in(&server, "viewer@example.com").await;
    let listed = viewer.get(LIST).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(listed.text().contains("Initech"), "{}", listed.text());
    assert!(
        !listed.text().contains("New customer account"),
        "{}",
        listed.text()
    );
    let shown = viewer.get(&page).await.text();
    assert!(shown.contains("latch-app"), "{shown}");
    assert!(
        !shown.contains("oidc_client_secret"),
        "a viewer gets no form: {shown}"
    );
    assert_eq!(viewer.get(&format!("{LIST}/new")).await.status, 403);
    let mut other = account_form("latch-app", SECRET);
    other[1] = ("code", "other");
    let reply = viewer.submit(LIST, LIST, &other).await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = viewer
        .submit(LIST, &page, &account_form("changed-by-viewer", ""))
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let accounts = management(&latch, &server, &acme, "customer-accounts/").await;
    assert_eq!(accounts["count"], 1, "{accounts}");
    assert_eq!(
        accounts["results"][0]["oidc_client_id"], "latch-app",
        "{accounts}"
    );

    let mut intruder = Browser::signed_in(&server, "admin@globex.example").await;
    let reply = intruder.get(&page).await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    assert!(!reply.text().contains("Initech"));
    let reply = intruder
        .submit(LIST, &page, &account_form("changed-by-intruder", ""))
        .await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    let listed = intruder.get(LIST).await.text();
    assert!(!listed.contains("Initech"), "{listed}");
    let accounts = management(&latch, &server, &acme, "customer-accounts/").await;
    assert_eq!(
        accounts["results"][0]["oidc_client_id"], "latch-app",
        "{accounts}"
    );
}

both_backends!(admins_put_customers_in_and_out_of_an_account);

async fn admins_put_customers_in_and_out_of_an_account(backend: Backend) {
    let latch = Latch::new(backend, "dash_account_members").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    add_staff(&latch, &company, "viewer@example.com", "viewer");
    latch.cli(&[
        "customer",
        "create",
        "--company",
        &company.id.to_string(),
        "--email",
        "buyer@initech.example",
    ]);
    let server = latch.serve();
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;
    let page = create_account(&mut admin).await;
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let members = format!("{page}/customers");

    // An unknown address is the form's to correct.
    let reply = admin
        .submit(&page, &members, &[("email", "nobody@initech.example")])
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("role=\"alert\"") && text.contains("No customer has the e-mail"),
        "{text}"
    );
    assert!(text.contains("value=\"nobody@initech.example\""), "{text}");

    let reply = admin
        .submit(&page, &members, &[("email", "Buyer@Initech.example")])
        .await;
    assert_eq!(location(&reply), format!("{page}?notice=customer-added"));
    let customers = management(&latch, &server, &company, "customers/").await;
    let customer = &customers["results"][0];
    assert_eq!(customer["customer_account"], id, "{customers}");
    let events = management(&latch, &server, &company, "events/?event=customer.updated").await;
    assert_eq!(events["results"][0]["actor"]["type"], "staff", "{events}");

    let shown = admin.get(&page).await.text();
    assert!(shown.contains("buyer@initech.example"), "{shown}");
    let remove = format!("{page}/customers/{}/remove", customer["id"]);
    assert!(shown.contains(&remove), "{shown}");
    let mut viewer = Browser::signed_in(&server, "viewer@example.com").await;
    let seen = viewer.get(&page).await.text();
    assert!(
        seen.contains("buyer@initech.example") && !seen.contains(&remove),
        "a viewer reads the members without their actions: {seen}"
    );
    let reply = viewer.submit(&page, &remove, &[]).await;
    assert_eq!(reply.status, 403, "{}", reply.text());

    let reply = admin.submit(&page, &remove, &[]).await;
    assert_eq!(location(&reply), format!("{page}?notice=customer-removed"));
    let customers = management(&latch, &server, &company, "customers/").await;
    assert_eq!(
        customers["results"][0]["customer_account"],
        Value::Null,
        "{customers}"
    );
    // Out of the account, the customer is no member to remove.
    let reply = admin.submit(&page, &remove, &[]).await;
    assert_eq!(reply.status, 404, "{}", reply.text());
}
