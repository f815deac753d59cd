"""The Beam shell: DoFns that wrap the pure steps, count every outcome, and route documents.

Nothing clever lives here. Each DoFn has a main output and tagged outputs for rejects (dict records)
and audit (dict records). A document is one element; lines never are.
"""
from __future__ import annotations

import traceback

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline import readers, sources, steps
from pipeline.document import Document, Reject, reject_record, stable_id
from pipeline.report import NAMESPACE

REJECTS = "rejects"
AUDIT = "audit"
PAGES = "pages"


def count(name: str, n: int = 1) -> None:
    Metrics.counter(NAMESPACE, name).inc(n)


def error_detail(err: BaseException) -> str:
    """One line: the exception and where it was raised (innermost frame inside the project)."""
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if "/pipeline/" in f.filename.replace("\\", "/")] or frames
    where = f" at {ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].lineno} in {ours[-1].name}" if ours else ""
    return f"{type(err).__name__}: {err}{where}"[:2000]


def rejected(doc_id: str, source: str, reason: str, detail: str, **extra):
    count(f"rejected.{reason}")
    return beam.pvalue.TaggedOutput(REJECTS, reject_record(doc_id, source, reason, detail, **extra))


class ExpandInputs(beam.DoFn):
    """Input spec (file, folder or glob) -> InputFile per matched file."""

    def __init__(self, skip_hidden: bool):
        self.skip_hidden = skip_hidden

    def process(self, spec: str):
        yield from sources.expand_spec(spec, self.skip_hidden)


def split_input(f: sources.InputFile, fmt: str = "auto", split_bytes: int = 0):
    """InputFile -> InputFiles of byte ranges (only big uncompressed JSON Lines files are split)."""
    ranges = readers.split_ranges(f.path, f.size, readers.format_of(f.path, fmt), split_bytes)
    return [sources.InputFile(f.path, f.size, start, end) for start, end in ranges]


class ReadDocuments(beam.DoFn):
    """InputFile -> Document (main), an HTML page to extract (PAGES) or a reject record.

    Counts docs_in (one per document found: a file, a JSON line, a WARC response) and bytes_in.
    """

    def __init__(self, encoding: str, max_bytes: int, fmt: str = "auto",
                 fields: readers.JsonFields = readers.JsonFields()):
        self.encoding = encoding
        self.max_bytes = max_bytes
        self.fmt = fmt
        self.fields = fields

    def process(self, f: sources.InputFile):
        fmt = readers.format_of(f.path, self.fmt)
        count("bytes_in", (f.end if f.end is not None else f.size) - f.start)
        if fmt in ("text", "html"):
            yield from self._read_file(f, fmt)
        else:
            yield from self._read_records(f, fmt)

    def _read_file(self, f: sources.InputFile, fmt: str):
        count("docs_in")
        data = b""
        try:
            data = readers.read_whole(f.path, self.max_bytes)
            if len(data) > self.max_bytes:
                doc_id = stable_id(f.path, sources.hash_file(f.path))
                yield rejected(doc_id, f.path, "too_large",
                               f"{f.size} bytes, over input.max_document_bytes={self.max_bytes}", bytes=f.size)
                return
            if fmt == "html":
                record = readers.Record("html", data, 0)
                yield beam.pvalue.TaggedOutput(PAGES, sources.Page(stable_id(f.path, data), f.path, record, False))
                return
            yield sources.text_document(f.path, data, self.encoding)
        except Reject as r:
            yield rejected(stable_id(f.path, data), f.path, r.reason, r.detail, bytes=len(data))
        except Exception as err:  # one bad file must not stop the run
            yield rejected(stable_id(f.path, data), f.path, "error", error_detail(err), bytes=len(data))

    def _read_records(self, f: sources.InputFile, fmt: str):
        try:
            with readers.open_decompressed(f.path) as fh:
                if fmt == "jsonl":
                    items = readers.jsonl_records(fh, self.fields, self.max_bytes, f.start, f.end)
                else:
                    items = readers.warc_records(fh, self.max_bytes)
                for item in items:
                    count("docs_in")
                    yield self._route(f.path, item)
        except Exception as err:  # the file itself cannot be opened or read: one reject for the rest
            count("docs_in")
            where = f"{f.path}@{f.start}"
            yield rejected(stable_id(where, b""), f.path, "error", error_detail(err), bytes=0)

    def _route(self, source: str, item):
        if isinstance(item, readers.BadRecord):
            doc_id = stable_id(f"{source}@{item.offset}", item.reason.encode())
            return rejected(doc_id, source, item.reason, f"{item.where}: {item.detail}",
                            bytes=item.size, offset=item.offset)
        doc_id = sources.record_id(source, item)
        try:
            if item.kind == "html":
                return beam.pvalue.TaggedOutput(PAGES, sources.Page(doc_id, source, item, True))
            return sources.record_document(source, item, self.encoding)
        except Reject as r:
            return rejected(doc_id, source, r.reason, f"{item.where}: {r.detail}", bytes=item.size,
                            offset=item.offset)
        except Exception as err:
            return rejected(doc_id, source, "error", f"{item.where}: {error_detail(err)}", bytes=item.size,
                            offset=item.offset)


