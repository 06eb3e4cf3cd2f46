"""The demo CLI contract the TypeScript side relies on: one JSON ready line on stdout, logs on stderr,
SIGTERM stops cleanly with exit code 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

TOKEN = "cli-test-token"


@contextmanager
def demo(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "autogen_ops_bridge.demo", "--host", "127.0.0.1", "--port", "0",
         "--token", TOKEN, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the ready line (or EOF if the process died)
        assert line, f"no ready line; stderr: {proc.stderr.read() if proc.stderr else ''}"
        yield proc, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def wait_until(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_ready_line_then_sigterm_exits_zero() -> None:
    with demo("--rate", "20", "--name", "cli-demo") as (proc, ready):
        assert ready["ready"] is True and ready["pid"] == proc.pid
        assert ready["url"].startswith("http://127.0.0.1:")
        client = httpx.Client(base_url=ready["url"], headers={"Authorization": f"Bearer {TOKEN}"})
        assert client.get("/healthz").json()["runtime"] == "cli-demo"
        wait_until(lambda: client.get("/v1/agents/ChatAgent").json()["handled_total"] >= 3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert out == "", "stdout carries only the ready line"
        assert "bridge attached" in err


def test_fault_flag_instances_and_recent_window() -> None:
    with demo("--fault", "cascade:ChatAgent", "--instances", "5", "--rate", "0", "--recent-window-s", "20") as (
            proc, ready):
        client = httpx.Client(base_url=ready["url"], headers={"Authorization": f"Bearer {TOKEN}"})
        faults = client.get("/v1/faults").json()["faults"]
        assert [(f["fault"], f["agent_type"]) for f in faults] == [("cascade", "ChatAgent")]
        chat = client.get("/v1/agents/ChatAgent").json()
        assert chat["instances"] == sorted(["default", "user-1", "user-2", "user-3", "user-4"])
        runtime = client.get("/v1/runtime").json()
        assert runtime["fault_injection_enabled"] is True
        assert runtime["recent_window_s"] == 20  # what the bot's monitor judges agents over
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        assert proc.returncode == 0


def test_faults_are_off_without_the_flag() -> None:
    with demo("--rate", "0") as (proc, ready):
        client = httpx.Client(base_url=ready["url"], headers={"Authorization": f"Bearer {TOKEN}"})
        assert client.get("/v1/faults").json()["error"]["code"] == "FAULTS_DISABLED"
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
        assert proc.returncode == 0


@pytest.mark.parametrize("args", [["--fault", "meteor:ChatAgent"], ["--fault", "slow:Nobody"], ["--instances", "0"],
                                  ["--recent-window-s", "1"], ["--recent-window-s", "900"]])
def test_bad_arguments_exit_2_with_a_message(args: list[str]) -> None:
    env = {**os.environ, "BRIDGE_TOKEN": TOKEN}
    r = subprocess.run([sys.executable, "-m", "autogen_ops_bridge.demo", *args], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 2 and r.stdout == "" and "error:" in r.stderr
