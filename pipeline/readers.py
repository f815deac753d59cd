"""Per-format readers: an input file -> a stream of records (or bad-record notices), memory kept flat.

Formats, chosen by extension (after a compression suffix) or forced with `input.format`:

    text   one document per file (.txt and anything not listed below)
    html   one page per file (.html, .htm, .xhtml)
    jsonl  one record per line (.jsonl, .ndjson, .json), fields named in input.fields
    warc   WARC response records holding HTML (.warc)

`.gz` (gzip, multi-member too) and `.zst`/`.zstd` (Zstandard) are decompressed transparently while
reading. A big uncompressed JSON Lines file is split into byte ranges so that several workers share it
(`split_ranges`); compressed files cannot be entered in the middle and are read whole by one worker
(give many compressed files, as crawls do, to spread them).

Records are located by their byte offset in the decompressed stream (and the line number when the file
is read from its start), so every reject says where the bad record is and ids stay stable: the same
record in the same file gets the same id in every run, however the file was split.
"""
from __future__ import annotations

import gzip
import io
import json
import zlib
from dataclasses import dataclass
from typing import Iterator, Optional, Union

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline.document import Reject, valid_text

FORMATS = ("auto", "text", "html", "jsonl", "warc")
_EXTENSIONS = {
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".warc": "warc",
}
_COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class JsonFields:
    text: str = "text"
    html: str = "html"
    id: str = "id"
    url: str = "url"


@dataclass(frozen=True)
class Record:
    """One input document found in a file: plain text or an HTML page (bytes, or str from JSON)."""
    kind: str  # "text" | "html"
    data: Union[bytes, str]
    offset: int  # byte offset of the record in the decompressed file
    line: Optional[int] = None  # 1-based line number, when known
    source_id: Optional[str] = None
    url: Optional[str] = None
    content_type: Optional[str] = None  # the HTTP Content-Type header (WARC)

    @property
    def where(self) -> str:
        return locator(self.offset, self.line)

    @property
    def size(self) -> int:
        """Bytes of the content (UTF-8 bytes for text taken from JSON)."""
        data = self.data
        return len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class BadRecord:
    """A record (or the rest of a file) that could not be read; becomes a reject."""
    reason: str
    detail: str
    offset: int
    line: Optional[int] = None
    size: int = 0

    @property
    def where(self) -> str:
        return locator(self.offset, self.line)


def locator(offset: int, line: Optional[int]) -> str:
    return f"line {line} (byte {offset})" if line is not None else f"byte {offset}"


# --- names -------------------------------------------------------------------------------------------
def compression_of(path: str) -> Optional[str]:
    name = path.lower()
    for suffix, kind in _COMPRESSIONS.items():
        if name.endswith(suffix):
            return kind
    return None


def format_of(path: str, forced: str = "auto") -> str:
    """The reader for a path: `forced` unless 'auto', else by extension (after .gz/.zst)."""
    if forced != "auto":
        return forced
    name = path.lower()
    for suffix in _COMPRESSIONS:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    dot = name.rfind(".")
    return _EXTENSIONS.get(name[dot:], "text") if dot >= 0 else "text"


def split_ranges(path: str, size: int, fmt: str, split_bytes: int) -> list[tuple[int, Optional[int]]]:
    """[(start, end)] byte ranges to read a file in; one (0, None) unless it is a big plain JSON Lines file."""
    if fmt != "jsonl" or compression_of(path) or split_bytes <= 0 or size <= split_bytes:
        return [(0, None)]
    return [(start, min(start + split_bytes, size)) for start in range(0, size, split_bytes)]


# --- streams -----------------------------------------------------------------------------------------
def open_raw(path: str):
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


class GuardedStream(io.RawIOBase):
    """A decompressing stream that ends, instead of raising, at a truncated or corrupt spot.

    Reads one decompression step at a time (read1), so the data before the bad spot is delivered, and
    keeps the error and the offset where it happened for the reader to report after its last record.
    """

    def __init__(self, inner):
        self.inner = inner
        self.error: Optional[BaseException] = None
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.error is not None:
            return 0
        try:
            data = self.inner.read1(len(b))
        except Exception as err:  # EOFError, zlib.error, BadGzipFile, ZstdError
            self.error = err
            return 0
        b[: len(data)] = data
        self.position += len(data)
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()

    def problem(self) -> Optional["BadRecord"]:
        return None if self.error is None else stream_error(self.error, self.position)


