//! Orders: `create_order` (idempotent per store id, appended on request, all or nothing), user-based
//! orders whose users sign in with the returned passwords, listing, changes and generated keys.

use serde_json::{json, Value};

use super::support::{Backend, Company, Latch, Reply, Server};
use super::{detail, expect, management_key, Api};

both_backends!(
    an_order_creates_its_licenses_once_and_appends_on_request,
    a_user_based_order_hands_out_passwords_that_sign_in,
    a_refused_license_refuses_the_whole_order,
    orders_are_filtered_paged_changed_and_private,
    generated_keys_follow_the_request,
);

/// An activation as the SDKs send it: by key, or by user name and password.
fn activation(product: &str, ident: Value, hardware_id: &str) -> Value {
    let mut body = json!({
        "product": product,
        "hardware_id": hardware_id,
        "os_ver": "linux",
        "hostname": "test-host",
        "is_vm": false,
        "sdk_ver": "PythonSDK 4.0.0",
    });
    body.as_object_mut()
        .unwrap()
        .extend(ident.as_object().unwrap().clone());
    body
}

async fn activate(
    server: &Server,
    company: &Company,
    product: &str,
    ident: Value,
    hw: &str,
) -> u16 {
    activation_reply(server, company, product, ident, hw)
        .await
        .status
}

async fn activation_reply(
    server: &Server,
    company: &Company,
    product: &str,
    ident: Value,
    hw: &str,
) -> Reply {
    server
        .post(
            &company.creds,
            "activate_license",
            &activation(product, ident, hw),
        )
        .await
}

/// Licenses and orders of the company, read from the database.
async fn counts(latch: &Latch, company: &Company) -> (i64, i64, i64) {
    let id = company.id;
    (
        latch
            .db_scalar(
                &format!("SELECT COUNT(*) FROM licenses WHERE company_id = {id}"),
                &[],
            )
            .await,
        latch
            .db_scalar(
                &format!("SELECT COUNT(*) FROM orders WHERE company_id = {id}"),
                &[],
            )
            .await,
        latch
            .db_scalar(
                &format!("SELECT COUNT(*) FROM customers WHERE company_id = {id}"),
                &[],
            )
            .await,
    )
}

fn order_body(store_id: &str, items: Value) -> Value {
    json!({
        "id": store_id,
        "is_test": false,
        "created": "2017-03-15 22:13:01",
        "order_type": "normal",
        "language": "en",
        "campaign_params": "cpg=web",
        "download_id": "dl-1",
        "reference": "ref-1",
        "metadata": "{ \"some_key\": \"some_value\" }",
        "customer": {"email": "Buyer@Example.com", "first_name": "Bea", "company_name": "Acme"},
        "items": items,
    })
}

