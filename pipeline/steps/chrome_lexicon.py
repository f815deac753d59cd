"""Phrase packs: multilingual chrome phrases as data (pipeline/data/lexicons/*.yaml + user packs).

A pack maps categories (editor_credit, related, share, ...) to phrases. All packs are merged into one
regex per category; a line is tagged with a category when it contains a phrase AND is short (a
phrase inside a sentence of the article is not chrome). Tags are evidence for the structural
classifier in chrome.py, never a verdict on their own for lines inside the article body.

This module reads files (the packs); it is called once per worker when the step is built, not per
document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from bisect import bisect_right
from itertools import accumulate
from operator import add
from typing import Iterable, Iterator, Optional, Sequence

import yaml

from pipeline.config import ConfigError, load_yaml
from pipeline.steps.chrome_lines import display_width

CATEGORIES = (
    "editor_credit", "source_label", "related", "latest_list", "share", "navigation",
    "copyright", "comments", "advertisement", "keywords", "caption",
)
# Categories that end an article when met after its body (what follows is page furniture).
END_CATEGORIES = frozenset({"editor_credit", "related", "latest_list", "copyright", "comments"})


class LexiconError(ConfigError):
    """A phrase pack that cannot be used; the message names the file."""


def _phrase_pattern(phrase: str) -> str:
    """Alphabetic words match as whole words ("Print" not in "Printer"); CJK phrases match anywhere."""
    escaped = re.escape(phrase)
    if re.match(r"\w", phrase) and ord(phrase[0]) < 0x2E80:
        escaped = r"(?<!\w)" + escaped
    if re.search(r"\w$", phrase) and ord(phrase[-1]) < 0x2E80:
        escaped += r"(?!\w)"
    return escaped


@dataclass
class Lexicon:
    """Merged phrase packs, one compiled regex per category."""

    phrases: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    _patterns: dict[str, re.Pattern] = field(default_factory=dict, repr=False)
    _last_chars: dict[str, re.Pattern] = field(default_factory=dict, repr=False)
    _index: Optional[tuple[tuple[re.Pattern, ...], Optional[re.Pattern], dict[str, str]]] = field(default=None, repr=False)
    _multiline: Optional[bool] = field(default=None, repr=False)
    # what the chrome classifier worked out for a line's text with these packs (chrome.build_units)
    line_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        """Pickled (to Beam workers) without the line cache: it refills on the worker."""
        return {**self.__dict__, "line_cache": {}}

    def add(self, data: dict, origin: str) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("phrases"), dict):
            raise LexiconError(f"{origin}: a phrase pack needs a 'phrases' mapping of category -> list")
        for category, items in data["phrases"].items():
            if category not in CATEGORIES:
                raise LexiconError(f"{origin}: unknown category {category!r} (known: {', '.join(CATEGORIES)})")
            if not isinstance(items, list) or not all(isinstance(p, str) and p.strip() for p in items):
                raise LexiconError(f"{origin}: {category} must be a list of non-empty strings")
            self.phrases.setdefault(category, []).extend(p.strip() for p in items)
        self.sources.append(origin)
        self._patterns = {}
        self._last_chars = {}
        self._index = None
        self._multiline = None
        self.line_cache = {}

    def _compiled(self) -> dict[str, re.Pattern]:
        if not self._patterns:
            for category, items in self.phrases.items():
                ordered = sorted(set(items), key=lambda p: (-len(p), p))
                self._patterns[category] = re.compile("|".join(_phrase_pattern(p) for p in ordered), re.I)
                # every match ends with a phrase's last character: a fast first test
                self._last_chars[category] = re.compile(
                    "[" + "".join(sorted({re.escape(p[-1]) for p in items})) + "]", re.I)
        return self._patterns

    def _phrase_index(self) -> tuple[tuple[re.Pattern, ...], Optional[re.Pattern], dict[str, str]]:
        """Trie-shaped regexes over all lower-cased phrases, one per script band of the first
        character (fast to scan), the Latin band's alone (for ASCII lines), and phrase -> category."""
        if self._index is None:
            category_of: dict[str, str] = {}
            for category in CATEGORIES:
                for phrase in self.phrases.get(category, []):
                    category_of.setdefault(phrase.lower(), category)
            bands: dict[int, list[str]] = {}
            for phrase in sorted(category_of):
                bands.setdefault(_script_band(phrase[0]), []).append(phrase)
            patterns = {band: re.compile(_trie_regex(items)) for band, items in sorted(bands.items())}
            self._index = (tuple(patterns.values()), patterns.get(0), category_of)
        return self._index

    def match(self, line: str, width: Optional[int] = None) -> Optional[str]:
        """The category of the first phrase found in a short line (None for none or a long line).

        "Short" = the phrase takes a good part of the line: the rest is at most ~24 columns or as wide
        as the phrase (a label plus a name or a number, not a sentence). Alphabetic phrases match
        whole words only ("Print" is not in "Printer").
        """
        text = line.strip()
        if not text:
            return None
        width = display_width(text) if width is None else width
        if width > 80:
            return None
        patterns, latin, category_of = self._phrase_index()
        lower = text.lower()
        if lower.isascii():
            if latin is None or latin.search(lower) is None:
                return None
            found = latin.finditer(lower)
        elif not any(pattern.search(lower) for pattern in patterns):
            return None
        else:
            found = _union_finditer(patterns, lower)
        return _first_category(lower, width, (m.span() for m in found), category_of)

    def _phrase_spans_lines(self) -> bool:
        """Some phrase holds a line break (then match_many cannot scan lines joined by them)."""
        if self._multiline is None:
            self._multiline = any("\n" in phrase for phrase in self._phrase_index()[2])
        return self._multiline

    def match_many(self, lines: Sequence[str], widths: Sequence[int]) -> list[Optional[str]]:
        """[match(line, width) for each line], faster: the short lines are scanned together, one pass
        per script band over all of them joined by line breaks (which no phrase spans, so each line
        gets the same matches as alone; a line with matches in two bands is looked up alone)."""
        patterns, _, category_of = self._phrase_index()
        out: list[Optional[str]] = [None] * len(lines)
        picked = [k for k, width in enumerate(widths) if width <= 80]
        lowers = [lines[k].strip().lower() for k in picked]  # (a blank line finds nothing)
        joined = "\n".join(lowers)
        if not lowers or joined.count("\n") != len(lowers) - 1 or self._phrase_spans_lines():
            return [self.match(line, width) for line, width in zip(lines, widths)]
        # where each line starts in `joined`: the lengths before it plus one break per line
        starts = list(map(add, accumulate(map(len, lowers), initial=0), range(len(lowers))))
        spans: dict[int, list[tuple[int, int]]] = {}
        band_of: dict[int, int] = {}
        for band, pattern in enumerate(patterns):
            for m in pattern.finditer(joined):
                j = bisect_right(starts, m.start()) - 1
                if band_of.setdefault(j, band) != band:
                    band_of[j] = -1  # matches in two bands: see match()
                spans.setdefault(j, []).append((m.start() - starts[j], m.end() - starts[j]))
        for j, band in band_of.items():
            k = picked[j]
            if band < 0:
                out[k] = self.match(lines[k], widths[k])
            else:
                out[k] = _first_category(lowers[j], widths[k], spans[j], category_of)
        return out

    def label_value(self, line: str, category: str) -> Optional[str]:
        """The text after a label phrase ("来源：新华社" -> "新华社"), or None."""
        pattern = self._compiled().get(category)
        m = pattern.search(line) if pattern and self._last_chars[category].search(line) else None
        if not m:
            return None
        rest = line[m.end():].strip(" :：|-—()（）[]【】")
        return rest or None


