"""A tiny line-based "vector database" on a loopback TCP port: the RetrieverAgent's real dependency.

Closing it makes new connections fail with a genuine ``ConnectionRefusedError``: its port stays bound (not
listening) while it is down, so no other process's listener can take the port and answer in its place."""

from __future__ import annotations

import asyncio
import hashlib
import socket


class VectorDb:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None
        self._reserved: socket.socket | None = None
        """Bound to the port, not listening, while the server is down."""
        self.queries = 0

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        if self._server is not None:
            return
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
            reserved = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
            # (over the closed connections' TIME_WAIT; the kernel still never hands a bound port to a bind(0))
            reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                reserved.bind((self.host, self.port))
            except OSError:  # taken in between: the fault still refuses until someone listens there
                reserved.close()
            else:
                self._reserved = reserved

    async def close(self) -> None:
        """Stops it for good: the port is released too."""
        await self.stop()
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            self.queries += 1
            digest = hashlib.sha1(line).hexdigest()
            writer.write(f"doc-{digest[:8]} doc-{digest[8:16]} doc-{digest[16:24]}\n".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def query(host: str, port: int, text: str, timeout_s: float = 2.0) -> list[str]:
    """One query: connect, send a line, read the answer line."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    try:
        writer.write(text.replace("\n", " ").encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout_s)
        return line.decode().split()
    finally:
        writer.close()
