"""Writing JSON Lines outputs through Beam's filesystems, deterministically and in bounded memory.

Records go to a fixed number of shards by a hash of their id and are sorted by id inside a shard, so
the same input and config give byte-identical files whatever the runner, worker count or bundle order.

No step groups whole records: a writer keeps at most `CHUNK_BYTES` of lines in memory, then writes
them, sorted, to a temporary chunk file per shard; only the chunk file names are grouped by shard,
and each shard's chunks are merged (heapq.merge, streaming) into the final file. So a worker's
memory does not grow with the corpus, on the local runner as on Dataflow. Every shard file is
written (empty ones too), first under a temporary name, then renamed.
"""
from __future__ import annotations

import gzip
import hashlib
import heapq
import json
import posixpath
import uuid

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue

OUTPUT_KINDS = ("clean", "rejects", "audit", "duplicates", "bitext")
SHARD_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 4 * 1024 * 1024  # characters of lines a writer holds before sorting them into chunk files
TMP_DIR = ".newsclean-tmp"  # inside the output folder: spill and chunk files of a running job


def join(base: str, *parts: str) -> str:
    """Path join that keeps gs://... URIs intact."""
    if "://" in base:
        return posixpath.join(base, *parts)
    import os

    return os.path.join(base, *parts)


def shard_of(key: str, num_shards: int) -> int:
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % num_shards


def shard_name(index: int, num_shards: int, compress: bool) -> str:
    return f"part-{index:05d}-of-{num_shards:05d}.jsonl" + (".gz" if compress else "")


