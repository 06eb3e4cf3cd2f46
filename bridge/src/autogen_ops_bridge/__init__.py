"""Control and observability bridge for a live autogen-core runtime.

    bridge = await attach(runtime, token="...", port=8765)
"""

from .attach import Bridge, attach
from .errors import AgentDegradedError, AgentIsolatedError, BackpressureTimeoutError, BridgeError
from .gc_tuning import freeze_startup_objects

__all__ = [
    "AgentDegradedError",
    "AgentIsolatedError",
    "BackpressureTimeoutError",
    "Bridge",
    "BridgeError",
    "attach",
    "freeze_startup_objects",
]
