//! Products, product features, installation files and custom fields: created, listed, changed and
//! deleted per company; custom fields show in License API answers from the very next check.

use serde_json::{json, Value};

use super::devices::{activate, check, license_id};
use super::support::{Backend, Latch};
use super::{detail, expect, management_key, Api};

both_backends!(products_are_created_filtered_and_changed);
both_backends!(product_features_are_managed_and_kept_while_licenses_hold_them);
both_backends!(installation_files_are_managed_with_checked_values);
both_backends!(custom_fields_show_in_license_api_answers_at_once);

/// Asserts a 400 naming `field`.
fn refused(reply: &super::support::Reply, field: &str) {
    let body = expect(reply, 400);
    assert!(body[field].is_array(), "{field} not named in {body}");
}

fn id_of(body: &Value) -> i64 {
    body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {body}"))
}

async fn products_are_created_filtered_and_changed(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_products").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "cli-made");
    let api_key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    let stranger = Api::new(&server, &other_key);

    let created = expect(
        &api.post(
            "products/",
            &json!({"product_name": "Editor", "short_code": "editor", "allow_trial": true,
                    "trial_days": 14, "metadata": {"tier": "pro"}}),
        )
        .await,
        201,
    );
    let id = id_of(&created);
    assert_eq!(created["short_code"], "editor");
    assert_eq!(created["authorization_method"], "license-key");
    assert_eq!(created["metadata"], json!({"tier": "pro"}));
    assert_eq!(
        (&created["is_archived"], &created["is_bundle"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(
        expect(&api.get(&format!("products/{id}/")).await, 200),
        created
    );

    refused(
        &api.post(
            "products/",
            &json!({"product_name": "Again", "short_code": "editor"}),
        )
        .await,
        "short_code",
    );
    for (body, field) in [
        (
            json!({"product_name": 5, "short_code": "x"}),
            "product_name",
        ),
        (json!({"product_name": "X"}), "short_code"),
        (
            json!({"product_name": "X", "short_code": "x", "authorization_method": "magic"}),
            "authorization_method",
        ),
        (
            json!({"product_name": "X", "short_code": "x", "trial_days": -1}),
            "trial_days",
        ),
        (
            json!({"product_name": "X", "short_code": "x", "metadata": [1]}),
            "metadata",
        ),
    ] {
        refused(&api.post("products/", &body).await, field);
    }

    let listed = expect(&api.get("products/?short_code=editor").await, 200);
    assert_eq!(listed["count"], 1, "{listed}");
    let listed = expect(
        &api.get("products/?product_name__icontains=EDIT").await,
        200,
    );
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(
        expect(&api.get("products/?is_bundle=true").await, 200)["count"],
        0
    );
    assert_eq!(
        expect(&api.get("products/?order_by=created").await, 200)["results"][0]["short_code"],
        "cli-made"
    );

    let archived = expect(
        &api.patch(
            &format!("products/{id}/"),
            &json!({"is_archived": true, "product_name": "Editor 2", "authorization_method": "user"}),
        )
        .await,
        200,
    );
    assert_eq!(archived["is_archived"], true);
    assert_eq!(archived["product_name"], "Editor 2");
    assert_eq!(archived["authorization_method"], "user");
    assert_eq!(archived["trial_days"], 14);
    let listed = expect(&api.get("products/?is_archived=false").await, 200);
    assert_eq!(listed["count"], 1, "{listed}");
    refused(
        &api.patch(
            &format!("products/{id}/"),
            &json!({"floating_timeout": "long"}),
        )
        .await,
        "floating_timeout",
    );

    assert_eq!(
        expect(&api.get(&format!("products/{id}/bundle/")).await, 200),
        json!([])
    );
    assert_eq!(
        expect(&api.get(&format!("products/{id}/in_bundle/")).await, 200),
        json!([])
    );

    for path in ["", "bundle/", "in_bundle/"] {
        detail(&stranger.get(&format!("products/{id}/{path}")).await, 404);
    }
    detail(
        &stranger
            .patch(&format!("products/{id}/"), &json!({"is_archived": false}))
            .await,
        404,
    );
    assert_eq!(expect(&stranger.get("products/").await, 200)["count"], 0);

    // The CLI and the API create products through the same operation: both are in the log.
    let events = expect(
        &api.get("events/?event=product.created&order_by=ts").await,
        200,
    );
    let actors: Vec<&str> = events["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["actor"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["cli", "management_key"]);
    let updated = expect(&api.get("events/?event=product.updated").await, 200);
    assert_eq!(updated["results"][0]["product"], id);
}

async fn product_features_are_managed_and_kept_while_licenses_hold_them(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_features").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    let api_key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    let stranger = Api::new(&server, &other_key);
    let product = id_of(&expect(&api.get("products/?short_code=app").await, 200)["results"][0]);

    let created = expect(
        &api.post(
            "product-features/",
            &json!({"product": product, "name": "Exports", "code": "exports",
                    "feature_type": "consumption", "max_consumption": 10,
                    "consumption_period": "null", "metadata": {"a": 1}}),
        )
        .await,
        200,
    );
    let id = id_of(&created);
    assert_eq!(created["product"], product);
    assert_eq!(created["max_consumption"], 10);
    assert_eq!(created["consumption_period"], Value::Null);
    assert_eq!(created["is_deleted"], false);
    assert_eq!(
        expect(&api.get(&format!("product-features/{id}/")).await, 200),
        created
    );
    let listed = expect(
        &api.get(&format!("product-features/?product={product}"))
            .await,
        200,
    );
    assert_eq!(listed["count"], 1, "{listed}");

    for (body, field) in [
        (
            json!({"product": product, "name": "X", "feature_type": "activation"}),
            "code",
        ),
        (
            json!({"product": product, "name": "X", "code": "x", "feature_type": "magic"}),
            "feature_type",
        ),
        (
            json!({"product": product, "name": "X", "code": "x", "feature_type": "activation", "max_consumption": -1}),
            "max_consumption",
        ),
        (
            json!({"product": product, "name": "X", "code": "x", "feature_type": "activation", "consumption_period": "hourly"}),
            "consumption_period",
        ),
        (
            json!({"product": "app", "name": "X", "code": "x", "feature_type": "activation"}),
            "product",
        ),
        (
            json!({"product": 999999, "name": "X", "code": "x", "feature_type": "activation"}),
            "product",
        ),
    ] {
        refused(&api.post("product-features/", &body).await, field);
    }
    let foreign =
        json!({"product": product, "name": "X", "code": "x", "feature_type": "activation"});
    refused(
        &stranger.post("product-features/", &foreign).await,
        "product",
    );

    let changed = expect(
        &api.patch(
            &format!("product-features/{id}/"),
            &json!({"max_overages": 3, "allow_overages": true, "consumption_period": "monthly"}),
        )
        .await,
        200,
    );
    assert_eq!(changed["max_overages"], 3);
    assert_eq!(changed["consumption_period"], "monthly");
    assert_eq!(changed["max_consumption"], 10);
    assert_eq!(changed["name"], "Exports");

    detail(&stranger.get(&format!("product-features/{id}/")).await, 404);
    detail(
        &stranger
            .patch(&format!("product-features/{id}/"), &json!({"name": "Mine"}))
            .await,
        404,
    );
    detail(
        &stranger.delete(&format!("product-features/{id}/")).await,
        404,
    );

    // A feature a license holds stays until the license lets go of it.
    let key = latch.license(&company, "app", &[]);
    let company_id = company.id.to_string();
    latch.cli(&[
        "license",
        "add-feature",
        "--license",
        &key,
        "--company",
        &company_id,
        "--feature",
        "exports",
    ]);
    refused(
        &api.delete(&format!("product-features/{id}/")).await,
        "non_field_errors",
    );

    let spare = expect(
        &api.post(
            "product-features/",
            &json!({"product": product, "name": "Spare", "code": "spare", "feature_type": "activation"}),
        )
        .await,
        200,
    );
    let spare = id_of(&spare);
    assert_eq!(
        api.delete(&format!("product-features/{spare}/"))
            .await
            .status,
        204
    );
    detail(&api.get(&format!("product-features/{spare}/")).await, 404);
    let events = expect(
        &api.get("events/?event__in=product_feature.created,product_feature.updated,product_feature.deleted")
            .await,
        200,
    );
    assert_eq!(events["count"], 4, "{events}");
}

async fn installation_files_are_managed_with_checked_values(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_files").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let api_key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    let stranger = Api::new(&server, &other_key);
    let product = id_of(&expect(&api.get("products/?short_code=app").await, 200)["results"][0]);

    let file = json!({"product": product, "environment": "linux64", "version": "2.0.0",
                      "full_link": "https://example.com/app-2.0.0.tar.gz",
                      "hash_md5": "d41d8cd98f00b204e9800998ecf8427e", "size": "1024",
                      "release_date": "2024-05-01"});
    let created = expect(&api.post("installation-files/", &file).await, 201);
    let id = id_of(&created);
    assert_eq!(created["full_link"], "https://example.com/app-2.0.0.tar.gz");
    assert_eq!(created["release_date"], "2024-05-01");
    assert_eq!(created["enabled"], true);
    assert_eq!(
        expect(&api.get(&format!("installation-files/{id}/")).await, 200),
        created
    );
    let listed = expect(
        &api.get(&format!("installation-files/?product={product}"))
            .await,
        200,
    );
    assert_eq!(listed["count"], 1, "{listed}");

    // The License API serves the same rows.
    activate(&server, &company, &key, "hw-1").await.ok();
    let details = server
        .get(
            &company.creds,
            "product_details",
            &[("product", "app"), ("include_latest_version", "true")],
        )
        .await
        .ok();
    assert_eq!(details["latest_version"]["version"], "2.0.0", "{details}");

    let with = |changes: Value| {
        let mut body = file.clone();
        for (name, value) in changes.as_object().unwrap() {
            body[name] = value.clone();
        }
        body
    };
    for (body, field) in [
        (with(json!({"hash_md5": "abc"})), "hash_md5"),
        (
            with(json!({"hash_md5": "z41d8cd98f00b204e9800998ecf8427e"})),
            "hash_md5",
        ),
        (with(json!({"environment": "dos"})), "environment"),
        (with(json!({"size": "big"})), "size"),
        (with(json!({"release_date": "May 1st"})), "release_date"),
        (with(json!({"product": 999999})), "product"),
        (json!({"product": product, "version": "1"}), "environment"),
    ] {
        refused(&api.post("installation-files/", &body).await, field);
    }
    refused(
        &stranger.post("installation-files/", &file).await,
        "product",
    );

    let disabled = expect(
        &api.patch(
            &format!("installation-files/{id}/"),
            &json!({"enabled": false, "release_notes_link": "https://example.com/notes"}),
        )
        .await,
        200,
    );
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["release_notes_link"], "https://example.com/notes");
    assert_eq!(disabled["version"], "2.0.0");
    refused(
        &api.patch(
            &format!("installation-files/{id}/"),
            &json!({"hash_md5": "x"}),
        )
        .await,
        "hash_md5",
    );

    detail(
        &stranger.get(&format!("installation-files/{id}/")).await,
        404,
    );
    detail(
        &stranger.delete(&format!("installation-files/{id}/")).await,
        404,
    );
    assert_eq!(
        api.delete(&format!("installation-files/{id}/"))
            .await
            .status,
        204
    );
    detail(&api.get(&format!("installation-files/{id}/")).await, 404);
    let events = expect(&api.get("events/?event__in=installation_file.created,installation_file.updated,installation_file.deleted").await, 200);
    assert_eq!(events["count"], 3, "{events}");
}

/// The custom fields a License API answer carries.
fn custom_fields(answer: &Value) -> Value {
    answer["custom_fields"].clone()
}

async fn custom_fields_show_in_license_api_answers_at_once(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_custom_fields").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    latch.product(&company, "tool");
    let key = latch.license(&company, "app", &[]);
    let license = license_id(&latch, &company, &key);
    let api_key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    let stranger = Api::new(&server, &other_key);
    let products = expect(&api.get("products/?order_by=created").await, 200);
    let (app, tool) = (
        id_of(&products["results"][0]),
        id_of(&products["results"][1]),
    );

    let activated = activate(&server, &company, &key, "hw-1").await.ok();
    assert_eq!(custom_fields(&activated), json!([]));
    // The check is cached from here on: every change below must show on the very next check.
    assert_eq!(
        custom_fields(&check(&server, &company, &key, "hw-1").await.ok()),
        json!([])
    );

    let seats = expect(
        &api.post(
            "product-custom-fields/",
            &json!({"product": app, "name": "seats", "default_value": "5", "data_type": "number"}),
        )
        .await,
        200,
    );
    let seats_id = id_of(&seats);
    assert_eq!(seats["product_custom_field_enums"], json!([]));
    let shown = |value: &str| json!([{"name": "seats", "data_type": "number", "value": value}]);
    assert_eq!(
        custom_fields(&check(&server, &company, &key, "hw-1").await.ok()),
        shown("5")
    );

    let own = expect(
        &api.post(
            "license-custom-fields/",
            &json!({"license": license, "product_custom_field": seats_id, "value": "7"}),
        )
        .await,
        201,
    );
    let own_id = id_of(&own);
    assert_eq!(
        own,
        json!({"id": own_id, "value": "7", "license": license, "product_custom_field": seats_id})
    );
    assert_eq!(
        custom_fields(&check(&server, &company, &key, "hw-1").await.ok()),
        shown("7")
    );

    expect(
        &api.patch(
            &format!("license-custom-fields/{own_id}/"),
            &json!({"value": "9"}),
        )
        .await,
        200,
    );
    assert_eq!(
        custom_fields(&check(&server, &company, &key, "hw-1").await.ok()),
        shown("9")
    );
    let listed = expect(
        &api.get(&format!("license-custom-fields/?license={license}"))
            .await,
        200,
    );
    assert_eq!(listed["count"], 1, "{listed}");

    assert_eq!(
        api.delete(&format!("license-custom-fields/{own_id}/"))
            .await
            .status,
        204
    );
    assert_eq!(
        custom_fields(&check(&server, &company, &key, "hw-1").await.ok()),
        shown("5")
    );
    let renamed = expect(
        &api.patch(
            &format!("product-custom-fields/{seats_id}/"),
            &json!({"default_value": "6", "description": "Seats in the office"}),
        )
        .await,
        200,
    );
    assert_eq!(renamed["description"], "Seats in the office");
    assert_eq!(
        custom_fields(&check(&server, &company, &key, "hw-1").await.ok()),
        shown("6")
    );
    let listed = expect(
        &api.get(&format!("product-custom-fields/?product={app}"))
            .await,
        200,
    );
    assert_eq!(listed["count"], 1, "{listed}");

    // Another product's field, unknown ids and bad values are refused by field.
    let tool_field = id_of(&expect(
        &api.post(
            "product-custom-fields/",
            &json!({"product": tool, "name": "color", "default_value": "red"}),
        )
        .await,
        200,
    ));
    for (body, field) in [
        (
            json!({"license": license, "product_custom_field": tool_field, "value": "x"}),
            "product_custom_field",
        ),
        (
            json!({"license": license, "product_custom_field": 999999, "value": "x"}),
            "product_custom_field",
        ),
        (
            json!({"license": 999999, "product_custom_field": seats_id, "value": "x"}),
            "license",
        ),
        (
            json!({"license": license, "product_custom_field": seats_id, "value": 5}),
            "value",
        ),
    ] {
        refused(&api.post("license-custom-fields/", &body).await, field);
    }
    for (body, field) in [
        (json!({"product": app, "name": "size"}), "default_value"),
        (
            json!({"product": app, "name": "size", "default_value": "1", "data_type": "color"}),
            "data_type",
        ),
        (
            json!({"product": app, "name": "seats", "default_value": "1"}),
            "name",
        ),
    ] {
        refused(&api.post("product-custom-fields/", &body).await, field);
    }

    // Another company's key finds none of it.
    let foreign = json!({"license": license, "product_custom_field": seats_id, "value": "1"});
    refused(
        &stranger.post("license-custom-fields/", &foreign).await,
        "license",
    );
    detail(
        &stranger
            .get(&format!("product-custom-fields/{seats_id}/"))
            .await,
        404,
    );
    detail(
        &stranger
            .patch(
                &format!("product-custom-fields/{seats_id}/"),
                &json!({"name": "x"}),
            )
            .await,
        404,
    );
    detail(
        &stranger
            .delete(&format!("product-custom-fields/{seats_id}/"))
            .await,
        404,
    );
    let again = expect(
        &api.post(
            "license-custom-fields/",
            &json!({"license": license, "product_custom_field": seats_id, "value": "8"}),
        )
        .await,
        201,
    );
    let again_id = id_of(&again);
    detail(
        &stranger
            .get(&format!("license-custom-fields/{again_id}/"))
            .await,
        404,
    );
    detail(
        &stranger
            .delete(&format!("license-custom-fields/{again_id}/"))
            .await,
        404,
    );
    assert_eq!(
        expect(&stranger.get("license-custom-fields/").await, 200)["count"],
        0
    );

    // Deleting the product's field takes the licenses' values with it.
    assert_eq!(
        api.delete(&format!("product-custom-fields/{seats_id}/"))
            .await
            .status,
        204
    );
    detail(
        &api.get(&format!("license-custom-fields/{again_id}/")).await,
        404,
    );
    assert_eq!(
        custom_fields(&check(&server, &company, &key, "hw-1").await.ok()),
        json!([])
    );
    let events = expect(&api.get("events/?event__in=product_custom_field.created,product_custom_field.updated,product_custom_field.deleted,license_custom_field.created,license_custom_field.updated,license_custom_field.deleted").await, 200);
    assert_eq!(events["count"], 8, "{events}");
}
