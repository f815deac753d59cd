"""Spill files: the documents between two corpus-wide passes wait on disk, not in memory.

A corpus pass (repeated lines, de-duplication) needs statistics of the whole corpus before it can
touch any document. Grouping the documents themselves until then would hold the corpus in memory
(the local runner keeps every collection between two stages in memory). Instead a writer pickles
the documents into spill files under the run's temporary folder as they are produced and passes on
only the file names and the small keys the statistics need; the next pass reads the files back.
Any Beam filesystem works (gs:// on Dataflow); the runner deletes the folder when the run ends.
"""
from __future__ import annotations

import pickle

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline import sinks

SPILL_BYTES = 32 * 1024 * 1024  # a spill file is closed after this many bytes: more files, more parallelism


class SpillWriter(beam.DoFn):
    """Elements -> spill file names (main output, emitted when the bundle ends).

    Subclasses override `process` to emit the keys corpus statistics need (tagged outputs) and
    call `self.spill(obj)` with what is to be read back, or `self.write(data)` for raw bytes read
    back by place; a subclass whose outputs carry the places sets `emit_paths = False`.
    """

    emit_paths = True

    def __init__(self, tmp_dir: str, prefix: str, spill_bytes: int = SPILL_BYTES):
        self.tmp_dir = tmp_dir
        self.prefix = prefix
        self.spill_bytes = spill_bytes

    def start_bundle(self):
        self.fh = None
        self.path = None
        self.size = 0
        self.done: list[str] = []

    def process(self, element):
        self.spill(element)
        return ()

    def spill(self, obj) -> None:
        self.write(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def write(self, data: bytes) -> tuple[str, int]:
        """Append `data` to this bundle's current spill file; returns (file, offset) where it starts."""
        if self.fh is None:
            self.path = sinks.unique_path(self.tmp_dir, self.prefix)
            self.fh = FileSystems.create(self.path, compression_type=CompressionTypes.UNCOMPRESSED)
        place = (self.path, self.size)
        self.fh.write(data)
        self.size += len(data)
        if self.size >= self.spill_bytes:
            self._close()
        return place

    def _close(self):
        if self.fh is not None:
            self.fh.close()
            self.done.append(self.path)
        self.fh, self.path, self.size = None, None, 0

    def finish_bundle(self):
        self._close()
        if self.emit_paths:
            for path in self.done:
                yield sinks.in_global_window(path)
        self.done = []


def read_spill(path: str):
    """The pickled elements of one spill file, in order, streamed."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return
