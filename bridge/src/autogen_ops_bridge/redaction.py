"""Redaction of secrets in what the bridge serves, applied when it is read (never while errors are captured).

Two rules work together:

* by name — in free-form mappings (configuration, saved agent state, the environment) the value under a key
  that names a secret (``token``, ``password``, ``api_key``, …) becomes ``***`` whatever it looks like;
* by value — in any text (exception messages, tracebacks, log lines, URLs, state values) the secret part of
  what has a secret's shape is masked and the rest kept: the password of ``scheme://user:pass@host``, the
  value of ``password=``/``pwd=``/``?apikey=``/``"token": "…"``, an ``Authorization``/``Bearer``/``Basic``
  credential, the usual token shapes of the major providers, PEM private key blocks.

The bot (``src/text/redact-secrets.ts``) applies the same value rules to everything it reads from a bridge;
both test suites read the cases of ``test/fixtures/redaction-cases.json``.

Every pattern is linear in the length of untrusted text: a match starts at a literal (a secret word, ``://``,
a token prefix — tokens only where a run of token characters starts), every repeat is over one character
class that what follows cannot match, and a failed attempt scans either a bounded distance (≤ 256) or a run
that no later attempt scans again. Nothing nests quantifiers over overlapping classes.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, TypeVar, overload

from pydantic import BaseModel

MASK = "***"

SECRET_NAME = re.compile(r"(token|secret|password|passwd|key|credential|auth|cookie|session|dsn)", re.I)
"""A mapping key that names a secret (by-name rule: its value is replaced whole)."""

MIN_KNOWN_SECRET = 8
"""The bridge's own tokens are masked wherever they appear once this long (a shorter one would mangle text)."""


@dataclass(frozen=True)
class ValueRule:
    """A pattern with exactly three groups: kept prefix, the secret (masked), kept suffix.

    ``triggers``: literals one of which every match contains, a cheap test that skips the pattern on the many
    strings that cannot match. A rule that ``ignores_case`` is written in lower case and matched against the
    ASCII-lower-cased text (same length, same positions): ``re.IGNORECASE`` would cost the engine its fast
    search for the pattern's first characters.
    """

    name: str
    pattern: re.Pattern[str]
    triggers: tuple[str, ...]
    ignores_case: bool = False


def _rule(name: str, pattern: str, triggers: tuple[str, ...], *, ignores_case: bool = False) -> ValueRule:
    return ValueRule(name, re.compile(pattern, re.ASCII), triggers, ignores_case)


def _run_start(prefix: str, run: str) -> str:
    """``prefix`` (fixed width) only where a run of ``run`` characters starts: "sk-" but not in "task-sk-".

    The look-behind follows the literal, so the engine still searches for the literal."""
    return f"{prefix}(?<![{run}]{prefix})"


_TOKEN_RUN = "A-Za-z0-9_-"


def _token(name: str, prefixes: tuple[str, ...], body: str, triggers: tuple[str, ...], *, run: str = _TOKEN_RUN,
           kept_tail: str = "", after: str = "") -> ValueRule:
    """A provider's token: one of ``prefixes`` where a token starts (kept, with ``kept_tail``), then ``body``."""
    kept = "|".join(_run_start(p, run) for p in prefixes)
    return _rule(name, f"((?:{kept}){kept_tail})({body})(){after}", triggers)


# A key name in text ends with a word that names a secret ("DB_PASSWORD", "x-api-key", "AccountKey"; not
# "max_tokens" or "KeyError"); a short, ambiguous word counts only alone or after a separator ("db_pass").
# Only the word is matched: whatever precedes it is kept as it is.
_SHORT_WORDS = "|".join(_run_start(w, "a-z0-9") for w in ("pass", "pwd", "sig", "auth", "session", "dsn"))
_ANY_NAME = (r"(?:password|passwd|passphrase|secret|token|key|signature|credentials?|authorization|cookie"
             rf"|{_SHORT_WORDS})")
# With ':' (headers, YAML, log fields) only names that are no parser's or prose's words ("unexpected token:
# '}'", "missing key: 'id'") — unless the name is quoted, as in JSON and Python reprs ("'token': …").
_FIELD_NAME = (r"(?:password|passwd|passphrase|secret|authorization|credentials?|cookie|api[_-]?key"
               r"|private[_-]?key|access[_-]?key|secret[_-]?key|account[_-]?key|token(?<=[_.-]token))")
