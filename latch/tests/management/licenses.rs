//! Licenses: every list filter returns exactly the right rows; show, change, bulk changes, resets,
//! features, users and floating seats; another company's licenses are not found.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::support::{Backend, Company, Latch, Reply, Server};
use super::{detail, expect, management_key, Api};

const SEEDED: i64 = 300;
const DAY: i64 = 86_400_000;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

/// `yyyy-mm-dd` of the seeded license `i`'s creation (`i` days after the base).
fn day(i: i64) -> String {
    (base() + chrono::Duration::days(i))
        .format("%Y-%m-%d")
        .to_string()
}

/// Seeds licenses `KEY-1` .. `KEY-{count}` of `company` in one statement; license `i` has:
/// product `pro` when `i % 3 == 0` (else `app`), customer Jane Doe when `i % 5 == 0` and John Smith
/// when `i % 5 == 1`, disabled when `i % 4 == 0`, a subscription with a validity `i + 365` days after
/// the base when even, floating when `i % 11 == 0`, order `store-abc` when `i % 13 == 0`, note
/// `Note i`, created `i` days after the base; and when `i % 7 == 0` a device `hw-i` on host `Host-i`
/// (linux and active when even, else windows and inactive) created a day after the license.
async fn seed(latch: &Latch, company: &Company, count: i64) {
    let c = company.id;
    let base = base().timestamp_millis();
    let numbers = format!(
        "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {count})"
    );
    let customers = format!(
        "INSERT INTO customers (company_id, email, first_name, last_name, company_name, reference, created_at) \
         VALUES ({c}, 'jane@example.com', 'Jane', 'Doe', 'Globex', 'ref-jane', 0), \
         ({c}, 'john@example.com', 'John', 'Smith', 'Initech', 'ref-john', 0)"
    );
    let order = format!(
        "INSERT INTO orders (company_id, store_id, created_at, updated_at) VALUES ({c}, 'store-abc', 0, 0)"
    );
    let product = |code: &str| {
        format!("(SELECT id FROM products WHERE company_id = {c} AND code = '{code}')")
    };
    let customer = |email: &str| {
        format!("(SELECT id FROM customers WHERE company_id = {c} AND email = '{email}')")
    };
    let licenses = format!(
        "{numbers} INSERT INTO licenses (company_id, product_id, customer_id, license_key, license_type, \
         enabled, validity_period, note, is_floating_cloud, floating_users, floating_timeout, order_id, created_at) \
         SELECT {c}, CASE WHEN i % 3 = 0 THEN {pro} ELSE {app} END, \
         CASE WHEN i % 5 = 0 THEN {jane} WHEN i % 5 = 1 THEN {john} END, 'KEY-' || i, \
         CASE WHEN i % 2 = 0 THEN 'subscription' ELSE 'perpetual' END, i % 4 <> 0, \
         CASE WHEN i % 2 = 0 THEN {base} + (i + 365) * {DAY} END, 'Note ' || i, i % 11 = 0, \
         CASE WHEN i % 11 = 0 THEN 2 ELSE 0 END, 30, \
         CASE WHEN i % 13 = 0 THEN (SELECT id FROM orders WHERE company_id = {c} AND store_id = 'store-abc') END, \
         {base} + i * {DAY} FROM n",
        pro = product("pro"),
        app = product("app"),
        jane = customer("jane@example.com"),
        john = customer("john@example.com"),
    );
    let devices = format!(
        "{numbers} INSERT INTO devices (license_id, hardware_id, active, hostname, os_ver, created_at) \
         SELECT l.id, 'hw-' || i, i % 2 = 0, 'Host-' || i, \
         CASE WHEN i % 2 = 0 THEN 'linux' ELSE 'windows' END, {base} + (i + 1) * {DAY} \
         FROM n JOIN licenses l ON l.company_id = {c} AND l.license_key = 'KEY-' || i WHERE i % 7 = 0"
    );
    latch
        .db_execute(&[&customers, &order, &licenses, &devices])
        .await;
}

