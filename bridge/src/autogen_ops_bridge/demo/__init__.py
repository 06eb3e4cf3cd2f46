"""A no-LLM demo fleet of autogen-core agents with on-demand fault injection.

Run it with ``python -m autogen_ops_bridge.demo --help``."""

from .fleet import Fleet, FleetOptions

__all__ = ["Fleet", "FleetOptions"]