_QUOTE = r"\\?[\"']"
_SPACE = r" \t\n\v\f\r"  # ASCII white space, spelled out so that the bot's JavaScript copy means the same
_AUTH_SCHEME = r"(?:(?:bearer|basic|token|digest|negotiate)[ \t]{1,3})?"
# '=' with no space around it ("password=x", query strings, DSNs, kwargs reprs), or spaced when a quoted value
# follows ("password = 'x'"): source lines in tracebacks ("token = get_token()") and "==" are left alone.
_ASSIGN = rf"{_QUOTE}?(?:=(?![={_SPACE}])|[ \t]{{1,3}}=[ \t]{{0,3}}(?={_QUOTE})|=[ \t]{{1,3}}(?={_QUOTE})){_QUOTE}?"
# ':' not followed by a Python type name, so a traceback's "def login(password: str)" stays readable.
_FIELD = rf"[ \t]{{0,3}}:(?![:/])[ \t]{{0,3}}(?!(?:str|bytes|int|bool|none|optional|secretstr|any)\b){_QUOTE}?"
# The value: up to its closing quote when quoted (≤ 256 characters), else up to a space or a delimiter.
_VALUE = (r"(?:(?<=\")[^\"\\\r\n]{1,256}(?=\\?\")"
          r"|(?<=')[^'\\\r\n]{1,256}(?=\\?')"
          rf"|[^{_SPACE}\"'`,;&<>()\[\]{{}}\\]+)")
_NAME_TRIGGERS = ("pass", "pwd", "secret", "token", "key", "sig", "credential", "auth", "cookie", "session", "dsn")

VALUE_RULES: tuple[ValueRule, ...] = (
    # The body up to the END line (or to the end of a cut-off text); "-" only where no END line starts.
    _rule("pem-private-key",
          r"(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----)([^-]*(?:-(?!----END )[^-]*)*)"
          r"(-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|)",
          ("PRIVATE KEY",)),
    # scheme://user:password@host — the password up to the last "@" before the host; the user is kept.
    _rule("url-credentials", rf"(://[^{_SPACE}:/?#]*:)([^{_SPACE}/?#]+)(@)", ("://",)),
    _rule("slack-webhook", r"(hooks\.slack\.com/(?:services|workflows|triggers)/)([A-Za-z0-9/_-]+)()",
          ("hooks.slack.com",)),
    _rule("key-value", rf"({_ANY_NAME}{_ASSIGN}{_AUTH_SCHEME})({_VALUE})()", _NAME_TRIGGERS, ignores_case=True),
    _rule("key-field", rf"({_FIELD_NAME}{_QUOTE}?{_FIELD}{_AUTH_SCHEME})({_VALUE})()", _NAME_TRIGGERS,
          ignores_case=True),
    _rule("quoted-key-field", rf"({_ANY_NAME}{_QUOTE}{_FIELD}{_AUTH_SCHEME})({_VALUE})()", _NAME_TRIGGERS,
          ignores_case=True),
    # A whole value that is an Authorization header's ("Bearer abc"), whatever the credential looks like.
    _rule("auth-header-value", r"^((?:bearer|basic)[ \t]{1,3})([a-z0-9._~+/-]{6,}=*)()(?![\s\S])",
          ("bearer", "basic"), ignores_case=True),
    # A bare credential after an auth scheme in text: only token-like (a digit or "=" padding), so "Basic usage"
    # and "Bearer token expired" stay.
    _rule("auth-scheme", r"((?:bearer|basic)[ \t]{1,3})((?=[a-z._~+/-]*[0-9=])[a-z0-9._~+/-]{8,}=*)()",
          ("bearer", "basic"), ignores_case=True),
    # Provider token shapes. The recognisable prefix is kept: a reader still sees what kind of key it was.
    _token("openai-anthropic-key", ("sk-",), r"(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}", ("sk-",),
           kept_tail="(?:ant-|proj-|svcacct-|admin-)?"),
    _token("stripe-key", ("[spr]k_",), "[A-Za-z0-9]{10,}", ("_live_", "_test_"), run="A-Za-z0-9_",
           kept_tail="(?:live|test)_"),
    _token("stripe-webhook-secret", ("whsec_",), "[A-Za-z0-9]{10,}", ("whsec_",), run="A-Za-z0-9_"),
    _token("slack-token", ("xox[abeoprs]-", "xapp-"), "[A-Za-z0-9-]{10,}", ("xox", "xapp-")),
    _token("github-token", ("gh[pousr]_", "github_pat_"), "[A-Za-z0-9_]{30,}", ("gh", "github_pat_"),
           run="A-Za-z0-9_"),
    _token("gitlab-token", ("glpat-",), "[A-Za-z0-9_-]{20,}", ("glpat-",)),
    _token("huggingface-token", ("hf_",), "[A-Za-z0-9]{30,}", ("hf_",), run="A-Za-z0-9_"),
    _token("aws-access-key-id", ("A[KS]IA",), "[A-Z0-9]{16}", ("AKIA", "ASIA"), run="A-Za-z0-9",
           after="(?![A-Za-z0-9])"),
    _token("google-api-key", ("AIza",), "[A-Za-z0-9_-]{30,}", ("AIza",)),
    _token("google-oauth-token", (r"ya29\.",), "[A-Za-z0-9_-]{20,}", ("ya29.",)),
    # header.payload.signature, both JSON objects (base64url of '{"' is "eyJ").
    _token("jwt", ("eyJ",), r"[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", ("eyJ",)),
)

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# Every rule's triggers in lower case, none containing another: a quick look that lets most strings (times,
# names, ids) through.
_LOWER_TRIGGERS = {t.lower() for r in VALUE_RULES for t in r.triggers}
_ALL_TRIGGERS = tuple(sorted(t for t in _LOWER_TRIGGERS if not any(o != t and o in t for o in _LOWER_TRIGGERS)))