async fn an_order_creates_its_licenses_once_and_appends_on_request(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_orders").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let id = company.id.to_string();
    latch.cli(&[
        "product",
        "add-feature",
        "--company",
        &id,
        "--product",
        "app",
        "--code",
        "pro",
        "--name",
        "Pro",
        "--type",
        "consumption",
    ]);
    let key = management_key(&latch, &company, false);
    let server = latch.serve();
    let api = Api::new(&server, &key);

    let body = order_body(
        "store-1",
        json!([{"product_code": "app", "licenses": [
            {"key": "KEY1-AAAA-BBBB-CCCC", "max_activations": 2, "valid_duration": "1y",
             "product_features": [{"code": "pro", "max_consumption": 33}], "note": "first"},
            {"license_type": "consumption", "max_consumptions": 100}
        ]}]),
    );
    let created = expect(&api.post("orders/create_order/", &body).await, 201);
    assert_eq!(created["store_id"], "store-1");
    assert_eq!(created["order_id"], created["id"]);
    assert_eq!(created["new_passwords"], json!([]));
    let licenses = created["licenses"].as_array().unwrap();
    assert_eq!(licenses.len(), 2, "{created}");
    assert_eq!(licenses[0]["license_key"], "KEY1-AAAA-BBBB-CCCC");
    assert_eq!(licenses[0]["license_type"], "time-limited");
    assert_eq!(licenses[1]["license_type"], "consumption");
    let generated = licenses[1]["license_key"].as_str().unwrap();
    assert_eq!(generated.len(), 19, "{generated}");

    // Both licenses work through the License API.
    for (license_key, hw) in [("KEY1-AAAA-BBBB-CCCC", "hw-1"), (generated, "hw-2")] {
        let status = activate(
            &server,
            &company,
            "app",
            json!({"license_key": license_key}),
            hw,
        )
        .await;
        assert_eq!(status, 200, "{license_key}");
    }
    assert_eq!(counts(&latch, &company).await, (2, 1, 1));

    // The same store id again: the order as it is, nothing new.
    let repeated = expect(&api.post("orders/create_order/", &body).await, 200);
    assert_eq!(repeated["order_id"], created["order_id"]);
    assert_eq!(repeated["licenses"], created["licenses"]);
    assert_eq!(counts(&latch, &company).await, (2, 1, 1));

    // With append, the licenses are added to it.
    let appended = expect(
        &api.post(
            "orders/create_order/",
            &json!({"id": "store-1", "append": true,
                    "items": [{"product_code": "app", "licenses": [{}]}]}),
        )
        .await,
        201,
    );
    assert_eq!(appended["order_id"], created["order_id"]);
    assert_eq!(appended["licenses"].as_array().unwrap().len(), 1);
    assert_eq!(counts(&latch, &company).await, (3, 1, 1));

    let order_id = created["order_id"].as_i64().unwrap();
    let order = expect(&api.get(&format!("orders/{order_id}/")).await, 200);
    assert_eq!(order["store_id"], "store-1");
    assert_eq!(order["type"], "normal");
    assert_eq!(order["language"], "en");
    assert_eq!(order["metadata"], json!({"some_key": "some_value"}));
    assert_eq!(order["created_at"], "2017-03-15T22:13:01Z");
    assert_eq!(order["has_active_licenses"], true);
    assert_eq!(order["customer_email"], "buyer@example.com");
    assert_eq!(order["customer"]["first_name"], "Bea");
    assert_eq!(order["customer"]["total_orders"], 1);
    assert_eq!(order["customer"]["total_licenses"], 3);
    let items = order["order_items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{order}");
    let shown: Vec<&Value> = items[0]["licenses"].as_array().unwrap().iter().collect();
    assert_eq!(shown.len(), 3);
    assert_eq!(shown[0]["license_key"], "KEY1-AAAA-BBBB-CCCC");
    assert_eq!(shown[0]["product"]["short_code"], "app");
    assert_eq!(items[0]["id"], shown[0]["id"]);

    // The feature and the note were stored with the license.
    let license_id = shown[0]["id"].as_i64().unwrap();
    let feature_limit = latch
        .db_scalar(
            &format!(
                "SELECT max_consumption FROM license_features WHERE license_id = {license_id}"
            ),
            &[],
        )
        .await;
    assert_eq!(feature_limit, 33);
    let noted = latch
        .db_scalar(
            "SELECT COUNT(*) FROM licenses WHERE note = $1 AND order_id IS NOT NULL",
            &["first"],
        )
        .await;
    assert_eq!(noted, 1);

    // Each change is in the event log, once.
    for (event, count) in [
        ("order.created", 1),
        ("order.updated", 1),
        ("license.created", 3),
        ("customer.created", 1),
    ] {
        let events = expect(&api.get(&format!("events/?event={event}")).await, 200);
        assert_eq!(events["count"], count, "{event}: {events}");
    }
}

