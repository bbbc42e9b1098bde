//! `check_license`'s one storage read, kept in memory behind an exact change check.
//!
//! An entry holds what [`Store::lookup`] returned for one device of one license, with the [`Stamp`] of
//! the change stream taken before the read. It is used only while the store's change stream says no
//! change to that license committed after the stamp (see `latch_store::changes` for how each database
//! knows, and how stale PostgreSQL may be). Time-dependent rules (validity, grace, leases, borrows) are
//! decided on every request from the entry's values, never cached. Floating licenses are not cached:
//! their checks renew a seat, which is a write.

use std::sync::Arc;

use latch_domain::{CompanyId, DeviceId, LicenseId};
use latch_store::changes::{LicenseChanges, Stamp};
use latch_store::{DeferredWrite, DeviceKey, LicenseIdent, LicenseLookup, Store, StoreResult};
use quick_cache::sync::Cache;

/// The owned form of a [`DeviceKey`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CheckKey {
    company_id: CompanyId,
    product_code: String,
    by_user: bool,
    ident: String,
    license_id: Option<LicenseId>,
    hardware_id: String,
}

impl CheckKey {
    fn of(key: &DeviceKey<'_>) -> Self {
        let (by_user, ident) = match key.ident {
            LicenseIdent::Key(license_key) => (false, license_key),
            LicenseIdent::User(email) => (true, email),
        };
        Self {
            company_id: key.company_id,
            product_code: key.product_code.to_owned(),
            by_user,
            ident: ident.to_owned(),
            license_id: key.license_id,
            hardware_id: key.hardware_id.to_owned(),
        }
    }
}

struct Entry {
    lookup: LicenseLookup,
    stamp: Stamp,
}

/// Check reads by device, valid while their license is unchanged.
pub struct CheckCache {
    changes: Arc<dyn LicenseChanges>,
    entries: Cache<CheckKey, Arc<Entry>>,
    /// Which entry holds a device, so signatures stored behind an answer reach the cached copy too.
    by_device: Cache<DeviceId, CheckKey>,
}

impl CheckCache {
    /// A cache of at most `capacity` devices' reads.
    pub fn new(changes: Arc<dyn LicenseChanges>, capacity: usize) -> Self {
        Self {
            changes,
            entries: Cache::new(capacity),
            by_device: Cache::new(capacity),
        }
    }

    /// What `store.lookup(key)` returns now: from memory when nothing it shows has changed since it
    /// was read, else from the store.
    pub async fn lookup(
        &self,
        store: &dyn Store,
        key: &DeviceKey<'_>,
    ) -> StoreResult<(LicenseLookup, bool)> {
        self.changes.catch_up();
        let cache_key = CheckKey::of(key);
        if let Some(entry) = self.entries.get(&cache_key) {
            let current = entry
                .lookup
                .license
                .as_ref()
                .is_some_and(|license| self.changes.is_current(license.id, entry.stamp));
            if current {
                return Ok((entry.lookup.clone(), true));
            }
        }
        // Taken before the read: a change committed while it runs makes the entry stale at once.
        let stamp = self.changes.stamp();
        let found = store.lookup(key).await?;
        if let Some(stamp) = stamp {
            self.keep(cache_key, &found, stamp);
        }
        Ok((found, false))
    }

    fn keep(&self, key: CheckKey, found: &LicenseLookup, stamp: Stamp) {
        // Without a license there is no change to watch for; floating checks write anyway.
        let cacheable = found
            .license
            .as_ref()
            .is_some_and(|license| !license.floating.is_floating_cloud);
        if !cacheable {
            return;
        }
        if let Some(device) = &found.device {
            self.by_device.insert(device.id, key.clone());
        }
        let entry = Entry {
            lookup: found.clone(),
            stamp,
        };
        self.entries.insert(key, Arc::new(entry));
    }

    /// Waits until this node's own committed writes are known to the change stream, so the next check
    /// does not answer from a read they made stale.
    pub async fn after_write(&self) {
        self.changes.barrier().await;
    }

    /// Applies a signature stored behind an answer to the cached device, so the next answer reuses it
    /// instead of signing again. (Such writes are not changes: the answer they sign is the same.)
    pub fn remember(&self, write: &DeferredWrite) {
        let device_id = match write {
            DeferredWrite::LicenseSignature { device_id, .. }
            | DeferredWrite::AnswerSignature { device_id, .. } => *device_id,
            DeferredWrite::Checked { .. } | DeferredWrite::Refused { .. } => return,
        };
        let Some(key) = self.by_device.get(&device_id) else {
            return;
        };
        let Some(entry) = self.entries.get(&key) else {
            return;
        };
        let mut lookup = entry.lookup.clone();
        let Some(device) = lookup.device.as_mut().filter(|d| d.id == device_id) else {
            return;
        };
        match write {
            DeferredWrite::LicenseSignature {
                signature,
                validity,
                ..
            } => {
                device.license_signature = Some(signature.clone());
                device.signature_validity = *validity;
            }
            DeferredWrite::AnswerSignature {
                digest, signature, ..
            } => {
                device.answer_digest = Some(digest.clone());
                device.answer_signature = Some(signature.clone());
            }
            DeferredWrite::Checked { .. } | DeferredWrite::Refused { .. } => return,
        }
        let updated = Entry {
            lookup,
            stamp: entry.stamp,
        };
        self.entries.insert(key, Arc::new(updated));
    }
}
