//! What a webhook delivery carries: LicenseSpring's event envelope, its `data` holding the resources
//! the event is about as this API shows them (`license`, `device`, `customer`, ...) beside what the
//! event recorded. A resource deleted since is left out; the recorded data remain.

use latch_service::model::{Actor, Event};
use latch_service::{Service, ServiceError, ServiceResult};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::customers::CustomerOut;
use super::devices::DeviceOut;
use super::license_object::license_object;
use super::license_users::LicenseUserOut;
use super::orders::OrderOut;
use super::products::ProductOut;

/// The envelope `{id, event, company_id, user_id, ts, data}`; `user_id` is the staff member who
/// acted, null otherwise; `ts` is in unix seconds.
pub async fn envelope(service: &Service, event: &Event) -> ServiceResult<Value> {
    let user_id = match event.actor {
        Actor::Staff(id) => Some(id),
        _ => None,
    };
    Ok(json!({
        "id": event.id,
        "event": event.event,
        "company_id": event.company_id.get(),
        "user_id": user_id,
        "ts": event.ts.timestamp(),
        "data": data(service, event).await?,
    }))
}

/// Adds `resource` under `key` unless it no longer exists.
fn put<T: Serialize>(
    data: &mut Map<String, Value>,
    key: &str,
    resource: ServiceResult<T>,
) -> ServiceResult<()> {
    match resource {
        Ok(resource) => {
            data.insert(
                key.to_owned(),
                serde_json::to_value(resource).unwrap_or_default(),
            );
            Ok(())
        }
        Err(ServiceError::NotFound(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

async fn data(service: &Service, event: &Event) -> ServiceResult<Value> {
    let mut data = match serde_json::from_str(&event.data) {
        Ok(Value::Object(recorded)) => recorded,
        _ => Map::new(),
    };
    let tenant = service.tenant(event.company_id).await?;
    let subjects = &event.subjects;
    // The license object holds its product and customer; they stand alone only without one.
    if let Some(id) = subjects.license_id {
        let license = tenant.license_record(id).await;
        put(
            &mut data,
            "license",
            license.map(|record| license_object(&record)),
        )?;
    } else {
        if let Some(id) = subjects.customer_id {
            put(
                &mut data,
                "customer",
                tenant.customer(id).await.map(CustomerOut::from),
            )?;
        }
        if let Some(id) = subjects.product_id {
            put(
                &mut data,
                "product",
                tenant.product_record(id).await.map(ProductOut::from),
            )?;
        }
    }
    if let Some(id) = subjects.device_id {
        put(
            &mut data,
            "device",
            tenant.device_record(id).await.map(DeviceOut::from),
        )?;
    }
    if let Some(id) = subjects.order_id {
        put(
            &mut data,
            "order",
            tenant.order(id).await.map(OrderOut::from),
        )?;
    }
    if let Some(id) = subjects.license_user_id {
        let user = tenant.license_user_by_id(id).await;
        put(
            &mut data,
            "license_user",
            user.map(|record| LicenseUserOut::of(&tenant, record)),
        )?;
    }
    Ok(Value::Object(data))
}
