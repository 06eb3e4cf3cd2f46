"""Opt-in garbage-collector tuning for the application's process (the bridge never does this by itself).

A full (generation 2) collection walks every live container object in the process. An AutoGen
application with the bridge attached carries tens of thousands of long-lived objects from start-up
(FastAPI, pydantic, uvicorn, autogen-core, the agents), so each full collection pauses the event loop for
tens of milliseconds, which lands directly on handler latency. Freezing the objects that exist once
start-up is done (``gc.freeze()``) takes them out of every later collection; they are still freed by
reference counting, only cycles among them are never collected (so collect first: nothing that is
already garbage gets frozen). Both calls here are process-wide; the application decides.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect garbage, then move every object alive now into the collector's permanent generation.

    Call it once the application's start-up is done (agents registered and created, the bridge attached)
    — or pass ``attach(..., freeze_gc=True)`` when attaching is the last start-up step. Calling it again
    later also freezes what was created since. Returns the number of frozen objects. Undo with
    ``gc.unfreeze()``.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
