//! What a seeded database contains, shared by the seeder and everything that drives it: the
//! credentials the CLI created, and the naming scheme of licenses and devices, so the load generator
//! can address any seeded device without reading the database.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Active devices seeded per license.
pub const DEVICES_PER_LICENSE: u64 = 2;
/// Room for the activations the `activate` and `mixed` workloads add to seeded licenses.
pub const MAX_ACTIVATIONS: i64 = 1_000_000;
pub const PRODUCT_CODE: &str = "bench";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fixture {
    /// Short name of the backend in reports: `sqlite` or `postgres`.
    pub backend: String,
    pub licenses: u64,
    pub company_id: i64,
    pub api_key: String,
    pub shared_key: String,
}

impl Fixture {
    pub fn devices(&self) -> u64 {
        self.licenses * DEVICES_PER_LICENSE
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read fixture {}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)?)
            .with_context(|| format!("cannot write fixture {}", path.display()))
    }
}

pub fn license_key(license: u64) -> String {
    format!("BENCH-{license:08}")
}

/// Device `d` is the `d % 2`-th device of license `d / 2`.
pub fn device(device: u64) -> (String, String) {
    let license = device / DEVICES_PER_LICENSE;
    (
        license_key(license),
        format!("hw-{license:08}-{}", device % DEVICES_PER_LICENSE),
    )
}

/// A bijection of `0..n` that scatters neighbouring indices across the table, so "distinct" and
/// "hot" devices are not also physically adjacent rows (which would flatter the database's cache).
pub fn scatter(index: u64, n: u64) -> u64 {
    // A prime larger than any N we seed, hence coprime with it: multiplication mod n is a bijection.
    const PRIME: u64 = 2_654_435_761;
    ((index % n) * (PRIME % n)) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_is_a_permutation() {
        for n in [1, 2, 7, 2_000] {
            let mut seen: Vec<u64> = (0..n).map(|i| scatter(i, n)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn devices_belong_to_their_license() {
        assert_eq!(
            device(3),
            ("BENCH-00000001".to_owned(), "hw-00000001-1".to_owned())
        );
    }
}
