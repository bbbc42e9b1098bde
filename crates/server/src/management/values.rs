//! Values in request bodies that JSON has no type for: moments and dates, refused by field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

use super::error::ManagementError;
use super::listing::parse_moment;

/// A moment as ISO-8601 (with an offset, or naive and taken as UTC, as LicenseSpring's examples send).
pub fn moment(field: &str, text: &str) -> Result<DateTime<Utc>, ManagementError> {
    parse_moment(text).ok_or_else(|| {
        ManagementError::field(
            field,
            "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        )
    })
}

/// A day as `yyyy-mm-dd`, as its first moment in UTC.
pub fn day(field: &str, text: &str) -> Result<DateTime<Utc>, ManagementError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
        .ok_or_else(|| {
            ManagementError::field(
                field,
                "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
            )
        })
}

/// A field a creation needs, refused as Django REST Framework refuses a missing one.
pub fn required<T>(field: &str, value: Option<T>) -> Result<T, ManagementError> {
    value.ok_or_else(|| ManagementError::field(field, "This field is required."))
}

/// For `#[serde(default, deserialize_with = "nullable")]`: an absent field is `None`, `null` is
/// `Some(None)`, so a PATCH can clear a value.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_moments_are_utc_and_bad_ones_name_their_field() {
        assert_eq!(
            moment("borrowed_until", "2022-04-14T12:30:50")
                .unwrap()
                .to_rfc3339(),
            "2022-04-14T12:30:50+00:00"
        );
        let Err(ManagementError::Invalid(fields)) = moment("borrowed_until", "soon") else {
            panic!("accepted");
        };
        assert!(fields.contains_key("borrowed_until"));
        assert!(day("release_date", "2024-02-30").is_err());
    }
}
