//! `Seat::is_held` and `Seat::is_borrowed`.

use super::*;

#[test]
fn seat_is_held_while_a_lease_or_borrow_ends_after_now() {
    // (name, seat, is_held, is_borrowed)
    let cases = [
        ("no seat", NO_SEAT, false, false),
        ("default", Seat::default(), false, false),
        ("lease ends in 1s", lease(secs(1)), true, false),
        ("lease ends in 1ms", lease(ms(1)), true, false),
        ("lease ends now", lease(secs(0)), false, false),
        ("lease ended 1ms ago", lease(-ms(1)), false, false),
        ("lease ended 1s ago", lease(secs(-1)), false, false),
        ("borrow ends in 1s", borrow(secs(1)), true, true),
        ("borrow ends in 1ms", borrow(ms(1)), true, true),
        ("borrow ends now", borrow(secs(0)), false, false),
        ("borrow ended 1s ago", borrow(secs(-1)), false, false),
        ("lease over, borrow on", both(secs(0), secs(1)), true, true),
        ("lease on, borrow over", both(secs(1), secs(0)), true, false),
        ("both on", both(secs(1), hours(24)), true, true),
        (
            "both over at this second",
            both(secs(0), secs(0)),
            false,
            false,
        ),
        ("both over", both(secs(-1), -hours(1)), false, false),
    ];
    for (name, seat, held, borrowed) in cases {
        assert_eq!(seat.is_held(now()), held, "{name}: is_held");
        assert_eq!(seat.is_borrowed(now()), borrowed, "{name}: is_borrowed");
    }
}

#[test]
fn seat_at_the_far_end_of_time() {
    let forever = Seat {
        floating_until: Some(MAX),
        borrowed_until: Some(MAX),
    };
    assert!(forever.is_held(MAX - ms(1)));
    assert!(forever.is_borrowed(MAX - ms(1)));
    assert!(!forever.is_held(MAX));
    assert!(!forever.is_borrowed(MAX));
}
