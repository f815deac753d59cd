"""The `newsclean` command as a user runs it."""
import glob
import json
import os
import shutil

import pytest

from pipeline.cli import EXIT_OK, EXIT_USAGE, main
from tests.conftest import EXPECTED_CLEAN, EXPECTED_REASONS, SEEDS


def read_records(out, kind):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, kind, "part-*.jsonl"))):
        with open(path, encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh]
    return rows


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds_out")
    assert main(["run", "--input", SEEDS, "--output", str(out), "--quiet"]) == EXIT_OK
    return out


def test_seeds_run_writes_every_output_and_accounts_for_each_document(seeds_run):
    clean = read_records(seeds_run, "clean")
    assert len(clean) == len(os.listdir(SEEDS)) == 5
    for record in clean:
        assert {"id", "source", "lang", "title", "text"} <= set(record)
        assert record["text"] and record["source"].startswith(SEEDS)
    assert len({r["id"] for r in clean}) == 5
    assert glob.glob(os.path.join(seeds_run, "rejects", "part-*.jsonl"))
    assert glob.glob(os.path.join(seeds_run, "audit", "part-*.jsonl"))
    with open(os.path.join(seeds_run, "report", "summary.json"), encoding="utf-8") as fh:
        summary = json.load(fh)
    assert summary["docs_in"] == 5 and summary["clean"] == 5 and summary["accounting_ok"]
    assert summary["bytes_in"] == sum(os.path.getsize(p) for p in glob.glob(os.path.join(SEEDS, "*")))


def test_output_is_byte_identical_across_runs_and_worker_counts(seeds_run, tmp_path):
    again = tmp_path / "again"
    assert main(["run", "--input", SEEDS, "--output", str(again), "--workers", "2", "--quiet"]) == EXIT_OK
    for kind in ("clean", "rejects", "audit"):
        first = sorted(glob.glob(os.path.join(seeds_run, kind, "*")))
        second = sorted(glob.glob(os.path.join(again, kind, "*")))
        assert [os.path.basename(p) for p in first] == [os.path.basename(p) for p in second]
        for a, b in zip(first, second):
            with open(a, "rb") as fa, open(b, "rb") as fb:
                assert fa.read() == fb.read(), f"{kind} differs"


def test_bad_input_goes_to_rejects_and_the_run_completes(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--input", str(corpus), "--output", str(out), "--set", "input.max_document_bytes=10000"])
    assert code == EXIT_OK
    printed = capsys.readouterr().out
    assert "accounting" in printed and "OK" in printed
    rejects = {os.path.basename(r["source"]): r["reason"] for r in read_records(out, "rejects")}
    assert rejects == EXPECTED_REASONS
    assert {os.path.basename(r["source"]) for r in read_records(out, "clean")} == EXPECTED_CLEAN
    summary = json.loads((out / "report" / "summary.json").read_text())
    assert summary["docs_in"] == len(EXPECTED_CLEAN) + len(EXPECTED_REASONS)
    assert summary["rejected_by_reason"] == {"empty": 2, "encoding": 1, "not_text": 1, "too_large": 1}


def test_rerun_replaces_previous_shards(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--input", SEEDS, "--output", str(out), "--set", "output.shards=3", "--quiet"]) == 0
    assert len(glob.glob(str(out / "clean" / "part-*"))) == 3
    assert main(["run", "--input", SEEDS, "--output", str(out), "--set", "output.compress=true", "--quiet"]) == 0
    assert [os.path.basename(p) for p in glob.glob(str(out / "clean" / "part-*"))] == ["part-00000-of-00001.jsonl.gz"]


def test_glob_input_and_a_file_named_twice_are_read_once(tmp_path):
    out = tmp_path / "out"
    seed = sorted(glob.glob(os.path.join(SEEDS, "*.txt")))[0]
    assert main(["run", "--input", os.path.join(SEEDS, "00[34]*.txt"), seed, seed, "--output", str(out),
                 "--quiet"]) == EXIT_OK
    assert len(read_records(out, "clean")) == 3


@pytest.mark.parametrize("args,message", [
    (["--input", "/no/such/folder"], "input not found"),
    (["--set", "quality.min_chars=-5"], "quality.min_chars"),
    (["--set", "qualty.min_chars=5"], "qualty: unknown key"),
    (["--ouptut", "x"], "unknown option"),
    (["--config", "/no/such.yaml"], "config file not found"),
])
def test_usage_errors_exit_2_with_a_clear_message(args, message, tmp_path, capsys):
    argv = ["run", "--input", SEEDS, "--output", str(tmp_path / "o")]
    assert main(argv + args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unwritable_output_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["run", "--input", SEEDS, "--output", str(blocker / "out")]) == EXIT_USAGE
    assert "cannot write to output folder" in capsys.readouterr().err


def test_output_inside_input_is_refused(tmp_path, capsys):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    assert main(["run", "--input", str(src), "--output", str(src / "out")]) == EXIT_USAGE
    assert "inside input folder" in capsys.readouterr().err


def test_help_describes_every_option(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--config", "--input", "--output", "--runner", "--workers", "--set", "exit codes"):
        assert option in text
