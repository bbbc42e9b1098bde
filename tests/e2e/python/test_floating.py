"""Floating cloud licenses: seats taken by activation/check, POST /floating/release, POST /floating/borrow."""

from datetime import timedelta

import pytest
from licensespring.licensefile.license_manager import LicenseID

from conftest import iso_z, key_id, now_utc, parse_cli_date, parse_z


@pytest.fixture
def floating(new_license, product, hwid):
    """floating(users, *flags) -> (lic, [hw...]) of a fresh floating license (not activated)."""

    def create(users=2, *flags, devices=3):
        lic = new_license(product.code, "--max-activations", 10, "--floating-users", users, *flags)
        assert lic["is_floating_cloud"] is True and lic["floating_users"] == users, lic
        return lic, [hwid() for _ in range(devices)]

    return create


def released(api, lic, hw, wire):
    body = api.floating_release(**key_id(lic, hw))
    assert wire.last.status_code == 200
    assert body in ('""', ""), body  # JSON "" (spec 2.9); Py returns the raw text
    return body


def test_activation_takes_seats_release_frees_one(floating, api, expect_error, wire, cli):
    lic, [a, b, c] = floating(2, "--floating-timeout", 20)

    first = api.activate_license(**key_id(lic, a))
    assert (first["is_floating_cloud"], first["is_floating"]) == (True, False)
    assert (first["floating_users"], first["floating_timeout"], first["floating_in_use_devices"]) == (2, 20, 1)
    assert api.activate_license(**key_id(lic, b))["floating_in_use_devices"] == 2
    with expect_error("floating_not_available"):
        api.activate_license(**key_id(lic, c))

    released(api, lic, a, wire)
    assert api.check_license(**key_id(lic, b))["floating_in_use_devices"] == 1
    assert api.activate_license(**key_id(lic, c))["floating_in_use_devices"] == 2

    devices = {d["hardware_id"]: d for d in cli("device", "list", "--license-id", lic["license_id"])["devices"]}
    assert devices[a]["floating_until"] is None
    for hw in (b, c):
        until = parse_cli_date(devices[hw]["floating_until"])
        assert timedelta(minutes=19) < until - now_utc() <= timedelta(minutes=20, seconds=5)


def test_check_renews_or_takes_a_seat(floating, api, expect_error, wire):
    lic, [a, b, c] = floating(2)
    for hw in (a, b):
        api.activate_license(**key_id(lic, hw))
    released(api, lic, a, wire)
    api.activate_license(**key_id(lic, c))  # takes the seat a gave back

    with expect_error("floating_not_available"):  # a is activated but seatless, and seats are full
        api.check_license(**key_id(lic, a))
    assert api.check_license(**key_id(lic, b))["floating_in_use_devices"] == 2  # renewal keeps the count

    released(api, lic, b, wire)
    again = api.check_license(**key_id(lic, a))  # check takes the free seat
    assert (again["floating_in_use_devices"], again["license_active"]) == (2, True)
    with expect_error("floating_not_available"):
        api.check_license(**key_id(lic, b))


@pytest.mark.parametrize("requested_hours", [None, 1, 48], ids=["default-max", "1h", "exactly-max"])
def test_borrow(requested_hours, floating, api, cli, expect_error):
    lic, [a, b, _] = floating(1, "--max-borrow-time", 48)
    api.activate_license(**key_id(lic, a))
    before = now_utc()
    until = None if requested_hours is None else iso_z(before + timedelta(hours=requested_hours))

    resp = api.floating_borrow(**key_id(lic, a), borrowed_until=until)

    got = parse_z(resp["borrowed_until"])
    hours = 48 if requested_hours is None else requested_hours
    assert abs((got - (before + timedelta(hours=hours))).total_seconds()) < 60, resp
    assert got <= now_utc() + timedelta(hours=48, seconds=1)
    assert (resp["max_borrow_time"], resp["license_id"]) == (48, lic["license_id"])
    assert isinstance(resp["device_id"], int)

    checked = api.check_license(**key_id(lic, a))
    assert checked["is_borrowed"] is True
    assert parse_z(checked["borrowed_until"]) == got
    [device] = cli("device", "list", "--license-id", lic["license_id"])["devices"]
    assert parse_cli_date(device["borrowed_until"]) == got
    with expect_error("floating_not_available"):  # the borrowed seat is held
        api.activate_license(**key_id(lic, b))


@pytest.mark.parametrize("flags, until_hours, code", [
    (["--floating-users", 1, "--max-borrow-time", 24], 25, "borrow_until_not_valid"),
    (["--floating-users", 1, "--max-borrow-time", 24], -1, "borrow_until_not_valid"),
    (["--floating-users", 1], 1, "license_borrow_not_allowed"),
    (["--floating-users", 1], None, "license_borrow_not_allowed"),
    (["--max-borrow-time", 24], 1, "license_borrow_not_allowed"),
], ids=["beyond-max", "in-the-past", "no-borrowing", "no-borrowing-default-date", "not-floating"])
def test_borrow_errors(flags, until_hours, code, new_license, product, api, hwid, expect_error, cli):
    lic, hw = new_license(product.code, "--max-activations", 3, *flags), hwid()
    api.activate_license(**key_id(lic, hw))
    until = None if until_hours is None else iso_z(now_utc() + timedelta(hours=until_hours))
    with expect_error(code):
        api.floating_borrow(**key_id(lic, hw), borrowed_until=until)
    [device] = cli("device", "list", "--license-id", lic["license_id"])["devices"]
    assert device["borrowed_until"] is None


def test_borrow_without_a_seat(floating, api, expect_error, wire):
    lic, [a, b, c] = floating(2, "--max-borrow-time", 24)
    for hw in (a, b):
        api.activate_license(**key_id(lic, hw))
    released(api, lic, a, wire)
    api.activate_license(**key_id(lic, c))
    with expect_error("floating_not_available"):
        api.floating_borrow(**key_id(lic, a), borrowed_until=None)


def test_sdk_floating_borrow_and_release(floating, make_manager, api, expect_error, cli):
    lic, [a, b, _] = floating(1, "--max-borrow-time", 12, "--floating-timeout", 5)
    license = make_manager(a).activate_license(LicenseID.from_key(lic["license_key"]))
    assert license.is_floating() is True
    assert (license.max_floating_users(), license.floating_timeout(), license.floating_in_use_devices()) == (1, 5, 1)

    license.floating_borrow(iso_z(now_utc() + timedelta(hours=6)))
    assert license.is_borrowed() is True
    borrowed = license.borrow_until()
    assert borrowed is not None
    assert timedelta(hours=5, minutes=59) < borrowed - now_utc().replace(tzinfo=None) <= timedelta(hours=6)

    license.floating_release(throw_e=True)
    assert license.is_borrowed() is False
    [device] = cli("device", "list", "--license-id", lic["license_id"])["devices"]
    assert (device["hardware_id"], device["borrowed_until"], device["floating_until"]) == (a, None, None)
    assert api.activate_license(**key_id(lic, b))["floating_in_use_devices"] == 1  # the seat is free
    with expect_error("floating_not_available"):
        license.check()
