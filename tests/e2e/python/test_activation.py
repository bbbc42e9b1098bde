"""POST /api/v4/activate_license through licensespring.api.APIClient (exact codes)."""

from types import SimpleNamespace

import pytest

from conftest import ISO_MS_Z, next_second


def activate(api, lic, hardware_id, **kwargs):
    return api.activate_license(product=kwargs.pop("product", None) or lic["product_code"],
                                license_key=lic["license_key"], hardware_id=hardware_id, **kwargs)


@pytest.fixture
def new_license(make_license, product):
    """Like make_license, but remembers the product code for `activate`."""

    def create(*flags):
        return {**make_license(*flags), "product_code": product.code}

    return create


def test_activate_perpetual_returns_license_object(api, new_license, hwid, product, cli):
    lic = new_license("--max-activations", 3)
    hw = hwid()

    resp = activate(api, lic, hw)

    assert resp["id"] == lic["license_id"]
    assert resp["license_key"] == lic["license_key"]
    assert resp["license_type"] == "perpetual"
    assert resp["max_activations"] == 3
    assert resp["times_activated"] == 1
    assert resp["validity_period"] is None
    assert resp["hardware_id"] == hw
    assert isinstance(resp["device_id"], int)
    assert resp["is_floating"] is False and resp["is_floating_cloud"] is False
    assert resp["prevent_vm"] is False
    assert resp["is_trial"] is False
    assert resp["is_expired"] is False
    assert isinstance(resp["grace_period"], int)
    assert resp["product_features"] == [] and resp["custom_fields"] == []
    assert resp["metadata"] == {}
    assert "user" not in resp
    details = resp["product_details"]
    assert details["short_code"] == product.code
    assert details["product_name"] == product.name
    assert details["product_id"] == product.product_id
    assert details["authorization_method"] == "license-key"

    shown = cli("license", "show", lic["license_key"])
    assert (shown["times_activated"], shown["max_activations"]) == (1, 3)
    [device] = cli("device", "list", "--license", lic["license_key"])["devices"]
    assert device["id"] == resp["device_id"]
    assert (device["hardware_id"], device["active"], device["blacklisted"], device["is_vm"]) == (hw, True, False, False)
    assert (device["hostname"], device["os_ver"]) == ("e2e-host", "E2E-OS 1.0")


def test_activate_time_limited_dates_and_v1_signature(api, new_license, hwid, verifier):
    lic = new_license("--type", "time-limited", "--valid-until", "2099-12-31", "--start-date", "2020-02-03")
    hw = hwid()

    resp = activate(api, lic, hw)

    assert resp["license_type"] == "time-limited"
    assert resp["validity_period"] == "2099-12-31T00:00:00.000Z"
    assert resp["start_date"] == "2020-02-03T00:00:00.000Z"
    assert ISO_MS_Z.match(resp["validity_period"])
    assert isinstance(resp["grace_period"], int)
    # v1 license_signature (spec §5.2): lowercase(hardware_id#license_key#validity), company key.
    # The SDK's own verifier raises ValueError on mismatch.
    verifier().verify_license_signature(hw, lic["license_key"], resp["validity_period"], resp["license_signature"])


def test_v1_signature_of_perpetual_license_has_empty_validity(api, new_license, hwid, verifier):
    lic = new_license()
    hw = hwid().upper()  # the signed string is lower-cased
    resp = activate(api, lic, hw)
    assert resp["hardware_id"] == hw
    verifier().verify_license_signature(hw, lic["license_key"], None, resp["license_signature"])


def test_activation_counts_and_reactivation_after_deactivation(api, new_license, hwid, cli, expect_error):
    lic = new_license("--max-activations", 2)
    a, b, c = hwid(), hwid(), hwid()

    assert activate(api, lic, a)["times_activated"] == 1
    assert activate(api, lic, b)["times_activated"] == 2
    with expect_error("license_activated_max_times"):
        activate(api, lic, c)

    assert api.deactivate_license(product=lic["product_code"], license_key=lic["license_key"],
                                  hardware_id=a) == '"license_deactivated"'
    assert cli("license", "show", lic["license_key"])["times_activated"] == 1
    assert api.check_license(product=lic["product_code"], license_key=lic["license_key"],
                             hardware_id=b)["times_activated"] == 1

    # the freed slot can be taken by a new device, and a known-but-deactivated device may come back
    assert activate(api, lic, c)["times_activated"] == 2
    assert api.deactivate_license(product=lic["product_code"], license_key=lic["license_key"],
                                  hardware_id=c) == '"license_deactivated"'
    next_second()  # the same activation of a as at the start
    again = activate(api, lic, a)
    assert (again["times_activated"], again["hardware_id"]) == (2, a)
    devices = {d["hardware_id"]: d["active"] for d in cli("device", "list", "--license", lic["license_key"])["devices"]}
    assert devices == {a: True, b: True, c: False}