def _ascii_lower(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def _apply(rule: ValueRule, text: str, subject: str) -> str:
    """``text`` with the secret group of every match of ``rule`` in ``subject`` (``text`` or its lower case)
    replaced by ``***``."""
    parts: list[str] = []
    end = 0
    for match in rule.pattern.finditer(subject):
        start, stop = match.span(2)
        parts += (text[end:start], MASK)
        end = stop
    if not parts:
        return text
    parts.append(text[end:])
    return "".join(parts)


@overload
def redact_text(text: str, secrets: Sequence[str] = ()) -> str: ...
@overload
def redact_text(text: None, secrets: Sequence[str] = ()) -> None: ...
def redact_text(text: str | None, secrets: Sequence[str] = ()) -> str | None:
    """``text`` with every secret-shaped part masked, and ``secrets`` (the bridge's own tokens) too."""
    if not text:
        return text
    lower = _ascii_lower(text)
    if _may_hold_secret(lower):
        for rule in VALUE_RULES:
            subject = lower if rule.ignores_case else text
            if any(t in subject for t in rule.triggers):
                redacted = _apply(rule, text, subject)
                if redacted is not text:
                    text, lower = redacted, _ascii_lower(redacted)
    for s in secrets:
        if len(s) >= MIN_KNOWN_SECRET and s in text:
            text = text.replace(s, MASK)
    return text


def _may_hold_secret(lower: str) -> bool:
    for trigger in _ALL_TRIGGERS:
        if trigger in lower:
            return True
    return False


def redact(value: Any, secrets: Sequence[str] = ()) -> Any:
    """A copy of free-form data (configuration, saved state, environment) fit to serve: values under
    secret-naming keys become ``***`` and every string goes through :func:`redact_text`. Other objects are
    shown by their ``repr``, redacted alike."""
    if isinstance(value, Mapping):
        return {k: MASK if SECRET_NAME.search(str(k)) else redact(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return redact_text(repr(value), secrets)


def redact_strings(value: Any, secrets: Sequence[str] = ()) -> Any:
    """``value`` with every string in it through :func:`redact_text`, keys not judged by name: for the bridge's
    own answers, whose field names (``agent_key``, ``max_inflight``) are no secrets. Pydantic models, lists and
    dicts are copied where something changed; nothing is modified in place.

    An answer holds thousands of short strings (times, ids, names) and a few that may hold a secret: all of
    them are joined once and searched for the rules' triggers, and only the strings with a hit are redacted."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    strings: list[str] = []
    _collect(value, strings)
    redacted = _redact_batch(strings, secrets)
    if all(new is old for new, old in zip(redacted, strings, strict=True)):
        return value
    return _rebuild(value, iter(redacted))


_CONTAINERS = (BaseModel, dict, list, tuple)


def _children(value: Any) -> Iterable[Any]:
    if isinstance(value, BaseModel):
        return value.__dict__.values()
    if isinstance(value, dict):
        return value.values()
    return value  # type: ignore[no-any-return]


def _collect(value: Any, out: list[str]) -> None:
    if not isinstance(value, _CONTAINERS):
        return
    for item in _children(value):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, _CONTAINERS):
            _collect(item, out)


def _rebuild(value: Any, redacted: Iterator[str]) -> Any:
    """``value`` with its strings, in :func:`_collect`'s order, replaced by the next of ``redacted``."""
    if isinstance(value, str):
        return next(redacted)
    if isinstance(value, BaseModel):
        changed: dict[str, Any] = {}
        for name, item in value.__dict__.items():
            new = _rebuild(item, redacted)
            if new is not item:
                changed[name] = new
        return value.model_copy(update=changed) if changed else value
    if isinstance(value, dict):
        mapping = {k: _rebuild(v, redacted) for k, v in value.items()}
        return mapping if any(mapping[k] is not v for k, v in value.items()) else value
    if isinstance(value, (list, tuple)):
        items = [_rebuild(v, redacted) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


def _redact_batch(strings: list[str], secrets: Sequence[str]) -> list[str]:
    if not strings:
        return strings
    # NUL is in no trigger, so no hit spans two strings.
    joined = _ascii_lower("\0".join(strings))
    starts = list(accumulate((len(s) + 1 for s in strings[:-1]), initial=0))
    hits: set[int] = set()
    for trigger in (*_ALL_TRIGGERS, *(_ascii_lower(s) for s in secrets if len(s) >= MIN_KNOWN_SECRET)):
        at = joined.find(trigger)
        while at >= 0:
            index = bisect_right(starts, at) - 1
            hits.add(index)
            at = joined.find(trigger, starts[index + 1] if index + 1 < len(starts) else len(joined))
    return [redact_text(s, secrets) if i in hits else s for i, s in enumerate(strings)]


Model = TypeVar("Model", bound=BaseModel)


def redact_model(model: Model, secrets: Sequence[str] = ()) -> Model:
    """One of the bridge's answers with every string in it through :func:`redact_text` (see
    :func:`redact_strings`)."""
    redacted: Model = redact_strings(model, secrets)
    return redacted
