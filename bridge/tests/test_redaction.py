"""Redaction by value and by name: the cases shared with the bot's tests, long adversarial inputs, the walk over
the bridge's answers, and a real application whose errors, logs, state, dependencies and configuration carry
secrets, read through the HTTP API."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from autogen_core import AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler
from pydantic import BaseModel

from autogen_ops_bridge import attach
from autogen_ops_bridge.attach import Bridge
from autogen_ops_bridge.redaction import MASK, VALUE_RULES, redact, redact_model, redact_text

CASES_FILE = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "redaction-cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
RULE_NAMES = {rule.name for rule in VALUE_RULES}


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['rule'] or 'untouched'}:{case['input'][:40]}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_shared_case(case: dict[str, Any]) -> None:
    assert redact_text(case["input"]) == case["expected"]
    assert redact_text(case["expected"]) == case["expected"]  # a second pass changes nothing


def test_the_shared_cases_cover_every_rule_and_name_only_known_rules() -> None:
    named = {c["rule"] for c in CASES} - {None, "several"}
    assert named == RULE_NAMES
    assert sum(c["rule"] is None for c in CASES) >= 20


def test_every_rule_keeps_a_prefix_masks_one_group_and_keeps_a_suffix() -> None:
    for rule in VALUE_RULES:
        assert rule.pattern.groups == 3, rule.name
        assert rule.triggers, rule.name


# --- long, adversarial input -------------------------------------------------------------------------------
# Each filler is made of near-misses of one rule, repeated to 40 kB: a pattern that backtracked across the
# repeats would take quadratic work on it. The filler must come out unchanged and the secret after it be found.
LONG = 40_000
FILLERS = {
    "pem markers": "-----BEGIN ",
    "public pem": "-----BEGIN RSA PUBLIC KEY-----\n",
    "schemes": "a://",
    "url without @": "x://u:",
    "colons": ":",
    "at signs": "@",
    "names without separator": "password",
    "names with ==": "password==",
    "names with spaced =": "password= ",
    "empty quoted values": "'password': '",
    "unclosed JSON name": '"token',
    "auth schemes without token": "Bearer ",
    "auth schemes with words": "Basic abcdefgh ",
    "sk prefixes": "sk-",
    "sk without digits": "sk-abcdefghij",
    "jwt starts": "eyJ",
    "jwt without payload": "eyJaaaaa..",
    "slack-like": "xox",
    "aws-like": "AKIA",
    "github-like": "gh_",
    "letters": "a",
    "dashes": "-",
    "quotes": "'",
    "backslashes": "\\",
    "name runs": "x_" * 40 + "passwordx",
}
SECRET_TAIL = "\nurl: postgres://app:hunter2@db/app token=abc123"
MASKED_TAIL = f"\nurl: postgres://app:{MASK}@db/app token={MASK}"


@pytest.mark.parametrize("unit", FILLERS.values(), ids=FILLERS.keys())
def test_forty_kilobytes_of_near_misses_stay_untouched_and_a_secret_after_them_is_found(unit: str) -> None:
    filler = (unit * (LONG // len(unit) + 1))[:LONG]
    assert redact_text(filler) == filler
    assert redact_text(filler + SECRET_TAIL) == filler + MASKED_TAIL


DENSE = {
    "connection urls": ("https://u:p@h/ ", f"https://u:{MASK}@h/ "),
    "query strings": ("apikey=v&sig=w&", f"apikey={MASK}&sig={MASK}&"),
    "jwts": ("eyJhbGciOi.eyJzdWIiOi.c2ln ", f"eyJ{MASK} "),
    "slack tokens": ("xoxb-0000000000 ", f"xoxb-{MASK} "),
    "quoted values": ("'token': 'v', ", f"'token': '{MASK}', "),
}


@pytest.mark.parametrize(("unit", "masked"), DENSE.values(), ids=DENSE.keys())
def test_forty_kilobytes_of_secrets_are_all_masked(unit: str, masked: str) -> None:
    count = LONG // len(unit)
    assert redact_text(unit * count) == masked * count


def test_a_private_key_cut_off_before_its_end_line_is_masked_to_the_end() -> None:
    text = "-----BEGIN PRIVATE KEY-----\n" + "MIIE-x+/=\n" * 4000
    assert redact_text(text) == f"-----BEGIN PRIVATE KEY-----{MASK}"


# --- by name, and the walk over answers --------------------------------------------------------------------


def test_free_form_data_is_redacted_by_key_name_and_by_value() -> None:
    config = {
        "openai_api_key": "anything at all",
        "db": {"url": "postgres://app:hunter2@db/app", "password": None, "pool": 5},
        "retriever": {"endpoint": "https://x.example/search?key=abc", "top_k": 3, "enabled": True},
        "notes": ["call with Bearer abc123def456", ("tuple", 1)],
        "object": Path("/srv/app"),
    }
    assert redact(config) == {
        "openai_api_key": MASK,
        "db": {"url": f"postgres://app:{MASK}@db/app", "password": MASK, "pool": 5},
        "retriever": {"endpoint": f"https://x.example/search?key={MASK}", "top_k": 3, "enabled": True},
        "notes": [f"call with Bearer {MASK}", ["tuple", 1]],
        "object": "PosixPath('/srv/app')",
    }


def test_the_bridge_tokens_are_masked_anywhere_but_a_short_one_is_not() -> None:
    text = "handler saw the-bridge-token-0123 and abc"
    assert redact_text(text, ("the-bridge-token-0123", "abc")) == f"handler saw {MASK} and abc"


class _Inner(BaseModel):
    agent_key: str
    error: str | None


class _Answer(BaseModel):
    max_tokens: int
    items: list[_Inner]
    extra: dict[str, Any]


def test_an_answer_is_copied_where_a_string_changes_and_its_field_names_are_not_judged() -> None:
    clean = _Inner(agent_key="default", error="timeout after 5s")
    leaky = _Inner(agent_key="token", error="failed: postgres://app:hunter2@db/app")
    answer = _Answer(max_tokens=512, items=[clean, leaky], extra={"token": "xoxb-fake-not-a-real-token"})
    out = redact_model(answer)
    assert out.items[0] is clean  # untouched parts are shared, not copied
    assert out.items[1].agent_key == "token"
    assert out.items[1].error == f"failed: postgres://app:{MASK}@db/app"
    assert out.extra == {"token": f"xoxb-{MASK}"}
    assert leaky.error == "failed: postgres://app:hunter2@db/app"  # the original is not modified
    assert redact_model(_Answer(max_tokens=1, items=[clean], extra={})).items[0] is clean


# --- through the API, on an application shaped unlike the demo fleet ----------------------------------------
TOKEN = "redaction-test-token-0123456789"
DB_PASSWORD = "pw-Secr3t-7391"
DB_URL = f"postgresql://orders:{DB_PASSWORD}@db.internal:5432/orders"
API_KEY = "q-key-5512"
SEARCH_URL = f"https://search.example.com/v1?apikey={API_KEY}&q=x"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.c2lnbmF0dXJlLTc3"
OPENAI_KEY = "sk-proj-FAKEfake0000fake0000FAKE"
SECRETS = (DB_PASSWORD, API_KEY, JWT, OPENAI_KEY, TOKEN)


@dataclass
class Order:
    note: str


class Storefront(RoutedAgent):
    """Wraps its callee's failure in an error of its own that repeats the secrets."""

    def __init__(self) -> None:
        super().__init__("front")

    @message_handler
    async def on_order(self, message: Order, ctx: MessageContext) -> Order:
        try:
            return await self.send_message(message, AgentId("Orders", "default"))  # type: ignore[no-any-return]
        except Exception as exc:
            raise RuntimeError(f"order failed ({exc}); headers={{'Authorization': 'Bearer {JWT}'}}") from exc


