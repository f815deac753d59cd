"""The Beam shell: DoFns that wrap the pure steps, count every outcome, and route documents.

Nothing clever lives here. Each DoFn has a main output and tagged outputs for rejects (dict records)
and audit (dict records). A document is one element; lines never are.
"""
from __future__ import annotations

import hashlib
import traceback

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline import progress, readers, sinks, sources, spill, steps
from pipeline.gc_tuning import tune_gc
from pipeline.spill import flatten
from pipeline.steps import repeats
from pipeline.document import Document, Reject, reject_record, stable_id
from pipeline.report import NAMESPACE
from pipeline.steps import dedup

REJECTS = "rejects"
AUDIT = "audit"
PAGES = "pages"
BITEXT = "bitext"


_COUNTERS: dict = {}


def count(name: str, n: int = 1) -> None:
    """Adds n to the Beam counter `name` (counter objects are made once per process: a counter
    finds the running bundle's metrics when incremented, so one object serves every bundle)."""
    counter = _COUNTERS.get(name)
    if counter is None:
        counter = _COUNTERS[name] = Metrics.counter(NAMESPACE, name)
    counter.inc(n)


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


class BatchFiles(beam.DoFn):
    """InputFiles -> lists of at most `max_files` of them holding about `max_bytes` of input."""

    def __init__(self, max_files: int = 64, max_bytes: int = 1 << 20):
        self.max_files = max_files
        self.max_bytes = max_bytes

    def start_bundle(self):
        self.batch: list = []
        self.bytes = 0

    def process(self, f: sources.InputFile):
        self.batch.append(f)
        self.bytes += (f.end if f.end is not None else f.size) - f.start
        if len(self.batch) >= self.max_files or self.bytes >= self.max_bytes:
            yield self.batch
            self.batch, self.bytes = [], 0

    def finish_bundle(self):
        if self.batch:
            yield sinks.in_global_window(self.batch)
        self.batch, self.bytes = [], 0


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
    """Document -> clean record (main), reject record, an audit record when lines were removed, and
    bitext records (aligned pairs of translated halves).

    With `emit_documents`, the main output is the cleaned Document itself (for corpus-level passes
    that follow); its audit, bitext and clean records are then written by FinishDocuments.
    """

    def __init__(self, config, emit_documents: bool = False):
        self.config = config
        self.emit_documents = emit_documents
        self.steps = None
        # phrase packs are read here, where the config's files are, and travel with the DoFn
        self.lexicon = steps.chrome_lexicon(config) if config.chrome.enabled else None

    def setup(self):
        tune_gc()
        self.steps = steps.text_steps(self.config, self.lexicon)

    def _audit(self, doc: Document):
        counts = doc.removed_counts()
        for rule, n in counts.items():
            count(f"removed_lines.{rule}", n)
        if counts:
            yield beam.pvalue.TaggedOutput(AUDIT, doc.audit_record())

    def _bitext(self, doc: Document):
        """Aligned pairs of a document that reached the end of the chain."""
        for record in doc.notes.get("bitext") or ():
            yield beam.pvalue.TaggedOutput(BITEXT, record)

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
            if self.emit_documents:
                yield current
                continue
            yield from self._records(current)

    def _records(self, doc: Document):
        """The outputs of a document that passed every step: audit, bitext and clean records."""
        yield from self._audit(doc)
        yield from self._bitext(doc)
        yield doc.clean_record()


class FinishDocuments(CleanDocuments):
    """Document after corpus-level passes -> quality gates again -> clean record / reject, and audit."""

    def __init__(self, config):  # no chrome step here: no phrase packs to load
        self.config = config
        self.emit_documents = False
        self.steps = None
        self.lexicon = None

    def setup(self):
        tune_gc()
        self.steps = steps.gate_steps(self.config)

    def process(self, doc: Document):
        if repeats.RULE not in doc.removed.values():
            # the corpus pass changed nothing: CleanDocuments ran these gates on this very document
            yield from self._records(doc)
            return
        yield from super().process(doc)


LINE_KEYS = "line_keys"


class SpillWithLineKeys(spill.SpillWriter):
    """Document -> spill files of (document, its repeat keys); the list of its (scope, line key)s on
    LINE_KEYS."""

    def __init__(self, tmp_dir: str, max_chars: int):
        super().__init__(tmp_dir, "docs")
        self.max_chars = max_chars

    def process(self, doc: Document):
        keys = list(repeats.scoped_keys(doc, self.max_chars))
        if keys:
            yield beam.pvalue.TaggedOutput(LINE_KEYS, [scoped for scoped, _occurrence in keys])
        self.spill((doc, keys))


