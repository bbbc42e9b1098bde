"""GET /api/v4/product_details through APIClient."""

import pytest

from conftest import _create_product


@pytest.mark.parametrize("which, prevent_vm", [("product", False), ("vm_product", True)])
def test_product_details(which, prevent_vm, request, api):
    prod = request.getfixturevalue(which)

    details = api.product_details(product=prod.code)

    assert details["product_id"] == prod.product_id
    assert details["product_name"] == prod.name
    assert details["short_code"] == prod.code
    assert details["authorization_method"] == "license-key"
    assert details["prevent_vm"] is prevent_vm
    assert details["allow_trial"] is False
    assert isinstance(details["trial_days"], int)
    assert isinstance(details["metadata"], dict)


def test_product_details_unknown_product(api, expect_error):
    with expect_error("unknown_product"):
        api.product_details(product="no-such-product-xyz")


def test_product_of_another_company_is_unknown(api, latch, other_company, expect_error):
    # products are per company: company A's API key must not see company B's product
    foreign = _create_product(latch, other_company)
    with expect_error("unknown_product"):
        api.product_details(product=foreign.code)
