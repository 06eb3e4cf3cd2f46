"""``python -m fault_apps <app> --port 0 --token T``: run one fault-matrix application with the bridge.

Prints exactly one JSON line ``{"ready": true, "url": ..., "pid": ...}`` on stdout once serving; logs go
to stderr. SIGTERM or SIGINT stops it cleanly and exits 0."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable

from .chain_app import ChainApp
from .common import FaultApp, RunOptions, serve
from .core_apps import LeakApp, OrdersApp, SlowApp, StormApp, TravelApp
from .team_apps import ModelTeamApp, ToolTeamApp
from .team_kinds import EndlessTeamApp, GraphToolApp, SelectorToolApp, SwarmModelApp

APPS: dict[str, Callable[[], FaultApp]] = {
    "orders-reraise": lambda: OrdersApp("reraise"),
    "orders-wrap": lambda: OrdersApp("wrap"),
    "orders-opaque": lambda: OrdersApp("opaque"),
    "travel": TravelApp,
    "chain": ChainApp,
    "slow": SlowApp,
    "leak": LeakApp,
    "storm": StormApp,
    "team-tool": ToolTeamApp,
    "team-model": ModelTeamApp,
    "selector-tool": SelectorToolApp,
    "swarm-model": SwarmModelApp,
    "graph-tool": GraphToolApp,
    "team-endless": EndlessTeamApp,
}


def parse_args(argv: list[str] | None = None) -> tuple[str, RunOptions]:
    parser = argparse.ArgumentParser(prog="python -m fault_apps", description=__doc__)
    parser.add_argument("app", choices=sorted(APPS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (see the ready line)")
    parser.add_argument("--token", default=os.environ.get("BRIDGE_TOKEN"), help="bearer token ($BRIDGE_TOKEN)")
    parser.add_argument("--name", default=None, help="runtime name (default: the app's name)")
    parser.add_argument("--rate", type=float, default=None, help="units of traffic per second (default: the app's)")
    parser.add_argument("--recent-window-s", type=float, default=20.0,
                        help="the bridge's short window; the apps live about a minute, so a third of it")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or $BRIDGE_TOKEN) is required")
    if args.rate is not None and not 0 < args.rate <= 1000:
        parser.error("--rate must be in (0, 1000]")
    name = args.name or args.app
    return args.app, RunOptions(host=args.host, port=args.port, token=args.token, name=name, rate=args.rate,
                                recent_window_s=args.recent_window_s)


def main(argv: list[str] | None = None) -> int:
    app, options = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return asyncio.run(serve(APPS[app](), options))


if __name__ == "__main__":
    sys.exit(main())
