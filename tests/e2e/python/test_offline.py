"""Offline activation with the Python SDK: request files from LicenseManager / APIClient, answered by
`latch offline ...` (the air-gapped path) and by the License API's activate_offline/deactivate_offline."""

import base64
import json

import pytest
import requests
from licensespring.api.authorization import autorization_headers
from licensespring.licensefile.license_manager import LicenseID

from conftest import unique


@pytest.fixture
def offline(latch, company, tmp_path):
    """offline(*args) -> the CompletedProcess of `latch offline ARGS --company ID`."""

    def run(*args):
        return latch.run("offline", *args, "--company", company.company_id)

    return run


def lic_bytes(path):
    return json.loads(base64.b64decode(path.read_text()))


def flip_byte(content):
    """The file with one byte of its JSON changed: still base64 of valid JSON, no longer what was signed."""
    data = bytearray(base64.b64decode(content))
    at = data.index(b'"license_type":"') + len(b'"license_type":"')
    data[at] = ord("P") if data[at] != ord("P") else ord("Q")
    return base64.b64encode(bytes(data)).decode()


def activate_with_cli(offline, manager, key, tmp_path):
    req = manager.create_offline_activation_file(LicenseID.from_key(key), str(tmp_path / unique("req")))
    lic = tmp_path / unique("lic")
    proc = offline("activate", "--request", req, "--out", lic)
    assert proc.returncode == 0, proc.stderr
    return lic


def test_request_file_to_cli_to_license_manager(make_manager, make_license, hwid, cli, offline, tmp_path, company):
    lic, hw = make_license("--max-activations", 2), hwid()
    manager = make_manager(hw)
    lic_path = activate_with_cli(offline, manager, lic["license_key"], tmp_path)

    content = lic_bytes(lic_path)
    assert (content["license_key"], content["hardware_id"]) == (lic["license_key"], hw)
    assert content["product_details"]["prevent_vm"] is False
    for key in ("request_id", "date", "offline_signature", "license_signature", "license_signature_v2"):
        assert isinstance(content[key], str) and content[key], key

    license = manager.activate_license_offline(str(lic_path))
    assert license.key() == lic["license_key"]
    assert license.license_active() is True
    assert cli("license", "show", lic["license_key"])["times_activated"] == 1
    [device] = cli("device", "list", "--license", lic["license_key"])["devices"]
    assert (device["hardware_id"], device["active"]) == (hw, True)
    [event] = cli("events", "--company", company.company_id, "--license", lic["license_id"],
                  "--event", "license.activated")["events"]
    assert event["data"]["offline"] is True
    assert event["actor"]["type"] == "cli"


def test_license_file_verifies_with_the_sdk_and_a_flipped_byte_does_not(
        make_manager, make_api, make_license, hwid, offline, tmp_path):
    lic, hw = make_license(), hwid()
    lic_path = activate_with_cli(offline, make_manager(hw), lic["license_key"], tmp_path)
    api = make_api(hardware_id=hw)

    loaded = api.activate_offline_load(lic_path.read_text())
    assert loaded["license_key"] == lic["license_key"]
    with pytest.raises(ValueError):  # the signature verifier's "Invalid signature"
        api.activate_offline_load(flip_byte(lic_path.read_text()))


def test_activate_offline_over_http(make_api, make_license, hwid, cli, product):
    lic, hw = make_license(), hwid()
    api = make_api(hardware_id=hw)
    request = api.activate_offline_dump(product=product.code, license_key=lic["license_key"])
    request_id = json.loads(base64.b64decode(request))["request"]["request_id"]

    answer = api.activate_offline(request)  # verifies license_signature_v2
    assert (answer["license_key"], answer["hardware_id"], answer["request_id"]) == (lic["license_key"], hw, request_id)
    assert answer["license_active"] is True
    assert cli("license", "show", lic["license_key"])["times_activated"] == 1

    deactivation = api.deactivate_offline_dump(product=product.code, license_key=lic["license_key"])
    assert api.deactivate_offline(deactivation) == '"license_deactivated"'
    assert cli("license", "show", lic["license_key"])["times_activated"] == 0


