"""Bad input, bad settings and faults: nothing crashes the run and nothing is lost."""
import glob
import io
import json
import os
import re
import shutil
import time

import pytest

from pipeline.cli import EXIT_FAILED, EXIT_OK, main
from pipeline.config import ConfigError
from pipeline import readers
from pipeline.document import REJECT_REASONS, reject_record
from pipeline.steps import faults
from pipeline.steps.chrome import classify
from pipeline.steps.chrome_lexicon import LexiconError, load_lexicon
from pipeline.validation import load_chrome_patterns, suites_dir
from tests.bad_inputs import FAULT_MARKER, write_bad_inputs
from tests.conftest import REPO
from tests.test_cli import read_records

QUIET = ["--quiet", "--set", "validation.validate=false"]


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    facts = write_bad_inputs(str(root))
    out = root / "out"
    mp = pytest.MonkeyPatch()
    mp.setenv(faults.ENV, f"raise:{FAULT_MARKER}")
    try:
        code = main(["run", "--input", facts["input"], "--output", str(out), "--set", "language.allowed=[en]",
                     "--set", "dedup.enabled=false", *QUIET])
    finally:
        mp.undo()
    summary = json.loads((out / "report" / "summary.json").read_text())
    return code, facts, read_records(out, "clean"), read_records(out, "rejects"), summary


def _by_file(rows):
    found = {}
    for row in rows:
        found.setdefault(os.path.basename(row["source"]), []).append(row)
    return found


def test_every_bad_file_ends_where_expected_and_the_run_completes(bad_run):
    code, facts, clean, rejects, summary = bad_run
    assert code == EXIT_OK
    assert summary["accounting_ok"] and summary["docs_in"] == len(clean) + len(rejects)
    rejected, kept = _by_file(rejects), _by_file(clean)
    for name, reason in facts["expected"].items():
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")  # as written out
        if reason == "clean":
            assert shown in kept, name
        elif "+" not in reason:
            assert [r["reason"] for r in rejected[shown]] == [reason], name
    # one JSON Lines file: a line nested past the parser's limit, a key with a lone surrogate, a good record
    assert sorted(r["reason"] for r in rejected["odd.jsonl"]) == ["bad_json", "no_text_field"]
    (odd,) = kept["odd.jsonl"]
    assert odd["source_id"] == "sur\ufffd" and odd["url"] == "http://x.example/\ufffd"


def test_corrupt_compressed_files_keep_the_records_before_the_damage(bad_run):
    _code, _facts, clean, rejects, _summary = bad_run
    for name in ("corrupt.jsonl.gz", "corrupt.jsonl.zst"):
        assert any(os.path.basename(r["source"]) == name for r in clean), name
        assert [r["reason"] for r in rejects if os.path.basename(r["source"]) == name] == ["bad_compression"]


def test_a_failing_step_sends_the_document_to_rejects_with_its_traceback_summary(bad_run):
    _code, _facts, clean, rejects, summary = bad_run
    (error,) = [r for r in rejects if r["reason"] == "error"]
    assert os.path.basename(error["source"]) == "fault.txt"
    assert re.search(r"InjectedFault: .* at faults\.py:\d+ in raise_on_marker", error["detail"])
    assert summary["rejected_by_reason"]["error"] == 1
    assert not any(FAULT_MARKER in r["text"] for r in clean)


def test_json_strings_with_lone_surrogates_become_writable_text():
    # found by the bad-input corpus: a JSON id or url "\\ud800" (valid JSON) crashed the whole run in
    # Beam's coder; a file name that is not UTF-8 did the same
    line = json.dumps({"id": "a\ud800", "url": "http://x/\udc00", "text": "Some text \ud83d."}).encode()
    (record,) = readers.jsonl_records(io.BytesIO(line), readers.JsonFields(), 1000)
    for value in (record.source_id, record.url, record.data):
        value.encode("utf-8")
    assert record.source_id == "a\ufffd"
    assert reject_record("x", "caf\udce9.txt", "error", "\ud800")["source"] == "caf\ufffd.txt"


def test_a_page_with_control_characters_is_extracted():
    # found by scripts/fuzz.py (target html): lxml's cleaner raised ValueError ("All strings must be XML
    # compatible") inside readability's text, so such a page went to rejects as `error`
    from pipeline.steps import html
    from tests.crawl_fixtures import ARTICLE_PARAGRAPHS, article_html

    page = article_html("Peace\x08 talks", ARTICLE_PARAGRAPHS).replace("<p>", "<p>\x08\x0f\x1b")
    out = html.extract_page(page.encode("utf-8"), "http://example.com/a")
    assert ARTICLE_PARAGRAPHS[1] in out.lines
    fuzzed = (b'<!DOCTY<!DOCTY<!\x08\x08\x08\x08\x08\x08\x08%\x08(\x08\x08\x08\x08\x08\x08\x08\x08\x08\x0f'
              b'\x08\x08\x08\x08\x08\tharl>>PE html><html><head><meta charset="outple familiar with the-7"'
              b'<html><\x08\x08\x08\x08harl>>PE html><html><head><meta charset="outple familiar with the-7"'
              b'<html><m, and endetd lave at ni')
    assert html.extract_page(fuzzed, "http://example.com/a").lines


class _FailingStorage:
    """A stream that delivers its first chunk and then fails, as a network filesystem can."""

    def __init__(self, data: bytes):
        self.data, self.calls = data, 0

    def read1(self, n):
        self.calls += 1
        if self.calls == 1:
            return self.data
        raise OSError("connection reset by peer")

    def close(self):
        pass


