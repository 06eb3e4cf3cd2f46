"""``python -m autogen_ops_bridge.demo``: run the demo fleet with the bridge attached.

Prints exactly one JSON line ``{"ready": true, "url": ..., "pid": ...}`` on stdout once serving; logs go
to stderr. SIGTERM or SIGINT stops the runtime cleanly and exits 0."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import signal
import sys

from .faults import TEAM_FAULTS
from .fleet import Fleet, FleetOptions, parse_fault


def parse_args(argv: list[str] | None = None) -> tuple[FleetOptions, str]:
    parser = argparse.ArgumentParser(prog="python -m autogen_ops_bridge.demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (see the ready line)")
    parser.add_argument("--token", default=os.environ.get("BRIDGE_TOKEN"),
                        help="bearer token (default: $BRIDGE_TOKEN)")
    parser.add_argument("--name", default="demo")
    parser.add_argument("--ssl-certfile", default=os.environ.get("BRIDGE_SSL_CERTFILE") or None,
                        help="PEM certificate: serve HTTPS (default: $BRIDGE_SSL_CERTFILE); needs --ssl-keyfile")
    parser.add_argument("--ssl-keyfile", default=os.environ.get("BRIDGE_SSL_KEYFILE") or None,
                        help="PEM private key of --ssl-certfile (default: $BRIDGE_SSL_KEYFILE)")
    parser.add_argument("--enable-faults", action="store_true", help="allow /v1/faults")
    parser.add_argument("--fault", action="append", default=[], metavar="FAULT[:AgentType]",
                        help="inject at start (implies --enable-faults); repeatable")
    parser.add_argument("--instances", type=int, default=1, help="ChatAgent instances (keys)")
    parser.add_argument("--rate", type=float, default=5.0, help="chat requests per second (0 = none)")
    parser.add_argument("--capacity", type=int, default=16, help="messages per agent type at once")
    parser.add_argument("--team", action=argparse.BooleanOptionalAction, default=None,
                        help="also run the AgentChat team 'support' (default: on when autogen-agentchat and "
                             "autogen-ext are installed)")
    parser.add_argument("--freeze-gc", action=argparse.BooleanOptionalAction, default=True,
                        help="gc.freeze() the start-up objects once serving (shorter full-collection pauses)")
    parser.add_argument("--recent-window-s", type=float, default=60.0,
                        help="seconds of the bridge's short window, which the bot's monitor judges agents over "
                             "(5..300; tests shorten it)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or $BRIDGE_TOKEN) is required")
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        parser.error("--ssl-certfile and --ssl-keyfile go together (or $BRIDGE_SSL_CERTFILE and $BRIDGE_SSL_KEYFILE)")
    if not 1 <= args.instances <= 10000:
        parser.error("--instances must be 1..10000")
    if not 0 <= args.rate <= 10000:
        parser.error("--rate must be 0..10000")
    if not 5 <= args.recent_window_s <= 300:
        parser.error("--recent-window-s must be 5..300")
    try:
        faults = [parse_fault(f) for f in args.fault]
    except ValueError as exc:
        parser.error(str(exc))
    team = agentchat_installed() if args.team is None else bool(args.team)
    if team and not agentchat_installed():
        parser.error("--team needs autogen-agentchat and autogen-ext (pip install 'autogen-ops-bridge[dev]')")
    if not team and any(f in TEAM_FAULTS for f, _ in faults):
        parser.error("the AgentChat team's faults need the team (--team)")
    return FleetOptions(
        host=args.host, port=args.port, token=args.token, name=args.name,
        enable_faults=args.enable_faults or bool(faults), faults=faults, instances=args.instances,
        rate=args.rate, capacity=args.capacity if args.capacity > 0 else None, freeze_gc=args.freeze_gc,
        team=team, ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile,
        recent_window_s=args.recent_window_s,
    ), str(args.log_level)


def agentchat_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("autogen_agentchat", "autogen_ext"))


async def run(options: FleetOptions) -> int:
    fleet = Fleet(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await fleet.start()
    assert fleet.bridge is not None
    sys.stdout.write(json.dumps({"ready": True, "url": fleet.bridge.url, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    await stop.wait()
    logging.getLogger("autogen_ops_bridge.demo").info("stopping")
    await fleet.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    options, level = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("autogen_ops_bridge").setLevel(level)
    logging.getLogger("autogen_ops_bridge").propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger("autogen_ops_bridge").addHandler(handler)
    return asyncio.run(run(options))


if __name__ == "__main__":
    sys.exit(main())
