"""The bridge's doors (docs/security.md): TLS with uvicorn's own certificate support when given a
certificate and key, and a 500 that carries no exception text (logged server-side with a request id)."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from autogen_core import SingleThreadedAgentRuntime
from conftest import TOKEN, Echo

from autogen_ops_bridge import attach

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="needs the openssl CLI to make a test certificate")


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (openssl CLI), valid one day."""
    cert, key = tmp / "bridge.crt", tmp / "bridge.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


async def test_serves_https_with_the_given_certificate_and_key(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    bridge = await attach(runtime, token=TOKEN, name="tls", ssl_certfile=str(cert), ssl_keyfile=str(key))
    runtime.start()
    try:
        assert bridge.url is not None and bridge.url.startswith("https://127.0.0.1:")
        trusting = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(base_url=bridge.url, verify=trusting, timeout=10) as client:
            health = await client.get("/healthz")
            assert health.status_code == 200
            assert health.json()["runtime"] == "tls"
            agents = await client.get("/v1/agents", headers={"authorization": f"Bearer {TOKEN}"})
            assert agents.status_code == 200
            assert "echo" in agents.text
        # a client that does not trust the certificate is refused by TLS itself
        async with httpx.AsyncClient(base_url=bridge.url, timeout=10) as untrusting:
            with pytest.raises(httpx.ConnectError):
                await untrusting.get("/healthz")
        # and plain HTTP is not answered as HTTP
        plain = bridge.url.replace("https://", "http://")
        async with httpx.AsyncClient(base_url=plain, timeout=10) as client:
            with pytest.raises(httpx.HTTPError):
                r = await client.get("/healthz")
                r.raise_for_status()
    finally:
        await bridge.close()
        await runtime.stop()


async def test_certificate_without_key_is_refused() -> None:
    runtime = SingleThreadedAgentRuntime()
    with pytest.raises(ValueError, match="ssl_certfile and ssl_keyfile"):
        await attach(runtime, token=TOKEN, ssl_certfile="/nonexistent.crt")


def test_demo_cli_takes_certificate_and_key_together(monkeypatch: pytest.MonkeyPatch) -> None:
    from autogen_ops_bridge.demo.__main__ import parse_args

    monkeypatch.delenv("BRIDGE_SSL_CERTFILE", raising=False)
    monkeypatch.delenv("BRIDGE_SSL_KEYFILE", raising=False)
    options, _ = parse_args(["--token", TOKEN, "--no-team", "--ssl-certfile", "c.pem", "--ssl-keyfile", "k.pem"])
    assert (options.ssl_certfile, options.ssl_keyfile) == ("c.pem", "k.pem")
    with pytest.raises(SystemExit):
        parse_args(["--token", TOKEN, "--no-team", "--ssl-certfile", "c.pem"])


async def test_500_carries_no_exception_text_and_is_logged_with_its_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    bridge = await attach(runtime, token=TOKEN, name="bug")
    runtime.start()
    secret_text = "db password hunter2-very-secret at /srv/app/internal.py"

    def broken() -> float:
        raise RuntimeError(secret_text)

    bridge.uptime_s = broken  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.ERROR, logger="autogen_ops_bridge"):
            async with httpx.AsyncClient(base_url=bridge.url or "", timeout=10) as client:
                r = await client.get("/healthz")
        assert r.status_code == 500
        body = r.json()
        assert body["error"]["code"] == "INTERNAL_ERROR"
        request_id = body["error"]["details"]["request_id"]
        assert len(request_id) == 16
        assert "hunter2" not in r.text
        assert "RuntimeError" not in r.text
        assert "internal.py" not in r.text
        assert request_id in body["error"]["message"]
        logged = [rec for rec in caplog.records if getattr(rec, "request_id", None) == request_id]
        assert logged, "the 500 is logged server-side under its request id"
        assert logged[0].exc_info is not None and "hunter2" in str(logged[0].exc_info[1])
    finally:
        await bridge.close()
        await runtime.stop()
