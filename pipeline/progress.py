"""Live progress of a local run: documents read / clean / rejected, MB/s, ETA.

Beam's local FnApiRunner gives no metrics until the pipeline has finished, and with several worker
processes the DoFns do not share memory with the launcher. So each process that runs pipeline code
keeps its own counts and writes them now and then to its own small JSON file in a folder the
launcher chose; a thread in the launcher sums the files and redraws one terminal line. Remote
runners (Dataflow) get no folder and the progress steps are not added: the Dataflow console shows
progress there. No Beam import here (the DoFn that bumps the counts lives in transforms.py).
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Optional, TextIO

FLUSH_INTERVAL_S = 0.5
KINDS = ("read", "bytes", "clean", "rejects")


class ProgressFile:
    """The counts of one process, written atomically to DIR/progress-<unique>.json."""

    def __init__(self, directory: str, interval: float = FLUSH_INTERVAL_S):
        self.path = os.path.join(directory, f"progress-{os.getpid()}-{uuid.uuid4().hex[:8]}.json")
        self.interval = interval
        self.counts = dict.fromkeys(KINDS, 0)
        self._lock = threading.Lock()
        self._last: Optional[float] = None  # the first count is written at once

    def add(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + n
        if self._last is None or time.monotonic() - self._last >= self.interval:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            payload = json.dumps(self.counts)
            self._last = time.monotonic()
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w") as fh:
                fh.write(payload)
            os.replace(tmp, self.path)
        except OSError:  # the launcher removed the folder (run over): nothing to report to
            pass


_FILES: dict[str, ProgressFile] = {}
_FILES_LOCK = threading.Lock()


def reporter(directory: str) -> ProgressFile:
    """The one ProgressFile of this process for `directory` (shared by every DoFn instance)."""
    with _FILES_LOCK:
        if directory not in _FILES:
            _FILES[directory] = ProgressFile(directory)
        return _FILES[directory]


def read_totals(directory: str) -> dict[str, int]:
    """Sum of the counts every process has written so far."""
    totals = dict.fromkeys(KINDS, 0)
    try:
        names = os.listdir(directory)
    except OSError:
        return totals
    for name in names:
        if not (name.startswith("progress-") and name.endswith(".json")):
            continue
        try:
            with open(os.path.join(directory, name)) as fh:
                counts = json.load(fh)
        except (OSError, ValueError):  # being replaced right now: next poll
            continue
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + int(n)
    return totals


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_line(totals: dict[str, int], elapsed: float, total_bytes: Optional[int] = None) -> str:
    """'read 1,234 docs (12.3 MB) · clean 1,100 · rejected 34 · 4.10 MB/s · 45% · ETA 0:12'."""
    done = totals.get("bytes", 0)
    parts = [f"read {totals.get('read', 0):,} docs ({done / 1e6:.1f} MB)",
             f"clean {totals.get('clean', 0):,}", f"rejected {totals.get('rejects', 0):,}"]
    rate = done / elapsed if elapsed > 0 else 0.0
    parts.append(f"{rate / 1e6:.2f} MB/s")
    if total_bytes:
        share = min(1.0, done / total_bytes)
        parts.append(f"{share:.0%}")
        if done >= total_bytes:
            parts.append("writing outputs")
        elif rate > 0:
            parts.append(f"ETA {_duration((total_bytes - done) / rate)}")
    parts.append(_duration(elapsed))
    return " · ".join(parts)


class ProgressMonitor:
    """A launcher thread that redraws the progress line on `stream` every `interval` seconds."""

    def __init__(self, directory: str, stream: TextIO, total_bytes: Optional[int] = None,
                 interval: float = FLUSH_INTERVAL_S):
        self.directory = directory
        self.stream = stream
        self.total_bytes = total_bytes
        self.interval = interval
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="newsclean-progress", daemon=True)
        self._width = 0

    def _draw(self) -> None:
        line = format_line(read_totals(self.directory), time.monotonic() - self.started, self.total_bytes)
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._draw()

    def start(self) -> "ProgressMonitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Draw the last counts, then clear the line so the summary prints on a clean line."""
        self._stop.set()
        self._thread.join()
        self._draw()
        self.stream.write("\r" + " " * self._width + "\r")
        self.stream.flush()


@contextmanager
def live_progress(stream: Optional[TextIO], total_bytes: Optional[int] = None,
                  interval: float = FLUSH_INTERVAL_S):
    """Yields the folder DoFns report to (None when `stream` is None: no progress)."""
    if stream is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="newsclean-progress-") as directory:
        monitor = ProgressMonitor(directory, stream, total_bytes, interval).start()
        try:
            yield directory
        finally:
            monitor.stop()