def open_decompressed(path: str):
    """A binary stream of the file's content, gzip/zstd decompressed by the file's suffix.

    A compressed file comes back as a GuardedStream: check `.problem()` after reading it to the end.
    """
    raw = open_raw(path)
    kind = compression_of(path)
    if kind == "gzip":
        return GuardedStream(gzip.GzipFile(fileobj=raw, mode="rb"))
    if kind == "zstd":
        import zstandard

        return GuardedStream(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True,
                                                                        closefd=True))
    return raw


def stream_problem(fh) -> Optional["BadRecord"]:
    return fh.problem() if isinstance(fh, GuardedStream) else None


def stream_error(err: BaseException, offset: int) -> BadRecord:
    """A BadRecord for a decompression failure (truncated or corrupt file), else None."""
    if isinstance(err, EOFError):
        return BadRecord("truncated", f"the compressed stream ends early, at byte {offset} of its content "
                         "(a truncated download?); the records before it were read", offset)
    if isinstance(err, (zlib.error, gzip.BadGzipFile)) or type(err).__name__ == "ZstdError":
        return BadRecord("bad_compression", f"corrupt compressed data after byte {offset} of its content: "
                         f"{err}; the records before it were read", offset)
    return BadRecord("unreadable", f"reading failed after byte {offset}: {type(err).__name__}: {err}", offset)


def read_whole(path: str, limit: int) -> bytes:
    """At most limit + 1 bytes of the decompressed file (one more than allowed says it is too large)."""
    with open_decompressed(path) as fh:
        out = bytearray()
        while len(out) <= limit:
            chunk = fh.read(min(READ_CHUNK, limit + 1 - len(out)))
            if not chunk:
                break
            out += chunk
        bad = stream_problem(fh)
        if bad is not None:
            raise Reject(bad.reason, bad.detail)
        return bytes(out)


# --- JSON Lines ----------------------------------------------------------------------------------------
def iter_lines(fh, max_bytes: int, start: int = 0, end: Optional[int] = None):
    """(offset, line bytes or None if longer than max_bytes, length, ends with newline) per line starting in [start, end).

    Reads in chunks, so an over-long line (a 100 MB single-line file) is skipped without being held.
    With start > 0 the stream is positioned at start - 1 and the partial line there belongs to the range
    before (a line starting exactly at `start` is ours).
    """
    line_start = 0
    if start > 0:
        fh.seek(start - 1)
        line_start = start - 1
    skipping = start > 0  # the line in progress belongs to the range before
    buf, length, too_long = bytearray(), 0, False
    while True:
        chunk = fh.read(READ_CHUNK)
        if not chunk:
            break
        i = 0
        while True:
            nl = chunk.find(b"\n", i)
            seg = chunk[i:] if nl < 0 else chunk[i:nl]
            length += len(seg)
            if not skipping and not too_long:
                if length > max_bytes:
                    too_long, buf = True, bytearray()
                else:
                    buf += seg
            if nl < 0:
                break
            if not skipping:
                if end is not None and line_start >= end:
                    return
                yield line_start, (None if too_long else bytes(buf)), length, True
            line_start += length + 1
            skipping, buf, length, too_long = False, bytearray(), 0, False
            if end is not None and line_start >= end:
                return
            i = nl + 1
    if length and not skipping and (end is None or line_start < end):  # a last line without newline
        yield line_start, (None if too_long else bytes(buf)), length, False


def jsonl_records(fh, fields: JsonFields, max_bytes: int, start: int = 0,
                  end: Optional[int] = None) -> Iterator[Union[Record, BadRecord]]:
    """Records of a JSON Lines stream (a text or an html field each); bad lines become BadRecords."""
    number = 0 if start == 0 else None  # line numbers are known only when reading from the start
    offset = start
    try:
        for offset, data, length, complete in iter_lines(fh, max_bytes, start, end):
            if not complete and stream_problem(fh) is not None:
                break  # the line the file was cut in: reported below as the truncation
            if number is not None:
                number += 1
            if data is None:
                yield BadRecord("too_large", f"{length} bytes, over input.max_document_bytes={max_bytes}",
                                offset, number, length)
                continue
            if not data.strip():
                continue  # blank lines separate nothing and are no records
            yield _json_record(data, fields, offset, number)
    except OSError as err:  # the storage failed under us: say where, the records before it stand
        yield stream_error(err, offset)
    bad = stream_problem(fh)
    if bad is not None:
        yield bad


