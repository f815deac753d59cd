"""Run a function in a reusable child process with a time limit.

A hung extraction (trafilatura and lxml are known to hang on some pages) cannot be stopped from inside
the process: a Python thread cannot be killed. So each worker keeps one child process (spawn context:
no forked Beam/gRPC state) that runs the calls one at a time. A call that does not answer within the
limit gets the child killed and a fresh one started on the next call; the caller sees IsolatedTimeout.
A child that dies (segfault, out of memory) is reported as IsolatedCrash and restarted the same way.
"""
from __future__ import annotations

import multiprocessing
import time
from typing import Any, Callable

from pipeline.document import Reject


class IsolatedTimeout(Exception):
    """The call did not finish within the time limit; the child was killed."""


class IsolatedCrash(Exception):
    """The child process died during the call."""


def _serve(conn, fn: Callable, warm_up) -> None:
    """Child loop: receive args, call fn, send back ('ok', value) / ('reject', reason, detail) / ('error', text)."""
    if warm_up is not None:
        warm_up()
    conn.send(("ready",))
    while True:
        try:
            args, kwargs = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", fn(*args, **kwargs)))
        except Reject as r:
            conn.send(("reject", r.reason, r.detail))
        except Exception as err:
            conn.send(("error", f"{type(err).__name__}: {err}"[:2000]))


class IsolatedCall:
    """fn(*args) in a child process, at most `timeout_s` seconds a call. fn must be importable (picklable)."""

    def __init__(self, fn: Callable, timeout_s: float, warm_up: Callable | None = None,
                 start_timeout_s: float = 300.0):
        self.fn = fn
        self.warm_up = warm_up
        self.start_timeout_s = start_timeout_s
        self.timeout_s = timeout_s
        self._proc = None
        self._conn = None
        self.restarts = 0

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.fn, self.warm_up), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent
        # Start-up (a fresh interpreter importing the extractors) does not count against an element.
        if not parent.poll(self.start_timeout_s) or parent.recv() != ("ready",):
            self.close()
            raise IsolatedCrash("the extraction process did not start")

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        if self._proc is not None and self._proc.pid is not None:  # pid is None if start() failed
            self._proc.kill()
            self._proc.join(5)
        self._proc = self._conn = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._proc is None or not self._proc.is_alive():
            if self._proc is not None:
                self.restarts += 1
                self.close()
            self._start()
        started = time.monotonic()
        self._conn.send((args, kwargs))
        ready = self._conn.poll(self.timeout_s)
        if not ready:
            self.close()
            raise IsolatedTimeout(f"no answer after {time.monotonic() - started:.1f} s")
        try:
            answer = self._conn.recv()
        except (EOFError, OSError):
            code = self._proc.exitcode if self._proc else None
            self.close()
            raise IsolatedCrash(f"the extraction process died (exit code {code})") from None
        if answer[0] == "ok":
            return answer[1]
        if answer[0] == "reject":
            raise Reject(answer[1], answer[2])
        raise RuntimeError(answer[1])