def apply_repeats(path: str, frequent):
    """Spill file -> its documents, the lines whose (scope, key) is frequent marked removed."""
    frequent = set(frequent)
    for doc, keys in spill.read_spill(path):
        drop = [i for scoped, (_id, indices) in keys if scoped in frequent for i in indices]
        yield repeats.remove_repeats(doc, drop) if drop else doc


class RemoveCorpusRepeats(beam.PTransform):
    """Documents (one PCollection or a tuple) -> the same documents with lines that recur across many
    documents marked removed.

    The documents wait in spill files (pipeline/spill.py) while a combiner counts, for each
    normalised short line, the documents of the same site (and of the whole corpus) holding it;
    the lines at or over the thresholds (few) come back as a side input to the pass that reads the
    spill files and marks them `corpus.repeated_line`. Nothing holds the corpus in memory.
    """

    def __init__(self, tmp_dir: str, min_docs_site: int, min_docs_corpus: int, max_chars: int,
                 key_partitions: int | None = None):
        super().__init__()
        self.tmp_dir = tmp_dir
        self.min_docs_site = min_docs_site
        self.min_docs_corpus = min_docs_corpus
        self.max_chars = max_chars
        self.key_partitions = key_partitions  # spill.GroupKeys: None = Beam's shuffle, else on disk

    def expand(self, docs):
        site_min, corpus_min = self.min_docs_site, self.min_docs_corpus
        parts = docs if isinstance(docs, tuple) else (docs,)
        spilled = [part | f"Spill{i}" >> beam.ParDo(SpillWithLineKeys(self.tmp_dir, self.max_chars)).with_outputs(
            LINE_KEYS, main="files") for i, part in enumerate(parts)]
        # spill files are spread over the workers (the Reshuffle of file names also keeps the local
        # runner from scheduling a reader before the side input it waits for)
        files = flatten([s.files for s in spilled], "SpillFiles") | "SpreadFiles" >> beam.Reshuffle()
        frequent = (
            tuple(s[LINE_KEYS] for s in spilled)
            | "DocsPerLine" >> spill.GroupKeys(self.tmp_dir, self.key_partitions, count=True, batched=True)
            | "Frequent" >> beam.Filter(lambda kv: repeats.is_frequent(kv[0], kv[1], site_min, corpus_min))
            | "Keys" >> beam.Keys()
        )
        return files | "Remove" >> beam.FlatMap(apply_repeats, beam.pvalue.AsList(frequent))


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
            count(f"clean_lang.{record.get('lang') or 'und'}")
        yield record


# --- corpus de-duplication (pure part in pipeline/steps/dedup.py) ------------------------------------
DUPLICATES = "duplicates"


EXACT_KEYS = "exact_keys"
BANDS = "bands"


SKETCHES = "sketches"  # prefix of the sketch files in the dedup folder


class SpillWithDedupKeys(spill.SpillWriter):
    """Clean record -> spill files of records; (exact key, rank) on EXACT_KEYS and the list of its
    (band key, member)s, one per LSH band, on BANDS; rank = dedup.rank_bytes (smaller = kept first),
    exact key 16 bytes.

    With near de-duplication each document's sketch (its `verify_shingles` smallest shingle hashes,
    little-endian uint32) is written once to a sketch file, and the member names its place:
    member = exact key (16 bytes) + sketch place (24 bytes, spill.compact_place) + rank. Candidate
    pairs then carry their sketches' places, so verifying a pair reads two sketches by place: no
    side input, no second pass over the spilled records. Keys are short bytes, not strings and
    tuples: every document sends 1 + bands of them through a grouping.

    Without exact de-duplication a digest of the id stands in for the exact key (every document its
    own group).
    """

    def __init__(self, tmp_dir: str, cfg):
        super().__init__(tmp_dir, "records")
        self.cfg = cfg
        self.hasher = None

    def setup(self):
        self.hasher = dedup.MinHasher(self.cfg.num_perm, self.cfg.bands)

    def start_bundle(self):
        super().start_bundle()
        self.sketches = spill.RollingFiles(self.tmp_dir, SKETCHES)

    def process(self, record: dict):
        cfg = self.cfg
        rank = dedup.rank_bytes(record["id"], record["chars"])
        if cfg.near:
            exact_hex, hashes = dedup.exact_key_and_shingle_hashes(record["text"], cfg.word_ngram, cfg.char_ngram)
        elif cfg.exact:
            exact_hex = dedup.exact_key(record["text"])
        exact = (bytes.fromhex(exact_hex) if cfg.exact
                 else hashlib.blake2b(record["id"].encode("utf-8", "surrogatepass"), digest_size=16).digest())
        if cfg.exact:
            yield beam.pvalue.TaggedOutput(EXACT_KEYS, (exact, rank))
        if cfg.near:
            if len(hashes):  # no letters or digits: nothing to compare, never a near duplicate
                sketch = hashes[:cfg.verify_shingles].astype("<u4").tobytes()
                member = exact + spill.compact_place(*self.sketches.write(sketch), len(sketch)) + rank
                yield beam.pvalue.TaggedOutput(BANDS, [
                    (key, member) for key in self.hasher.band_keys(self.hasher.signature(hashes))])
        self.spill(record)

    def finish_bundle(self):
        self.sketches.close()  # found by place, not listed
        yield from super().finish_bundle()


