//! Typed row ids: a license id cannot be passed where a product id is expected. One generic type with a
//! marker per kind keeps the derive-like impls in one place.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

/// The id of a row of kind `K` (one of the marker types below).
pub struct Id<K> {
    value: i64,
    kind: PhantomData<fn() -> K>,
}

impl<K> Id<K> {
    pub const fn new(value: i64) -> Self {
        Self {
            value,
            kind: PhantomData,
        }
    }

    pub const fn get(self) -> i64 {
        self.value
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for Id<K> {}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<K> Eq for Id<K> {}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<K> Default for Id<K> {
    fn default() -> Self {
        Self::new(0)
    }
}

impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<K> serde::Serialize for Id<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.value)
    }
}

impl<'de, K> serde::Deserialize<'de> for Id<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(Self::new)
    }
}

/// Markers naming what an [`Id`] identifies; they have no values.
pub mod kind {
    pub enum Company {}
    pub enum Product {}
    pub enum ProductFeature {}
    pub enum LicenseFeature {}
    pub enum Release {}
    pub enum Customer {}
    pub enum CustomerAccount {}
    pub enum LicenseUser {}
    pub enum License {}
    pub enum Device {}
}

pub type CompanyId = Id<kind::Company>;
pub type ProductId = Id<kind::Product>;
pub type ProductFeatureId = Id<kind::ProductFeature>;
pub type LicenseFeatureId = Id<kind::LicenseFeature>;
pub type ReleaseId = Id<kind::Release>;
pub type CustomerId = Id<kind::Customer>;
pub type CustomerAccountId = Id<kind::CustomerAccount>;
pub type LicenseUserId = Id<kind::LicenseUser>;
pub type LicenseId = Id<kind::License>;
pub type DeviceId = Id<kind::Device>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_print_and_serialize_as_their_number() {
        let a = LicenseId::new(7);
        assert_eq!(a, LicenseId::new(7));
        assert!(a < LicenseId::new(8));
        assert_eq!(a.to_string(), "7");
        assert_eq!(format!("{a:?}"), "7");
        assert_eq!(serde_json::to_string(&a).unwrap(), "7");
        assert_eq!(serde_json::from_str::<LicenseId>("7").unwrap(), a);
    }
}
