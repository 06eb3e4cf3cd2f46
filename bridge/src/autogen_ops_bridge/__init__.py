"""Control and observability bridge for a live autogen-core runtime.

    bridge = await attach(runtime, token="...", port=8765)
"""

from .attach import Bridge, attach
from .errors import AgentDegradedError, AgentIsolatedError, BackpressureTimeoutError, BridgeError

__all__ = [
    "AgentDegradedError",
    "AgentIsolatedError",
    "BackpressureTimeoutError",
    "Bridge",
    "BridgeError",
    "attach",
]
