"""track_device_variables / get_device_variables round trip through APIClient."""

import time
from datetime import datetime

from conftest import ISO_MS_Z


def test_device_variables_round_trip(api, make_license, product, hwid):
    lic, hw = make_license(), hwid()
    identity = dict(product=product.code, license_key=lic["license_key"], hardware_id=hw)
    device_id = api.activate_license(**identity)["device_id"]

    assert api.get_device_variables(**identity) == []

    before_ms = int(time.time() * 1000) - 5_000
    tracked = api.track_device_variables(**identity, variables={"cpu": "8 cores", "gpu": "none"})
    after_ms = int(time.time() * 1000) + 5_000

    assert sorted(v["variable"] for v in tracked) == ["cpu", "gpu"]
    for v in tracked:
        assert v["device_id"] == device_id
        assert isinstance(v["created_at"], int) and before_ms <= v["created_at"] <= after_ms, v  # epoch ms
    assert {v["variable"]: v["value"] for v in tracked} == {"cpu": "8 cores", "gpu": "none"}

    got = api.get_device_variables(**identity)
    assert {v["variable"]: v["value"] for v in got} == {"cpu": "8 cores", "gpu": "none"}
    assert len(got) == 2
    for v in got:
        assert isinstance(v["id"], int)
        assert v["device_id"] == device_id
        assert isinstance(v["created_at"], str) and ISO_MS_Z.match(v["created_at"]), v  # ISO here, not epoch
        # exactly what the Python SDK does with it (DeviceVariable.json_to_attribute)
        datetime.fromisoformat(v["created_at"][:-1])


def test_tracking_overwrites_existing_names(api, make_license, product, hwid):
    lic, hw = make_license(), hwid()
    identity = dict(product=product.code, license_key=lic["license_key"], hardware_id=hw)
    api.activate_license(**identity)

    api.track_device_variables(**identity, variables={"mode": "trial", "seats": "1"})
    api.track_device_variables(**identity, variables={"mode": "pro"})

    got = api.get_device_variables(**identity)
    assert sorted((v["variable"], v["value"]) for v in got) == [("mode", "pro"), ("seats", "1")]


def test_variables_are_per_device(api, make_license, product, hwid):
    lic = make_license("--max-activations", 2)
    a, b = hwid(), hwid()
    ids = {hw: dict(product=product.code, license_key=lic["license_key"], hardware_id=hw) for hw in (a, b)}
    for i in ids.values():
        api.activate_license(**i)

    api.track_device_variables(**ids[a], variables={"owner": "a"})

    assert [(v["variable"], v["value"]) for v in api.get_device_variables(**ids[a])] == [("owner", "a")]
    assert api.get_device_variables(**ids[b]) == []