def _exact_removed(element):
    """(exact key, ranks) -> (id, (keeper id, "exact", 1.0)) for every document but the keeper."""
    _key, ranks = element
    ordered = sorted(set(ranks))
    for rank in ordered[1:]:
        yield dedup.id_of_rank(rank), (dedup.id_of_rank(ordered[0]), "exact", 1.0)


def _bucket_pairs(element):
    """(band key, members) -> one list of the candidate pairs among the bucket's exact-group keepers
    (nothing for a bucket of one group), each pair keyed for de-duplication: (len(rank a) + rank a +
    rank b, place a + place b).

    The documents of one exact group share every band, so the best rank per exact key in a bucket
    is the group's keeper: exact duplicates never become near-duplicate candidates. Nodes are
    (rank, sketch place): they sort by rank, the keeper rule's order.
    """
    _key, members = element
    best: dict = {}
    for member in members:
        exact, node = member[:16], (member[40:], member[16:40])
        if exact not in best or node < best[exact]:
            best[exact] = node
    if len(best) > 1:
        yield [(len(rank_a).to_bytes(2, "big") + rank_a + rank_b, place_a + place_b)
               for (rank_a, place_a), (rank_b, place_b) in dedup.bucket_pairs(list(best.values()))]


def _candidate_pair(element):
    """(pair key, the pair's places) -> ((rank a, place a), (rank b, place b))."""
    key, places = element
    n = int.from_bytes(key[:2], "big")
    return (key[2:2 + n], places[:24]), (key[2 + n:], places[24:])


class ScorePairs(beam.DoFn):
    """((rank a, place a), (rank b, place b)) -> (that pair, Jaccard from the two bottom-k sketches);
    with a `threshold`, only the pairs at or above it (and both counted: candidate and similar pairs).

    The sketches are read back from the sketch files by place, the most recent ones kept in a small
    cache (pairs come sorted by their first rank, so one document's sketch serves its run of pairs);
    so pairs never carry shingles and no join or side input is needed.
    """

    CACHE = 1024  # sketches of at most verify_shingles hashes each: at most ~4 MB

    def __init__(self, tmp_dir: str, k: int, threshold: float | None = None):
        self.tmp_dir = tmp_dir
        self.k = k
        self.threshold = threshold

    def start_bundle(self):
        self.files = {}
        self.cache = {}

    def _sketch(self, place: bytes) -> np.ndarray:
        hashes = self.cache.get(place)
        if hashes is None:
            path, offset, length = spill.place_path(self.tmp_dir, SKETCHES, place)
            fh = self.files.get(path)
            if fh is None:
                fh = self.files[path] = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
            fh.seek(offset)
            hashes = np.frombuffer(fh.read(length), dtype="<u4")
            if len(self.cache) >= self.CACHE:
                self.cache.pop(next(iter(self.cache)))  # oldest first (dicts keep insertion order)
            self.cache[place] = hashes
        return hashes

    def process(self, pair):
        (_a, place_a), (_b, place_b) = pair
        similarity = dedup.sketch_jaccard(self._sketch(place_a), self._sketch(place_b), self.k)
        if self.threshold is None:
            yield pair, similarity
            return
        count("dedup.candidate_pairs")
        if similarity >= self.threshold:
            count("dedup.similar_pairs")
            yield pair, similarity

    def finish_bundle(self):
        for fh in self.files.values():
            fh.close()
        self.files, self.cache = {}, {}


LABEL, NEIGHBOURS = 0, 1  # tags of the values grouped in a round of ResolveClusters
KEEPER, PLACE = 0, 1  # tags of the values grouped when pairing removed documents with their keepers


