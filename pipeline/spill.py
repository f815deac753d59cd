"""Spill files: the documents between two corpus-wide passes wait on disk, not in memory.

A corpus pass (repeated lines, de-duplication) needs statistics of the whole corpus before it can
touch any document. Grouping the documents themselves until then would hold the corpus in memory
(the local runner keeps every collection between two stages in memory). Instead a writer pickles
the documents into spill files under the run's temporary folder as they are produced and passes on
only the file names and the small keys the statistics need; the next pass reads the files back.
Any Beam filesystem works (gs:// on Dataflow); the runner deletes the folder when the run ends.
"""
from __future__ import annotations

import collections
import itertools
import math
import pickle
import zlib

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline import sinks

SPILL_BYTES = 32 * 1024 * 1024  # a spill file is closed after this many bytes: more files, more parallelism


def flatten(pcolls: list, label: str):
    """One PCollection of several (Flatten), or the one itself."""
    return pcolls[0] if len(pcolls) == 1 else tuple(pcolls) | label >> beam.Flatten()


class RollingFiles:
    """Appends byte strings to files `<directory>/<prefix>-<32 hex digits>`, a new file after
    `roll_bytes`; `write` returns where the bytes start, `close` the names of the files written.

    A place can travel as 24 bytes (`compact_place`: the file's 16-byte name, offset, length) and
    be turned back into a path by whoever knows the directory and prefix (`place_path`).
    """

    def __init__(self, directory: str, prefix: str, roll_bytes: int = SPILL_BYTES):
        self.directory = directory
        self.prefix = prefix
        self.roll_bytes = roll_bytes
        self.fh = None
        self.path = None
        self.size = 0
        self.done: list[str] = []

    def write(self, data: bytes) -> tuple[str, int]:
        if self.fh is None:
            self.path = sinks.unique_path(self.directory, self.prefix)
            self.fh = FileSystems.create(self.path, compression_type=CompressionTypes.UNCOMPRESSED)
        place = (self.path, self.size)
        self.fh.write(data)
        self.size += len(data)
        if self.size >= self.roll_bytes:
            self._roll()
        return place

    def _roll(self):
        if self.fh is not None:
            self.fh.close()
            self.done.append(self.path)
        self.fh, self.path, self.size = None, None, 0

    def close(self) -> list[str]:
        self._roll()
        done, self.done = self.done, []
        return done


def compact_place(path: str, offset: int, length: int) -> bytes:
    """24 bytes for (file written by RollingFiles, offset, length)."""
    return bytes.fromhex(path.rsplit("-", 1)[1]) + offset.to_bytes(4, "big") + length.to_bytes(4, "big")


def place_path(directory: str, prefix: str, place: bytes) -> tuple[str, int, int]:
    """(path, offset, length) of a compact place of a file `directory/prefix-...`."""
    return (sinks.join(directory, f"{prefix}-{place[:16].hex()}"), int.from_bytes(place[16:20], "big"),
            int.from_bytes(place[20:24], "big"))