def auto_shards(input_bytes: int) -> int:
    return max(1, -(-input_bytes // SHARD_BYTES))


def json_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)


def in_global_window(value) -> WindowedValue:
    """An element emitted from finish_bundle (which has no input element to take a window from)."""
    return WindowedValue(value, GlobalWindow().max_timestamp(), [GlobalWindow()])


def unique_path(directory: str, prefix: str) -> str:
    """A fresh file name: a retried bundle never overwrites the file of an earlier attempt."""
    return join(directory, f"{prefix}-{uuid.uuid4().hex}")


# --- chunk files: sorted (key, line) pairs, one per line as `"json key"\tjson line` -------------------
def write_chunk(path: str, items: list[tuple[str, str]]) -> None:
    payload = "".join(f"{json.dumps(key)}\t{line}\n" for key, line in sorted(items)).encode("utf-8")
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        fh.write(payload)


def read_chunk(path: str):
    """(key, line) pairs of a chunk file, in its (sorted) order, streamed."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        for raw in fh:
            key, _, line = raw.decode("utf-8").rstrip("\n").partition("\t")
            yield json.loads(key), line


def write_shard(directory: str, index: int, num_shards: int, lines, compress: bool) -> str:
    """Write one shard file from an iterable of lines (streamed), atomically; returns its path."""
    final = join(directory, shard_name(index, num_shards, compress))
    tmp = join(directory, "." + shard_name(index, num_shards, compress) + ".tmp")
    with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as raw:
        # mtime=0: byte-identical reruns
        out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw
        buffer, size = [], 0
        for line in lines:
            buffer.append(line.encode("utf-8") + b"\n")
            size += len(buffer[-1])
            if size >= 1 << 20:
                out.write(b"".join(buffer))
                buffer, size = [], 0
        out.write(b"".join(buffer))
        if compress:
            out.close()
    if FileSystems.exists(final):
        FileSystems.delete([final])
    FileSystems.rename([tmp], [final])
    return final


class _WriteChunks(beam.DoFn):
    """dict records -> (shard, chunk file) for every chunk written; lines are held up to chunk_bytes."""

    def __init__(self, tmp_dir: str, num_shards: int, sort_key: str, chunk_bytes: int):
        self.tmp_dir = tmp_dir
        self.num_shards = num_shards
        self.sort_key = sort_key
        self.chunk_bytes = chunk_bytes

    def start_bundle(self):
        self.buffers: dict[int, list[tuple[str, str]]] = {}
        self.size = 0
        self.chunks: list[tuple[int, str]] = []

    def process(self, record: dict):
        key = str(record[self.sort_key])
        line = json_line(record)
        self.buffers.setdefault(shard_of(key, self.num_shards), []).append((key, line))
        self.size += len(line)
        if self.size >= self.chunk_bytes:
            self._flush()

    def _flush(self):
        for shard, items in sorted(self.buffers.items()):
            path = unique_path(self.tmp_dir, f"chunk-{shard:05d}")
            write_chunk(path, items)
            self.chunks.append((shard, path))
        self.buffers, self.size = {}, 0

    def finish_bundle(self):
        self._flush()
        for shard, path in self.chunks:
            yield in_global_window((shard, path))
        self.chunks = []


class _MergeShard(beam.DoFn):
    """(shard, {chunks, shard}) -> the shard's file: its chunks merged in key order, streamed."""

    def __init__(self, directory: str, num_shards: int, compress: bool):
        self.directory = directory
        self.num_shards = num_shards
        self.compress = compress

    def process(self, element):
        index, grouped = element
        paths = sorted(grouped["chunks"])
        merged = heapq.merge(*(read_chunk(p) for p in paths))
        yield write_shard(self.directory, index, self.num_shards, (line for _key, line in merged), self.compress)
        if paths:
            FileSystems.delete(paths)


class WriteJsonl(beam.PTransform):
    """dict records -> directory/part-0000i-of-0000N.jsonl[.gz], sorted by `sort_key` within a shard.

    Takes one PCollection or a tuple of them: each is written to chunks where it is produced, so
    several producers of one output kind (rejects come from every stage) are never gathered into
    one in-memory collection first (a Flatten would be, on the local runner).
    """

    def __init__(self, directory: str, tmp_dir: str, num_shards: int, compress: bool = False,
                 sort_key: str = "id", chunk_bytes: int = CHUNK_BYTES):
        super().__init__()
        self.directory = directory
        self.tmp_dir = tmp_dir
        self.num_shards = num_shards
        self.compress = compress
        self.sort_key = sort_key
        self.chunk_bytes = chunk_bytes

    def expand(self, records):
        parts = records if isinstance(records, tuple) else (records,)
        pipeline = parts[0].pipeline
        chunk_lists = [
            part | f"Chunks{i}" >> beam.ParDo(_WriteChunks(self.tmp_dir, self.num_shards, self.sort_key,
                                                           self.chunk_bytes))
            for i, part in enumerate(parts)
        ]
        chunks = tuple(chunk_lists) | "AllChunks" >> beam.Flatten() if len(chunk_lists) > 1 else chunk_lists[0]
        every_shard = pipeline | "EveryShard" >> beam.Create([(i, None) for i in range(self.num_shards)])
        return (
            {"chunks": chunks, "shard": every_shard}
            | "GroupByShard" >> beam.CoGroupByKey()
            | "WriteShards" >> beam.ParDo(_MergeShard(self.directory, self.num_shards, self.compress))
        )


def remove_previous_outputs(out_dir: str, kinds=OUTPUT_KINDS) -> int:
    """Delete part files an earlier run left in out_dir/<kind>/ (only ours; nothing else is touched)."""
    patterns = [join(out_dir, kind, "part-*-of-*.jsonl*") for kind in kinds]
    stale = [m.path for result in FileSystems.match(patterns) for m in result.metadata_list]
    if stale:
        FileSystems.delete(stale)
    return len(stale)


def remove_tree(path: str) -> None:
    """Delete a temporary folder (local or gs://) and everything in it; absent is fine."""
    if "://" not in path:
        import shutil

        shutil.rmtree(path, ignore_errors=True)
        return
    found = [m.path for m in FileSystems.match([join(path, "**")])[0].metadata_list]
    if found:
        FileSystems.delete(found)
