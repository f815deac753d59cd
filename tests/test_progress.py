"""Live progress of local runs: per-process count files summed by a launcher thread."""
from __future__ import annotations

import io
import os

from pipeline import progress, runner
from pipeline.config import build_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_counts_of_several_processes_are_summed(tmp_path):
    a = progress.ProgressFile(str(tmp_path), interval=0)
    b = progress.ProgressFile(str(tmp_path), interval=0)
    a.add("read", 3)
    a.add("bytes", 3000)
    b.add("read", 2)
    b.add("clean", 2)
    totals = progress.read_totals(str(tmp_path))
    assert totals == {"read": 5, "bytes": 3000, "clean": 2, "rejects": 0}


def test_writes_are_throttled_until_flush(tmp_path):
    f = progress.ProgressFile(str(tmp_path), interval=3600)
    f.add("read")  # first add writes (nothing written yet), later ones wait for the interval
    f.add("read")
    assert progress.read_totals(str(tmp_path))["read"] == 1
    f.flush()
    assert progress.read_totals(str(tmp_path))["read"] == 2


def test_line_shows_rate_share_and_eta_when_the_size_is_known():
    totals = {"read": 1200, "bytes": 25_000_000, "clean": 1100, "rejects": 40}
    line = progress.format_line(totals, elapsed=10.0, total_bytes=100_000_000)
    assert line.startswith("read 1,200 docs (25.0 MB) · clean 1,100 · rejected 40 · 2.50 MB/s · 25% · ETA 0:30")
    assert "ETA" not in progress.format_line(totals, elapsed=10.0)
    done = dict(totals, bytes=100_000_000)
    assert "writing outputs" in progress.format_line(done, elapsed=40.0, total_bytes=100_000_000)


def test_local_run_draws_a_live_line_and_clears_it(tmp_path):
    config = build_config({"input": {"paths": [os.path.join(ROOT, "seeds")]},
                           "output": {"dir": str(tmp_path / "out")}})
    size = sum(f.stat().st_size for f in os.scandir(os.path.join(ROOT, "seeds")))
    stream = io.StringIO()
    summary = runner.run(config, [], size, progress_stream=stream)
    drawn = stream.getvalue()
    assert f"read {summary['docs_in']} docs" in drawn and f"clean {summary['clean']}" in drawn
    assert "100%" in drawn
    assert drawn.endswith("\r") and drawn.rsplit("\r", 2)[-2].strip() == ""  # the line is cleared


def test_no_stream_no_progress_steps(tmp_path):
    with progress.live_progress(None) as folder:
        assert folder is None
    with progress.live_progress(io.StringIO(), 10, interval=0.01) as folder:
        assert os.path.isdir(folder)
    assert not os.path.exists(folder)  # removed with the run
