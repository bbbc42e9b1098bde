//! `ConsumptionPeriod`: its wire spelling.

use super::*;

#[test]
fn period_wire_spelling() {
    let cases = [
        (ConsumptionPeriod::Daily, "daily"),
        (ConsumptionPeriod::Weekly, "weekly"),
        (ConsumptionPeriod::Monthly, "monthly"),
        (ConsumptionPeriod::Annually, "annually"),
    ];
    for (period, wire) in cases {
        assert_eq!(period.as_str(), wire);
        assert_eq!(period.to_string(), wire, "Display must match as_str");
        assert_eq!(wire.parse::<ConsumptionPeriod>(), Ok(period));
    }
}

#[test]
fn period_round_trips_through_as_str() {
    for period in ALL_PERIODS {
        assert_eq!(period.as_str().parse(), Ok(period));
        assert_eq!(period.to_string().parse(), Ok(period));
    }
}

#[test]
fn period_parse_rejects_anything_else_and_keeps_the_input() {
    let bad = [
        "",
        "Daily",
        "DAILY",
        "day",
        "weekly ",
        " monthly",
        "month",
        "yearly",
        "annual",
        "annually\n",
        "hourly",
    ];
    for input in bad {
        let err = input.parse::<ConsumptionPeriod>().unwrap_err();
        assert_eq!(err, ParsePeriodError(input.to_owned()));
        assert!(
            err.to_string().contains(&format!("{input:?}")),
            "message {err} should quote the input {input:?}"
        );
    }
}
