"""Names people use for agent types: AgentChat registers each team participant as ``<name>_<team id>``
and its manager as ``<Manager>_<team id>``, with a fresh UUID per team object, so the registered type
changes at every start of the application. This reads the layout back out of the registered types: for
each type a stable name (the participant's own name), its team (name, kind, id) and its role.

Pure over type strings; a team's own name is known only when the application registered the team
(``Bridge.register_team``), else the team is named by its kind."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

TEAM_SUFFIX = re.compile(r"^(?P<name>[\w\-.]+?)_(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
"""``<name>_<uuid4>``: the agent types AgentChat registers for one team."""

MANAGER_KINDS: Mapping[str, str] = {
    "RoundRobinGroupChatManager": "RoundRobinGroupChat",
    "SelectorGroupChatManager": "SelectorGroupChat",
    "SwarmGroupChatManager": "Swarm",
    "GraphManager": "GraphFlow",
    "MagenticOneOrchestrator": "MagenticOneGroupChat",
}
"""The group chat manager's name per team class in autogen-agentchat 0.7."""

Role = Literal["agent", "participant", "manager"]


@dataclass(frozen=True)
class Team:
    name: str
    kind: str
    id: str


@dataclass(frozen=True)
class AgentName:
    name: str
    """Stable across restarts: the participant's name, the manager's name, or the type itself."""
    team: Team | None
    role: Role

    def qualified(self) -> str:
        """``<team>/<name>`` for a team member, else the name."""
        return f"{self.team.name}/{self.name}" if self.team is not None else self.name


def layout(agent_types: Iterable[str], team_names: Mapping[str, str] | None = None) -> dict[str, AgentName]:
    """``agent type → AgentName``. A UUID suffix alone does not make a team: the group needs a known
    manager, or the team must have been registered, so an application's own ``worker_<uuid>`` types stay
    plain agents."""
    names = dict(team_names or {})
    members: dict[str, list[tuple[str, str]]] = {}
    plain: list[str] = []
    for t in agent_types:
        m = TEAM_SUFFIX.match(t)
        if m is None:
            plain.append(t)
        else:
            members.setdefault(m["id"], []).append((t, m["name"]))
    out: dict[str, AgentName] = {t: AgentName(t, None, "agent") for t in plain}
    teams: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for team_id, group in members.items():
        kinds = [MANAGER_KINDS[n] for _, n in group if n in MANAGER_KINDS]
        if not kinds and team_id not in names:
            out.update({t: AgentName(t, None, "agent") for t, _ in group})
            continue
        teams[team_id] = (kinds[0] if kinds else "team", group)
    # Unnamed teams are named by their kind; two unnamed teams of one kind by their participants too.
    kind_count: dict[str, int] = {}
    for team_id, (kind, _) in teams.items():
        if team_id not in names:
            kind_count[kind] = kind_count.get(kind, 0) + 1
    for team_id, (kind, group) in teams.items():
        name = names.get(team_id)
        if name is None:
            participants = sorted(n for _, n in group if n not in MANAGER_KINDS)
            name = kind if kind_count[kind] == 1 else f"{kind}[{'+'.join(participants)}]"
        team = Team(name=name, kind=kind, id=team_id)
        for t, n in group:
            out[t] = AgentName(n, team, "manager" if n in MANAGER_KINDS else "participant")
    return out
