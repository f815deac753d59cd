"""The one document record that flows through every step.

A document keeps the lines of its input (after newline normalisation) for its whole life; steps never
delete a line, they mark it removed with a rule name. So the clean text, the audit of removed lines
and any line index a step reports (e.g. the split line of translated halves) all refer to the same
numbering, and the input can be rebuilt from the outputs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Optional


class Reject(Exception):
    """Raised by a step when a document cannot go on; the shell routes it to rejects/.

    `reason` is a short stable name from REJECT_REASONS; `detail` says what exactly was wrong.
    """

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Every reason a document may be rejected for. The rejects expectation suite checks against it,
# and the README lists them under "What happens to bad input".
REJECT_REASONS = {
    "not_text": "the file is binary (an image, archive, executable, or contains NUL bytes)",
    "encoding": "the bytes fit no text encoding",
    "empty": "the file is empty or holds only whitespace",
    "too_large": "the document (file, JSON line or WARC record) is larger than input.max_document_bytes, "
                 "or a page larger than html.max_bytes",
    "empty_after_cleaning": "every line was removed by the cleaning rules",
    "too_short": "the clean text is shorter than quality.min_chars",
    "bad_json": "a JSON Lines line that does not parse, or is not a JSON object (detail: line and byte offset)",
    "no_text_field": "a JSON Lines record without a non-empty text or html field (input.fields names them)",
    "bad_warc_record": "a WARC record that cannot be parsed (detail: its byte offset); the next records are read",
    "truncated": "a compressed file ends early; the records before the cut were read",
    "bad_compression": "corrupt gzip/zstd data; the records before it were read",
    "unreadable": "reading the input failed part way (detail: where); the records before it were read",
    "not_html": "an HTML input that holds no HTML markup",
    "too_nested": "HTML elements nested deeper than html.max_depth",
    "no_main_text": "the HTML extractors found no main text on the page",
    "timeout": "extracting the page took longer than html.timeout_s (the extraction process was restarted)",
    "language": "the document's main language is not in language.allowed, or its confidence is below "
                "language.min_confidence",
    "error": "a step raised an unexpected error (the detail holds the traceback summary)",
}


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_text(value):
    """`value` with lone surrogates replaced by U+FFFD (other values unchanged).

    They come from file names that are not UTF-8 (Python decodes them with surrogateescape) and from
    JSON escapes such as `"\\ud800"`; no UTF-8 output can hold them and Beam's coders refuse them, so a
    string that leaves a document's own lines (a source path, an id from the input) goes through this.
    """
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def stable_id(source: str, content: bytes) -> str:
    """Same path + same bytes -> same id, on any machine and in any run."""
    h = hashlib.blake2b(digest_size=8)
    h.update(source.encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    h.update(content)
    return h.hexdigest()


@dataclass(frozen=True)
class Removal:
    rule: str
    line: int  # 0-based index into Document.lines
    text: str


@dataclass(frozen=True)
class Document:
    id: str
    source: str
    lines: tuple[str, ...]
    # line index -> rule name that removed it
    removed: dict[int, str] = field(default_factory=dict)
    title: Optional[str] = None
    date: Optional[str] = None
    site: Optional[str] = None
    url: Optional[str] = None
    lang: Optional[str] = None
    encoding: Optional[str] = None
    bytes_in: int = 0
    # Step-specific fields that appear in the clean record (e.g. lang_confidence, segments).
    extra: dict[str, Any] = field(default_factory=dict)
    # Working annotations steps pass to later steps (e.g. per-line language); never written out.
    notes: dict[str, Any] = field(default_factory=dict)

    # --- views -------------------------------------------------------------------------------
    def kept_indices(self) -> list[int]:
        """Indices of lines that are kept and not blank."""
        return list(self._kept())

    def _kept(self) -> tuple[int, ...]:
        """kept_indices, remembered: several steps ask for it of the same lines and removals (the
        memo is checked against both, is not pickled and is not compared; see replace)."""
        lines, removed = self.lines, self.removed
        memo = self.__dict__.get(_KEPT_MEMO)
        if memo is not None and memo[0] is lines and memo[1] is removed and memo[2] == len(removed):
            return memo[3]
        kept = tuple([i for i, line in enumerate(lines) if i not in removed and line.strip()])
        self.__dict__[_KEPT_MEMO] = (lines, removed, len(removed), kept)
        return kept

    def __getstate__(self):
        """Pickled without the kept_indices memo (the same bytes as a document that never had one)."""
        state = self.__dict__
        if _KEPT_MEMO in state:
            state = {k: v for k, v in state.items() if k != _KEPT_MEMO}
        return state

    @property
    def text(self) -> str:
        """The clean text: kept, non-blank lines, one paragraph per line."""
        lines = self.lines
        return "\n".join([lines[i] for i in self._kept()])

    def removals(self) -> list[Removal]:
        return [Removal(rule, i, self.lines[i]) for i, rule in sorted(self.removed.items())]

    def removed_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rule in self.removed.values():
            counts[rule] = counts.get(rule, 0) + 1
        return dict(sorted(counts.items()))

    # --- pure updates -------------------------------------------------------------------------
    def replace(self, **changes: Any) -> "Document":
        """dataclasses.replace, cheaper: the fields copied as they are (Document has no __post_init__
        and no init=False field, so __init__ would only set them one by one); the kept_indices memo
        goes with the copy while its lines and removals are the same objects (it checks them)."""
        if type(self) is not Document or not _FIELD_NAMES.issuperset(changes):
            return dataclasses.replace(self, **changes)
        new = object.__new__(Document)
        state = new.__dict__
        state.update(self.__dict__)
        state.update(changes)
        return new

    def remove_lines(self, indices, rule: str) -> "Document":
        """A copy with `indices` marked removed by `rule`; a line already removed keeps its first rule."""
        return self.replace(removed=self.removed_with({rule: indices}))

    def removed_with(self, by_rule: dict[str, Any]) -> dict[int, str]:
        """`removed` plus each rule's line indices, rule after rule (a line already removed keeps its
        first rule): what remove_lines gives, for several rules in one copy."""
        if not by_rule:
            return self.removed
        removed = dict(self.removed)
        n = len(self.lines)
        setdefault = removed.setdefault
        for rule, indices in by_rule.items():
            for i in indices:
                if not 0 <= i < n:
                    raise IndexError(f"line {i} out of range for document {self.id}")
                setdefault(i, rule)
        return removed

    def with_extra(self, **fields: Any) -> "Document":
        extra = dict(self.extra)
        extra.update(fields)
        return self.replace(extra=extra)

    def with_notes(self, **fields: Any) -> "Document":
        notes = dict(self.notes)
        notes.update(fields)
        return self.replace(notes=notes)

    # --- output records -----------------------------------------------------------------------
    def clean_record(self) -> dict[str, Any]:
        """The record written to clean/ (schema in the README)."""
        text = self.text
        record: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "lang": self.lang,
            "title": self.title,
            "date": self.date,
            "site": self.site,
            "text": text,
            "chars": len(text),
            "lines_in": len(self.lines),
            "encoding": self.encoding,
            "removed": self.removed_counts(),
        }
        for key in sorted(self.extra):
            record[key] = self.extra[key]
        return record

    def audit_record(self) -> dict[str, Any]:
        """The record written to audit/: every removed line with its rule and input line index."""
        lines = self.lines
        return {
            "id": self.id,
            "source": self.source,
            # (the fields of self.removals(), without making the Removal records)
            "removed": [
                {"rule": rule, "line": i, "text": lines[i]} for i, rule in sorted(self.removed.items())
            ],
        }


_KEPT_MEMO = "_kept_memo"  # (not a field: a key of the instance dict only)
_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(Document))


def reject_record(doc_id: str, source: str, reason: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The record written to rejects/."""
    record = {"id": doc_id, "source": valid_text(source), "reason": reason, "detail": valid_text(detail)}
    record.update(extra)
    return record
