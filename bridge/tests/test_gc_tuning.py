"""The opt-in garbage-collector freeze: ``freeze_startup_objects()``, ``attach(freeze_gc=True)``, the demo
fleet's option and CLI flag. Process-wide, so every test unfreezes what it froze."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from autogen_core import AgentId, SingleThreadedAgentRuntime
from conftest import Echo, Ping

from autogen_ops_bridge import attach, freeze_startup_objects
from autogen_ops_bridge.demo.__main__ import parse_args
from autogen_ops_bridge.demo.fleet import Fleet, FleetOptions


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freeze_startup_objects_moves_live_objects_out_of_collections() -> None:
    survivor = [object() for _ in range(10)]
    frozen = freeze_startup_objects()
    assert frozen == gc.get_freeze_count() > 0
    assert not any(o is survivor for o in gc.get_objects())  # frozen objects are not in any generation
    assert survivor  # still alive: freezing frees nothing


async def test_attach_freeze_gc_freezes_once_serving_and_the_bridge_still_works() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "Echo", Echo)
    assert gc.get_freeze_count() == 0
    bridge = await attach(runtime, token="gc-test-token-0123", serve=True, freeze_gc=True)
    assert gc.get_freeze_count() > 0
    runtime.start()
    assert await runtime.send_message(Ping(1), AgentId("Echo", "default")) == Ping(2)
    assert bridge.gate("Echo").stats.handled_total == 1
    await bridge.prepare_stop()
    await runtime.stop_when_idle()
    await bridge.close()


async def test_attach_does_not_freeze_by_default() -> None:
    runtime = SingleThreadedAgentRuntime()
    bridge = await attach(runtime, token="gc-test-token-0123", serve=False)
    assert gc.get_freeze_count() == 0
    await bridge.close()


@pytest.mark.parametrize("bridged", [True, False])
async def test_fleet_freeze_gc_freezes_after_start_with_or_without_the_bridge(bridged: bool) -> None:
    fleet = Fleet(FleetOptions(token="gc-test-token-0123", rate=0, attach_bridge=bridged, serve=False,
                               freeze_gc=True))
    await fleet.start()
    try:
        assert gc.get_freeze_count() > 0
        assert await fleet.ask("after freeze") is not None
    finally:
        await fleet.stop()


def test_demo_cli_freezes_by_default_and_can_opt_out() -> None:
    assert parse_args(["--token", "t"])[0].freeze_gc is True
    assert parse_args(["--token", "t", "--no-freeze-gc"])[0].freeze_gc is False
