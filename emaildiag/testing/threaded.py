"""The life cycle shared by the loopback test servers: their own thread and event loop,
a bounded start that reports why it failed, and a fast, idempotent stop.

A server thread of its own lets sync tests, async tests and a caller's own loop all use
the same server; the subclass only writes ``_serve``, which listens, calls
:meth:`_listening`, and waits for ``self._stopping``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from types import TracebackType
from typing import Self

START_TIMEOUT = 5.0
STOP_TIMEOUT = 1.0


class ThreadedServer:
    _name = "test server"

    def __init__(self) -> None:
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def port(self) -> int:
        """The port the OS picked; only known once ``start()`` has returned."""
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__}.port is only known after start()")
        return self._port

    def _launch(self, context: ssl.SSLContext | None, thread_name: str) -> Self:
        """Bind and serve; return once listening, or raise why it could not."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} can only be started once")
        self._thread = threading.Thread(
            target=self._run, args=(context,), name=thread_name, daemon=True
        )
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            self.stop()
            raise TimeoutError(f"{self._name} did not start in time")
        if self._error is not None:
            self._thread.join(STOP_TIMEOUT)
            raise RuntimeError(f"{self._name} failed to start") from self._error
        return self

    def stop(self) -> None:
        """Close the listener and every connection; idempotent, bounded in time."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or not thread.is_alive():
            return
        if loop is not None and stopping is not None:
            # RuntimeError: the loop closed between our check and the call; nothing to stop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        thread.join(STOP_TIMEOUT)

    def _listening(self, port: int) -> None:
        """Called by ``_serve`` once bound: ``start()`` may return."""
        self._port = port
        self._loop = asyncio.get_running_loop()
        self._ready.set()

    def _run(self, context: ssl.SSLContext | None) -> None:
        try:
            asyncio.run(self._serve(context))
        except BaseException as error:  # noqa: BLE001 - reported to start(), nothing else sees it
            self._error = error
        finally:
            self._ready.set()

    async def _serve(self, context: ssl.SSLContext | None) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def start(self) -> Self:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
