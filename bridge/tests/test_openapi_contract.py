"""The committed OpenAPI document is what the bridge serves, and a bounded schemathesis run over it finds
no 5xx, no undocumented status code and no response that breaks its schema."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import FleetHandle

from autogen_ops_bridge.openapi_doc import openapi_document, render

COMMITTED = Path(__file__).resolve().parents[1] / "openapi.json"
REGENERATE = "python -m autogen_ops_bridge.openapi_doc > bridge/openapi.json"


async def test_served_document_equals_the_committed_one(fleet: FleetHandle) -> None:
    r = await fleet.http.get("/openapi.json", headers={"Authorization": ""})
    assert r.status_code == 200
    committed = json.loads(COMMITTED.read_text())
    assert r.json() == committed, f"bridge/openapi.json is stale: run `{REGENERATE}`"
    assert render(openapi_document()) == COMMITTED.read_text()


def test_every_error_response_is_the_one_error_shape() -> None:
    doc = json.loads(COMMITTED.read_text())
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                if status.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorResponse"), (method, path, status)
            if path not in ("/healthz", "/openapi.json"):
                assert op.get("security"), f"{method} {path} must declare bearer auth"


def test_schemathesis_fuzz_finds_no_server_errors(tmp_path: Path) -> None:
    token = "fuzz-token-123456"
    demo = subprocess.Popen(
        [sys.executable, "-m", "autogen_ops_bridge.demo", "--port", "0", "--token", token, "--rate", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert demo.stdout is not None
        url = json.loads(demo.stdout.readline())["url"]
        st = Path(sys.executable).with_name("schemathesis")
        result = subprocess.run(
            [str(st), "run", f"{url}/openapi.json", "-H", f"Authorization: Bearer {token}",
             "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
             "response_schema_conformance",
             "--phases", "coverage,fuzzing", "-n", "5", "--seed", "7", "-w", "2", "--max-failures", "5"],
            capture_output=True, text=True, timeout=170, cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert " passed" in result.stdout
        health = subprocess.run([sys.executable, "-c", f"import httpx;print(httpx.get('{url}/healthz').status_code)"],
                                capture_output=True, text=True, timeout=30)
        assert health.stdout.strip() == "200", "the fleet must survive the fuzzing"
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(20)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait(5)
