//! Devices on a license: listing with their variables, blacklisting.

use latch_domain::LicenseId;
use latch_store::{Device, DeviceVariable};

use crate::licenses::license_not_found;
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
        for device in self.store.devices(self.company_id(), license.id).await? {
            let variables = self.store.variables(self.company_id(), device.id).await?;
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
        if hardware_id.trim().is_empty() {
            return Err(crate::ServiceError::invalid(
                "hardware_id",
                "must not be empty",
            ));
        }
        self.store
            .blacklist_device(self.company_id(), license, hardware_id, self.change())
            .await
            .map_err(license_not_found(license))
    }
}