def _spread_label(element) -> list:
    """(rank, sorted tagged values: its labels, its neighbour lists) -> its smallest label to itself
    and to each neighbour, tagged LABEL for the next grouping (one list: a node's messages travel as
    one element)."""
    node, values = element
    labels = [value for tag, value in values if tag == LABEL]
    if not labels:
        return []
    label = (LABEL, labels[0])
    messages = [(node, label)]
    for tag, neighbours in values:
        if tag == NEIGHBOURS:
            messages.extend((other, label) for other in neighbours)
    return messages


def _smallest_label(element):
    node, values = element  # spill.GroupKeys sorts a node's values: (LABEL, smallest label) first
    return node, values[0][1]


class ResolveClusters(beam.PTransform):
    """Verified edges ((rank a, rank b), similarity) -> (rank, keeper rank) for every document not kept.

    Min-label propagation: every node in an edge starts labelled with its own rank and, for
    `rounds` rounds, takes the smallest rank among its own and its neighbours' labels; the
    smallest rank is the keeper rule's choice, so a converged component is labelled with its
    keeper. Components whose diameter is at most `rounds` (every star of copies around one
    original, chains of up to `rounds` links) converge; in a longer chain a far document may be
    labelled with a better-ranked document that is itself a duplicate. A document whose label is
    its own rank is kept, so every component keeps at least its best document.

    Every grouping goes through spill.GroupKeys (`key_partitions`: on disk for local runs), so
    neither the edges nor the labels wait in the local runner's memory.
    """

    def __init__(self, rounds: int, tmp_dir: str = "", key_partitions: int | None = None):
        super().__init__()
        self.rounds = rounds
        self.tmp_dir = tmp_dir
        self.key_partitions = key_partitions

    def expand(self, edges):
        def group():  # every grouped collection here holds lists of (key, value) entries
            return spill.GroupKeys(self.tmp_dir, self.key_partitions, batched=True)

        # ranks (dedup.rank_bytes: longest text, then smallest id): the smallest label is the keeper
        neighbours = (edges
                      | "BothWays" >> beam.Map(lambda e: [(e[0][0], e[0][1]), (e[0][1], e[0][0])])
                      | "Adjacency" >> group()
                      | "Distinct" >> beam.MapTuple(lambda node, others: [(node, (NEIGHBOURS, sorted(set(others))))]))
        # a round groups each node's labels received so far (its own at first) with its neighbours and
        # passes the smallest on: grouping the labels again only to take their minimum is not needed
        labels = edges | "OwnLabels" >> beam.Map(
            lambda e: [(e[0][0], (LABEL, e[0][0])), (e[0][1], (LABEL, e[0][1]))])
        for i in range(self.rounds):
            labels = (labels, neighbours) | f"Round{i + 1}" >> group() | f"Spread{i + 1}" >> beam.Map(_spread_label)
        labels = labels | "GroupLabels" >> group() | "Best" >> beam.Map(_smallest_label)
        return labels | "NotKept" >> beam.Filter(lambda kv: kv[1] != kv[0])


def _with_place(element):
    """(rank, tagged values: its keeper rank, its sketch places) -> (keeper rank, (rank, place))."""
    rank, values = element
    places = [value for tag, value in values if tag == PLACE]
    for tag, keeper in values:
        if tag == KEEPER and places:
            yield keeper, (KEEPER, (rank, places[0]))


def _keeper_pair(element):
    """(keeper rank, tagged values: removed (rank, place)s, its places) -> ((keeper, place), (rank, place))."""
    keeper, values = element
    places = [value for tag, value in values if tag == PLACE]
    for tag, removed in values:
        if tag == KEEPER and places:
            yield (keeper, places[0]), removed


def route_duplicates(path: str, removed: dict):
    """Spill file -> its records (main), or a duplicates record for each one removed."""
    for record in spill.read_spill(path):
        decision = removed.get(record["id"])
        if decision is None:
            yield record
            continue
        keeper_id, method, similarity = decision
        count(f"dedup.{method}")
        yield beam.pvalue.TaggedOutput(
            DUPLICATES, dedup.duplicate_record(record["id"], record["source"], keeper_id, method, similarity))


