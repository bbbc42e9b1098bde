//! Devices on a license: listing with their variables, blacklisting.

use chrono::Utc;
use latch_domain::LicenseId;
use latch_store::{Device, DeviceVariable};

use crate::{ServiceResult, Tenant};

#[derive(Debug, Clone)]
pub struct DeviceDetails {
    pub device: Device,
    pub variables: Vec<DeviceVariable>,
}

impl Tenant<'_> {
    pub async fn devices(&self, license: LicenseId) -> ServiceResult<Vec<DeviceDetails>> {
        let license = self.license(license).await?;
        let mut listed = Vec::new();
        for device in self.store.devices(license.id).await? {
            let variables = self.store.variables(device.id).await?;
            listed.push(DeviceDetails { device, variables });
        }
        Ok(listed)
    }

    /// Blacklists a hardware id on a license (it need not have activated yet), freeing its activation.
    pub async fn blacklist_device(
        &self,
        license: LicenseId,
        hardware_id: &str,
    ) -> ServiceResult<Device> {
        let license = self.license(license).await?;
        if hardware_id.trim().is_empty() {
            return Err(crate::ServiceError::invalid(
                "hardware_id",
                "must not be empty",
            ));
        }
        Ok(self
            .store
            .blacklist_device(license.id, hardware_id, Utc::now())
            .await?)
    }
}
