"""Text normalisation: newlines, Unicode NFC, invisible junk. Text in, lines out.

Line numbering is fixed here: every later index (audit, translated-halves split line) refers to the
lines this returns. Only characters are normalised; no line is dropped (blank lines stay as "" so
that line i of the output is line i of the input).
"""
from __future__ import annotations

import re
import unicodedata

# Every line break Unicode knows (CRLF first so it becomes one break, not two).
_NEWLINES = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# C0/C1 controls except tab and newline, BOM/zero-width no-break space, zero-width space,
# word joiner, soft hyphen, and lone surrogates (they cannot be written as UTF-8).
# Zero-width (non-)joiners stay: Persian, Indic scripts and emoji need them.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ufeff\u200b\u2060\u00ad\ud800-\udfff]")
_TAB_AND_ODD_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f]")


def split_lines(text: str) -> list[str]:
    """Split on every Unicode line break."""
    return _NEWLINES.split(text)


def normalize_line(line: str) -> str:
    """NFC, invisible characters removed, odd spaces made plain, edges stripped."""
    line = _INVISIBLE.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", line)
    line = _TAB_AND_ODD_SPACES.sub(" ", line)
    if not line.isascii():
        line = unicodedata.normalize("NFC", line)
    return line.strip()


def normalize_text(text: str) -> list[str]:
    """The document's lines, normalised, in input order (blank lines kept as "")."""
    lines = split_lines(text)
    if lines and lines[-1] == "":  # a final newline does not start another line
        lines.pop()
    return [normalize_line(line) for line in lines]
