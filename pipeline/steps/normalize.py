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


# Compatibility characters common in news text that NFKC maps to ASCII: the full-width forms of
# CJK punctuation (，：（）！？ ... U+FF01-FF5E -> U+0021-007E), the ideographic space and the ellipsis.
_TO_ASCII = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_TO_ASCII.update({"\u3000": " ", "\u2026": "..."})
_TO_ASCII_CHAR = re.compile("[\u3000\u2026\uff01-\uff5e]")


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), faster on CJK text.

    NFKC composes the (canonically ordered) full compatibility decomposition, which is taken
    character by character; a character of _TO_ASCII decomposes to its ASCII replacement (starters,
    which decompose to themselves). Replacing those characters first therefore leaves the
    decomposition, hence NFKC, unchanged; and most Chinese lines are normalised once their
    full-width punctuation is (`is_normalized` is a quick check), where `normalize` would take the
    whole line apart and compose it again."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    text = _TO_ASCII_CHAR.sub(lambda m: _TO_ASCII[m.group()], text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


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
