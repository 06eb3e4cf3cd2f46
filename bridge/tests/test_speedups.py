"""The C accelerator (``_speedups.c``) against its Python twin: the same key for the same exception, on every
shape of chain the walk knows (cause, context, suppressed context, groups, noted keys, loops, deep and
missing tracebacks), no reference kept to what it walked, and nothing leaked per call."""

from __future__ import annotations

import builtins
import copy
import dataclasses
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable

import pytest

from autogen_ops_bridge import _accel, error_capture, gate, message_log

speedups = pytest.importorskip("autogen_ops_bridge._speedups")
if _accel.speedups is None:  # built but turned off (the suite's second run): compared all the same
    speedups.configure(error_capture.SIGNATURE_ATTRIBUTE, error_capture._GROUP_TYPES, error_capture.MAX_CHAIN)
NOTE = error_capture.SIGNATURE_ATTRIBUTE
Walk = Callable[..., int]


def test_the_bridge_runs_the_c_code_unless_it_is_turned_off() -> None:
    if os.environ.get(_accel.DISABLE_VARIABLE, "") not in ("", "0"):  # the suite's second run (make test-py)
        assert _accel.speedups is None
        assert error_capture.signature_key is error_capture.signature_key_py and gate.ENTER is gate.AgentGate._enter
    else:
        assert _accel.speedups is speedups
        assert error_capture.signature_key is speedups.signature_key and gate.ENTER is speedups.gate_enter
    code = "from autogen_ops_bridge import _accel, gate; print(_accel.speedups, gate.ENTER.__qualname__)"
    turned_off = subprocess.run([sys.executable, "-c", code], env={**os.environ, _accel.DISABLE_VARIABLE: "1"},
                                capture_output=True, text=True, check=True)
    assert turned_off.stdout.split() == ["None", "AgentGate._enter"]


def _raised(build: Callable[[], BaseException]) -> BaseException:
    try:
        raise build()
    except BaseException as exc:  # noqa: BLE001 - any shape of failure
        return exc


def _deep(n: int) -> None:
    if n:
        _deep(n - 1)
    raise OSError("bottom")


def _plain() -> BaseException:
    return _raised(lambda: ValueError("plain"))


def _cause() -> BaseException:
    try:
        raise ConnectionRefusedError("refused")
    except ConnectionRefusedError as inner:
        try:
            raise RuntimeError("wrapped") from inner
        except RuntimeError as exc:
            return exc


def _context() -> BaseException:
    try:
        raise KeyError("first")
    except KeyError:
        try:
            raise ValueError("during handling")
        except ValueError as exc:
            return exc


def _suppressed() -> BaseException:
    try:
        raise KeyError("hidden")
    except KeyError:
        try:
            raise ValueError("from None") from None
        except ValueError as exc:
            return exc


def _deep_traceback() -> BaseException:
    try:
        _deep(300)
    except OSError as exc:
        return exc
    raise AssertionError("unreachable")


def _long_chain() -> BaseException:
    exc: BaseException = _plain()
    for i in range(error_capture.MAX_CHAIN + 5):
        try:
            raise RuntimeError(f"wrap {i}") from exc
        except RuntimeError as wrapped:
            exc = wrapped
    return exc


def _context_loop() -> BaseException:
    a, b = _plain(), _raised(lambda: KeyError("b"))
    a.__context__, b.__context__ = b, a  # assigned by hand: a loop the interpreter never makes
    return a


def _never_raised() -> BaseException:
    return TimeoutError("made, not raised")


def _noted_cause() -> BaseException:
    inner = _plain()
    speedups.signature_key(inner)  # noted, as a gate beneath would
    try:
        raise RuntimeError("wrapper") from inner
    except RuntimeError as exc:
        return exc


def _group() -> BaseException:
    group_type = getattr(builtins, "ExceptionGroup", None)
    if group_type is None:  # Python 3.10
        return _plain()
    return _raised(lambda: group_type("tasks", [ValueError(str(i)) if i % 2 else KeyError(i) for i in range(20)]))