def _json_record(data: bytes, fields: JsonFields, offset: int, line: Optional[int]) -> Union[Record, BadRecord]:
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as err:
        return BadRecord("bad_json", f"not valid JSON: {err}"[:500], offset, line, len(data))
    if not isinstance(obj, dict):
        return BadRecord("bad_json", f"a JSON {type(obj).__name__}, not an object", offset, line, len(data))
    text, html = valid_text(obj.get(fields.text)), valid_text(obj.get(fields.html))
    raw_id, url = obj.get(fields.id), valid_text(obj.get(fields.url))
    source_id = None if raw_id is None else valid_text(str(raw_id))
    url = url if isinstance(url, str) and url else None
    if isinstance(text, str) and text.strip():
        return Record("text", text, offset, line, source_id, url)
    if isinstance(html, str) and html.strip():
        return Record("html", html, offset, line, source_id, url)
    keys = valid_text(", ".join(sorted(map(str, obj))[:10])) or "none"
    return BadRecord("no_text_field", f"no non-empty {fields.text!r} or {fields.html!r} string field "
                     f"(keys: {keys})", offset, line, len(data))


# --- WARC ----------------------------------------------------------------------------------------------
class _Resumed(io.RawIOBase):
    """Bytes already read (from a resync scan) followed by the rest of a stream."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(b))
        b[: len(data)] = data
        return len(data)


_WARC_START = b"WARC/1."


def _resync(fh, skip: int) -> tuple[int, bytes]:
    """Skip `skip` bytes, then read until a line starting with 'WARC/1.'; returns (bytes passed, head)."""
    passed, buf = 0, b""
    while skip > 0:
        data = fh.read(min(READ_CHUNK, skip))
        if not data:
            return passed, b""
        skip -= len(data)
        passed += len(data)
    while True:
        data = fh.read(READ_CHUNK)
        if not data:
            return passed + len(buf), b""
        buf += data
        at = buf.find(b"\n" + _WARC_START)
        if at >= 0:
            return passed + at + 1, buf[at + 1:]
        keep = len(_WARC_START)
        passed += len(buf) - keep
        buf = buf[-keep:]


def warc_records(fh, max_bytes: int) -> Iterator[Union[Record, BadRecord]]:
    """HTML response records of a (decompressed) WARC stream.

    A record warcio cannot parse is reported with its offset, and reading resumes at the next line that
    starts a WARC record. A record whose Content-Length does not match its block (warcio then finds
    the next record by itself) is reported too. Records that are not HTML responses (warcinfo, request,
    metadata, images, ...) are not documents and are passed over.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    base = 0  # offset of the current iterator's start in the whole stream
    stream = fh
    while True:
        iterator = ArchiveIterator(stream, check_digests=False)
        errors = iterator.err_count
        offset = base
        try:
            for record in iterator:
                if iterator.err_count > errors:
                    errors = iterator.err_count
                    yield BadRecord("bad_warc_record", "the WARC record before this offset has a wrong "
                                    "Content-Length: its end was guessed", base + iterator.offset)
                offset = base + iterator.offset
                page = _warc_page(record, offset, max_bytes)
                if page is not None:
                    yield page
        # AttributeError: warcio's parser on a record cut off inside its header
        except (ArchiveLoadFailed, ValueError, AttributeError) as err:
            bad_at = base + iterator.offset
            yield BadRecord("bad_warc_record", f"unreadable WARC record: {type(err).__name__}: {err}"[:500],
                            bad_at)
            reader = iterator.reader
            position = base + iterator.fh.tell() - reader.rem_length()
            passed, head = _resync(reader, 0)
            if head:
                base = position + passed
                stream = io.BufferedReader(_Resumed(head, reader), READ_CHUNK)
                continue
        except OSError as err:
            yield stream_error(err, offset)
        break
    bad = stream_problem(fh)
    if bad is not None:
        yield bad


def _warc_page(record, offset: int, max_bytes: int) -> Union[Record, BadRecord, None]:
    if record.rec_type != "response":
        return None
    http = record.http_headers
    content_type = http.get_header("Content-Type") if http is not None else None
    if content_type and not content_type.split(";")[0].strip().lower() in HTML_CONTENT_TYPES:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    stream = record.content_stream()
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        length = record.rec_headers.get_header("Content-Length") or "more than " + str(max_bytes)
        return BadRecord("too_large", f"WARC record of {length} bytes ({url}), over the size limit",
                         offset, None, len(data))
    return Record("html", data, offset, None, record_id, url, content_type)