async fn a_user_based_order_hands_out_passwords_that_sign_in(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_user_orders").await;
    let company = latch.company("Acme");
    let id = company.id.to_string();
    latch.cli(&[
        "product",
        "create",
        "--company",
        &id,
        "--code",
        "team",
        "--name",
        "Team",
        "--user-based",
    ]);
    let key = management_key(&latch, &company, false);
    let server = latch.serve();
    let api = Api::new(&server, &key);

    let created = expect(
        &api.post(
            "orders/create_order/",
            &json!({"id": "u-1", "items": [{"product_code": "team", "licenses": [
                {"users": [{"email": "Ann@Example.com", "is_manager": false, "max_activations": 3}],
                 "max_activations": 5}
            ]}]}),
        )
        .await,
        201,
    );
    let passwords = created["new_passwords"].as_array().unwrap();
    assert_eq!(passwords.len(), 1, "{created}");
    assert_eq!(passwords[0]["email"], "ann@example.com");
    let password = passwords[0]["new_password"].as_str().unwrap().to_owned();
    assert_eq!(created["licenses"][0]["license_key"], Value::Null);
    let user = |password: &str| json!({"username": "ann@example.com", "password": password});
    assert_eq!(
        activate(&server, &company, "team", user(&password), "hw-1").await,
        200
    );

    // The same user on a second order gets no new password.
    let second = expect(
        &api.post(
            "orders/create_order/",
            &json!({"id": "u-2", "items": [{"product_code": "team", "licenses": [
                {"users": [{"email": "ann@example.com"}]}
            ]}]}),
        )
        .await,
        201,
    );
    assert_eq!(second["new_passwords"], json!([]));

    let found = expect(
        &api.get("license-users/?true_email__iexact=ANN@example.com")
            .await,
        200,
    );
    assert_eq!(found["count"], 1, "{found}");
    let shown = &found["results"][0];
    assert_eq!(shown["true_email"], "ann@example.com");
    assert_eq!(shown["total_licenses"], 2);
    assert_eq!(shown["is_initial_password"], true);
    // The company does not expose initial passwords, and no hash is ever shown.
    assert_eq!(shown["initial_password"], Value::Null);
    assert!(!found.to_string().contains("argon2"), "{found}");
    let user_id = shown["id"].as_i64().unwrap();

    let renamed = expect(
        &api.patch(
            &format!("license-users/{user_id}/"),
            &json!({"first_name": "Ann", "phone_number": "+1 555"}),
        )
        .await,
        200,
    );
    assert_eq!(renamed["first_name"], "Ann");
    assert_eq!(renamed["phone_number"], "+1 555");
    let by_phone = expect(&api.get("license-users/?phone__icontains=555").await, 200);
    assert_eq!(by_phone["count"], 1);

    let short = expect(
        &api.post(
            &format!("license-users/{user_id}/set_password/"),
            &json!({"password": "short"}),
        )
        .await,
        400,
    );
    assert!(short["password"].is_array(), "{short}");
    let set = expect(
        &api.post(
            &format!("license-users/{user_id}/set_password/"),
            &json!({"password": "new-secret-1"}),
        )
        .await,
        200,
    );
    assert_eq!(set, json!({"message": "Password set."}));
    activation_reply(&server, &company, "team", user(&password), "hw-2")
        .await
        .assert_error(400, "invalid_credentials");
    assert_eq!(
        activate(&server, &company, "team", user("new-secret-1"), "hw-2").await,
        200
    );

    expect(
        &api.post(
            "license-users/set_password/?email=ann@example.com",
            &json!({"password": "new-secret-2"}),
        )
        .await,
        200,
    );
    assert_eq!(
        activate(&server, &company, "team", user("new-secret-2"), "hw-3").await,
        200
    );
    let after = expect(&api.get(&format!("license-users/{user_id}/")).await, 200);
    assert_eq!(after["is_initial_password"], false);
    let set_events = expect(
        &api.get("events/?event=license_user.password_set").await,
        200,
    );
    assert_eq!(set_events["count"], 2);
    let created_events = expect(&api.get("events/?event=license_user.created").await, 200);
    assert_eq!(created_events["count"], 1);
    detail(
        &api.post(
            "license-users/set_password/?email=nobody@example.com",
            &json!({"password": "new-secret-3"}),
        )
        .await,
        404,
    );
}

