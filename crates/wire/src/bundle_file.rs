//! Offline bundle files (spec §6.4), in the shape each SDK reads: the Python SDK takes
//! `{"licenses": [...], "bundle_signature_v2": ...}` with the bundle's own license first, the Node
//! SDK a map from product code to license. Each license object arrives finished (with its own
//! offline signatures); this only assembles the file.

use serde_json::{Map, Value};

use crate::body::to_json;
use crate::signing::{Signer, SigningError};

/// Which SDK reads the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleFileShape {
    Python,
    Node,
}

/// The bundle file's JSON from `licenses` (product code and license object, the bundle's own
/// first). The Python SDK only checks that `bundle_signature_v2` is there; it is the RSA signature
/// over the compact JSON of the `licenses` array.
pub fn bundle_file(
    shape: BundleFileShape,
    licenses: Vec<(String, Value)>,
    signer: &Signer,
) -> Result<Value, SigningError> {
    Ok(match shape {
        BundleFileShape::Python => {
            let licenses = Value::Array(licenses.into_iter().map(|(_, license)| license).collect());
            let signature = signer.sign(&to_json(&licenses))?;
            serde_json::json!({"licenses": licenses, "bundle_signature_v2": signature})
        }
        BundleFileShape::Node => Value::Object(licenses.into_iter().collect::<Map<_, _>>()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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

    #[test]
    fn python_files_list_the_bundle_first_and_sign_the_list() {
        let signer = Signer::from_pkcs8(&generate_key().unwrap().pkcs8_der).unwrap();
        let file = bundle_file(BundleFileShape::Python, licenses(), &signer).unwrap();
        let listed = file["licenses"].as_array().unwrap();
        assert_eq!(listed[0]["product_details"]["short_code"], "suite");
        assert_eq!(listed[1]["id"], 2);
        let expected = signer.sign(&to_json(&file["licenses"])).unwrap();
        assert_eq!(file["bundle_signature_v2"], expected);
    }

    #[test]
    fn node_files_map_product_codes_to_licenses() {
        let signer = Signer::from_pkcs8(&generate_key().unwrap().pkcs8_der).unwrap();
        let file = bundle_file(BundleFileShape::Node, licenses(), &signer).unwrap();
        assert_eq!(file["suite"]["id"], 1);
        assert_eq!(file["editor"]["id"], 2);
        assert_eq!(file.as_object().unwrap().len(), 2);
    }
}
