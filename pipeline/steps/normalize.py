"""Text normalisation: newlines, Unicode NFC, invisible junk. Text in, lines out.

Line numbering is fixed here: every later index (audit, translated-halves split line) refers to the
lines this returns. Only characters are normalised; no line is dropped (blank lines stay as "" so
that line i of the output is line i of the input).
"""
from __future__ import annotations

import re
import unicodedata

# C0/C1 controls except tab and newline, BOM/zero-width no-break space, zero-width space,
# word joiner, soft hyphen, and lone surrogates (they cannot be written as UTF-8).
# Zero-width (non-)joiners stay: Persian, Indic scripts and emoji need them.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ufeff\u200b\u2060\u00ad\ud800-\udfff]")
_TAB_AND_ODD_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f]")
_ODD_CHARACTERS = re.compile(_INVISIBLE.pattern[:-1] + _TAB_AND_ODD_SPACES.pattern[1:])


def _normalize_chars(text: str) -> str:
    """NFC, invisible characters removed, odd spaces made plain (no line break is touched)."""
    if _ODD_CHARACTERS.search(text):
        text = _INVISIBLE.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", text)
        text = _TAB_AND_ODD_SPACES.sub(" ", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def normalize_line(line: str) -> str:
    """NFC, invisible characters removed, odd spaces made plain, edges stripped."""
    return _normalize_chars(line).strip()


def normalize_text(text: str) -> list[str]:
    """The document's lines, normalised, in input order (blank lines kept as "").

    Lines end at every line break Unicode knows (str.splitlines: CRLF, CR, LF, VT, FF, FS, GS, RS,
    NEL, LS, PS; CRLF is one break), and a final break does not start another line. The lines are split first (removing a character must not join a CR and an LF into one
    break), then normalised together as one text joined by "\n": the same as line by line, since no
    rule touches "\n" and under NFC it is a starter that composes with nothing.
    """
    lines = text.splitlines()
    if not lines:
        return []
    return [line.strip() for line in _normalize_chars("\n".join(lines)).split("\n")]