async fn a_refused_license_refuses_the_whole_order(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_order_refused").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = management_key(&latch, &company, false);
    let server = latch.serve();
    let api = Api::new(&server, &key);

    let good = json!({"product_code": "app", "licenses": [{"key": "GOOD-KEY"}]});
    for (items, field) in [
        (
            json!([good, {"product_code": "nope", "licenses": [{}]}]),
            "items[1].product_code",
        ),
        (
            json!([{"product_code": "app", "licenses": [{}, {"max_activations": -1}]}]),
            "items[0].licenses[1].max_activations",
        ),
        (
            json!([{"product_code": "app", "licenses": [
                {"custom_fields": [{"name": "Seats", "value": 3}]}]}]),
            "items[0].licenses[0].custom_fields[0].name",
        ),
        (
            json!([{"product_code": "app", "licenses": [
                {"product_features": [{"code": "missing"}]}]}]),
            "items[0].licenses[0].product_features[0].code",
        ),
        (
            json!([{"product_code": "app", "licenses": [
                {"users": [{"email": "ann@example.com"}]}]}]),
            "items[0].licenses[0].users",
        ),
        (
            json!([{"product_code": "app", "licenses": [{"key": "TWICE"}, {"key": "TWICE"}]}]),
            "items[0].licenses[1].key",
        ),
        (
            json!([{"product_code": "app", "licenses": [{"license_type": "forever"}]}]),
            "items[0].licenses[0].license_type",
        ),
        (
            json!([{"product_code": "app", "licenses": [{"validity_period": "someday"}]}]),
            "items[0].licenses[0].validity_period",
        ),
    ] {
        let refused = expect(
            &api.post("orders/create_order/", &order_body("o-1", items))
                .await,
            400,
        );
        assert!(refused[field].is_array(), "{field} not in {refused}");
        assert_eq!(counts(&latch, &company).await, (0, 0, 0), "{field}");
    }
    let missing = expect(
        &api.post("orders/create_order/", &json!({"id": "o-1"}))
            .await,
        400,
    );
    assert_eq!(missing["items"], json!(["This field is required."]));
    let bad_metadata = expect(
        &api.post(
            "orders/create_order/",
            &json!({"id": "o-1", "metadata": "{not json", "items": [good]}),
        )
        .await,
        400,
    );
    assert!(bad_metadata["metadata"].is_array(), "{bad_metadata}");

    // A key already in use is refused too.
    latch.license(&company, "app", &["--key", "TAKEN"]);
    let taken = expect(
        &api.post(
            "orders/create_order/",
            &order_body(
                "o-1",
                json!([{"product_code": "app", "licenses": [{"key": "TAKEN"}]}]),
            ),
        )
        .await,
        400,
    );
    assert!(taken["items[0].licenses[0].key"].is_array(), "{taken}");
    assert_eq!(counts(&latch, &company).await, (1, 0, 0));
}

