//! Devices and their variables: listed and filtered, reset (the activation comes back), blacklisted
//! (the License API refuses the device), borrowed under the floating rules, variables kept; another
//! company's ids are not found.

use serde_json::{json, Value};

use super::support::{Backend, Company, Latch, Server};
use super::{detail, expect, management_key, Api};

both_backends!(devices_are_listed_reset_and_blacklisted);
both_backends!(floating_seats_are_borrowed_within_the_license_rules);
both_backends!(device_variables_are_created_changed_and_deleted);

/// An activation body as the SDKs send it.
pub(super) fn activation(license_key: &str, hardware_id: &str) -> Value {
    json!({
        "product": "app",
        "license_key": license_key,
        "hardware_id": hardware_id,
        "os_ver": "linux",
        "hostname": "Test-Host",
        "is_vm": false,
        "sdk_ver": "PythonSDK 4.0.0",
    })
}

/// Activates `hardware_id` on the license through the License API; returns the answer.
pub(super) async fn activate(
    server: &Server,
    company: &Company,
    key: &str,
    hardware_id: &str,
) -> super::support::Reply {
    server
        .post(
            &company.creds,
            "activate_license",
            &activation(key, hardware_id),
        )
        .await
}

/// `check_license` for the device, as the SDKs call it.
pub(super) async fn check(
    server: &Server,
    company: &Company,
    key: &str,
    hardware_id: &str,
) -> super::support::Reply {
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

/// The id of the license with this key.
pub(super) fn license_id(latch: &Latch, company: &Company, key: &str) -> i64 {
    let shown = latch.show_license(company, key);
    shown["license_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("license_id in {shown}"))
}

/// The one device a listing shows.
async fn only_device(api: &Api<'_>, query: &str) -> Value {
    let listed = expect(&api.get(&format!("devices/?{query}")).await, 200);
    assert_eq!(listed["count"], 1, "{listed}");
    listed["results"][0].clone()
}

async fn devices_are_listed_reset_and_blacklisted(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_devices").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let license = license_id(&latch, &company, &key);
    let api_key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    let stranger = Api::new(&server, &other_key);

    activate(&server, &company, &key, "hw-1").await.ok();
    // One activation allowed: the second device waits for the first's.
    let refused = activate(&server, &company, &key, "hw-2").await;
    assert_eq!(refused.status, 400, "{}", refused.text());

    let device = only_device(&api, &format!("license={license}")).await;
    assert_eq!(device["hardware_id"], "hw-1");
    assert_eq!(device["device_active"], true);
    assert_eq!(device["blacklisted"], false);
    assert_eq!(device["os"], "linux");
    assert_eq!(
        device["license"],
        json!({"id": license, "license_key": key})
    );
    assert_eq!(device["device_variables"], json!([]));
    let id = device["id"].as_i64().unwrap();
    assert_eq!(
        expect(&api.get(&format!("devices/{id}/")).await, 200)["id"],
        id
    );

    only_device(&api, "hostname__icontains=test-").await;
    only_device(
        &api,
        "hardware_id=hw-1&device_active=true&order_by=-created",
    )
    .await;
    for empty in [
        "hardware_id=hw-9",
        "blacklisted=true",
        "os=windows",
        "license_users__id=1",
    ] {
        let listed = expect(&api.get(&format!("devices/?{empty}")).await, 200);
        assert_eq!(listed["count"], 0, "{empty}: {listed}");
    }
    let bad = expect(&api.get("devices/?device_active=maybe").await, 400);
    assert!(bad["device_active"].is_array(), "{bad}");
    let bad = expect(&api.get("devices/?hostname=a%00b").await, 400);
    assert!(bad["hostname"].is_array(), "{bad}");

    // Another company sees none of it.
    assert_eq!(expect(&stranger.get("devices/").await, 200)["count"], 0);
    for path in ["", "reset/", "blacklist/", "borrow_release/"] {
        let reply = if path.is_empty() {
            stranger.get(&format!("devices/{id}/")).await
        } else {
            stranger
                .post(&format!("devices/{id}/{path}"), &json!({}))
                .await
        };
        assert_eq!(detail(&reply, 404), "Not found.", "{path}");
    }
    let borrow = json!({"borrowed_until": "2099-01-01T00:00:00"});
    detail(
        &stranger
            .post(&format!("devices/{id}/borrow/"), &borrow)
            .await,
        404,
    );
    detail(&api.get("devices/999999/").await, 404);

    // Reset frees the activation: the second device activates.
    let reset = expect(
        &api.post(&format!("devices/{id}/reset/"), &json!({})).await,
        200,
    );
    assert_eq!(
        reset,
        json!({"message": "Device reset and license updated."})
    );
    assert_eq!(
        expect(&api.get(&format!("devices/{id}/")).await, 200)["device_active"],
        false
    );
    activate(&server, &company, &key, "hw-2").await.ok();

    // A blacklisted device is refused by the License API, and its activation is free again.
    let second = only_device(&api, "hardware_id=hw-2").await;
    let second_id = second["id"].as_i64().unwrap();
    let blacklisted = expect(
        &api.post(&format!("devices/{second_id}/blacklist/"), &json!({}))
            .await,
        200,
    );
    assert_eq!(blacklisted, json!({"message": "Device blacklisted."}));
    check(&server, &company, &key, "hw-2")
        .await
        .assert_error(400, "blacklisted");
    activate(&server, &company, &key, "hw-2")
        .await
        .assert_error(400, "blacklisted");
    only_device(&api, "blacklisted=true&device_active=false").await;
    activate(&server, &company, &key, "hw-1").await.ok();

    let events = expect(
        &api.get("events/?event__in=device.reset,device.blacklisted&order_by=ts")
            .await,
        200,
    );
    let names: Vec<&str> = events["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["device.reset", "device.blacklisted"]);
    assert_eq!(events["results"][0]["device"], id);
    assert_eq!(events["results"][0]["actor"]["type"], "management_key");
}

async fn floating_seats_are_borrowed_within_the_license_rules(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_borrow").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let fixed = latch.license(&company, "app", &[]);
    let floating = latch.license(
        &company,
        "app",
        &[
            "--floating-users",
            "2",
            "--max-borrow-time",
            "2",
            "--max-activations",
            "5",
        ],
    );
    let api_key = management_key(&latch, &company, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    activate(&server, &company, &fixed, "hw-fixed").await.ok();
    activate(&server, &company, &floating, "hw-float")
        .await
        .ok();
    let fixed_id = only_device(&api, "hardware_id=hw-fixed").await["id"].clone();
    let device = only_device(&api, "hardware_id=hw-float").await;
    let id = device["id"].as_i64().unwrap();

    let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let borrow = json!({"borrowed_until": in_an_hour});
    let borrowed = expect(
        &api.post(&format!("devices/{id}/borrow/"), &borrow).await,
        200,
    );
    assert_eq!(borrowed["device_id"], id);
    assert_eq!(borrowed["license_id"], device["license"]["id"]);
    assert_eq!(borrowed["max_borrow_time"], 2);
    let until = borrowed["borrowed_until"].as_str().unwrap();
    assert!(
        until.starts_with(&in_an_hour) && until.ends_with('Z'),
        "{until}"
    );
    let checked = check(&server, &company, &floating, "hw-float").await.ok();
    assert_eq!(checked["is_borrowed"], true, "{checked}");

    // Beyond max_borrow_time, in the past, not a date, on a license that cannot borrow: refused.
    let in_five_hours = (chrono::Utc::now() + chrono::Duration::hours(5)).to_rfc3339();
    for (path, until) in [
        (format!("devices/{id}/borrow/"), json!(in_five_hours)),
        (
            format!("devices/{id}/borrow/"),
            json!("2001-01-01T00:00:00Z"),
        ),
        (format!("devices/{id}/borrow/"), json!("tomorrow")),
        (format!("devices/{id}/borrow/"), json!(5)),
        (format!("devices/{fixed_id}/borrow/"), json!(in_an_hour)),
    ] {
        let refused = expect(
            &api.post(&path, &json!({"borrowed_until": until})).await,
            400,
        );
        assert!(refused["borrowed_until"].is_array(), "{until}: {refused}");
    }
    let missing = expect(
        &api.post(&format!("devices/{id}/borrow/"), &json!({})).await,
        400,
    );
    assert_eq!(
        missing["borrowed_until"],
        json!(["This field is required."])
    );

    let released = expect(
        &api.post(&format!("devices/{id}/borrow_release/"), &json!({}))
            .await,
        200,
    );
    assert_eq!(released["borrowed_until"], Value::Null);
    let checked = check(&server, &company, &floating, "hw-float").await.ok();
    assert_eq!(checked["is_borrowed"], false, "{checked}");
    let events = expect(
        &api.get("events/?event__in=device.borrowed,device.borrow_released")
            .await,
        200,
    );
    assert_eq!(events["count"], 2, "{events}");
}

async fn device_variables_are_created_changed_and_deleted(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_variables").await;
    let company = latch.company("Acme");
    let other = latch.company("Other");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let api_key = management_key(&latch, &company, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &api_key);
    let stranger = Api::new(&server, &other_key);
    activate(&server, &company, &key, "hw-1").await.ok();
    let device = only_device(&api, "").await["id"].as_i64().unwrap();

    let created = expect(
        &api.post(
            "device-variables/",
            &json!({"device": device, "variable": "seat", "value": "A1"}),
        )
        .await,
        201,
    );
    assert_eq!(created["variable"], "seat");
    assert_eq!(created["value"], "A1");
    assert_eq!(created["device"], device);
    let id = created["id"].as_i64().unwrap();
    let listed = expect(
        &api.get(&format!("device-variables/?device={device}")).await,
        200,
    );
    assert_eq!(listed["count"], 1, "{listed}");
    let shown = expect(&api.get(&format!("devices/{device}/")).await, 200);
    assert_eq!(shown["device_variables"][0]["id"], id);

    let changed = expect(
        &api.patch(&format!("device-variables/{id}/"), &json!({"value": "B2"}))
            .await,
        200,
    );
    assert_eq!(
        (&changed["variable"], &changed["value"]),
        (&json!("seat"), &json!("B2"))
    );
    assert_eq!(
        expect(&api.get(&format!("device-variables/{id}/")).await, 200)["value"],
        "B2"
    );

    // Bad bodies name their fields; another company's device is no device.
    for (body, field) in [
        (
            json!({"device": "one", "variable": "v", "value": "x"}),
            "device",
        ),
        (json!({"device": device, "value": "x"}), "variable"),
        (
            json!({"device": device, "variable": " ", "value": "x"}),
            "variable",
        ),
        (
            json!({"device": device, "variable": "seat", "value": "x"}),
            "variable",
        ),
        (
            json!({"device": 999999, "variable": "v", "value": "x"}),
            "device",
        ),
    ] {
        let refused = expect(&api.post("device-variables/", &body).await, 400);
        assert!(refused[field].is_array(), "{body}: {refused}");
    }
    let foreign = json!({"device": device, "variable": "v", "value": "x"});
    let refused = expect(&stranger.post("device-variables/", &foreign).await, 400);
    assert!(refused["device"].is_array(), "{refused}");
    detail(&stranger.get(&format!("device-variables/{id}/")).await, 404);
    detail(
        &stranger
            .patch(&format!("device-variables/{id}/"), &json!({"value": "C"}))
            .await,
        404,
    );
    detail(
        &stranger.delete(&format!("device-variables/{id}/")).await,
        404,
    );
    assert_eq!(
        expect(&stranger.get("device-variables/").await, 200)["count"],
        0
    );

    let deleted = api.delete(&format!("device-variables/{id}/")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    detail(&api.get(&format!("device-variables/{id}/")).await, 404);
    let events = expect(&api.get("events/?event__in=device_variable.created,device_variable.updated,device_variable.deleted").await, 200);
    assert_eq!(events["count"], 3, "{events}");
}
