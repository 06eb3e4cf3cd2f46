"""Print the bridge's OpenAPI document (the committed ``bridge/openapi.json`` is this output):

    python -m autogen_ops_bridge.openapi_doc > bridge/openapi.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from autogen_core import SingleThreadedAgentRuntime


def openapi_document() -> dict[str, Any]:
    from .api import create_app
    from .attach import DEFAULT_MAX_BODY_BYTES, Bridge

    bridge = Bridge(SingleThreadedAgentRuntime(), name="openapi", token="unused-token", read_token=None, config=None,
                    stats_window_s=300.0, max_body_bytes=DEFAULT_MAX_BODY_BYTES)
    return create_app(bridge).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(openapi_document()))
