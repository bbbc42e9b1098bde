//! `LicenseType`: wire spelling and parsing.

use super::*;

#[test]
fn license_type_wire_spelling() {
    let cases = [
        (LicenseType::Perpetual, "perpetual"),
        (LicenseType::TimeLimited, "time-limited"),
        (LicenseType::Subscription, "subscription"),
        (LicenseType::Consumption, "consumption"),
    ];
    for (license_type, wire) in cases {
        assert_eq!(license_type.as_str(), wire);
        assert_eq!(license_type.to_string(), wire, "Display must match as_str");
        assert_eq!(wire.parse::<LicenseType>(), Ok(license_type));
    }
}

#[test]
fn license_type_round_trips_through_as_str() {
    for license_type in ALL_TYPES {
        assert_eq!(license_type.as_str().parse(), Ok(license_type));
        assert_eq!(license_type.to_string().parse(), Ok(license_type));
    }
}

#[test]
fn license_type_parse_rejects_anything_else_and_keeps_the_input() {
    let bad = [
        "",
        "Perpetual",
        "PERPETUAL",
        "time_limited",
        "timelimited",
        "TimeLimited",
        " subscription",
        "subscription ",
        "consumption\n",
        "trial",
    ];
    for input in bad {
        let err = input.parse::<LicenseType>().unwrap_err();
        assert_eq!(err, ParseLicenseTypeError(input.to_owned()));
        assert!(
            err.to_string().contains(&format!("{input:?}")),
            "message {err} should quote the input {input:?}"
        );
    }
}