# ---- error codes -------------------------------------------------------------------------
# Each scenario prepares the world and returns the kwargs of the failing activate call.

def _unknown_product(ctx):
    return dict(lic=ctx.new_license(), product="no-such-product-xyz")


def _unknown_key(ctx):
    return dict(lic={**ctx.new_license(), "license_key": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})


def _disabled_at_creation(ctx):
    return dict(lic=ctx.new_license("--disabled"))


def _disabled_later(ctx):
    lic = ctx.new_license()
    ctx.cli("license", "disable", lic["license_key"])
    assert ctx.cli("license", "show", lic["license_key"])["enabled"] is False
    return dict(lic=lic)


def _max_activations(ctx):
    lic = ctx.new_license("--max-activations", 1)
    activate(ctx.api, lic, ctx.hwid())
    return dict(lic=lic)


def _expired(ctx):
    return dict(lic=ctx.new_license("--type", "time-limited", "--valid-until", "2020-01-01"))


def _not_started(ctx):
    return dict(lic=ctx.new_license("--start-date", "2099-01-01"))


def _device_exists(ctx):
    lic = ctx.new_license("--max-activations", 5)
    activate(ctx.api, lic, ctx.hw)
    next_second()  # the same activation again
    return dict(lic=lic)


def _blacklisted_unseen_device(ctx):
    lic = ctx.new_license("--max-activations", 5)
    out = ctx.cli("device", "blacklist", "--license", lic["license_key"], "--hardware-id", ctx.hw)
    assert (out["hardware_id"], out["blacklisted"]) == (ctx.hw, True)
    return dict(lic=lic)


def _blacklisted_after_deactivation(ctx):
    lic = ctx.new_license("--max-activations", 5)
    activate(ctx.api, lic, ctx.hw)
    ctx.api.deactivate_license(product=lic["product_code"], license_key=lic["license_key"], hardware_id=ctx.hw)
    ctx.cli("device", "blacklist", "--license", lic["license_key"], "--hardware-id", ctx.hw)
    next_second()  # the same activation again
    return dict(lic=lic)


def _vm_on_prevent_vm(ctx):
    return dict(lic=ctx.new_license("--prevent-vm"), is_vm=True)


@pytest.mark.parametrize("scenario, code, status", [
    pytest.param(_unknown_product, "unknown_product", 400, id="unknown_product"),
    pytest.param(_unknown_key, "license_not_found", 400, id="license_not_found"),
    pytest.param(_disabled_at_creation, "license_not_enabled", 400, id="license_not_enabled-created-disabled"),
    pytest.param(_disabled_later, "license_not_enabled", 400, id="license_not_enabled-disabled-later"),
    pytest.param(_max_activations, "license_activated_max_times", 400, id="license_activated_max_times"),
    pytest.param(_expired, "license_expired", 400, id="license_expired"),
    pytest.param(_not_started, "license_start_date_error", 400, id="license_start_date_error"),
    pytest.param(_device_exists, "license_device_exists", 409, id="license_device_exists"),
    pytest.param(_blacklisted_unseen_device, "blacklisted", 400, id="blacklisted-unseen-device"),
    pytest.param(_blacklisted_after_deactivation, "blacklisted", 400, id="blacklisted-known-device"),
    pytest.param(_vm_on_prevent_vm, "vm_not_allowed", 400, id="vm_not_allowed"),
])
def test_activate_error(scenario, code, status, api, new_license, hwid, cli, expect_error):
    ctx = SimpleNamespace(api=api, new_license=new_license, hwid=hwid, cli=cli, hw=hwid())
    call = scenario(ctx)
    lic = call.pop("lic")
    before = cli("license", "show", lic["license_key"])["times_activated"] if code != "license_not_found" else None

    with expect_error(code, status):
        activate(api, lic, ctx.hw, **call)

    if before is not None:  # a refused activation never counts
        assert cli("license", "show", lic["license_key"])["times_activated"] == before


def test_vm_allowed_when_license_does_not_prevent_vm(api, new_license, hwid, cli):
    lic = new_license()
    hw = hwid()
    resp = activate(api, lic, hw, is_vm=True)
    assert (resp["hardware_id"], resp["prevent_vm"]) == (hw, False)
    [device] = cli("device", "list", "--license", lic["license_key"])["devices"]
    assert device["is_vm"] is True


def test_non_vm_activation_on_prevent_vm_license(api, new_license, hwid):
    lic = new_license("--prevent-vm")
    resp = activate(api, lic, hwid(), is_vm=False)
    assert resp["prevent_vm"] is True
