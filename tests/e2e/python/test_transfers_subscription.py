"""Device transfers (transfer_count / max_transfers) and subscription grace periods."""

import time
from datetime import timedelta

import pytest
from licensespring.licensefile.license_manager import LicenseID

from conftest import iso_z, key_id, next_second, now_utc, parse_z

# ---- transfers --------------------------------------------------------------------------------
# Steps: ("on"|"off", device letter, expected transfer_count | error code). LicenseSpring's rule: a
# license deactivated on one device and then activated on another is a transfer, free activations or
# not; a device taking back the activation it gave back itself is not.
TRANSFER_CASES = {  # name: (max_activations, max_transfers, steps)
    "limited-to-two": (1, 2, [
        ("on", "a", 0), ("off", "a", 0),
        ("on", "a", 0), ("off", "a", 0),  # its own activation back: not a transfer
        ("on", "b", 1), ("off", "b", 1),
        ("on", "a", 2), ("off", "a", 2),  # back on a known device: moved again
        ("on", "c", "license_transferred_max_times"),
        ("on", "a", 2),  # the device that gave the activation back still takes it back
    ]),
    "unlimited": (1, 0, [
        ("on", "a", 0), ("off", "a", 0), ("on", "b", 1), ("off", "b", 1),
        ("on", "c", 2), ("off", "c", 2), ("on", "d", 3), ("off", "d", 3), ("on", "e", 4),
    ]),
    "first-activations-are-not-transfers": (2, 1, [
        ("on", "a", 0), ("on", "b", 0), ("off", "a", 0), ("off", "b", 0), ("on", "a", 0), ("on", "b", 0),
    ]),
    "free-activations-do-not-hide-a-transfer": (3, 1, [
        ("on", "a", 0), ("off", "a", 0), ("on", "b", 1),
        ("on", "c", 1),  # nobody gave an activation back: a first-time activation
        ("off", "b", 1), ("on", "d", "license_transferred_max_times"), ("on", "b", 1),
    ]),
}


@pytest.mark.parametrize("case", list(TRANSFER_CASES))
def test_transfers(case, new_license, product, api, hwid, show, expect_error):
    max_activations, max_transfers, steps = TRANSFER_CASES[case]
    lic = new_license(product.code, "--max-activations", max_activations, "--max-transfers", max_transfers)
    devices, count, sent = {}, 0, set()
    for action, letter, expected in steps:
        hw = devices.setdefault(letter, hwid())
        if (action, letter) in sent:
            next_second()  # the same call again
        sent.add((action, letter))
        if action == "off":
            assert api.deactivate_license(**key_id(lic, hw)) == '"license_deactivated"'
        elif isinstance(expected, str):
            with expect_error(expected):
                api.activate_license(**key_id(lic, hw))
        else:
            resp = api.activate_license(**key_id(lic, hw))
            assert (resp["transfer_count"], resp["max_transfers"]) == (expected, max_transfers), (action, letter)
            count = expected
        assert show(lic)["transfer_count"] == count, (action, letter)  # a refused activation changes nothing


def test_sdk_sees_transfer_count(new_license, product, make_manager, api, hwid):
    lic = new_license(product.code, "--max-activations", 1, "--max-transfers", 3)
    first = hwid()
    api.activate_license(**key_id(lic, first))
    api.deactivate_license(**key_id(lic, first))
    license = make_manager(hwid()).activate_license(LicenseID.from_key(lic["license_key"]))
    assert (license.transfer_count(), license.max_transfers()) == (1, 3)
    assert license.is_device_transfer_allowed() is True and license.is_device_transfer_limited() is True


# ---- subscription grace period --------------------------------------------------------------------

def _valid_until(hours_from_now):
    return iso_z((now_utc() + timedelta(hours=hours_from_now)).replace(microsecond=0))


@pytest.mark.parametrize("license_type, valid_hours, grace, outcome", [
    ("subscription", -1, 24, "ok"),  # past validity, inside the grace period
    ("subscription", -23, 24, "ok"),
    ("subscription", -25, 24, "license_expired"),  # beyond the grace period
    ("subscription", -1, None, "license_expired"),  # no grace period
    ("time-limited", -1, 24, "license_expired"),  # grace is for subscriptions only
    ("subscription", 5, 24, "ok"),
], ids=["sub-1h-past-grace-24", "sub-23h-past-grace-24", "sub-25h-past-grace-24", "sub-no-grace",
        "time-limited-grace-ignored", "sub-still-valid"])
def test_subscription_grace(license_type, valid_hours, grace, outcome, new_license, product, api, hwid,
                            expect_error):
    until = _valid_until(valid_hours)
    flags = ["--type", license_type, "--valid-until", until] + (["--grace-period", grace] if grace else [])
    lic, hw = new_license(product.code, *flags), hwid()
    if outcome != "ok":
        with expect_error(outcome):
            api.activate_license(**key_id(lic, hw))
        return
    activated = api.activate_license(**key_id(lic, hw))
    checked = api.check_license(**key_id(lic, hw))
    for resp in (activated, checked):
        assert resp["license_type"] == license_type
        assert parse_z(resp["validity_period"]) == parse_z(until)
        assert resp["grace_period"] == grace
        assert resp["is_expired"] is False
    assert checked["license_active"] is True


def test_sdk_check_inside_subscription_grace(new_license, product, make_manager, hwid):
    lic = new_license(product.code, "--type", "subscription", "--valid-until", _valid_until(-2), "--grace-period", 48)
    license = make_manager(hwid()).activate_license(LicenseID.from_key(lic["license_key"]))
    checked = license.check()  # Py also checks validity + grace locally and would raise if it had passed
    assert checked["grace_period"] == 48 and checked["is_expired"] is False
    assert license.is_expired() is False
    assert license.subscription_grace_period() == 48


def test_check_after_subscription_and_grace_end(new_license, product, api, hwid, expect_error):
    until = (now_utc() + timedelta(seconds=2)).replace(microsecond=0)
    lic = new_license(product.code, "--type", "subscription", "--valid-until", iso_z(until), "--grace-period", 0)
    hw = hwid()
    api.activate_license(**key_id(lic, hw))
    assert api.check_license(**key_id(lic, hw))["is_expired"] is False
    time.sleep(max(0.0, (until - now_utc()).total_seconds()) + 1.2)
    with expect_error("license_expired"):
        api.check_license(**key_id(lic, hw))
