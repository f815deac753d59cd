"""The Beam shell: DoFns that wrap the pure steps, count every outcome, and route documents.

Nothing clever lives here. Each DoFn has a main output and tagged outputs for rejects (dict records)
and audit (dict records). A document is one element; lines never are.
"""
from __future__ import annotations

import traceback

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline import sources, steps
from pipeline.steps import repeats
from pipeline.document import Document, Reject, reject_record, stable_id
from pipeline.report import NAMESPACE

REJECTS = "rejects"
AUDIT = "audit"


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
    """Document -> clean record (main), reject record, and an audit record when lines were removed.

    With `emit_documents`, the main output is the cleaned Document itself (for corpus-level passes
    that follow); its audit record and clean record are then written by FinishDocuments.
    """

    def __init__(self, config, emit_documents: bool = False):
        self.config = config
        self.emit_documents = emit_documents
        self.steps = None
        # phrase packs are read here, where the config's files are, and travel with the DoFn
        self.lexicon = steps.chrome_lexicon(config) if config.chrome.enabled else None

    def setup(self):
        self.steps = steps.text_steps(self.config, self.lexicon)

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
        if self.emit_documents:
            yield current
            return
        yield from self._audit(current)
        yield current.clean_record()


class FinishDocuments(CleanDocuments):
    """Document after corpus-level passes -> quality gates again -> clean record / reject, and audit."""

    def __init__(self, config):
        super().__init__(config)
        self.lexicon = None  # no chrome step here

    def setup(self):
        self.steps = steps.gate_steps(self.config)


class RemoveCorpusRepeats(beam.PTransform):
    """Documents -> the same documents with lines that recur across many documents marked removed.

    Counts, for each normalised short line, the documents of the same site (and of the whole
    corpus) holding it, with a combiner (no global list in memory); lines at or over the thresholds
    are joined back to their documents (CoGroupByKey) and marked `corpus.repeated_line`.
    """

    def __init__(self, min_docs_site: int, min_docs_corpus: int, max_chars: int):
        super().__init__()
        self.min_docs_site = min_docs_site
        self.min_docs_corpus = min_docs_corpus
        self.max_chars = max_chars

    def expand(self, docs):
        max_chars, site_min, corpus_min = self.max_chars, self.min_docs_site, self.min_docs_corpus
        occurrences = docs | "LineKeys" >> beam.FlatMap(lambda d: repeats.scoped_keys(d, max_chars))
        frequent = (
            occurrences
            | "One" >> beam.Map(lambda kv: (kv[0], 1))
            | "DocsPerLine" >> beam.CombinePerKey(sum)
            | "Frequent" >> beam.Filter(lambda kv: repeats.is_frequent(kv[0][0], kv[1], site_min, corpus_min))
        )
        to_remove = (
            {"occ": occurrences, "n": frequent}
            | "JoinLines" >> beam.CoGroupByKey()
            | "PerDocument" >> beam.FlatMap(
                lambda kv: [occ for occ in kv[1]["occ"]] if list(kv[1]["n"]) else [])
        )
        return (
            {"doc": docs | "ById" >> beam.Map(lambda d: (d.id, d)), "drop": to_remove}
            | "JoinDocs" >> beam.CoGroupByKey()
            | "Remove" >> beam.FlatMap(_apply_repeats)
        )


def _apply_repeats(kv):
    doc_id, grouped = kv
    drop = [i for indices in grouped["drop"] for i in indices]
    for doc in grouped["doc"]:
        yield repeats.remove_repeats(doc, drop) if drop else doc


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
            count(f"clean_lang.{record.get('lang') or 'none'}")
        yield record
