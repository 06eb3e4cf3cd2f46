"""The bridge's optional C accelerator (``_speedups.c``), or None.

Built when the bridge is installed where a C compiler and Python's headers are at hand (``setup.py``:
an optional extension). It does what an error storm runs for every message — the gate's entry of an
uncontrolled RPC and the signature walk of a failure — with the same results as the Python code it stands
in for, which runs wherever it is missing. ``AUTOGEN_OPS_BRIDGE_NO_C=1`` in the environment turns it off
(the tests run both ways; an operator can rule it out when in doubt).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

DISABLE_VARIABLE = "AUTOGEN_OPS_BRIDGE_NO_C"


def _load() -> ModuleType | None:
    if os.environ.get(DISABLE_VARIABLE, "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(f"{__package__}._speedups")
    except ImportError:  # installed without a compiler
        return None


speedups = _load()