SHAPES: dict[str, Callable[[], BaseException]] = {
    "plain": _plain, "cause": _cause, "context": _context, "suppressed": _suppressed,
    "deep traceback": _deep_traceback, "chain longer than MAX_CHAIN": _long_chain, "context loop": _context_loop,
    "never raised": _never_raised, "noted cause": _noted_cause, "exception group": _group,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("skip_first_frame", [False, True])
def test_c_and_python_give_the_same_key(shape: str, skip_first_frame: bool) -> None:
    exc = SHAPES[shape]()
    in_python = error_capture.signature_key_py(exc, skip_first_frame)
    assert getattr(exc, NOTE) == in_python
    delattr(exc, NOTE)
    in_c = speedups.signature_key(exc, skip_first_frame)
    assert in_c == in_python and getattr(exc, NOTE) == in_c
    assert speedups.signature_key(exc, skip_first_frame) == in_c  # noted: returned as it is


@pytest.mark.parametrize("walk", [error_capture.signature_key_py, speedups.signature_key], ids=["python", "c"])
def test_what_the_key_tells_apart(walk: Walk) -> None:
    assert walk(_plain()) == walk(_plain())  # one raise site, one signature
    assert walk(_cause()) != walk(_plain())
    assert walk(_context()) != walk(_suppressed())  # a suppressed context is not part of it
    assert walk(_group()) != walk(_plain())
    copied = _cause()
    key = walk(copied)
    assert walk(copy.copy(copied)) == key  # a copy carries the note
    foreign = _plain()
    setattr(foreign, NOTE, "someone else's value")
    assert walk(foreign) == walk(_plain())  # a note that is not an int is walked past


class _Frozen(Exception):
    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("frozen")


@pytest.mark.parametrize("walk", [error_capture.signature_key_py, speedups.signature_key], ids=["python", "c"])
def test_an_exception_that_refuses_the_note_is_walked_each_time(walk: Walk) -> None:
    exc = _raised(lambda: _Frozen("x"))
    first = walk(exc)
    assert not hasattr(exc, NOTE) and walk(exc) == first


def test_bad_arguments_are_errors_not_crashes() -> None:
    with pytest.raises(TypeError):
        speedups.signature_key("not an exception")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.signature_key()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        speedups.signature_key(_plain(), False, "extra")  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        speedups.configure(NOTE, (), 0)
    with pytest.raises(TypeError):
        speedups.configure_fields("not a dict")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.configure_gate(None, "not a class", (), None, None, None, 0.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        speedups.gate_enter(1, 2, 3, 4, 5)  # no ctx
    with pytest.raises(TypeError):
        speedups.gate_enter(1, 2, 3, 4, 5, 6, context=7)  # an argument it does not take
    with pytest.raises(TypeError):
        speedups.gate_finish(1, 2)
    with pytest.raises(TypeError):
        speedups.event_hook(object())  # no event


def test_the_walk_keeps_no_reference_to_what_it_walked() -> None:
    exc = _cause()
    cause = exc.__cause__
    tb = exc.__traceback__
    assert cause is not None and tb is not None
    walked = [exc, cause, tb, tb.tb_frame, tb.tb_frame.f_code, cause.__traceback__]
    before = [sys.getrefcount(item) for item in walked]
    speedups.signature_key(exc, True)
    assert [sys.getrefcount(item) for item in walked] == before


def test_no_memory_is_left_behind_per_call() -> None:
    shapes = [SHAPES[name]() for name in ("cause", "context", "exception group", "deep traceback")]

    def walk_all(times: int) -> None:
        for _ in range(times):
            for exc in shapes:
                vars(exc).pop(NOTE, None)
                speedups.signature_key(exc)

    walk_all(100)  # warm: any first-use allocation happens here
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        walk_all(5_000)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename") if stat.size_diff > 0)
    assert grown < 20_000, f"{grown} bytes kept over 20,000 walks"  # a leak of one int per walk would be 560 KB


def test_the_gate_s_hot_fields_are_read_at_their_slots() -> None:
    if _accel.speedups is None:
        pytest.skip("the C gate is not configured on the Python path")
    slots = speedups.slot_fields()
    owners = ("AgentGate", "InflightLimiter", "RuntimeShared", "AgentStats", "MessageRecord", "Handoff",
              "ReceiverBudget")
    assert [name for name, read_at_slot in slots.items() if name.startswith(owners) and not read_at_slot] == []


def test_a_record_whose_fields_changed_is_refused_not_filled_wrongly() -> None:
    if _accel.speedups is None:
        pytest.skip("the C gate is not configured on the Python path")
    @dataclasses.dataclass(slots=True)
    class Reordered:  # MessageRecord's fields, two swapped
        message_id: str
        recipient: str
        sender: str | None

    record_slots = tuple(vars(Reordered)[f.name] for f in dataclasses.fields(Reordered))
    with pytest.raises((TypeError, ValueError)):
        speedups.configure_gate(gate.AgentGate._enter, Reordered, record_slots, message_log.CURRENT, None,
                                print, 0.0)
    message_record_slots = tuple(vars(message_log.MessageRecord)[f.name]
                                 for f in dataclasses.fields(message_log.MessageRecord))
    swapped = (message_record_slots[0], message_record_slots[2], message_record_slots[1], *message_record_slots[3:])
    with pytest.raises(TypeError, match="not the slot 'sender'"):
        speedups.configure_gate(gate.AgentGate._enter, message_log.MessageRecord, swapped, message_log.CURRENT,
                                None, print, 0.0)


def test_an_ended_record_the_c_code_does_not_write_is_refused() -> None:
    if _accel.speedups is None:
        pytest.skip("the C gate is not configured on the Python path")
    from autogen_ops_bridge import collector

    with pytest.raises(ValueError, match="not 3 doubles"):  # stats.ENDED_RECORD changed, the C writer not
        speedups.configure_events(gate.AgentGate.finish, collector._finish_failed, collector.MessageEvent,
                                  collector._FAILURE_EVENTS, collector._DELIVER, collector._RESPOND,
                                  error_capture.LAST_CAPTURE, print, 256, 32)
