"""A loopback TCP proxy that adds round-trip time, for the benchmarks (not for tests).

Every chunk read from one side is written to the other side ``rtt / 2`` seconds after
it arrived: a per-chunk schedule in a per-direction FIFO (one timer at a time), so bytes
keep their order and a stream of chunks is delayed, not serialised behind one sleep.
EOF and close travel the same queue, so they arrive after the data sent before them.

The TCP handshake cannot be delayed from user space (the kernel completes it before
``accept``), so it is modelled: the proxy dials the real server ``1.5 * rtt`` after the
client's connect (when the server of a real network would see the final ACK) and holds
the client's early bytes until then. A greeting then reaches the client 2 RTT after it
called ``connect``, and a ClientHello reaches the server 1.5 RTT after, as on a wire
with that RTT; only the client's own ``connect()`` returns at once.

Binds 127.0.0.1 only and only ever dials 127.0.0.1/::1.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
from typing import Any

_EOF = object()
_CLOSE = object()


def _check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the latency proxy is loopback only, not {host!r}")


class _Direction:
    """Chunks for one direction, each released at its due time, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        self.loop = loop
        self.delay = delay
        self.queue: collections.deque[tuple[float, Any]] = collections.deque()
        self.target: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.not_before = 0.0  # nothing leaves before the (modelled) connection exists
        self.closed = False

    def push(self, item: Any) -> None:
        self.queue.append((self.loop.time() + self.delay, item))
        self._arm()

    def attach(self, target: asyncio.Transport) -> None:
        self.target = target
        self._arm()

    def _arm(self) -> None:
        if self.timer is not None or not self.queue or self.target is None:
            return
        due = max(self.queue[0][0], self.not_before)
        self.timer = self.loop.call_at(due, self._flush)

    def _flush(self) -> None:
        self.timer = None
        now = self.loop.time()
        target = self.target
        assert target is not None
        while self.queue and max(self.queue[0][0], self.not_before) <= now:
            _, item = self.queue.popleft()
            if self.closed:
                continue
            if item is _EOF:
                if target.can_write_eof():
                    with contextlib.suppress(OSError):  # the peer is gone; the close follows
                        target.write_eof()
            elif item is _CLOSE:
                self.closed = True
                target.close()
            else:
                target.write(item)
        self._arm()

    def abort(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.queue.clear()
        self.closed = True


class _Side(asyncio.Protocol):
    """One socket of a proxied pair; what it reads goes into ``outgoing``."""

    def __init__(self, outgoing: _Direction, on_lost: Any = None) -> None:
        self.outgoing = outgoing
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.outgoing.push(data)

    def eof_received(self) -> bool:
        self.outgoing.push(_EOF)
        return True  # keep our write side open: the other direction may still be talking

    def connection_lost(self, exc: BaseException | None) -> None:
        self.outgoing.push(_CLOSE)
        if self.on_lost is not None:
            self.on_lost()


class LatencyProxy:
    """``await LatencyProxy(upstream_port, rtt=0.05).start()``; then dial ``proxy.port``."""

    def __init__(
        self,
        upstream_port: int,
        *,
        rtt: float,
        upstream_host: str = "127.0.0.1",
        model_handshake: bool = True,
    ) -> None:
        _check_loopback(upstream_host)
        self.upstream = (upstream_host, upstream_port)
        self.rtt = rtt
        self.model_handshake = model_handshake
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> LatencyProxy:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._accept, host="127.0.0.1", port=0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()

    def _accept(self) -> _Side:
        loop = asyncio.get_running_loop()
        self.connections += 1
        half = self.rtt / 2
        up = _Direction(loop, half)  # client → server
        down = _Direction(loop, half)  # server → client
        connect_at = loop.time() + (1.5 * self.rtt if self.model_handshake else 0.0)
        up.not_before = connect_at
        client = _Side(up, on_lost=None)

        async def dial() -> None:
            await asyncio.sleep(max(0.0, connect_at - loop.time()))
            if up.closed and not up.queue:
                return
            try:
                transport, _ = await loop.create_connection(
                    lambda: _Side(down), self.upstream[0], self.upstream[1]
                )
            except OSError:
                if client.transport is not None:
                    client.transport.abort()
                return
            assert isinstance(transport, asyncio.Transport)
            up.attach(transport)

        task = loop.create_task(dial())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

        original = client.connection_made

        def made(transport: asyncio.BaseTransport) -> None:
            original(transport)
            assert isinstance(transport, asyncio.Transport)
            down.attach(transport)

        client.connection_made = made  # type: ignore[method-assign]
        return client