class DeduplicateCorpus(beam.PTransform):
    """Clean records (one PCollection or a tuple) -> `clean` records (one per group of duplicates) and
    `duplicates` records.

    The records wait in spill files and their sketches in sketch files; only keys travel, grouped
    by spill.GroupKeys (on disk for local runs, the runner's shuffle otherwise). Exact: grouped by
    dedup.exact_key of the text, the best rank kept. Near (among exact keepers): grouped by LSH band
    key -> candidate pairs carrying their sketches' places -> distinct pairs -> Jaccard from the two
    bottom-k sketches read by place (ScorePairs, dedup.sketch_jaccard) >= threshold -> clusters
    resolved by ResolveClusters -> each removed document with its Jaccard similarity to its keeper.
    The removed ids (a side input) route the spilled records.
    """

    def __init__(self, cfg, tmp_dir: str, key_partitions: int | None = None):
        super().__init__()
        self.cfg = cfg
        self.tmp_dir = tmp_dir
        self.key_partitions = key_partitions  # spill.GroupKeys: None = Beam's shuffle, else on disk

    def expand(self, records):
        cfg = self.cfg
        parts = records if isinstance(records, tuple) else (records,)
        spilled = [part | f"Spill{i}" >> beam.ParDo(SpillWithDedupKeys(self.tmp_dir, cfg)).with_outputs(
            EXACT_KEYS, BANDS, main="files") for i, part in enumerate(parts)]
        files = flatten([s.files for s in spilled], "SpillFiles") | "SpreadFiles" >> beam.Reshuffle()  # see RemoveCorpusRepeats
        removed = []
        if cfg.exact:
            removed.append(tuple(s[EXACT_KEYS] for s in spilled)
                           | "GroupExact" >> spill.GroupKeys(self.tmp_dir, self.key_partitions)
                           | "ExactRemoved" >> beam.FlatMap(_exact_removed))
        if cfg.near:
            edges = (tuple(s[BANDS] for s in spilled)
                     | "GroupBands" >> spill.GroupKeys(self.tmp_dir, self.key_partitions, batched=True)
                     | "BucketPairs" >> beam.FlatMap(_bucket_pairs)
                     | "DistinctPairs" >> spill.GroupKeys(self.tmp_dir, self.key_partitions, batched=True,
                                                          smallest=True)
                     | "Candidates" >> beam.Map(_candidate_pair)
                     | "Verify" >> beam.ParDo(ScorePairs(self.tmp_dir, cfg.verify_shingles, cfg.threshold)))
            not_kept = (edges
                        | "Ranks" >> beam.Map(lambda e: ((e[0][0][0], e[0][1][0]), e[1]))
                        | "Clusters" >> ResolveClusters(cfg.max_rounds, self.tmp_dir, self.key_partitions))
            # the similarity of each removed document to its keeper: both sketch places found by rank
            places = edges | "Places" >> beam.FlatMap(lambda e: [e[0][0], e[0][1]])
            removed_places = ((not_kept | "TagKeepers" >> beam.MapTuple(lambda rank, keeper: (rank, (KEEPER, keeper))),
                               places | "TagPlaces" >> beam.MapTuple(lambda rank, place: (rank, (PLACE, place))))
                              | "GroupRemoved" >> spill.GroupKeys(self.tmp_dir, self.key_partitions)
                              | "RemovedPlaces" >> beam.FlatMap(_with_place))
            removed.append((removed_places,
                            places | "TagKeeperPlaces" >> beam.MapTuple(lambda rank, place: (rank, (PLACE, place))))
                           | "GroupKeepers" >> spill.GroupKeys(self.tmp_dir, self.key_partitions)
                           | "PairWithKeeper" >> beam.FlatMap(_keeper_pair)
                           | "SimilarityToKeeper" >> beam.ParDo(ScorePairs(self.tmp_dir, cfg.verify_shingles))
                           | "NearRemoved" >> beam.Map(lambda e: (
                               dedup.id_of_rank(e[0][1][0]), (dedup.id_of_rank(e[0][0][0]), "near", e[1]))))
        if not removed:
            removed.append(files.pipeline | "NothingRemoved" >> beam.Create([]))
        decisions = (tuple(removed)
                     | "AllRemoved" >> beam.Flatten()
                     | "OnePerDocument" >> beam.CombinePerKey(min))
        routed = files | "Route" >> beam.FlatMap(
            route_duplicates, beam.pvalue.AsDict(decisions)).with_outputs(DUPLICATES, main="kept")
        return {"clean": routed.kept, "duplicates": routed[DUPLICATES]}


class ProgressTick(beam.DoFn):
    """Bumps this process's live-progress counts (pipeline/progress.py) and passes elements on.

    Added by the runner only for local runs shown on a terminal; `read` also adds the file size.
    """

    def __init__(self, kind: str, directory: str):
        self.kind = kind
        self.directory = directory
        self.reporter = None

    def setup(self):
        self.reporter = progress.reporter(self.directory)

    def process(self, element):
        self.reporter.add(self.kind)
        if self.kind == "read":
            self.reporter.add("bytes", element.size)
        yield element

    def finish_bundle(self):
        self.reporter.flush()
