"""Outputs are written in bounded memory (chunk files merged per shard) and stay deterministic."""
import glob
import json
import os

import apache_beam as beam

from pipeline import sinks, spill
from pipeline.cli import EXIT_OK, main


def write(records, out, tmp, chunk_bytes, shards=3, compress=False, producers=1):
    with beam.Pipeline() as p:
        parts = tuple(p | f"Records{i}" >> beam.Create(records[i::producers]) for i in range(producers))
        _ = (parts if producers > 1 else parts[0]) | sinks.WriteJsonl(str(out), str(tmp), shards, compress,
                                                                    chunk_bytes=chunk_bytes)
    return {os.path.basename(f): open(f, "rb").read() for f in sorted(glob.glob(str(out / "part-*")))}


RECORDS = [{"id": f"{i * 7919 % 1000:04d}", "text": "行" * (i % 13) + f" line {i}\u2028x"} for i in range(400)]


def test_small_chunks_and_several_producers_give_the_same_files_as_one_chunk(tmp_path):
    one = write(RECORDS, tmp_path / "one", tmp_path / "t1", chunk_bytes=1 << 30)
    many = write(RECORDS, tmp_path / "many", tmp_path / "t2", chunk_bytes=500, producers=3)
    assert one == many and len(one) == 3
    lines = [json.loads(line) for data in one.values() for line in data.decode("utf-8").split("\n") if line]
    assert sorted(r["id"] for r in lines) == sorted(r["id"] for r in RECORDS)
    for data in one.values():  # sorted by id inside a shard
        ids = [json.loads(line)["id"] for line in data.decode("utf-8").split("\n") if line]
        assert ids == sorted(ids)
    assert os.listdir(tmp_path / "t2") == []  # merged chunks are deleted


def test_every_shard_is_written_even_when_empty(tmp_path):
    files = write(RECORDS[:1], tmp_path / "out", tmp_path / "t", chunk_bytes=100, shards=4, compress=True)
    assert sorted(files) == [f"part-0000{i}-of-00004.jsonl.gz" for i in range(4)]


def test_spill_files_hold_what_was_spilled_in_order(tmp_path):
    items = [{"id": i, "lines": ["x" * i]} for i in range(50)]
    with beam.Pipeline() as p:
        paths = p | beam.Create(items) | beam.ParDo(spill.SpillWriter(str(tmp_path), "docs", spill_bytes=200))
        _ = paths | beam.Map(lambda path: None)
    files = sorted(glob.glob(str(tmp_path / "docs-*")))
    assert len(files) > 1  # closed after spill_bytes
    read = [item for path in files for item in spill.read_spill(path)]
    assert sorted(read, key=lambda item: item["id"]) == items


def test_a_run_leaves_no_temporary_files_in_the_output(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--input", "seeds", "--output", str(out), "--quiet", "--set", "validation.validate=false"]) == EXIT_OK
    assert sorted(os.listdir(out)) == ["audit", "bitext", "clean", "duplicates", "rejects", "report"]


# --- keys grouped on disk (local runs) ----------------------------------------------------------------
KEYED = [[(f"k{i % 23}".encode(), f"v{i:03d}".encode()) for i in range(start, 300, 3)] for start in range(3)]


def grouped_by(partitions, tmp_path, count: bool, batched: bool = False, smallest: bool = False):
    from apache_beam.testing.util import assert_that, equal_to

    items = [[key for key, _ in part] for part in KEYED] if count else KEYED
    if batched:  # entries sent in lists of up to 4 (a document's keys), one list empty
        items = [[part[i:i + 4] for i in range(0, len(part), 4)] + [[]] for part in items]
    expected: dict = {}
    for key, value in (kv for part in KEYED for kv in part):
        expected.setdefault(key, []).append(value)
    expected = [(k, len(v)) if count else (k, min(v)) if smallest else (k, sorted(v)) for k, v in expected.items()]
    with beam.Pipeline() as p:
        parts = tuple(p | f"Keys{i}" >> beam.Create(part) for i, part in enumerate(items))
        grouped = parts | spill.GroupKeys(str(tmp_path), partitions, count=count, batched=batched, smallest=smallest)
        assert_that(grouped, equal_to(expected))


def test_keys_grouped_on_disk_give_what_the_shuffle_gives(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "KEY_BUFFER_ENTRIES", 7)  # several chunks per partition file
    for count in (False, True):
        grouped_by(None, tmp_path / f"shuffle{count}", count)  # Beam's GroupByKey / CombinePerKey
        grouped_by(5, tmp_path / f"disk{count}", count)
        names = os.listdir(tmp_path / f"disk{count}")
        # one file per partition per producer; every partition used by these 23 keys
        assert len(names) == 15 and {name.split("-")[0] for name in names} == {f"keys{i}" for i in range(5)}


def test_key_partitions_follow_the_input_size():
    assert spill.key_partitions(0) == 1
    assert spill.key_partitions(40 << 20) == 2
    assert spill.key_partitions(400 << 20) == 13
    assert spill.key_partitions(1 << 40) == spill.MAX_KEY_PARTITIONS


def test_keys_sent_in_lists_are_grouped_like_single_keys(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "KEY_BUFFER_ENTRIES", 7)
    for count in (False, True):
        grouped_by(None, tmp_path / f"shuffle{count}", count, batched=True)
        grouped_by(5, tmp_path / f"disk{count}", count, batched=True)


def test_smallest_value_per_key_on_disk_and_through_the_shuffle(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "KEY_BUFFER_ENTRIES", 7)  # a key's values spread over several chunks
    for batched in (False, True):
        grouped_by(None, tmp_path / f"shuffle{batched}", False, batched=batched, smallest=True)
        grouped_by(5, tmp_path / f"disk{batched}", False, batched=batched, smallest=True)