class ExtractHtml(beam.DoFn):
    """Page -> Document (main) of its main text and metadata, or a reject (too_large, timeout, not_html, ...).

    With html.isolate each worker extracts in one reusable child process (pipeline/isolation.py), so a
    page that hangs is stopped after html.timeout_s and the run goes on.
    """

    def __init__(self, html_config, encoding: str = "auto"):
        self.html_config = html_config
        self.encoding = encoding
        self.extract = None

    def setup(self):
        from pipeline.isolation import IsolatedCall
        from pipeline.steps import html

        self.options = html.HtmlOptions(
            extractor=self.html_config.extractor, favor_precision=self.html_config.favor_precision,
            include_tables=self.html_config.include_tables, max_depth=self.html_config.max_depth)
        if self.html_config.isolate:
            self.extract = IsolatedCall(html.extract_page, self.html_config.timeout_s, warm_up=html.warm_up)
        else:
            self.extract = html.extract_page

    def teardown(self):
        close = getattr(self.extract, "close", None)
        if close:
            close()

    def process(self, page: sources.Page):
        from pipeline.isolation import IsolatedTimeout

        record = page.record
        where = f"{record.where}: " if page.in_container else ""
        size = record.size
        extra = {"offset": record.offset} if page.in_container else {}
        if size > self.html_config.max_bytes:
            yield rejected(page.id, page.source, "too_large",
                           f"{where}page of {size} bytes, over html.max_bytes={self.html_config.max_bytes}",
                           bytes=size, **extra)
            return
        try:
            extraction = self.extract(record.data, record.url, record.content_type, self.options, self.encoding)
            doc = sources.page_document(page, extraction)
        except Reject as r:
            yield rejected(page.id, page.source, r.reason, where + r.detail, bytes=size, **extra)
            return
        except IsolatedTimeout as err:
            yield rejected(page.id, page.source, "timeout",
                           f"{where}extraction stopped after html.timeout_s={self.html_config.timeout_s} ({err})",
                           bytes=size, **extra)
            return
        except Exception as err:  # IsolatedCrash (the child died) or an unexpected error in extraction
            yield rejected(page.id, page.source, "error", where + error_detail(err), bytes=size, **extra)
            return
        count(f"html_extractor.{doc.extra.get('html_extractor')}")
        yield doc


class CleanDocuments(beam.DoFn):
    """Document -> clean record (main), reject record, and an audit record when lines were removed."""

    def __init__(self, config):
        self.config = config
        self.steps = None

    def setup(self):
        self.steps = steps.text_steps(self.config)

    def _audit(self, doc: Document):
        counts = doc.removed_counts()
        for rule, n in counts.items():
            count(f"removed_lines.{rule}", n)
        if counts:
            yield beam.pvalue.TaggedOutput(AUDIT, doc.audit_record())

    def process(self, doc: Document):
        current = doc
        try:
            for _name, step in self.steps:
                current = step(current)
        except Reject as r:
            yield from self._audit(current)
            yield rejected(doc.id, doc.source, r.reason, r.detail, bytes=doc.bytes_in)
            return
        except Exception as err:
            yield rejected(doc.id, doc.source, "error", error_detail(err), bytes=doc.bytes_in)
            return
        yield from self._audit(current)
        yield current.clean_record()


class CountWritten(beam.DoFn):
    """Counts records on their way to a sink (`written.<kind>`), and the clean text bytes for clean/.

    Counting at the sinks makes the accounting identity check the whole graph: a document lost
    between reading and writing shows up as docs_in != clean + rejected + duplicates.
    """

    def __init__(self, kind: str):
        self.kind = kind

    def process(self, record: dict):
        count(f"written.{self.kind}")
        if self.kind == "clean":
            count("bytes_out", len(record["text"].encode("utf-8")))
        yield record