/// Which seeded licenses (by number) a filter must return.
type Predicate = Box<dyn Fn(i64) -> bool>;

fn keys_where(predicate: impl Fn(i64) -> bool) -> BTreeSet<String> {
    (1..=SEEDED)
        .filter(|i| predicate(*i))
        .map(|i| format!("KEY-{i}"))
        .collect()
}

/// Every license key a filtered list shows, following its pages; the count must match.
async fn listed(api: &Api<'_>, filter: &str) -> BTreeSet<String> {
    let mut path = format!("licenses/?limit=100&{filter}");
    let mut keys = BTreeSet::new();
    loop {
        let page = expect(&api.get(&path).await, 200);
        for license in page["results"].as_array().unwrap() {
            keys.insert(license["license_key"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => path = next.split("/api/v1/").nth(1).unwrap().to_owned(),
            None => {
                assert_eq!(page["count"], keys.len(), "{filter}");
                return keys;
            }
        }
    }
}

both_backends!(every_filter_returns_exactly_the_matching_licenses);

async fn every_filter_returns_exactly_the_matching_licenses(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_license_filters").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    for code in ["app", "pro"] {
        latch.product(&company, code);
        latch.product(&other, code);
    }
    seed(&latch, &company, SEEDED).await;
    seed(&latch, &other, 20).await;
    let key = management_key(&latch, &company, true);
    let server = latch.serve();
    let api = Api::new(&server, &key);

    // Pages of at most 100, newest first; the other company's licenses never show.
    let first = expect(&api.get("licenses/?limit=500").await, 200);
    assert_eq!(first["count"], SEEDED);
    assert_eq!(first["results"].as_array().unwrap().len(), 100);
    assert_eq!(first["results"][0]["license_key"], "KEY-300");
    assert!(first["next"]
        .as_str()
        .unwrap()
        .contains("limit=100&offset=100"));
    let oldest = expect(&api.get("licenses/?order_by=created_at&limit=1").await, 200);
    assert_eq!(oldest["results"][0]["license_key"], "KEY-1");
    assert_eq!(listed(&api, "").await, keys_where(|_| true));

    let contains = |i: i64, text: &str| format!("host-{i}").contains(text);
    let cases: Vec<(String, Predicate)> = vec![
        ("product_short_code=pro".into(), Box::new(|i| i % 3 == 0)),
        (
            "product_name__icontains=PR".into(),
            Box::new(|i| i % 3 == 0),
        ),
        ("enabled=false".into(), Box::new(|i| i % 4 == 0)),
        (
            "license_key__startswith=KEY-1".into(),
            Box::new(|i| i.to_string().starts_with('1')),
        ),
        (
            "license_key__icontains=ey-29".into(),
            Box::new(|i| i.to_string().starts_with("29")),
        ),
        ("license_key__isnull=true".into(), Box::new(|_| false)),
        ("license_key=KEY-7".into(), Box::new(|i| i == 7)),
        (
            "customer_email=jane@example.com".into(),
            Box::new(|i| i % 5 == 0),
        ),
        (
            "customer_email__icontains=JOHN".into(),
            Box::new(|i| i % 5 == 1),
        ),
        (
            "customer_company_name__icontains=glob".into(),
            Box::new(|i| i % 5 == 0),
        ),
        (
            "customer__reference__icontains=REF-".into(),
            Box::new(|i| i % 5 <= 1),
        ),
        (
            "customer_name__icontains=smith".into(),
            Box::new(|i| i % 5 == 1),
        ),
        (
            "customer_name__icontains=jane".into(),
            Box::new(|i| i % 5 == 0),
        ),
        (
            "note__icontains=note 29".into(),
            Box::new(|i| i.to_string().starts_with("29")),
        ),
        ("is_any_floating=true".into(), Box::new(|i| i % 11 == 0)),
        (
            "order__store_id=store-abc".into(),
            Box::new(|i| i % 13 == 0),
        ),
        (
            "order__store_id__startswith=store".into(),
            Box::new(|i| i % 13 == 0),
        ),
        (
            "order__store_id__icontains=ABC".into(),
            Box::new(|i| i % 13 == 0),
        ),
        (
            format!("validity_period__lt={}", day(200 + 365)),
            Box::new(|i| i % 2 == 0 && i < 200),
        ),
        (
            format!("validity_period__gte={}T00:00:00Z", day(250 + 365)),
            Box::new(|i| i % 2 == 0 && i >= 250),
        ),
        (
            format!("created_at__date__lte={}", day(9)),
            Box::new(|i| i <= 9),
        ),
        (
            format!("created_at__date__gt={}", day(290)),
            Box::new(|i| i > 290),
        ),
        (
            format!("created_at__gte={}T00:00:00Z", day(100)),
            Box::new(|i| i >= 100),
        ),
        (
            format!("updated_at__date__lt={}", day(5)),
            Box::new(|i| i < 5),
        ),
        ("devices__hardware_id=hw-14".into(), Box::new(|i| i == 14)),
        (
            "devices__hostname__icontains=host-2".into(),
            Box::new(move |i| i % 7 == 0 && contains(i, "host-2")),
        ),
        ("devices__os=linux".into(), Box::new(|i| i % 14 == 0)),
        ("active=true".into(), Box::new(|i| i % 14 == 0)),
        ("active=false".into(), Box::new(|i| i % 14 != 0)),
        (
            "time_activated__isnull=true".into(),
            Box::new(|i| i % 7 != 0),
        ),
        (
            format!("time_activated__date__gte={}", day(151)),
            Box::new(|i| i % 7 == 0 && i >= 150),
        ),
        (
            "product_short_code=app&enabled=true&customer_email__icontains=example".into(),
            Box::new(|i| i % 3 != 0 && i % 4 != 0 && i % 5 <= 1),
        ),
    ];
    for (filter, predicate) in &cases {
        assert_eq!(
            listed(&api, filter).await,
            keys_where(predicate),
            "{filter}"
        );
    }

    // Filters by ids read from the answers.
    let some = expect(&api.get("licenses/?colour=red&limit=3").await, 200);
    assert_eq!(some["count"], SEEDED, "an unknown filter is ignored");
    let ids: Vec<String> = some["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|license| license["id"].to_string())
        .collect();
    let by_ids = listed(&api, &format!("id__in={}", ids.join(","))).await;
    assert_eq!(by_ids, keys_where(|i| i >= SEEDED - 2));
    let jane = expect(
        &api.get("licenses/?customer_email=jane@example.com&limit=1")
            .await,
        200,
    );
    let jane_id = &jane["results"][0]["customer"]["id"];
    assert_eq!(jane["results"][0]["customer"]["last_name"], "Doe");
    assert_eq!(
        listed(&api, &format!("customer_id={jane_id}")).await,
        keys_where(|i| i % 5 == 0)
    );
    let pro = &expect(
        &api.get("licenses/?product_short_code=pro&limit=1").await,
        200,
    )["results"][0]["product"];
    assert_eq!(pro["short_code"], "pro");
    assert_eq!(
        listed(&api, &format!("product_id={}", pro["id"])).await,
        keys_where(|i| i % 3 == 0)
    );

    let bad = expect(
        &api.get("licenses/?created_at__gte=yesterday&active=maybe")
            .await,
        400,
    );
    assert!(
        bad["created_at__gte"].is_array() && bad["active"].is_array(),
        "{bad}"
    );
}

/// The id of the company's license with this key.
async fn license_id(api: &Api<'_>, key: &str) -> i64 {
    let found = expect(&api.get(&format!("licenses/?license_key={key}")).await, 200);
    assert_eq!(found["count"], 1, "{found}");
    found["results"][0]["id"].as_i64().unwrap()
}

fn activation(key: &str, hardware_id: &str) -> Value {
    json!({
        "product": "app", "license_key": key, "hardware_id": hardware_id, "os_ver": "linux",
        "hostname": "test-host", "ip": null, "mac_address": null, "is_vm": false, "vm_info": null,
        "sdk_ver": "PythonSDK 4.0.0",
    })
}

async fn check(server: &Server, company: &Company, key: &str, hardware_id: &str) -> Reply {
    server
        .get(
            &company.creds,
            "check_license",
            &[
                ("product", "app"),
                ("license_key", key),
                ("hardware_id", hardware_id),
            ],
        )
        .await
}

/// Checks until the answer's error code is `expected` (none: success); changes reach PostgreSQL
/// nodes by notification, within a moment.
async fn check_until(server: &Server, company: &Company, key: &str, expected: Option<&str>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = check(server, company, key, "hw-1").await;
        let code = (reply.status != 200).then(|| reply.error_code());
        if code.as_deref() == expected {
            return;
        }
        assert!(Instant::now() < deadline, "check answered {}", reply.text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn events(api: &Api<'_>, license: i64, event: &str) -> Vec<Value> {
    let page = expect(
        &api.get(&format!("events/?license={license}&event={event}"))
            .await,
        200,
    );
    page["results"].as_array().unwrap().clone()
}

both_backends!(a_license_is_shown_changed_reset_and_deleted);

async fn a_license_is_shown_changed_reset_and_deleted(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_license_changes").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "3"]);
    let second = latch.license(&company, "app", &[]);
    let management = management_key(&latch, &company, false);
    let server = latch.serve();
    let api = Api::new(&server, &management);
    let id = license_id(&api, &key).await;
    let second_id = license_id(&api, &second).await;

    let shown = expect(&api.get(&format!("licenses/{id}/")).await, 200);
    assert_eq!(shown["status"], "Inactive");
    assert_eq!(shown["total_active_devices"], 0);
    assert_eq!(shown["product"]["short_code"], "app");
    assert_eq!(shown["customer"], Value::Null);
    assert_eq!(shown["time_activated"], Value::Null);
    for hardware_id in ["hw-1", "hw-2"] {
        server
            .post(
                &company.creds,
                "activate_license",
                &activation(&key, hardware_id),
            )
            .await
            .ok();
    }
    let active = expect(&api.get(&format!("licenses/{id}")).await, 200);
    assert_eq!(active["status"], "Active");
    assert_eq!(active["total_active_devices"], 2);
    assert_eq!(active["times_activated"], 2);
    assert!(active["time_activated"].is_string(), "{active}");

    // PATCH answers the license; booleans may come as 1/0.
    let patched = expect(
        &api.patch(
            &format!("licenses/{id}/"),
            &json!({"max_activations": 5, "note": "vip", "is_trial": 1, "metadata": {"tier": "gold"}}),
        )
        .await,
        200,
    );
    assert_eq!(patched["max_activations"], 5);
    assert_eq!(patched["note"], "vip");
    assert_eq!(patched["is_trial"], true);
    assert_eq!(patched["metadata"]["tier"], "gold");
    assert_eq!(
        expect(&api.get(&format!("licenses/{id}/")).await, 200)["max_activations"],
        5
    );
    let updated = events(&api, id, "license.updated").await;
    assert_eq!(updated[0]["data"]["max_activations"], 5, "{updated:?}");
    assert_eq!(updated[0]["actor"]["type"], "management_key");

    // Bad bodies name their fields; nothing changes.
    for (body, fields) in [
        (
            json!({"valid_duration": "1y", "validity_period": "2030-01-01"}),
            vec!["valid_duration", "validity_period"],
        ),
        (json!({"max_activations": "many"}), vec!["max_activations"]),
        (
            json!({"max_activations": -1, "floating_timeout": 0}),
            vec!["floating_timeout", "max_activations"],
        ),
        (
            json!({"validity_period": "2030-01-01"}),
            vec!["validity_period"],
        ),
        (json!({"validity_period": "soon"}), vec!["validity_period"]),
        (
            json!({"maintenance_duration": "1y"}),
            vec!["maintenance_duration"],
        ),
        (json!({"order": 999_999}), vec!["order"]),
        (json!({"is_trial": "perhaps"}), vec!["is_trial"]),
    ] {
        let refused = expect(&api.patch(&format!("licenses/{id}/"), &body).await, 400);
        let named: Vec<&str> = refused
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(named, fields, "{body}: {refused}");
    }
    assert_eq!(
        expect(&api.get(&format!("licenses/{id}/")).await, 200)["max_activations"],
        5
    );

    // Disabled: the License API refuses the next check at once; enabled again, it accepts.
    let disabled = expect(
        &api.post(&format!("licenses/{id}/disable/"), &json!({}))
            .await,
        200,
    );
    assert_eq!(disabled["message"], "License disabled.");
    check_until(&server, &company, &key, Some("license_not_enabled")).await;
    assert_eq!(
        expect(&api.get(&format!("licenses/{id}/")).await, 200)["status"],
        "Disabled"
    );
    expect(
        &api.post(&format!("licenses/{id}/enable/"), &json!({}))
            .await,
        200,
    );
    check_until(&server, &company, &key, None).await;

    // Reset: every device deactivated, the activation count back to 0.
    let reset = expect(
        &api.post(&format!("licenses/{id}/reset/"), &json!({})).await,
        200,
    );
    assert_eq!(reset["message"], "License and all devices reset.");
    let after = expect(&api.get(&format!("licenses/{id}/")).await, 200);
    assert_eq!(after["total_active_devices"], 0);
    assert_eq!(after["times_activated"], 0);
    assert_eq!(after["status"], "Inactive");
    assert!(latch
        .devices(&company, &key)
        .iter()
        .all(|d| d["active"] == false));
    check_until(&server, &company, &key, Some("license_not_active")).await;
    expect(
        &api.post(&format!("licenses/{id}/reset_consumption/"), &json!({}))
            .await,
        200,
    );

    // Bulk update: all or nothing.
    let bulk =
        json!([{"id": id, "is_trial": 0}, {"id": second_id, "max_activations": 7, "is_trial": 1}]);
    assert_eq!(
        detail(&api.patch("licenses/bulk_update/", &bulk).await, 200),
        "Licenses updated."
    );
    let second_shown = expect(&api.get(&format!("licenses/{second_id}/")).await, 200);
    assert_eq!(
        (
            second_shown["max_activations"].clone(),
            second_shown["is_trial"].clone()
        ),
        (json!(7), json!(true))
    );
    let partly_bad = json!([{"id": id, "max_activations": 9}, {"id": 987_654_321}]);
    expect(&api.patch("licenses/bulk_update/", &partly_bad).await, 400);
    assert_eq!(
        expect(&api.get(&format!("licenses/{id}/")).await, 200)["max_activations"],
        5
    );

    // Bulk disable: all or nothing.
    expect(
        &api.post("licenses/disable_bulk/", &json!([id, 987_654_321]))
            .await,
        400,
    );
    assert_eq!(
        expect(&api.get(&format!("licenses/{id}/")).await, 200)["enabled"],
        true
    );
    let disabled = expect(
        &api.post("licenses/disable_bulk/", &json!([id, second_id]))
            .await,
        200,
    );
    assert_eq!(disabled["message"], "Licenses disabled.");
    assert_eq!(listed(&api, "enabled=false").await.len(), 2);
    let resets = json!({"license_ids": [id], "reset_consumptions": true, "reset_metadata": 1});
    expect(&api.post("licenses/custom_bulk_reset/", &resets).await, 200);
    assert_eq!(
        expect(&api.get(&format!("licenses/{id}/")).await, 200)["metadata"],
        json!({})
    );
    let refused = json!({"license_ids": [id], "reset_validity_period": true});
    assert!(
        expect(&api.post("licenses/custom_bulk_reset", &refused).await, 400)
            ["reset_validity_period"]
            .is_array()
    );

    // Delete: 204, then not found; the log keeps it.
    let deleted = api.delete(&format!("licenses/{second_id}/")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    detail(&api.get(&format!("licenses/{second_id}/")).await, 404);
    assert_eq!(events(&api, second_id, "license.deleted").await.len(), 1);
    detail(&api.get("licenses/not-a-number/").await, 404);
}

both_backends!(features_users_and_seats_are_managed_on_a_license);

async fn features_users_and_seats_are_managed_on_a_license(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_license_parts").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    let company_id = company.id.to_string();
    for code in ["f1", "f2"] {
        latch.cli(&[
            "product",
            "add-feature",
            "--company",
            &company_id,
            "--product",
            "app",
            "--code",
            code,
            "--name",
            code,
        ]);
    }
    let key = latch.license(&company, "app", &["--floating-users", "1"]);
    let management = management_key(&latch, &company, false);
    let outsider = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &management);
    let id = license_id(&api, &key).await;

    // Features: listed ones created or updated by code, unlisted ones deleted.
    let body = json!({"product_features": [{"product_feature": "f1", "max_consumption": 30}, {"product_feature": "f2"}]});
    let with_both = expect(
        &api.post(&format!("licenses/{id}/update_features/"), &body)
            .await,
        200,
    );
    let codes: Vec<&str> = with_both["product_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["product_feature"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["f1", "f2"]);
    assert_eq!(with_both["product_features"][0]["max_consumption"], 30);
    let f1_id = with_both["product_features"][0]["product_feature"]["id"].clone();
    let only_f2 = json!({"product_features": [{"product_feature": "f2", "max_overages": 4}]});
    let replaced = expect(
        &api.post(&format!("licenses/{id}/update_features/"), &only_f2)
            .await,
        200,
    );
    assert_eq!(replaced["product_features"].as_array().unwrap().len(), 1);
    assert_eq!(replaced["product_features"][0]["max_overages"], 4);
    let unknown = json!({"product_features": [{"product_feature": "nope"}]});
    assert!(expect(
        &api.post(&format!("licenses/{id}/update_features/"), &unknown)
            .await,
        400
    )["product_features"]
        .is_array());
    assert_eq!(
        listed(&api, &format!("product_features__id={f1_id}"))
            .await
            .len(),
        0
    );

    let created = expect(
        &api.post(
            "license-product-features/",
            &json!({"license": id, "product_feature": f1_id, "max_consumption": 5}),
        )
        .await,
        201,
    );
    assert_eq!(
        (
            created["license"].as_i64(),
            created["max_consumption"].as_i64()
        ),
        (Some(id), Some(5))
    );
    let shown = expect(
        &api.get(&format!("license-product-features/{}/", created["id"]))
            .await,
        200,
    );
    assert_eq!(shown["product_feature"]["code"], "f1");
    assert_eq!(shown["device_features"], json!([]));
    assert_eq!(
        listed(&api, &format!("product_features__id={f1_id}")).await,
        BTreeSet::from([key.clone()])
    );

    // Users: assigned (created with the password sent), listed, exported, limited, unassigned.
    let assigned = expect(
        &api.post(
            &format!("licenses/{id}/assign_user/"),
            &json!({"email": "ann@example.com", "password": "s3cret!", "first_name": "Ann"}),
        )
        .await,
        200,
    );
    assert_eq!(
        assigned,
        json!({"message": "License assigned.", "new_password": "s3cret!"})
    );
    let many = expect(
        &api.post(
            &format!("licenses/{id}/assign_users/"),
            &json!({"emails": [{"email": "bob@example.com", "is_manager": false}]}),
        )
        .await,
        200,
    );
    assert_eq!(many[0]["new_user"], true);
    assert!(many[0]["password"].is_string());
    let users = expect(&api.get(&format!("licenses/{id}/")).await, 200)["license_users"].clone();
    assert_eq!(users[0]["true_email"], "ann@example.com");
    let ann = users[0]["id"].clone();
    assert_eq!(
        listed(&api, "license_users__true_email=ann@example.com").await,
        BTreeSet::from([key.clone()])
    );
    assert_eq!(
        listed(&api, &format!("license_users__id={ann}"))
            .await
            .len(),
        1
    );
    let limits =
        json!({ ann.to_string(): {"max_activations": 4, "reset_total_activations": true} });
    expect(
        &api.post(&format!("licenses/{id}/set_users_activations/"), &limits)
            .await,
        200,
    );
    let csv = api
        .get(&format!("licenses/{id}/export_license_users/"))
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(text.starts_with("id,email,"), "{text}");
    assert!(text.contains("ann@example.com,Ann,,,4,0"), "{text}");
    let removed = expect(
        &api.post(
            &format!("licenses/{id}/unassign_user/"),
            &json!({"license_user_email": "ann@example.com"}),
        )
        .await,
        200,
    );
    assert_eq!(removed["message"], "License unassigned.");
    assert_eq!(
        events(&api, id, "license.license_user.unassigned")
            .await
            .len(),
        1
    );
    let users = expect(&api.get(&format!("licenses/{id}/")).await, 200)["license_users"].clone();
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert!(expect(
        &api.post(
            &format!("licenses/{id}/assign_user/"),
            &json!({"password": "x"})
        )
        .await,
        400
    )["email"]
        .is_array());

    // Floating seats: who holds one, and a release frees it.
    server
        .post(
            &company.creds,
            "activate_license",
            &activation(&key, "hw-1"),
        )
        .await
        .ok();
    check(&server, &company, &key, "hw-1").await.ok();
    let seats = expect(
        &api.get(&format!("licenses/{id}/floating_seats/")).await,
        200,
    );
    assert_eq!(seats.as_array().unwrap().len(), 1, "{seats}");
    assert_eq!(seats[0]["hardware_id"], "hw-1");
    assert!(seats[0]["floating_until"].is_string());
    let device = &seats[0]["device_id"];
    let released = expect(
        &api.post(
            &format!("licenses/{id}/floating_seats/{device}/release/"),
            &json!({}),
        )
        .await,
        200,
    );
    assert_eq!(released["message"], "Floating seat released.");
    assert_eq!(
        expect(
            &api.get(&format!("licenses/{id}/floating_seats/")).await,
            200
        ),
        json!([])
    );
    assert_eq!(events(&api, id, "license.released").await.len(), 1);
    detail(
        &api.post(
            &format!("licenses/{id}/floating_seats/999999/release/"),
            &json!({}),
        )
        .await,
        404,
    );

    // Another company's key finds none of it.
    let stranger = Api::new(&server, &outsider);
    let license = format!("licenses/{id}/");
    for reply in [
        stranger.get(&license).await,
        stranger.patch(&license, &json!({"note": "x"})).await,
        stranger.delete(&license).await,
        stranger
            .post(&format!("{license}enable/"), &json!({}))
            .await,
        stranger
            .post(&format!("{license}disable/"), &json!({}))
            .await,
        stranger.post(&format!("{license}reset/"), &json!({})).await,
        stranger
            .post(&format!("{license}reset_consumption"), &json!({}))
            .await,
        stranger
            .post(
                &format!("{license}update_features/"),
                &json!({"product_features": []}),
            )
            .await,
        stranger
            .post(
                &format!("{license}assign_user/"),
                &json!({"email": "eve@example.com"}),
            )
            .await,
        stranger
            .post(
                &format!("{license}unassign_user/"),
                &json!({"license_user_id": ann}),
            )
            .await,
        stranger
            .post(&format!("{license}set_users_activations/"), &json!({}))
            .await,
        stranger
            .get(&format!("{license}export_license_users/"))
            .await,
        stranger.get(&format!("{license}floating_seats/")).await,
        stranger
            .post(
                &format!("{license}floating_seats/{device}/release/"),
                &json!({}),
            )
            .await,
        stranger
            .get(&format!("license-product-features/{}/", created["id"]))
            .await,
    ] {
        assert_eq!(detail(&reply, 404), "Not found.");
    }
    assert_eq!(expect(&stranger.get("licenses/").await, 200)["count"], 0);
    assert_eq!(
        expect(&api.get(&license).await, 200)["product_features"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
