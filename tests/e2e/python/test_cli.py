"""The CLI contract the other tests rely on: --json output shapes and error reporting."""

import pytest

from conftest import unique

SHOW_KEYS = {"license_id", "license_key", "product", "license_type", "enabled", "max_activations",
             "times_activated", "start_date", "validity_period", "prevent_vm"}


def test_license_create_defaults_and_show(cli, make_license, product):
    lic = make_license()
    shown = cli("license", "show", lic["license_key"])
    assert SHOW_KEYS <= set(shown), SHOW_KEYS - set(shown)
    assert shown["license_id"] == lic["license_id"]
    assert shown["license_key"] == lic["license_key"]
    assert shown["license_type"] == "perpetual"
    assert (shown["enabled"], shown["prevent_vm"]) == (True, False)
    assert (shown["max_activations"], shown["times_activated"]) == (1, 0)  # default max-activations 1
    assert shown["validity_period"] is None


def test_license_create_with_explicit_key_and_flags(cli, make_license):
    key = unique("E2E").upper()
    lic = make_license("--key", key, "--max-activations", 7, "--disabled", "--prevent-vm")
    assert lic["license_key"] == key
    shown = cli("license", "show", key)
    assert (shown["max_activations"], shown["enabled"], shown["prevent_vm"]) == (7, False, True)


@pytest.mark.parametrize("args", [
    pytest.param(["license", "show", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "--json"], id="show-unknown-key"),
    pytest.param(["license", "create", "--company", "{company}", "--product", "{product}",
                  "--type", "time-limited", "--json"], id="time-limited-without-valid-until"),
    pytest.param(["license", "create", "--company", "{company}", "--product", "no-such-product-xyz", "--json"],
                 id="unknown-product"),
    pytest.param(["device", "list", "--license", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "--json"], id="devices-of-unknown-key"),
])
def test_cli_errors_are_one_stderr_line_and_nonzero(args, latch, company, product):
    args = [a.format(company=company.company_id, product=product.code) for a in args]
    proc = latch.run(*args)
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr.strip()
    assert err and "\n" not in err, proc.stderr
