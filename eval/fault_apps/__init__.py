"""AutoGen applications of several shapes, written for the fault matrix (``make eval``): each builds its own
runtime (bare autogen-core agents or an AgentChat team), attaches the bridge, drives steady traffic and
turns a fault on when the runner asks for it through the bridge's fault hook (``POST /v1/faults``).

They are deliberately unlike the demo fleet: other agent names, other error texts (re-raised, wrapped,
reworded), AgentChat participants, tools and model clients that fail.

    python -m fault_apps <app> --port 0 --token T [--name N] [--rate R]
"""