def test_activate_offline_takes_a_multipart_form(server, company, make_api, make_license, hwid, product):
    lic, hw = make_license(), hwid()
    request = make_api(hardware_id=hw).activate_offline_dump(product=product.code, license_key=lic["license_key"])
    answer = requests.post(f"{server.url}/api/v4/activate_offline",
                           headers=autorization_headers(company.api_key, company.shared_key),
                           files={"file": ("activate_offline.req", request + "\n")})
    assert answer.status_code == 200, answer.text
    assert answer.json()["hardware_id"] == hw


def test_refused_requests_get_codes(make_api, make_license, hwid, product, expect_error, cli):
    lic, hw = make_license(), hwid()
    api = make_api(hardware_id=hw)

    request = json.loads(base64.b64decode(api.activate_offline_dump(product=product.code,
                                                                    license_key=lic["license_key"])))
    request["request"]["hardware_id"] = "someone-else"  # the signature no longer covers the request
    with expect_error("signature_mismatch"):
        api.activate_offline(base64.b64encode(json.dumps(request).encode()).decode())
    with expect_error("validation_error"):
        api.activate_offline("not base64 at all!")
    with expect_error("unknown_product"):
        api.activate_offline(api.activate_offline_dump(product="no-such-product", license_key=lic["license_key"]))
    floating = make_license("--floating-users", 2, "--floating-timeout", 30)
    with expect_error("offline_floating_cloud_not_supported"):
        api.activate_offline(api.activate_offline_dump(product=product.code, license_key=floating["license_key"]))
    assert cli("license", "show", lic["license_key"])["times_activated"] == 0


def test_refused_cli_activation_writes_no_file(make_manager, make_license, hwid, offline, tmp_path):
    lic = make_license("--max-activations", 1)
    activate_with_cli(offline, make_manager(hwid()), lic["license_key"], tmp_path)
    second = make_manager(hwid()).create_offline_activation_file(
        LicenseID.from_key(lic["license_key"]), str(tmp_path / unique("req")))
    out = tmp_path / unique("lic")
    proc = offline("activate", "--request", second, "--out", out)
    assert proc.returncode != 0
    assert "license_activated_max_times" in proc.stderr
    assert not out.exists()


def test_offline_deactivation_frees_the_seat(make_manager, make_license, hwid, cli, offline, tmp_path):
    lic, hw = make_license("--max-activations", 1), hwid()
    manager = make_manager(hw)
    license = manager.activate_license_offline(str(activate_with_cli(offline, manager, lic["license_key"], tmp_path)))

    req = license.deactivate_offline(str(tmp_path / unique("deact")))
    proc = offline("deactivate", "--request", req)
    assert proc.returncode == 0, proc.stderr
    assert cli("license", "show", lic["license_key"])["times_activated"] == 0
    [device] = cli("device", "list", "--license", lic["license_key"])["devices"]
    assert device["active"] is False
    # the seat is free for another device
    make_manager(hwid()).activate_license(LicenseID.from_key(lic["license_key"]))
    assert cli("license", "show", lic["license_key"])["times_activated"] == 1


def test_refresh_file_updates_the_license(make_manager, make_license, hwid, cli, offline, tmp_path):
    lic, hw = make_license("--type", "subscription", "--valid-until", "2030-01-01"), hwid()
    manager = make_manager(hw)
    license = manager.activate_license_offline(str(activate_with_cli(offline, manager, lic["license_key"], tmp_path)))
    assert license.validity_period().year == 2030

    cli("license", "renew", lic["license_key"], "--valid-until", "2031-06-01")
    refresh = tmp_path / unique("refresh")
    proc = offline("refresh", "--license", lic["license_key"], "--hardware-id", hw, "--out", refresh)
    assert proc.returncode == 0, proc.stderr
    assert license.update_offline(str(refresh), False) is True
    assert license.validity_period().year == 2031

    refresh.write_text(flip_byte(refresh.read_text()))
    with pytest.raises(ValueError):
        license.update_offline(str(refresh), False)

    unknown = offline("refresh", "--license", lic["license_key"], "--hardware-id", "not-this-device",
                      "--out", tmp_path / "none")
    assert unknown.returncode != 0 and "device_not_found" in unknown.stderr
    assert not (tmp_path / "none").exists()
