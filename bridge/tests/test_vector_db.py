"""The demo's vector-db, down for its fault, refuses connections and keeps its port bound: no other
listener can be given the port and answer in its place (a test run starts many servers on ephemeral
ports)."""

from __future__ import annotations

import socket

import pytest

from autogen_ops_bridge.demo.vector_db import VectorDb, query


def _bindable(host: str, port: int) -> bool:
    probe = socket.socket()
    try:
        probe.bind((host, port))
    except OSError:
        return False
    finally:
        probe.close()
    return True


async def test_down_it_keeps_its_port_and_closed_it_gives_it_back() -> None:
    db = VectorDb()
    await db.start()
    port = db.port
    await db.stop()
    assert not _bindable(db.host, port)  # still the vector-db's
    await db.start()
    assert db.port == port
    await db.close()
    assert _bindable(db.host, port)  # released


async def test_down_it_refuses_connections_and_up_again_it_answers_on_the_same_port() -> None:
    db = VectorDb()
    await db.start()
    port = db.port
    try:
        assert len(await query(db.host, port, "hello")) == 3
        await db.stop()
        with pytest.raises(ConnectionRefusedError):
            await query(db.host, port, "hello")
        await db.start()
        assert db.port == port and len(await query(db.host, port, "again")) == 3
    finally:
        await db.close()
