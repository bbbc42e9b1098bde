//! Customer accounts over the Management API, shared with the CLI: create with an identity provider,
//! show (never the client secret), change, list with filters, put customers in them, delete, and
//! only ever the key's own company; each change is in the event log.

use serde_json::{json, Value};

use super::support::{Backend, Latch};
use super::{detail, expect, management_key, Api};

both_backends!(customer_accounts_are_created_changed_listed_and_deleted);

async fn customer_accounts_are_created_changed_listed_and_deleted(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_accounts").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    let key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &key);
    let outsider = Api::new(&server, &other_key);

    let secret = "a-long-client-secret-1234";
    let created = expect(
        &api.post(
            "customer-accounts/",
            &json!({"code": "acme", "name": "Acme Corp",
                    "oidc_issuer": "https://login.acme.example/realms/staff",
                    "oidc_client_id": "latch", "oidc_client_secret": secret,
                    "oidc_redirect_uris": ["http://localhost:3333/cb", "myapp://cb"]}),
        )
        .await,
        200,
    );
    assert_eq!(created["code"], "acme");
    assert_eq!(created["oidc_client_secret"], "…1234");
    assert!(!created.to_string().contains(secret), "{created}");
    assert_eq!(created["oidc_email_claim"], "email");
    assert_eq!(created["total_customers"], 0);
    let acme = created["id"].as_i64().unwrap();

    for (body, field) in [
        (json!({"code": "acme"}), "code"),
        (json!({"name": "No code"}), "code"),
        (
            json!({"code": "x", "oidc_issuer": "http://login.acme.example"}),
            "oidc_issuer",
        ),
        (
            json!({"code": "x", "oidc_issuer": "https://login.acme.example",
                   "oidc_client_id": "latch", "oidc_client_secret": "s"}),
            "oidc_redirect_uris",
        ),
    ] {
        let refused = expect(&api.post("customer-accounts/", &body).await, 400);
        assert!(refused[field].is_array(), "{body}: {refused}");
    }

    // The CLI and the API share accounts: a plain one, and a customer in acme.
    let company_id = company.id.to_string();
    latch.cli(&[
        "customer-account",
        "create",
        "--company",
        &company_id,
        "--code",
        "beta",
        "--name",
        "Beta Ltd",
    ]);
    let customer = expect(
        &api.post(
            "customers/",
            &json!({"email": "buyer@acme.example", "customer_account": acme}),
        )
        .await,
        200,
    );
    assert_eq!(customer["customer_account"], acme);
    let refused = expect(
        &api.post(
            "customers/",
            &json!({"email": "x@acme.example", "customer_account": 999_999}),
        )
        .await,
        400,
    );
    assert!(refused["customer_account"].is_array(), "{refused}");
    let in_acme = expect(&api.get("customers/?account__code=acme").await, 200);
    assert_eq!(in_acme["count"], 1, "{in_acme}");
    let by_id = expect(&api.get(&format!("customers/?account={acme}")).await, 200);
    assert_eq!(by_id["results"][0]["email"], "buyer@acme.example");

    let codes = |page: &Value| -> Vec<String> {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("", vec!["beta", "acme"]),
        ("code=acme", vec!["acme"]),
        ("name__icontains=LTD", vec!["beta"]),
        ("order_by=code", vec!["acme", "beta"]),
    ] {
        let page = expect(&api.get(&format!("customer-accounts/?{query}")).await, 200);
        assert_eq!(codes(&page), expected, "{query}");
    }

    // Provider values not given are kept; the secret can be replaced but is never shown.
    let changed = expect(
        &api.patch(
            &format!("customer-accounts/{acme}/"),
            &json!({"oidc_email_claim": "upn", "oidc_client_secret": "short"}),
        )
        .await,
        200,
    );
    assert_eq!(changed["oidc_email_claim"], "upn");
    assert_eq!(changed["oidc_client_secret"], "…");
    assert_eq!(changed["oidc_client_id"], "latch");
    assert_eq!(changed["total_customers"], 1);
    let beta = expect(&api.get("customer-accounts/?code=beta").await, 200)["results"][0]["id"]
        .as_i64()
        .unwrap();
    let incomplete = expect(
        &api.patch(
            &format!("customer-accounts/{beta}/"),
            &json!({"oidc_client_id": "latch"}),
        )
        .await,
        400,
    );
    assert!(incomplete["oidc_issuer"].is_array(), "{incomplete}");
    let removed = expect(
        &api.patch(
            &format!("customer-accounts/{acme}/"),
            &json!({"oidc_issuer": null}),
        )
        .await,
        200,
    );
    assert_eq!(removed["oidc_issuer"], Value::Null);
    assert_eq!(removed["oidc_redirect_uris"], json!([]));

    // Another company's key finds nothing.
    detail(
        &outsider.get(&format!("customer-accounts/{acme}/")).await,
        404,
    );
    detail(
        &outsider
            .patch(&format!("customer-accounts/{acme}/"), &json!({"name": "X"}))
            .await,
        404,
    );
    detail(
        &outsider.delete(&format!("customer-accounts/{acme}/")).await,
        404,
    );
    let refused = expect(
        &outsider
            .post(
                "customers/",
                &json!({"email": "spy@other.example", "customer_account": acme}),
            )
            .await,
        400,
    );
    assert!(refused["customer_account"].is_array(), "{refused}");

    // Deleting an account leaves its customers, without it.
    let deleted = api.delete(&format!("customer-accounts/{acme}/")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    detail(&api.get(&format!("customer-accounts/{acme}/")).await, 404);
    let customer_id = customer["id"].as_i64().unwrap();
    let kept = expect(&api.get(&format!("customers/{customer_id}/")).await, 200);
    assert_eq!(kept["customer_account"], Value::Null);

    let events = expect(
        &api.get("events/?event__startswith=customer_account.").await,
        200,
    );
    let names: Vec<&str> = events["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "customer_account.deleted",
            "customer_account.updated",
            "customer_account.updated",
            "customer_account.created",
            "customer_account.created",
        ]
    );
    assert!(!events.to_string().contains("short"), "{events}");
    server.stop();
}
