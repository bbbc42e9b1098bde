"""HTTPS built in: a latch started with LATCH_TLS_CERT / LATCH_TLS_KEY (issued by a test CA) serves the
SDK over https only, and a SIGHUP makes it pick up a new certificate without restarting."""

import signal
import ssl
import socket
import subprocess
import time

import pytest
import requests
import trustme
from licensespring.api import APIClient

from conftest import (SHUTDOWN_TIMEOUT, Latch, _create_company, _create_product, _start_server,
                      make_hardware, make_verifier, unique)


def write_cert(cert, directory, name):
    chain, key = directory / f"{name}.pem", directory / f"{name}.key"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key))
    return chain, key


def served_certificate(host_port, ca_path):
    host, port = host_port.split(":")
    context = ssl.create_default_context(cafile=str(ca_path))
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)


@pytest.fixture
def tls_world(tmp_path):
    ca = trustme.CA()
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    cert_path, key_path = write_cert(ca.issue_cert("127.0.0.1"), tmp_path, "server")
    latch = Latch(tmp_path / "data")
    latch.env["LATCH_TLS_CERT"] = str(cert_path)
    latch.env["LATCH_TLS_KEY"] = str(key_path)
    company = _create_company(latch, tmp_path, unique("TLS Co"))
    product = _create_product(latch, company)
    server = _start_server(latch, tmp_path / "stderr.log")
    yield ca, ca_path, (cert_path, key_path), latch, company, product, server
    server.proc.send_signal(signal.SIGTERM)
    try:
        assert server.proc.wait(timeout=SHUTDOWN_TIMEOUT) == 0
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        pytest.fail("the TLS server did not exit after SIGTERM")


def test_the_sdk_activates_and_checks_over_https(tls_world, monkeypatch):
    _, ca_path, _, latch, company, product, server = tls_world
    assert server.url.startswith("https://")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_path))
    key = latch.cli("license", "create", "--company", company.company_id, "--product", product.code)["license_key"]
    hardware_id = unique("hw")
    api = APIClient(
        api_key=company.api_key,
        shared_key=company.shared_key,
        api_protocol="https",
        api_domain=server.host_port,
        signature_verifier=make_verifier(company.public_key_pem),
        hardware_id_provider=make_hardware(hardware_id),
    )
    activated = api.activate_license(product=product.code, license_key=key, hardware_id=hardware_id)
    assert activated["license_key"] == key
    checked = api.check_license(product=product.code, license_key=key, hardware_id=hardware_id)
    assert checked["license_active"] is True
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://{server.host_port}/healthz", timeout=5)


def test_a_hangup_reloads_the_certificate(tls_world, tmp_path):
    ca, ca_path, (cert_path, key_path), _, _, _, server = tls_world
    first = served_certificate(server.host_port, ca_path)
    renewed = ca.issue_cert("127.0.0.1")
    fresh_cert, fresh_key = write_cert(renewed, tmp_path, "renewed")
    fresh_cert.replace(cert_path)
    fresh_key.replace(key_path)
    server.proc.send_signal(signal.SIGHUP)
    expected = ssl.PEM_cert_to_DER_cert(renewed.cert_chain_pems[0].bytes().decode())
    deadline = time.monotonic() + 10
    while served_certificate(server.host_port, ca_path) != expected:
        assert time.monotonic() < deadline, f"still serving the old certificate; {server.stderr_tail()}"
        time.sleep(0.1)
    assert expected != first
    assert server.proc.poll() is None
