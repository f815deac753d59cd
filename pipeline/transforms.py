"""The Beam shell: DoFns that wrap the pure steps, count every outcome, and route documents.

Nothing clever lives here. Each DoFn has a main output and tagged outputs for rejects (dict records)
and audit (dict records). A document is one element; lines never are.
"""
from __future__ import annotations

import traceback

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline import sources, steps
from pipeline.document import Document, Reject, reject_record, stable_id
from pipeline.report import NAMESPACE

REJECTS = "rejects"
AUDIT = "audit"
BITEXT = "bitext"


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


class ReadDocuments(beam.DoFn):
    """InputFile -> Document (main) or a reject record; counts docs_in and bytes_in."""

    def __init__(self, encoding: str, max_bytes: int):
        self.encoding = encoding
        self.max_bytes = max_bytes

    def process(self, f: sources.InputFile):
        count("docs_in")
        count("bytes_in", f.size)
        data = b""
        try:
            data = sources.read_limited(f.path, self.max_bytes)
            if len(data) > self.max_bytes:
                doc_id = stable_id(f.path, sources.hash_file(f.path))
                yield rejected(doc_id, f.path, "too_large",
                               f"{f.size} bytes, over input.max_document_bytes={self.max_bytes}", bytes=f.size)
                return
            yield sources.text_document(f.path, data, self.encoding)
        except Reject as r:
            yield rejected(stable_id(f.path, data), f.path, r.reason, r.detail, bytes=len(data))
        except Exception as err:  # one bad file must not stop the run
            yield rejected(stable_id(f.path, data), f.path, "error", error_detail(err), bytes=len(data))


class CleanDocuments(beam.DoFn):
    """Document -> clean record (main), reject record, an audit record when lines were removed, and
    bitext records (aligned pairs of translated halves)."""

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
        # A step may split a document in two (translated halves with keep: both): it leaves the
        # second one in notes["split_off"], which then runs through the remaining steps on its own
        # and is counted as `split` (the summary checks docs_in + split == clean + rejected + dups).
        pending = [(doc, 0)]
        while pending:
            current, start = pending.pop(0)
            original = current
            try:
                for k in range(start, len(self.steps)):
                    current = self.steps[k][1](current)
                    split_off = current.notes.get("split_off")
                    if split_off is not None:
                        count("split")
                        current = current.replace(notes={n: v for n, v in current.notes.items() if n != "split_off"})
                        pending.append((split_off, k + 1))
            except Reject as r:
                yield from self._audit(current)
                yield rejected(original.id, original.source, r.reason, r.detail, bytes=original.bytes_in)
                continue
            except Exception as err:
                yield rejected(original.id, original.source, "error", error_detail(err), bytes=original.bytes_in)
                continue
            yield from self._audit(current)
            yield from self._bitext(current)
            yield current.clean_record()

    def _bitext(self, doc: Document):
        """Aligned pairs of a clean document (their doc_id always names a record in clean/)."""
        for record in doc.notes.get("bitext") or ():
            yield beam.pvalue.TaggedOutput(BITEXT, record)


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
