"""Fault injection, for tests of the run's error handling only.

`NEWSCLEAN_INJECT_FAULT` (an environment variable, read when the chain is built) adds one step to the
per-document chain that fails on purpose for the documents holding a marker string:

    raise:MARKER             raise InjectedFault (the document must go to rejects as `error`)
    kill-once:MARKER:FLAG    kill the worker process (SIGKILL) the first time; FLAG is a file created
                             just before, so a retried bundle goes through

It cannot be switched on by accident: it is not a config key (no config file or `--set` reaches it),
the value must have one of these exact forms (anything else stops the run with an error), and it only
touches documents containing MARKER. The run prints a warning while it is set.
"""
from __future__ import annotations

import os
import signal
from typing import Callable, Optional

from pipeline.document import Document

ENV = "NEWSCLEAN_INJECT_FAULT"


class InjectedFault(RuntimeError):
    """The error the injected step raises."""


def _holds(doc: Document, marker: str) -> bool:
    return any(marker in line for line in doc.lines)


def raise_on_marker(doc: Document, marker: str) -> Document:
    if _holds(doc, marker):
        raise InjectedFault(f"injected fault for a document holding {marker!r}")
    return doc


def kill_once_on_marker(doc: Document, marker: str, flag: str) -> Document:
    if _holds(doc, marker) and not os.path.exists(flag):
        with open(flag, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {doc.id}\n")
        os.kill(os.getpid(), signal.SIGKILL)
    return doc


def fault_step(value: Optional[str]) -> Optional[Callable[[Document], Document]]:
    """The step `value` (the environment variable's content) asks for; None when it is unset/empty."""
    if not value:
        return None
    kind, _, rest = value.partition(":")
    if kind == "raise" and rest:
        return lambda doc: raise_on_marker(doc, rest)
    if kind == "kill-once":
        marker, _, flag = rest.partition(":")
        if marker and flag:
            return lambda doc: kill_once_on_marker(doc, marker, flag)
    raise ValueError(f"{ENV}={value!r}: expected raise:MARKER or kill-once:MARKER:FLAG_FILE (testing only)")
