"""Writing JSON Lines outputs through Beam's filesystems, deterministically.

Records go to a fixed number of shards by a hash of their id and are sorted by id inside a shard, so
the same input and config give byte-identical files whatever the runner, worker count or bundle order.
Every shard file is written (empty ones too), first under a temporary name, then renamed.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

OUTPUT_KINDS = ("clean", "rejects", "audit", "duplicates", "bitext")
SHARD_BYTES = 64 * 1024 * 1024


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


def write_shard(directory: str, index: int, num_shards: int, lines: list[str], compress: bool) -> str:
    """Write one shard file atomically; returns its path."""
    final = join(directory, shard_name(index, num_shards, compress))
    tmp = join(directory, "." + shard_name(index, num_shards, compress) + ".tmp")
    payload = "".join(line + "\n" for line in lines).encode("utf-8")
    if compress:
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:  # mtime=0: byte-identical reruns
            gz.write(payload)
        payload = buf.getvalue()
    with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        fh.write(payload)
    if FileSystems.exists(final):
        FileSystems.delete([final])
    FileSystems.rename([tmp], [final])
    return final


class _WriteShards(beam.DoFn):
    def __init__(self, directory: str, num_shards: int, compress: bool):
        self.directory = directory
        self.num_shards = num_shards
        self.compress = compress

    def process(self, element):
        index, grouped = element
        lines = sorted(grouped["records"])
        yield write_shard(self.directory, index, self.num_shards, [line for _key, line in lines], self.compress)


class WriteJsonl(beam.PTransform):
    """dict records -> directory/part-0000i-of-0000N.jsonl[.gz], sorted by `sort_key` within a shard."""

    def __init__(self, directory: str, num_shards: int, compress: bool = False, sort_key: str = "id"):
        super().__init__()
        self.directory = directory
        self.num_shards = num_shards
        self.compress = compress
        self.sort_key = sort_key

    def expand(self, records):
        n, key = self.num_shards, self.sort_key
        keyed = records | "KeyByShard" >> beam.Map(
            lambda r: (shard_of(str(r[key]), n), (str(r[key]), json_line(r)))
        )
        every_shard = records.pipeline | "EveryShard" >> beam.Create([(i, None) for i in range(n)])
        return (
            {"records": keyed, "shard": every_shard}
            | "GroupByShard" >> beam.CoGroupByKey()
            | "WriteShards" >> beam.ParDo(_WriteShards(self.directory, n, self.compress))
        )


def remove_previous_outputs(out_dir: str, kinds=OUTPUT_KINDS) -> int:
    """Delete part files an earlier run left in out_dir/<kind>/ (only ours; nothing else is touched)."""
    patterns = [join(out_dir, kind, "part-*-of-*.jsonl*") for kind in kinds]
    stale = [m.path for result in FileSystems.match(patterns) for m in result.metadata_list]
    if stale:
        FileSystems.delete(stale)
    return len(stale)
