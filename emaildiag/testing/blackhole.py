"""A loopback port that never answers a TCP connect: the "filtered" case without root.

A listener with ``listen(0)`` whose accept backlog is already full of unaccepted
connections makes further SYNs go unanswered until the client gives up
(faults-and-security §7), exactly what a firewall that drops packets looks like.
"""

from __future__ import annotations

import contextlib
import socket


class BlackholePort:
    """``with BlackholePort() as port:`` connects to ``127.0.0.1:port`` hang."""

    def __init__(self, host: str = "127.0.0.1", fill: int = 8) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(0)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(fill):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect((host, self.port))
            self._fillers.append(s)

    def __enter__(self) -> int:
        return self.port

    def __exit__(self, *exc: object) -> None:
        for s in self._fillers:
            s.close()
        self._listener.close()