# Script bands of a phrase's first character: Latin (ASCII, Latin-1, Latin Extended), Greek and
# Cyrillic, everything else (CJK, kana, Hangul, fullwidth forms). One trie over all phrases makes the
# regex engine try each of ~180 first characters at every candidate position; per band it tries ~30.
_BAND_LIMITS = (0x250, 0x530)


def _script_band(ch: str) -> int:
    code = ord(ch)
    return next((band for band, limit in enumerate(_BAND_LIMITS) if code < limit), len(_BAND_LIMITS))


def _union_finditer(patterns: tuple[re.Pattern, ...], text: str) -> Iterator[re.Match]:
    """The matches `finditer` of the alternation of `patterns` would give (leftmost first, then on
    from the end of the previous one), when no two patterns can match at the same position (their
    first characters differ) and none matches the empty string."""
    if len(patterns) == 1:
        yield from patterns[0].finditer(text)
        return
    pending = [pattern.search(text) for pattern in patterns]
    pos = 0
    while True:
        best = None
        for k, m in enumerate(pending):
            if m is not None and m.start() < pos:
                m = pending[k] = patterns[k].search(text, pos)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        if best is None:
            return
        yield best
        pos = best.end()


def _first_category(lower: str, width: int, spans: Iterable[tuple[int, int]],
                    category_of: dict[str, str]) -> Optional[str]:
    """The category of the first phrase match (spans in `lower`, in order) that stands as whole words
    (alphabetic scripts) and takes a good part of the line (see Lexicon.match)."""
    for start, end in spans:
        phrase = lower[start:end]
        if phrase[0].isalnum() and ord(phrase[0]) < 0x2E80 and start > 0 and _wordlike(lower[start - 1]):
            continue
        if phrase[-1].isalnum() and ord(phrase[-1]) < 0x2E80 and end < len(lower) and _wordlike(lower[end]):
            continue
        phrase_width = display_width(phrase)
        if width - phrase_width <= max(24, phrase_width):
            return category_of[phrase]
    return None


def _wordlike(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _trie_regex(phrases: list[str]) -> str:
    """A regex equivalent to `a|b|c...` over literal phrases, shaped as a trie so that scanning a
    line costs about one pass whatever the number of phrases; longer phrases win."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return build(trie) or "(?!)"


def load_builtin(lexicon: Lexicon) -> None:
    folder = resources.files("pipeline") / "data" / "lexicons"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            lexicon.add(yaml.safe_load(entry.read_text(encoding="utf-8")), f"builtin:{entry.name}")


def load_lexicon(extra_files: Iterable[str] = (), builtin: bool = True) -> Lexicon:
    """Built-in packs (unless builtin=False) plus the user's extra pack files, in that order."""
    lexicon = Lexicon()
    if builtin:
        load_builtin(lexicon)
    for path in extra_files:
        try:
            data = load_yaml(path)
        except ConfigError as err:
            raise LexiconError(f"phrase pack: {err}") from None
        lexicon.add(data, path)
    return lexicon