class SpillWriter(beam.DoFn):
    """Elements -> spill file names (main output, emitted when the bundle ends).

    Subclasses override `process` to emit the keys corpus statistics need (tagged outputs) and
    call `self.spill(obj)` with what is to be read back.
    """

    def __init__(self, tmp_dir: str, prefix: str, spill_bytes: int = SPILL_BYTES):
        self.tmp_dir = tmp_dir
        self.prefix = prefix
        self.spill_bytes = spill_bytes

    def start_bundle(self):
        self.files = RollingFiles(self.tmp_dir, self.prefix, self.spill_bytes)

    def process(self, element):
        self.spill(element)
        return ()

    def spill(self, obj) -> None:
        self.files.write(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def finish_bundle(self):
        for path in self.files.close():
            yield sinks.in_global_window(path)


def read_spill(path: str):
    """The pickled elements of one spill file, in order, streamed."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


# --- keys grouped on disk --------------------------------------------------------------------------
# The local runner holds the whole input of a GroupByKey in the launcher's memory, and corpus passes
# group a few keys per line or per document: memory would grow with the corpus. For local runs the
# keys are instead appended to partition files (partition = CRC-32 of the key) by the step that makes
# them, and only (partition, file name) pairs are grouped; a partition's files are then read and
# grouped one partition at a time, so memory follows the partition size, not the corpus. Remote
# runners (Dataflow) group through their shuffle service: there the plain GroupByKey is used.
KEY_PARTITION_INPUT_BYTES = 32 * 1024 * 1024
MAX_KEY_PARTITIONS = 256  # open files per writing bundle; past 8 GB of input the partitions grow
KEY_BUFFER_ENTRIES = 65536  # keys a writer holds before appending them to its partition files


def key_partitions(input_bytes: int) -> int:
    """Partitions for grouping keys on disk: one per 32 MB of input (up to 256)."""
    return max(1, min(MAX_KEY_PARTITIONS, math.ceil(input_bytes / KEY_PARTITION_INPUT_BYTES)))


class WriteKeyPartitions(beam.DoFn):
    """(key bytes, value) -> (partition, file) for each partition file the bundle wrote.

    Each file holds pickled lists of (key, value) pairs. With `values=False` the elements are bare
    keys (to be counted) and the files hold lists of keys. With `batched=True` each element is a
    list of those entries (e.g. all the keys of one document). With `smallest=True` only the
    smallest value of a key is wanted, and each buffer keeps only that before it is written.
    """

    def __init__(self, tmp_dir: str, prefix: str, partitions: int, values: bool = True, batched: bool = False,
                 smallest: bool = False):
        self.tmp_dir = tmp_dir
        self.prefix = prefix
        self.partitions = partitions
        self.values = values
        self.batched = batched
        self.smallest = smallest

    def start_bundle(self):
        self.buffers = [[] for _ in range(self.partitions)]
        self.buffered = 0
        self.files = [RollingFiles(self.tmp_dir, f"{self.prefix}{p}") for p in range(self.partitions)]

    def process(self, element):
        buffers, partitions, values = self.buffers, self.partitions, self.values
        for entry in element if self.batched else (element,):
            buffers[zlib.crc32(entry[0] if values else entry) % partitions].append(entry)
        self.buffered += len(element) if self.batched else 1
        if self.buffered >= KEY_BUFFER_ENTRIES:
            self._flush()

    def _flush(self):
        for p, buffer in enumerate(self.buffers):
            if buffer:
                if self.smallest:
                    buffer = list(_keep_smallest({}, buffer).items())
                self.files[p].write(pickle.dumps(buffer, protocol=pickle.HIGHEST_PROTOCOL))
                self.buffers[p] = []
        self.buffered = 0

    def finish_bundle(self):
        self._flush()
        for p, files in enumerate(self.files):
            for path in files.close():
                yield sinks.in_global_window((p, path))


def _partition_chunks(paths):
    """The lists of entries a partition's files hold, file by file, streamed."""
    for path in sorted(paths):
        yield from read_spill(path)


def group_key_partition(element):
    """(partition, its files) -> (key, sorted values) for each key of the partition, in key order."""
    _partition, paths = element
    entries = [entry for chunk in _partition_chunks(paths) for entry in chunk]
    entries.sort()
    for key, group in itertools.groupby(entries, key=lambda kv: kv[0]):
        yield key, [value for _key, value in group]


def _keep_smallest(smallest: dict, entries) -> dict:
    """Folds (key, value) entries into `smallest`, which keeps each key's smallest value; returns it."""
    for key, value in entries:
        if key not in smallest or value < smallest[key]:
            smallest[key] = value
    return smallest


def smallest_key_partition(element):
    """(partition, its files) -> (key, its smallest value) for each key of the partition, in key order.

    Read chunk by chunk into one value per key: memory follows the partition's distinct keys, not
    its entries (a candidate pair comes once from each band that found it)."""
    _partition, paths = element
    smallest: dict = {}
    for chunk in _partition_chunks(paths):
        _keep_smallest(smallest, chunk)
    yield from sorted(smallest.items())


def count_key_partition(element):
    """(partition, its files of bare keys) -> (key, occurrences) for each key, in key order (counted
    chunk by chunk: memory follows the distinct keys)."""
    _partition, paths = element
    counts: collections.Counter = collections.Counter()
    for chunk in _partition_chunks(paths):
        counts.update(chunk)
    yield from sorted(counts.items())


class GroupKeys(beam.PTransform):
    """Parts (PCollections) of (key bytes, value) -> (key, sorted list of its values); with
    `smallest=True` -> (key, its smallest value); with `count=True`, parts of bare keys -> (key,
    occurrences).

    `partitions` None: Beam's GroupByKey / CombinePerKey (remote runners). A number: the keys are
    grouped on disk in that many partitions (local runs, see above). Apply it to the collections as
    their producing steps made them (not to a Flatten of them): the key files are then written in
    the same fused stage as the keys, and the keys never wait in the local runner's memory.

    With `batched=True` each element of the parts is a list of such entries: a step that makes many
    keys per input (a document's lines, its LSH bands) sends them as one element, since every
    element costs the runner a few microseconds.
    """

    def __init__(self, tmp_dir: str, partitions: int | None, count: bool = False, batched: bool = False,
                 smallest: bool = False):
        super().__init__()
        self.tmp_dir = tmp_dir
        self.partitions = partitions
        self.count = count
        self.batched = batched
        self.smallest = smallest

    def expand(self, parts):
        parts = parts if isinstance(parts, tuple) else (parts,)
        if self.partitions is None:
            keys = flatten(list(parts), "AllKeys")
            if self.batched:
                keys = keys | "Unbatch" >> beam.FlatMap(lambda entries: entries)
            if self.count:
                return keys | "One" >> beam.Map(lambda key: (key, 1)) | "Count" >> beam.CombinePerKey(sum)
            if self.smallest:
                return keys | "Smallest" >> beam.CombinePerKey(min)
            return keys | "Group" >> beam.GroupByKey() | "SortValues" >> beam.MapTuple(
                lambda key, values: (key, sorted(values)))
        files = [part | f"WriteKeys{i}" >> beam.ParDo(WriteKeyPartitions(
            self.tmp_dir, "keys", self.partitions, values=not self.count, batched=self.batched,
            smallest=self.smallest)) for i, part in enumerate(parts)]
        read = (count_key_partition if self.count else smallest_key_partition if self.smallest
                else group_key_partition)
        return (flatten(files, "KeyFiles")
                | "ByPartition" >> beam.GroupByKey()
                | "ReadPartitions" >> beam.FlatMap(read))
