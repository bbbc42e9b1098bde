//! Random keys and passwords a vendor hands out: license keys, API keys, shared keys, initial passwords.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::ServiceError;

/// Letters and digits that cannot be misread for one another (no 0/O, 1/I).
pub(crate) const KEY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub(crate) const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(crate) fn random_string(alphabet: &[u8], len: usize) -> Result<String, ServiceError> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ServiceError::Random)?;
    // 256 is a multiple of both alphabets' lengths (32 and 64), so the modulo keeps characters uniform.
    debug_assert_eq!(256 % alphabet.len(), 0);
    Ok(bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect())
}

/// A license key like `ABCD-EFGH-JKLM-NPQR`.
pub fn generate_license_key() -> Result<String, ServiceError> {
    let raw = random_string(KEY_ALPHABET, 16)?;
    Ok(raw
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect::<Vec<_>>()
        .join("-"))
}

/// `quantity` random license keys of `length` characters from `alphabet`, in groups of four joined by
/// `-` (the last group may be shorter). Characters are drawn uniformly from any alphabet.
pub fn generate_license_keys(
    alphabet: &[char],
    length: usize,
    quantity: usize,
) -> Result<Vec<String>, ServiceError> {
    let random = SystemRandom::new();
    // Bytes at or above the largest multiple of the alphabet's size are drawn again, so every
    // character is equally likely.
    let limit = 256 - 256 % alphabet.len().clamp(1, 256);
    let draw = || -> Result<char, ServiceError> {
        loop {
            let mut byte = [0u8; 1];
            random.fill(&mut byte).map_err(|_| ServiceError::Random)?;
            if usize::from(byte[0]) < limit {
                return Ok(alphabet[usize::from(byte[0]) % alphabet.len()]);
            }
        }
    };
    (0..quantity)
        .map(|_| {
            let characters = (0..length).map(|_| draw()).collect::<Result<Vec<_>, _>>()?;
            Ok(characters
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-"))
        })
        .collect()
}

/// A random password for a license user who did not choose one.
pub fn generate_password() -> Result<String, ServiceError> {
    random_string(SECRET_ALPHABET, 16)
}

/// Letters and digits only: an API key is typed on command lines, where a leading `-` reads as a flag.
pub fn generate_api_key() -> Result<String, ServiceError> {
    random_string(KEY_ALPHABET, 32)
}

/// The HMAC secret paired with an API key: 43 characters of 6 bits, 258 bits in all.
pub fn generate_shared_key() -> Result<String, ServiceError> {
    random_string(SECRET_ALPHABET, 43)
}

/// The hex SHA-256 under which a long random secret (a management key, an access token) is stored:
/// with that much entropy a fast hash is safe, and it finds the row by one indexed equality.
pub fn secret_hash(secret: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_keys_have_four_groups_of_unambiguous_characters() {
        let key = generate_license_key().unwrap();
        let groups: Vec<&str> = key.split('-').collect();
        assert_eq!(groups.len(), 4, "{key}");
        for group in groups {
            assert_eq!(group.len(), 4);
            assert!(group.bytes().all(|b| KEY_ALPHABET.contains(&b)), "{key}");
        }
        assert_ne!(generate_license_key().unwrap(), key);
    }

    #[test]
    fn generated_keys_use_the_alphabet_in_groups_of_four() {
        let keys = generate_license_keys(&['x', 'y', 'z'], 10, 3).unwrap();
        assert_eq!(keys.len(), 3);
        for key in keys {
            let groups: Vec<&str> = key.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [4, 4, 2]
            );
            assert!(key.chars().all(|c| "xyz-".contains(c)), "{key}");
        }
    }

    #[test]
    fn api_keys_never_look_like_command_line_flags() {
        for _ in 0..200 {
            let key = generate_api_key().unwrap();
            assert_eq!(key.len(), 32);
            assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
        }
    }

    #[test]
    fn a_secret_hash_is_the_hex_sha256_of_the_whole_secret() {
        assert_eq!(
            secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn shared_keys_and_passwords_come_from_the_secret_alphabet() {
        let shared = generate_shared_key().unwrap();
        assert_eq!(shared.len(), 43);
        let password = generate_password().unwrap();
        assert_eq!(password.len(), 16);
        assert!(format!("{shared}{password}")
            .bytes()
            .all(|b| SECRET_ALPHABET.contains(&b)));
    }
}
