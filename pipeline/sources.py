"""Finding and reading input files through Beam's filesystems (local paths, gs://, ...).

An input spec is what the user typed: a file, a folder (read recursively) or a glob. Each matched
file keeps `source` = its path as the user would write it (relative stays relative).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Optional
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline import readers
from pipeline.document import Document, stable_id, valid_text
from pipeline.steps.decode import decode_bytes
from pipeline.steps.normalize import normalize_text

_GLOB_CHARS = set("*?[")
READ_CHUNK = 1 << 20


@dataclass(frozen=True, order=True)
class InputFile:
    path: str
    size: int
    # byte range to read (a big JSON Lines file is shared by several workers); end None = to the end
    start: int = 0
    end: Optional[int] = None


def is_remote(path: str) -> bool:
    return "://" in path


def has_glob(spec: str) -> bool:
    return any(c in _GLOB_CHARS for c in spec)


def spec_pattern(spec: str) -> str:
    """The Beam match pattern for an input spec: a folder becomes folder/** (recursive)."""
    if has_glob(spec):
        return spec
    if not is_remote(spec) and os.path.isdir(spec):
        return spec.rstrip("/\\") + "/**"
    if is_remote(spec) and spec.endswith("/"):
        return spec + "**"
    return spec


def _hidden(path: str, pattern: str) -> bool:
    """True if a path component below the pattern's fixed prefix starts with '.'."""
    fixed = pattern
    for i, c in enumerate(pattern):
        if c in _GLOB_CHARS:
            fixed = pattern[:i]
            break
    base = fixed.rsplit("/", 1)[0] if "/" in fixed else ""
    rest = path[len(base):].lstrip("/") if base and path.startswith(base) else path
    return any(part.startswith(".") for part in rest.split("/") if part not in (".", ".."))


def expand_spec(spec: str, skip_hidden: bool = True) -> list[InputFile]:
    """Every file an input spec names, sorted by path (a remote folder without '/' is tried as one)."""
    pattern = spec_pattern(spec)
    metadata = FileSystems.match([pattern])[0].metadata_list
    if not metadata and is_remote(spec) and not has_glob(spec):
        pattern = spec.rstrip("/") + "/**"
        metadata = FileSystems.match([pattern])[0].metadata_list
    files = []
    for m in metadata:
        if not is_remote(m.path) and os.path.isdir(m.path):
            continue
        if skip_hidden and pattern != spec and _hidden(m.path, pattern):
            continue
        files.append(InputFile(m.path, m.size_in_bytes))
    return sorted(set(files))


def _open(path: str):
    # UNCOMPRESSED: compressed inputs are a reader's business, not a silent side effect of a name.
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def read_limited(path: str, limit: int) -> bytes:
    """At most limit + 1 bytes (one more than allowed tells the caller the file is too large)."""
    with _open(path) as fh:
        return fh.read(limit + 1)


def hash_file(path: str) -> bytes:
    """Content digest streamed in chunks, for files too large to hold in memory."""
    h = hashlib.blake2b(digest_size=16)
    with _open(path) as fh:
        for chunk in iter(lambda: fh.read(READ_CHUNK), b""):
            h.update(chunk)
    return h.digest()


def text_document(source: str, data: bytes, encoding: str = "auto") -> Document:
    """One plain-text document from a file's bytes (raises Reject for binary/undecodable/empty)."""
    text, used = decode_bytes(data, encoding)
    lines = normalize_text(text)
    return Document(
        id=stable_id(source, data), source=valid_text(source), lines=tuple(lines), encoding=used, bytes_in=len(data)
    )


# --- records of container files (JSON Lines, WARC) and HTML pages ------------------------------------
@dataclass(frozen=True)
class Page:
    """An HTML page on its way to extraction: the element between reading and ExtractHtml."""
    id: str
    source: str
    record: readers.Record
    in_container: bool  # found inside a JSON Lines or WARC file (then its offset is written out)


def record_id(source: str, record: readers.Record, in_container: bool = True) -> str:
    """Stable id: the file and the record's offset in it, plus its content."""
    data = record.data.encode("utf-8", "surrogatepass") if isinstance(record.data, str) else record.data
    return stable_id(f"{source}@{record.offset}" if in_container else source, data)


def record_extra(record: readers.Record, in_container: bool) -> dict:
    """Provenance fields for the clean record: the record's own id and where it was in the file."""
    extra = {}
    if record.source_id is not None:
        extra["source_id"] = record.source_id
    if in_container:
        extra["source_offset"] = record.offset
    return extra


def record_document(source: str, record: readers.Record, encoding: str = "auto") -> Document:
    """A plain-text record (a JSON Lines text field) -> Document."""
    if isinstance(record.data, bytes):
        text, used = decode_bytes(record.data, encoding)
    else:
        text, used = record.data, "json"
    doc = Document(id=record_id(source, record), source=valid_text(source), lines=tuple(normalize_text(text)),
                   encoding=used, bytes_in=record.size, url=record.url)
    return doc.with_extra(**record_extra(record, True))


def page_document(page: Page, extraction) -> Document:
    """An extracted HTML page (steps.html.Extraction) -> Document; the page's text lines are its lines."""
    doc = Document(id=page.id, source=valid_text(page.source), lines=extraction.lines, encoding=extraction.encoding,
                   bytes_in=page.record.size, url=extraction.url or page.record.url, title=extraction.title,
                   date=extraction.date, site=extraction.site)
    return doc.with_extra(html_extractor=extraction.method, **record_extra(page.record, page.in_container))

