//! E-mail addresses as Latch compares them: trimmed and lower-cased once, here, so a customer, a
//! license user or a trial is found however the address was typed.

use std::fmt;

/// A normalised e-mail address: something before and after one `@`, no spaces, at most 254 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an e-mail address")]
pub struct InvalidEmail(pub String);

/// RFC 5321's limit on a forward path.
const MAX_LEN: usize = 254;

impl Email {
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let normalised = text.trim().to_lowercase();
        let valid = match normalised.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !normalised
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control())
                    && normalised.len() <= MAX_LEN
            }
            None => false,
        };
        if valid {
            Ok(Self(normalised))
        } else {
            Err(InvalidEmail(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Email {
    type Err = InvalidEmail;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Buyer@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "buyer@example.com");
        assert_eq!(email, Email::parse("buyer@example.com").unwrap());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "buyer",
            "@example.com",
            "buyer@",
            "a@b@c",
            "a b@example.com",
            "a@exa\tmple.com",
            "a\u{0}@example.com",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(InvalidEmail(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_length_limit_is_254_bytes() {
        let domain = "@example.com";
        let fits = format!("{}{domain}", "a".repeat(MAX_LEN - domain.len()));
        assert!(Email::parse(&fits).is_ok());
        let too_long = format!("a{fits}");
        assert!(Email::parse(&too_long).is_err());
    }
}
