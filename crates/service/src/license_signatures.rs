//! v1 license signatures made ahead of the checks that show them.
//!
//! A device's v1 `license_signature` covers its license's validity. When a vendor changes the validity,
//! every active device's next check would have to sign both the new v1 signature and the new answer.
//! So the change itself signs them, before its transaction, and stores them with it: each device's
//! next check then signs only its answer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use latch_domain::LicenseId;
use latch_store::{ActiveDevice, DeviceSignature, LicenseUpdate};
use latch_wire::signing::{Signer, SigningError};

use crate::{ServiceError, ServiceResult, Tenant};

/// Most devices one change signs ahead (about 2.5 s of one core); the others sign at their next check.
const AHEAD_SIGNATURES_LIMIT: usize = 10_000;

/// What the v1 signature names a license user by: the e-mail up to its first `|`, as the check
/// answering that user does.
pub fn user_ident(email: &str) -> &str {
    email.split('|').next().unwrap_or_default()
}

/// What the device's v1 signature names its license by: the user's e-mail for a device a user
/// activated, else the license key (`None` when the license has neither).
fn signature_ident(device: &ActiveDevice) -> Option<&str> {
    match (&device.user_email, &device.license_key) {
        (Some(email), _) => Some(user_ident(email)),
        (None, Some(key)) => Some(key),
        (None, None) => None,
    }
}

/// The v1 signatures of `devices` for their licenses' new validities, by license.
fn sign_devices(
    signer: &Signer,
    devices: &[ActiveDevice],
    validities: &HashMap<LicenseId, Option<DateTime<Utc>>>,
) -> Result<HashMap<LicenseId, Vec<DeviceSignature>>, SigningError> {
    let mut signed: HashMap<LicenseId, Vec<DeviceSignature>> = HashMap::new();
    for device in devices {
        let (Some(ident), Some(validity)) =
            (signature_ident(device), validities.get(&device.license_id))
        else {
            continue;
        };
        let signature = signer.license_signature(&device.hardware_id, ident, *validity)?;
        signed
            .entry(device.license_id)
            .or_default()
            .push(DeviceSignature {
                device_id: device.device_id,
                signature,
                validity: *validity,
            });
    }
    Ok(signed)
}

impl Tenant<'_> {
    /// The company's signing key.
    pub(crate) async fn company_signer(&self) -> ServiceResult<Signer> {
        let der = self.store.company_signing_key(self.company_id()).await?;
        Ok(Signer::from_pkcs8(&der)?)
    }

    /// Gives each update that sets a new validity the v1 signatures of its license's active devices
    /// for that validity.
    pub(crate) async fn sign_for_new_validity(
        &self,
        updates: &mut [LicenseUpdate],
    ) -> ServiceResult<()> {
        let validities: HashMap<LicenseId, Option<DateTime<Utc>>> = updates
            .iter()
            .filter_map(|update| Some((update.license_id, update.new_validity()?)))
            .collect();
        if validities.is_empty() {
            return Ok(());
        }
        let licenses: Vec<LicenseId> = validities.keys().copied().collect();
        let devices = self
            .store
            .active_devices(self.company_id(), &licenses, AHEAD_SIGNATURES_LIMIT)
            .await?;
        if devices.is_empty() {
            return Ok(());
        }
        let signer = self.company_signer().await?;
        // RSA work off the async runtime's threads.
        let mut signed =
            tokio::task::spawn_blocking(move || sign_devices(&signer, &devices, &validities))
                .await
                .map_err(|_| ServiceError::Signing(SigningError::Sign))??;
        for update in updates {
            if let Some(signatures) = signed.remove(&update.license_id) {
                update.device_signatures = signatures;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;
    use chrono::TimeZone;
    use latch_domain::DeviceId;
    use latch_wire::signing::{generate_key, GeneratedKey};

    fn device(id: i64, license: i64, key: Option<&str>, email: Option<&str>) -> ActiveDevice {
        ActiveDevice {
            device_id: DeviceId::new(id),
            license_id: LicenseId::new(license),
            hardware_id: format!("HW-{id}"),
            license_key: key.map(str::to_owned),
            user_email: email.map(str::to_owned),
        }
    }

    fn verifies(key: &GeneratedKey, message: &str, signature: &str) -> bool {
        let der: String = key
            .public_key_pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let spki = B64.decode(der).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki)
            .verify(message.as_bytes(), &B64.decode(signature).unwrap())
            .is_ok()
    }

    #[test]
    fn a_user_is_named_by_the_email_up_to_its_first_bar() {
        assert_eq!(user_ident("ann@example.com"), "ann@example.com");
        assert_eq!(user_ident("ann@example.com|sso"), "ann@example.com");
        assert_eq!(user_ident(""), "");
    }

    #[test]
    fn a_device_is_named_by_its_user_else_by_the_license_key() {
        let by_key = device(1, 1, Some("KEY-1"), None);
        let by_user = device(2, 1, Some("KEY-1"), Some("ann@example.com|x"));
        let neither = device(3, 2, None, None);
        assert_eq!(signature_ident(&by_key), Some("KEY-1"));
        assert_eq!(signature_ident(&by_user), Some("ann@example.com"));
        assert_eq!(signature_ident(&neither), None);
    }

    #[test]
    fn each_device_is_signed_for_its_own_licenses_new_validity() {
        let key = generate_key().unwrap();
        let signer = Signer::from_pkcs8(&key.pkcs8_der).unwrap();
        let renewed = Utc.with_ymd_and_hms(2030, 5, 1, 12, 0, 0).unwrap();
        let validities = HashMap::from([
            (LicenseId::new(1), Some(renewed)),
            (LicenseId::new(2), None),
        ]);
        let devices = [
            device(10, 1, Some("KEY-1"), None),
            device(11, 1, None, Some("Ann@Example.com")),
            device(20, 2, Some("KEY-2"), None),
            // A license the changes do not name, and a device with no ident: not signed.
            device(30, 3, Some("KEY-3"), None),
            device(21, 2, None, None),
        ];
        let signed = sign_devices(&signer, &devices, &validities).unwrap();
        assert_eq!(signed.len(), 2);
        let first = &signed[&LicenseId::new(1)];
        assert_eq!(
            first.iter().map(|s| s.device_id.get()).collect::<Vec<_>>(),
            [10, 11]
        );
        assert!(first.iter().all(|s| s.validity == Some(renewed)));
        assert!(verifies(
            &key,
            "hw-10#key-1#2030-05-01t12:00:00.000z",
            &first[0].signature
        ));
        assert!(verifies(
            &key,
            "hw-11#ann@example.com#2030-05-01t12:00:00.000z",
            &first[1].signature
        ));
        let second = &signed[&LicenseId::new(2)];
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].validity, None);
        assert!(verifies(&key, "hw-20#key-2#", &second[0].signature));
    }
}