async fn orders_are_filtered_paged_changed_and_private(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_order_list").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    let key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &key);
    let outsider = Api::new(&server, &other_key);

    let mut ids = Vec::new();
    for (store_id, email, last_name, is_test) in [
        ("web-1", "ann@shop.com", "Smith", false),
        ("web-2", "bob@shop.com", "Jones", true),
        ("crm-1", "cy@corp.com", "Smithers", false),
    ] {
        let created = expect(
            &api.post(
                "orders/create_order/",
                &json!({"id": store_id, "is_test": is_test,
                        "customer": {"email": email, "first_name": "X", "last_name": last_name,
                                     "reference": format!("ref-{store_id}")},
                        "items": [{"product_code": "app", "licenses": [{}]}]}),
            )
            .await,
            201,
        );
        ids.push(created["order_id"].as_i64().unwrap());
    }
    let store_ids = |page: &Value| -> Vec<String> {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|order| order["store_id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("", vec!["crm-1", "web-2", "web-1"]),
        ("store_id__startswith=web", vec!["web-2", "web-1"]),
        ("store_id=crm-1", vec!["crm-1"]),
        ("store_id__icontains=EB-1", vec!["web-1"]),
        ("customer__email__icontains=SHOP", vec!["web-2", "web-1"]),
        ("customer__email__startswith=cy@", vec!["crm-1"]),
        ("customer_email=bob@shop.com", vec!["web-2"]),
        ("customer_name__icontains=x smith", vec!["crm-1", "web-1"]),
        (
            "customer_reference__icontains=REF-WEB",
            vec!["web-2", "web-1"],
        ),
        ("is_test=true", vec!["web-2"]),
        ("order_by=store_id", vec!["crm-1", "web-1", "web-2"]),
        (
            "created_at__gte=2000-01-01",
            vec!["crm-1", "web-2", "web-1"],
        ),
        ("created_at__lt=2000-01-01", vec![]),
    ] {
        let page = expect(&api.get(&format!("orders/?{query}")).await, 200);
        assert_eq!(store_ids(&page), expected, "{query}");
        assert_eq!(page["count"], expected.len(), "{query}");
    }
    let customer_id = expect(&api.get(&format!("orders/{}/", ids[1])).await, 200)["customer"]["id"]
        .as_i64()
        .unwrap();
    let by_customer = expect(
        &api.get(&format!("orders/?customer_id={customer_id}")).await,
        200,
    );
    assert_eq!(store_ids(&by_customer), ["web-2"]);

    let middle = expect(&api.get("orders/?limit=1&offset=1").await, 200);
    assert_eq!(middle["count"], 3);
    assert_eq!(store_ids(&middle), ["web-2"]);
    assert!(
        middle["next"].as_str().unwrap().contains("offset=2"),
        "{middle}"
    );
    assert!(
        middle["previous"].as_str().unwrap().contains("limit=1"),
        "{middle}"
    );
    let last = expect(&api.get("orders/?limit=2&offset=2").await, 200);
    assert_eq!(last["next"], Value::Null);
    let bad = expect(&api.get("orders/?created_at__gte=soon").await, 400);
    assert!(bad["created_at__gte"].is_array(), "{bad}");

    let changed = expect(
        &api.patch(
            &format!("orders/{}/", ids[0]),
            &json!({"store_id": "web-9", "is_test": true, "metadata": {"a": 1}, "customer": null}),
        )
        .await,
        200,
    );
    assert_eq!(changed["store_id"], "web-9");
    assert_eq!(changed["is_test"], true);
    assert_eq!(changed["metadata"], json!({"a": 1}));
    assert_eq!(changed["customer"], Value::Null);
    let taken = expect(
        &api.patch(
            &format!("orders/{}/", ids[0]),
            &json!({"store_id": "web-2"}),
        )
        .await,
        400,
    );
    assert!(taken["store_id"].is_array(), "{taken}");
    let unknown = expect(
        &api.patch(&format!("orders/{}/", ids[0]), &json!({"customer": 999999}))
            .await,
        400,
    );
    assert!(unknown["customer"].is_array(), "{unknown}");
    let reassigned = expect(
        &api.patch(
            &format!("orders/{}/", ids[0]),
            &json!({"customer": customer_id}),
        )
        .await,
        200,
    );
    assert_eq!(reassigned["customer"]["id"], customer_id);
    let updates = expect(&api.get("events/?event=order.updated").await, 200);
    assert_eq!(updates["count"], 2);

    // Another company's key finds none of it.
    for id in &ids {
        detail(&outsider.get(&format!("orders/{id}/")).await, 404);
        detail(
            &outsider
                .patch(&format!("orders/{id}/"), &json!({"is_test": true}))
                .await,
            404,
        );
    }
    detail(
        &outsider.get(&format!("customers/{customer_id}/")).await,
        404,
    );
    assert_eq!(expect(&outsider.get("orders/").await, 200)["count"], 0);
    // The other company's own orders can reuse the store ids.
    latch.product(&other, "app");
    expect(
        &outsider
            .post(
                "orders/create_order/",
                &json!({"id": "web-2", "items": [{"product_code": "app", "licenses": [{}]}]}),
            )
            .await,
        201,
    );
}

async fn generated_keys_follow_the_request(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_order_keys").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = management_key(&latch, &company, true);
    let server = latch.serve();
    let api = Api::new(&server, &key);

    let keys = expect(
        &api.get("orders/generate_license/?product=app&quantity=3")
            .await,
        200,
    );
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for key in keys {
        let groups: Vec<&str> = key.as_str().unwrap().split('-').collect();
        assert_eq!(groups.len(), 4, "{key}");
        assert!(groups.iter().all(|g| g.len() == 4
            && g.chars()
                .all(|c| "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(c))));
    }
    let custom = expect(
        &api.get("orders/generate_license/?product=app&key_length=18&alphabet=AB")
            .await,
        200,
    );
    let custom = custom[0].as_str().unwrap();
    assert_eq!(custom.replace('-', "").len(), 18, "{custom}");
    assert!(custom.chars().all(|c| "AB-".contains(c)), "{custom}");

    detail(&api.get("orders/generate_license/?product=nope").await, 404);
    for (query, field) in [
        ("product=app&quantity=0", "quantity"),
        ("product=app&quantity=many", "quantity"),
        ("product=app&key_length=8", "key_length"),
        ("product=app&alphabet=A", "alphabet"),
        ("quantity=2", "product"),
    ] {
        let refused = expect(
            &api.get(&format!("orders/generate_license/?{query}")).await,
            400,
        );
        assert!(refused[field].is_array(), "{query}: {refused}");
    }
    // A read-only key may generate keys but not place orders.
    detail(
        &api.post(
            "orders/create_order/",
            &json!({"id": "x", "items": [{"product_code": "app", "licenses": [{}]}]}),
        )
        .await,
        403,
    );
}