class OrdersDb(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("db")

    @message_handler
    async def on_order(self, message: Order, ctx: MessageContext) -> Order:
        logging.getLogger("autogen_core").warning("retrying %s with token %s", SEARCH_URL, TOKEN)
        raise ConnectionError(f"could not connect to {DB_URL}")

    async def save_state(self) -> dict[str, Any]:
        return {"last_query": SEARCH_URL, "api_token": "anything", "client": {"dsn_hint": DB_URL}}


@dataclass
class App:
    runtime: SingleThreadedAgentRuntime
    bridge: Bridge
    http: httpx.AsyncClient

    async def get(self, path: str) -> tuple[str, Any]:
        r = await self.http.get(path)
        assert r.status_code == 200, r.text
        return r.text, r.json()


@pytest.fixture
async def leaky_app(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.setenv("ORDERS_DATABASE_URL", DB_URL)
    runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=True)
    await Storefront.register(runtime, "Storefront", Storefront)
    await OrdersDb.register(runtime, "Orders", OrdersDb)
    bridge = await attach(runtime, token=TOKEN, name="shop",
                          config={"database": DB_URL, "llm": {"key_hint": OPENAI_KEY}, "search": SEARCH_URL})
    bridge.register_dependency("orders-db", "database", url=DB_URL)
    runtime.start()
    assert bridge.url is not None
    app = App(runtime, bridge, httpx.AsyncClient(base_url=bridge.url, timeout=10,
                                                 headers={"Authorization": f"Bearer {TOKEN}"}))
    yield app
    await app.http.aclose()
    await runtime.stop_when_idle()
    await bridge.close()


async def test_secrets_in_what_the_application_produced_are_masked_in_every_answer(leaky_app: App) -> None:
    app = leaky_app
    for i in range(3):
        with pytest.raises(RuntimeError):
            await app.runtime.send_message(Order(f"order {i}, pay with {OPENAI_KEY}"), AgentId("Storefront", "default"))
    app.bridge.record_dependency_call("Orders", "orders-db", 0.01, error=f"timeout on {DB_URL}")

    answers = {path: await app.get(path) for path in (
        "/v1/runtime", "/v1/agents", "/v1/agents/Storefront", "/v1/agents/Orders", "/v1/logs?limit=5000",
        "/v1/messages?limit=100", "/v1/snapshot")}
    for path, (text, _) in answers.items():
        for secret in SECRETS:
            assert secret not in text, (path, secret)

    masked_db = f"postgresql://orders:{MASK}@db.internal:5432/orders"
    front = answers["/v1/agents/Storefront"][1]
    error = front["recent_errors"][0]
    assert error["message"] == (f"order failed (could not connect to {masked_db}); "
                                f"headers={{'Authorization': 'Bearer {MASK}'}}")
    assert masked_db in error["traceback"]
    assert front["last_error"]["message"] == error["message"]
    assert [c["origin_error"] for c in front["failed_calls"]] == [f"ConnectionError: could not connect to {masked_db}"]

    orders = answers["/v1/agents/Orders"][1]
    assert orders["saved_state"]["default"] == {
        "last_query": f"https://search.example.com/v1?apikey={MASK}&q=x", "api_token": MASK,
        "client": {"dsn_hint": MASK}}
    assert orders["dependency_calls"][0]["last_error"] == f"timeout on {masked_db}"

    runtime = answers["/v1/runtime"][1]
    assert runtime["dependencies"][0]["url"] == masked_db

    records = answers["/v1/logs?limit=5000"][1]["records"]
    warning = next(r for r in records if r["level"] == "WARNING" and "retrying" in r["message"])
    assert warning["message"] == f"retrying https://search.example.com/v1?apikey={MASK}&q=x with token {MASK}"
    assert any(f"pay with sk-proj-{MASK}" in (r["message"] or "") for r in records)

    messages = answers["/v1/messages?limit=100"][1]["messages"]
    assert {m["error"] for m in messages if m["recipient"] == "Orders/default"} == {
        f"ConnectionError: could not connect to {masked_db}"}

    snapshot = answers["/v1/snapshot"][1]
    assert snapshot["config"] == {"database": masked_db, "llm": {"key_hint": MASK},
                                  "search": f"https://search.example.com/v1?apikey={MASK}&q=x"}
    assert snapshot["environment"]["env"]["ORDERS_DATABASE_URL"] == masked_db
