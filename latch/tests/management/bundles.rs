//! Bundles over the Management API: a bundle product names the products it includes, and an order
//! of a bundle creates the bundle's license with one license per included product, which the
//! License API activates, checks and deactivates together.

use serde_json::{json, Value};

use super::support::{Backend, Latch};
use super::{expect, management_key, Api};

both_backends!(bundle_products_are_created_listed_and_changed);
both_backends!(an_order_of_a_bundle_creates_every_license_of_it);

fn codes(products: &Value) -> Vec<&str> {
    products
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {products}"))
        .iter()
        .map(|p| p["short_code"].as_str().unwrap_or_default())
        .collect()
}

fn refused(reply: &super::support::Reply, field: &str) {
    let body = expect(reply, 400);
    assert!(body[field].is_array(), "{field} not named in {body}");
}

async fn bundle_products_are_created_listed_and_changed(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_bundles").await;
    let company = latch.company("Acme");
    latch.product(&company, "editor");
    latch.product(&company, "viewer");
    let api_key = management_key(&latch, &company, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    let viewer = expect(&api.get("products/?short_code=viewer").await, 200)["results"][0]["id"]
        .as_i64()
        .unwrap();

    // Included products by code or by id.
    let suite = expect(
        &api.post(
            "products/",
            &json!({"product_name": "Suite", "short_code": "suite", "is_bundle": true,
                    "includes": ["editor", viewer]}),
        )
        .await,
        201,
    );
    assert_eq!(suite["is_bundle"], true);
    let id = suite["id"].as_i64().unwrap();
    assert_eq!(
        codes(&expect(
            &api.get(&format!("products/{id}/bundle/")).await,
            200
        )),
        ["editor", "viewer"]
    );
    assert_eq!(
        codes(&expect(
            &api.get(&format!("products/{viewer}/in_bundle/")).await,
            200
        )),
        ["suite"]
    );
    let bundles = expect(&api.get("products/?is_bundle=true").await, 200);
    assert_eq!(codes(&bundles["results"]), ["suite"]);

    for (body, field) in [
        (
            json!({"product_name": "X", "short_code": "x1", "is_bundle": true}),
            "includes",
        ),
        (
            json!({"product_name": "X", "short_code": "x2", "is_bundle": true, "includes": ["nope"]}),
            "includes",
        ),
        (
            json!({"product_name": "X", "short_code": "x3", "is_bundle": true, "includes": ["suite"]}),
            "includes",
        ),
        (
            json!({"product_name": "X", "short_code": "x4", "includes": ["editor"]}),
            "is_bundle",
        ),
    ] {
        refused(&api.post("products/", &body).await, field);
    }
    assert_eq!(expect(&api.get("products/").await, 200)["count"], 3);

    // A PATCH changes what the bundle includes, or makes it a plain product again.
    let changed = expect(
        &api.patch(&format!("products/{id}/"), &json!({"includes": ["editor"]}))
            .await,
        200,
    );
    assert_eq!(changed["is_bundle"], true);
    assert_eq!(
        codes(&expect(
            &api.get(&format!("products/{id}/bundle/")).await,
            200
        )),
        ["editor"]
    );
    let plain = expect(
        &api.patch(&format!("products/{id}/"), &json!({"is_bundle": false}))
            .await,
        200,
    );
    assert_eq!(plain["is_bundle"], false);
    assert_eq!(
        expect(&api.get(&format!("products/{id}/bundle/")).await, 200),
        json!([])
    );
}

async fn an_order_of_a_bundle_creates_every_license_of_it(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_bundle_orders").await;
    let company = latch.company("Acme");
    latch.product(&company, "editor");
    latch.product(&company, "viewer");
    let id = company.id.to_string();
    latch.cli(&[
        "product",
        "create",
        "--company",
        &id,
        "--code",
        "suite",
        "--name",
        "Suite",
        "--bundle",
        "--includes",
        "editor,viewer",
    ]);
    let api_key = management_key(&latch, &company, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);

    let order = json!({
        "id": "store-bundle-1",
        "customer": {"email": "buyer@example.com"},
        "items": [{"product_code": "suite", "licenses": [{"key": "SUIT-AAAA-BBBB-CCCC", "max_activations": 2}]}],
    });
    let created = expect(&api.post("orders/create_order/", &order).await, 201);
    let licenses = created["licenses"].as_array().unwrap();
    assert_eq!(licenses.len(), 3, "{created}");
    for (license, code) in licenses.iter().zip(["suite", "editor", "viewer"]) {
        assert_eq!(license["license_key"], "SUIT-AAAA-BBBB-CCCC", "{license}");
        assert_eq!(license["product_code"], code, "{license}");
    }

    let creds = &company.creds;
    let ident =
        json!({"product": "suite", "license_key": "SUIT-AAAA-BBBB-CCCC", "hardware_id": "hw-1"});
    let activated = server.post(creds, "activate_bundle", &ident).await;
    activated.assert_signed_by(&company.public_key_pem);
    let activated = activated.ok();
    let shown: Vec<&str> = activated
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["product_details"]["short_code"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["suite", "editor", "viewer"]);
    // The included licenses have the bundle license's terms.
    assert!(
        activated
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["max_activations"] == 2),
        "{activated}"
    );
    let query = [
        ("product", "suite"),
        ("license_key", "SUIT-AAAA-BBBB-CCCC"),
        ("hardware_id", "hw-1"),
    ];
    let checked = server.get(creds, "check_bundle", &query).await.ok();
    assert_eq!(checked.as_array().unwrap().len(), 3, "{checked}");
    // An included product works on its own with the bundle's key.
    let editor = [
        ("product", "editor"),
        ("license_key", "SUIT-AAAA-BBBB-CCCC"),
        ("hardware_id", "hw-1"),
    ];
    assert_eq!(
        server.get(creds, "check_license", &editor).await.ok()["license_active"],
        true
    );
    assert_eq!(
        server.post(creds, "deactivate_bundle", &ident).await.ok(),
        "license_deactivated"
    );
    server
        .get(creds, "check_license", &editor)
        .await
        .assert_error(400, "license_not_active");
}
