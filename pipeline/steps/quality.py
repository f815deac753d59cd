"""Document-level quality gates: run last, on what the cleaning steps left."""
from __future__ import annotations

from pipeline.document import Document, Reject


def require_text(doc: Document) -> Document:
    """Reject a document with no content: `empty` if it never had any, else `empty_after_cleaning`."""
    if doc.kept_indices():
        return doc
    if not any(line.strip() for line in doc.lines):
        raise Reject("empty", f"no text: {len(doc.lines)} blank line(s)")
    raise Reject(
        "empty_after_cleaning",
        f"all {sum(1 for line in doc.lines if line.strip())} non-blank lines removed: "
        + ", ".join(f"{rule}={n}" for rule, n in doc.removed_counts().items()),
    )


def require_min_chars(doc: Document, min_chars: int) -> Document:
    """Reject a document whose clean text is shorter than `min_chars` characters."""
    chars = len(doc.text)
    if chars < min_chars:
        raise Reject("too_short", f"{chars} characters of clean text, fewer than quality.min_chars={min_chars}")
    return doc