def test_storage_failing_part_way_keeps_the_records_before_and_reports_unreadable():
    data = b"".join(json.dumps({"id": i, "text": f"Record number {i} of the file."}).encode() + b"\n"
                    for i in range(3)) + b'{"id": 3, "te'
    items = list(readers.jsonl_records(readers.GuardedStream(_FailingStorage(data)), readers.JsonFields(), 10_000))
    assert [type(item).__name__ for item in items] == ["Record"] * 3 + ["BadRecord"]
    assert items[-1].reason == "unreadable" and "connection reset" in items[-1].detail


def test_a_document_every_rule_emptied_is_rejected_naming_the_rules():
    # no built-in step empties a document on its own (chrome keeps pages without prose, corpus repeats
    # never take most of a text); the gate is the net for a rule that would
    from pipeline.document import Document, Reject
    from pipeline.steps import quality

    doc = Document(id="d", source="s", lines=("Menu", "", "Share")).remove_lines([0], "chrome.navigation")
    with pytest.raises(Reject) as err:
        quality.require_text(doc.remove_lines([2], "chrome.share"))
    assert err.value.reason == "empty_after_cleaning"
    assert "chrome.navigation=1" in err.value.detail and "chrome.share=1" in err.value.detail


def test_fault_injection_accepts_only_its_exact_forms():
    assert faults.fault_step(None) is None and faults.fault_step("") is None
    for value in ("1", "true", "raise", "raise:", "kill-once:MARK", "kill:MARK:/tmp/x"):
        with pytest.raises(ValueError):
            faults.fault_step(value)


def test_readme_names_every_reject_reason():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme.split("## What happens to bad input", 1)[1].split("\n## ", 1)[0]
    missing = [reason for reason in REJECT_REASONS if f"`{reason}`" not in section]
    assert not missing, f"README 'What happens to bad input' does not name: {missing}"


# --- bad settings ----------------------------------------------------------------------------------------
def test_regex_syntax_in_a_user_phrase_pack_is_literal_text_and_cannot_hang(tmp_path):
    facts = write_bad_inputs(str(tmp_path))
    lexicon = load_lexicon([facts["settings"]["lexicon_regexes"]], builtin=False)
    assert lexicon.match("Share: (a+)+$") == "share"  # the phrase itself, as characters
    assert lexicon.match("aaaa") is None
    evil_lines = ["a" * 40 + "!", "a" * 5000 + "b", "(" * 3000 + "a" * 3000]
    started = time.process_time()
    for line in evil_lines:
        lexicon.match(line)
    classify(evil_lines * 50, lexicon)
    assert time.process_time() - started < 5


def test_phrase_pack_with_python_tags_is_refused(tmp_path):
    facts = write_bad_inputs(str(tmp_path))
    with pytest.raises(LexiconError) as err:
        load_lexicon([facts["settings"]["lexicon_unsafe_yaml"]])
    assert "unsafe_pack.yaml" in str(err.value)
    with pytest.raises(ConfigError):
        from pipeline.config import load_config
        load_config(facts["settings"]["config_unsafe_yaml"])


def test_a_catastrophic_validation_pattern_is_refused(tmp_path):
    facts = write_bad_inputs(str(tmp_path / "facts"))
    suites = tmp_path / "suites"
    shutil.copytree(suites_dir(), suites)
    (suites / "chrome_patterns.yaml").write_text(facts["settings"]["catastrophic_pattern"], encoding="utf-8")
    with pytest.raises(ValueError, match="refused"):
        load_chrome_patterns(str(suites))
    assert load_chrome_patterns()  # the shipped patterns all pass the check


# --- a worker process killed mid-run -----------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the dead worker
def test_a_killed_worker_fails_the_run_without_partial_output_and_a_rerun_is_complete(tmp_path, monkeypatch):
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(8):
        mark = f" {FAULT_MARKER}" if i == 5 else ""
        (inp / f"doc{i}.txt").write_text(
            f"Officials met in city number {i} to discuss a plan for the region{mark}.\n"
            f"The talks lasted {i + 2} hours, said {i + 3} people familiar with them.\n", encoding="utf-8")
    reference = tmp_path / "reference"
    assert main(["run", "--input", str(inp), "--output", str(reference), *QUIET]) == EXIT_OK
    out = tmp_path / "out"
    shutil.copytree(reference, out)  # an earlier complete run in the same folder
    flag = tmp_path / "killed"
    monkeypatch.setenv(faults.ENV, f"kill-once:{FAULT_MARKER}:{flag}")
    # FnApiRunner (multi_processing) does not retry a bundle whose worker died: the run fails
    assert main(["run", "--input", str(inp), "--output", str(out), "--workers", "2", *QUIET]) == EXIT_FAILED
    assert flag.exists()
    # and leaves nothing that looks like a finished output: no part files, no summary
    assert not glob.glob(str(out / "*" / "part-*")) and not (out / "report" / "summary.json").exists()
    assert not (out / ".newsclean-tmp").exists()  # spill and chunk files are deleted after a failure too
    # the rerun (the worker is not killed again) is complete and identical to an undisturbed run
    assert main(["run", "--input", str(inp), "--output", str(out), "--workers", "2", *QUIET]) == EXIT_OK
    for kind in ("clean", "rejects", "audit"):
        mine = sorted(glob.glob(str(out / kind / "part-*")))
        theirs = sorted(glob.glob(str(reference / kind / "part-*")))
        assert [os.path.basename(p) for p in mine] == [os.path.basename(p) for p in theirs]
        for a, b in zip(mine, theirs):
            with open(a, "rb") as fa, open(b, "rb") as fb:
                assert fa.read() == fb.read(), kind
    assert len(read_records(out, "clean")) == 8
