"""check_license / track_device_variables / get_device_variables / deactivate_license
against every license/device state, through APIClient (exact codes)."""

import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from conftest import next_second


def ident(product_code, lic, hw):
    return dict(product=product_code, license_key=lic["license_key"], hardware_id=hw)


ENDPOINTS = {
    "check_license": lambda api, i: api.check_license(**i),
    "track_device_variables": lambda api, i: api.track_device_variables(**i, variables={"k": "v"}),
    "get_device_variables": lambda api, i: api.get_device_variables(**i),
    "deactivate_license": lambda api, i: api.deactivate_license(**i),
}


@pytest.fixture
def world(api, make_license, product, hwid, cli):
    def activate(lic, hw):
        return api.activate_license(**ident(product.code, lic, hw))

    def deactivate(lic, hw):
        assert api.deactivate_license(**ident(product.code, lic, hw)) == '"license_deactivated"'

    return SimpleNamespace(api=api, make_license=make_license, code=product.code, hwid=hwid, cli=cli,
                           activate=activate, deactivate=deactivate)


# Each scenario returns the identity (product, license_key, hardware_id) of the failing call.

def _unknown_product(w):
    lic, hw = w.make_license(), w.hwid()
    w.activate(lic, hw)
    return ident("no-such-product-xyz", lic, hw)


def _unknown_key(w):
    return ident(w.code, {"license_key": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}, w.hwid())


def _disabled(w):
    lic, hw = w.make_license(), w.hwid()
    w.activate(lic, hw)
    w.cli("license", "disable", lic["license_key"])
    return ident(w.code, lic, hw)


def _never_activated(w):
    return ident(w.code, w.make_license(), w.hwid())


def _deactivated(w):
    lic, hw = w.make_license(), w.hwid()
    w.activate(lic, hw)
    w.deactivate(lic, hw)
    next_second()  # the same deactivation may come again
    return ident(w.code, lic, hw)


def _other_device(w):
    lic = w.make_license("--max-activations", 2)
    w.activate(lic, w.hwid())
    return ident(w.code, lic, w.hwid())


def _blacklisted(w):
    lic, hw = w.make_license(), w.hwid()
    w.activate(lic, hw)
    w.cli("device", "blacklist", "--license", lic["license_key"], "--hardware-id", hw)
    return ident(w.code, lic, hw)


SCENARIOS = {
    "unknown_product": _unknown_product,
    "unknown_key": _unknown_key,
    "disabled": _disabled,
    "never_activated": _never_activated,
    "deactivated": _deactivated,
    "other_device": _other_device,
    "blacklisted": _blacklisted,
}

# expected code per scenario; (scenario, endpoint) overrides below
EXPECTED = {
    "unknown_product": "unknown_product",
    "unknown_key": "license_not_found",
    "disabled": "license_not_enabled",
    "never_activated": "license_not_active",  # no active device on the license at all
    "deactivated": "license_not_active",
    "other_device": "device_not_found",  # active, but not on this hardware id
    "blacklisted": "blacklisted",
}
OVERRIDES = {
    ("never_activated", "deactivate_license"): "device_not_found",  # deactivate: unknown/inactive device
    ("deactivated", "deactivate_license"): "device_not_found",
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_state_error(scenario, endpoint, world, expect_error):
    identity = SCENARIOS[scenario](world)
    code = OVERRIDES.get((scenario, endpoint), EXPECTED[scenario])
    with expect_error(code):
        ENDPOINTS[endpoint](world.api, identity)


def test_check_success_fields(world, verifier):
    lic, hw = world.make_license("--max-activations", 4), world.hwid()
    activated = world.activate(lic, hw)

    resp = world.api.check_license(**ident(world.code, lic, hw))

    assert resp["id"] == lic["license_id"]
    assert resp["license_key"] == lic["license_key"]
    assert resp["license_type"] == "perpetual"
    assert (resp["license_active"], resp["license_enabled"], resp["is_expired"]) == (True, True, False)
    assert (resp["times_activated"], resp["max_activations"]) == (1, 4)
    assert resp["device_id"] == activated["device_id"]
    assert resp["validity_period"] is None
    assert resp["product_details"]["short_code"] == world.code
    assert resp.get("hardware_id", hw) == hw  # if echoed, byte-for-byte (Node stores it)
    for key in ("is_floating", "is_floating_cloud", "grace_period", "product_features"):
        assert key in resp, key
    verifier().verify_license_signature(hw, lic["license_key"], None, resp["license_signature"])

    # The last-check time is written behind the answer, within the writer's flush interval.
    deadline = time.monotonic() + 10
    while True:
        [device] = world.cli("device", "list", "--license", lic["license_key"])["devices"]
        if device["last_check_at"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert device["last_check_at"] is not None


def test_check_after_reenable_succeeds(world, expect_error):
    lic, hw = world.make_license(), world.hwid()
    world.activate(lic, hw)
    world.cli("license", "disable", lic["license_key"])
    with expect_error("license_not_enabled"):
        world.api.check_license(**ident(world.code, lic, hw))
    world.cli("license", "enable", lic["license_key"])
    assert world.cli("license", "show", lic["license_key"])["enabled"] is True
    assert world.api.check_license(**ident(world.code, lic, hw))["license_enabled"] is True


def test_check_expired_after_activation(world, expect_error):
    valid_until = (datetime.now(timezone.utc) + timedelta(seconds=4)).replace(microsecond=0)
    lic = world.make_license("--type", "time-limited", "--valid-until", valid_until.strftime("%Y-%m-%dT%H:%M:%SZ"))
    hw = world.hwid()
    resp = world.activate(lic, hw)
    assert resp["validity_period"] == valid_until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert world.api.check_license(**ident(world.code, lic, hw))["is_expired"] is False

    time.sleep(max(0.0, (valid_until - datetime.now(timezone.utc)).total_seconds()) + 1.5)

    with expect_error("license_expired"):
        world.api.check_license(**ident(world.code, lic, hw))
