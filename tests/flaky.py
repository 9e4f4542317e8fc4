"""Outages on demand: a TCP proxy that can be cut (PostgreSQL, Redis) and a SQLite engine that can.

`FlakyProxy.cut()` closes every connection and refuses new ones, as a server that went
down; `restore()` listens again on the same port. For SQLite, which has no server, the
engine's connect hook fails with the error SQLite gives when its file cannot be opened,
and pooled connections are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class FlakyProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> FlakyProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    async def stop(self) -> None:
        await self.cut()


class SqliteSwitch:
    """Makes an aiosqlite engine fail to connect, as when its file cannot be opened."""

    def __init__(self, engine: AsyncEngine):
        self.engine, self.down = engine, False
        error = engine.dialect.loaded_dbapi.OperationalError

        @event.listens_for(engine.sync_engine, "do_connect")
        def connect(dialect, conn_rec, cargs, cparams):
            if self.down:
                raise error("unable to open database file")

    async def cut(self) -> None:
        self.down = True
        await self.engine.dispose()

    async def restore(self) -> None:
        self.down = False
