//! Offline bundle files (spec §6.4), in the shape each SDK reads: the Python SDK takes
//! `{"licenses": [...], "bundle_signature_v2": ...}` with the bundle's own license first, the Node
//! SDK a map from product code to license. Each license object arrives finished (with its own
//! offline signatures); this only assembles the file.

use serde::ser::{Serialize, Serializer};

use crate::body::to_json;
use crate::signing::{Signer, SigningError};

/// Which SDK reads the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleFileShape {
    Python,
    Node,
}

impl BundleFileShape {
    /// The shape the SDK that wrote a request file reads, told by the file's `sdk_ver`: the Python
    /// SDK sends `PythonSDK <version>`, the Node SDK its bare version.
    pub fn for_sdk(sdk_ver: Option<&str>) -> Self {
        match sdk_ver {
            Some(version) if version.trim_start().starts_with("PythonSDK") => Self::Python,
            _ => Self::Node,
        }
    }
}

impl std::str::FromStr for BundleFileShape {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value.to_ascii_lowercase().as_str() {
            "python" => Ok(Self::Python),
            "node" => Ok(Self::Node),
            _ => Err(()),
        }
    }
}

#[derive(serde::Serialize)]
struct PythonBundleFile<'a, T> {
    licenses: &'a [&'a T],
    bundle_signature_v2: String,
}

/// Licenses by product code, in the order given.
struct ByProductCode<'a, T>(&'a [(String, T)]);

impl<T: Serialize> Serialize for ByProductCode<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(code, license)| (code, license)))
    }
}

/// The bundle file's compact JSON from `licenses` (product code and license object, the bundle's
/// own first). The Python SDK only checks that `bundle_signature_v2` is there; it is the RSA
/// signature over the compact JSON of the `licenses` array.
pub fn bundle_file<T: Serialize>(
    shape: BundleFileShape,
    licenses: &[(String, T)],
    signer: &Signer,
) -> Result<Vec<u8>, SigningError> {
    Ok(match shape {
        BundleFileShape::Python => {
            let licenses: Vec<&T> = licenses.iter().map(|(_, license)| license).collect();
            let bundle_signature_v2 = signer.sign(&to_json(&licenses))?;
            to_json(&PythonBundleFile {
                licenses: &licenses,
                bundle_signature_v2,
            })
        }
        BundleFileShape::Node => to_json(&ByProductCode(licenses)),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::signing::generate_key;

    fn licenses() -> Vec<(String, Value)> {
        vec![
            (
                "suite".into(),
                json!({"id": 1, "product_details": {"short_code": "suite"}}),
            ),
            (
                "editor".into(),
                json!({"id": 2, "product_details": {"short_code": "editor"}}),
            ),
        ]
    }

    fn signer() -> Signer {
        Signer::from_pkcs8(&generate_key().unwrap().pkcs8_der).unwrap()
    }

    #[test]
    fn python_files_list_the_bundle_first_and_sign_the_list() {
        let signer = signer();
        let file: Value = serde_json::from_slice(
            &bundle_file(BundleFileShape::Python, &licenses(), &signer).unwrap(),
        )
        .unwrap();
        let listed = file["licenses"].as_array().unwrap();
        assert_eq!(listed[0]["product_details"]["short_code"], "suite");
        assert_eq!(listed[1]["id"], 2);
        let expected = signer.sign(&to_json(&file["licenses"])).unwrap();
        assert_eq!(file["bundle_signature_v2"], expected);
    }

    #[test]
    fn node_files_map_product_codes_to_licenses_in_order() {
        let text = bundle_file(BundleFileShape::Node, &licenses(), &signer()).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.find("\"suite\"").unwrap() < text.find("\"editor\"").unwrap(),
            "{text}"
        );
        let file: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["suite"]["id"], 1);
        assert_eq!(file["editor"]["id"], 2);
        assert_eq!(file.as_object().unwrap().len(), 2);
    }

    #[test]
    fn the_shape_follows_the_requesting_sdk() {
        let shape = BundleFileShape::for_sdk;
        assert_eq!(shape(Some("PythonSDK 4.0.0")), BundleFileShape::Python);
        assert_eq!(shape(Some("1.4.17")), BundleFileShape::Node);
        assert_eq!(shape(None), BundleFileShape::Node);
        assert_eq!("Python".parse(), Ok(BundleFileShape::Python));
        assert_eq!("node".parse(), Ok(BundleFileShape::Node));
        assert_eq!("java".parse::<BundleFileShape>(), Err(()));
    }
}
