"""AgentChat's runtime layout read back from registered types, and the stable names it yields."""

from __future__ import annotations

import uuid

from autogen_ops_bridge.agent_names import layout


def test_participants_and_manager_of_a_team_get_stable_names_and_roles() -> None:
    tid = str(uuid.uuid4())
    names = layout([f"writer_{tid}", f"critic_{tid}", f"RoundRobinGroupChatManager_{tid}", "Billing"])
    assert names[f"writer_{tid}"].name == "writer" and names[f"writer_{tid}"].role == "participant"
    assert names[f"writer_{tid}"].team is not None and names[f"writer_{tid}"].team.kind == "RoundRobinGroupChat"
    assert names[f"writer_{tid}"].qualified() == "RoundRobinGroupChat/writer"
    assert names[f"RoundRobinGroupChatManager_{tid}"].role == "manager"
    assert names["Billing"].name == "Billing" and names["Billing"].team is None and names["Billing"].role == "agent"


def test_a_registered_team_name_wins_and_two_unnamed_teams_of_one_kind_stay_apart() -> None:
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    names = layout(
        [f"planner_{a}", f"SwarmGroupChatManager_{a}", f"triage_{b}", f"SwarmGroupChatManager_{b}",
         f"coder_{c}", f"GraphManager_{c}"],
        {c: "release-flow"},
    )
    assert names[f"planner_{a}"].qualified() == "Swarm[planner]/planner"
    assert names[f"triage_{b}"].qualified() == "Swarm[triage]/triage"
    assert names[f"coder_{c}"].qualified() == "release-flow/coder"
    assert names[f"coder_{c}"].team is not None and names[f"coder_{c}"].team.kind == "GraphFlow"


def test_a_uuid_suffix_alone_is_not_a_team() -> None:
    tid = str(uuid.uuid4())
    assert layout([f"worker_{tid}"])[f"worker_{tid}"].role == "agent"
