"""Crawl formats: HTML, JSON Lines, WARC, gzip/zstd, and every kind of bad input from issue 6."""
import io
import json
import os
import time

import pytest

from pipeline import readers
from pipeline.cli import main
from pipeline.document import REJECT_REASONS, Reject
from pipeline.isolation import IsolatedCall, IsolatedCrash, IsolatedTimeout
from pipeline.steps import html
from tests.crawl_fixtures import ARTICLE_PARAGRAPHS, article_html, write_crawl


def _records(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh]
    return out


@pytest.fixture(scope="module")
def crawl_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("crawl")
    facts = write_crawl(str(root / "in"))
    out = root / "out"
    # dedup off: the fixtures repeat texts on purpose, and these tests count what the readers yield
    code = main(["run", "--quiet", "--input", str(root / "in"), "--output", str(out),
                 "--set", "input.max_document_bytes=100000", "--set", "dedup.enabled=false", "--set", "validation.validate=false"])
    summary = json.loads((out / "report" / "summary.json").read_text())
    return code, facts, _records(out / "clean"), _records(out / "rejects"), summary


def test_every_bad_input_ends_in_rejects_with_reason_and_place(crawl_run):
    code, facts, _clean, rejects, summary = crawl_run
    assert code == 0 and summary["accounting_ok"]
    by = {(os.path.basename(r["source"]), r["reason"]): r for r in rejects}
    details = [r["detail"] for r in rejects if r["source"].endswith("records.jsonl") and r["reason"] == "bad_json"]
    assert any(d.startswith(f"line {facts['bad_json_line']} (byte {facts['bad_json_offset']}): not valid JSON")
               for d in details)
    assert any(d.startswith("line 6") and "not an object" in d for d in details)
    assert ("records.jsonl", "no_text_field") in by
    assert by[("crawl.warc", "bad_warc_record")]["offset"] == facts["broken_warc_offset"]
    assert ("cut.jsonl.gz", "truncated") in by
    assert ("not_really.html", "not_html") in by
    assert ("nested.html", "too_nested") in by
    assert by[("one_line.jsonl", "too_large")]["detail"].startswith("line 1 (byte 0)")
    assert set(summary["rejected_by_reason"]) <= set(REJECT_REASONS)
    # the cut line of the truncated file is part of the truncation, not a bad JSON line
    assert ("cut.jsonl.gz", "bad_json") not in by


def test_the_rest_of_each_file_is_still_read(crawl_run):
    _code, _facts, clean, _rejects, _summary = crawl_run
    sources = [os.path.basename(r["source"]) for r in clean]
    assert sources.count("records.jsonl") == 3  # a-1, the html record, a-5 around the bad lines
    assert sources.count("records_copy.jsonl.zst") == 3
    assert sources.count("one_line.jsonl") == 1  # the small record after the huge line
    assert sources.count("cut.jsonl.gz") > 50  # the records before the cut
    warc_urls = {r["url"] for r in clean if r["source"].endswith("crawl.warc")}
    assert warc_urls == {"https://news.example.com/geneva", "https://news.example.com/zh"}  # after the bad one


def test_ids_urls_and_page_metadata_reach_the_clean_record(crawl_run):
    _code, _facts, clean, _rejects, _summary = crawl_run
    a1 = next(r for r in clean if r.get("source_id") == "a-1")
    assert a1["url"] == "https://x.example/a1" and a1["source_offset"] == 0
    page = next(r for r in clean if r["source"].endswith("page.html"))
    assert page["title"] == "Peace talks in Geneva" and page["site"] == "Example News"
    assert page["date"] == "2024-03-05" and page["url"] == "https://news.example.com/geneva"
    assert ARTICLE_PARAGRAPHS[3] in page["text"]
    assert "Another headline number" not in page["text"] and "Section 3" not in page["text"]
    zh = next(r for r in clean if r["source"].endswith("page_gbk.htm"))
    assert "日内瓦就和平计划" in zh["text"] and zh["encoding"] == "gb18030"
    assert len({r["id"] for r in clean}) == len(clean)


def test_same_input_gives_identical_output(tmp_path):
    write_crawl(str(tmp_path / "in"))
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["run", "--quiet", "--input", str(tmp_path / "in"), "--output", str(out)]) == 0
        outputs.append([(out / kind / name).read_bytes() for kind in ("clean", "rejects")
                        for name in sorted(os.listdir(out / kind))])
    assert outputs[0] == outputs[1]


def test_format_by_extension_or_forced():
    assert readers.format_of("a/b.jsonl.gz") == "jsonl"
    assert readers.format_of("b.warc.gz") == "warc"
    assert readers.format_of("b.HTML.zst") == "html"
    assert readers.format_of("b.txt") == "text"
    assert readers.format_of("dump.data", "jsonl") == "jsonl"


def test_split_ranges_read_every_line_once(tmp_path, monkeypatch):
    lines = [json.dumps({"id": i, "text": "x" * (i % 17)}) for i in range(300)]
    data = ("\n".join(lines) + "\n").encode()
    monkeypatch.setattr(readers, "READ_CHUNK", 64)  # chunk edges fall inside lines
    whole = list(readers.iter_lines(io.BytesIO(data), 1000))
    for split in (50, 333, 1000):
        ranges = readers.split_ranges("f.jsonl", len(data), "jsonl", split)
        assert len(ranges) == -(-len(data) // split)
        parts = [item for start, end in ranges for item in readers.iter_lines(io.BytesIO(data), 1000, start, end)]
        assert parts == whole
    assert readers.split_ranges("f.jsonl.gz", len(data), "jsonl", 50) == [(0, None)]


def test_charset_from_http_header_beats_detection():
    page = article_html("Zürich", ["Grüße aus Zürich, wo die Verhandlungen über den Friedensplan weitergingen."])
    data = page.replace('<meta charset="utf-8">', "").encode("cp1252")
    text, used = html.decode_html(data, "text/html; charset=windows-1252")
    assert used == "cp1252" and "Grüße" in text


def test_extractor_choice_keeps_the_article_without_the_chrome():
    page = article_html("Peace talks", ARTICLE_PARAGRAPHS)
    for extractor in ("chain", "trafilatura", "readability"):
        found = html.extract_page(page.encode(), options=html.HtmlOptions(extractor=extractor))
        text = "\n".join(found.lines)
        assert ARTICLE_PARAGRAPHS[1] in text, extractor
        assert "Another headline number" not in text and "Section 3" not in text, extractor
        if extractor != "readability":  # readability alone keeps the footer of a short page; the chain does not
            assert "All rights reserved" not in text, extractor
    with pytest.raises(Reject) as err:
        html.extract_page(b"<html><body><div></div></body></html>")
    assert err.value.reason == "no_main_text"


def _sleep_then_echo(seconds, value):
    time.sleep(seconds)
    return value


def _die_or_echo(value):
    if value == "die":
        os._exit(3)  # a segfault or the OOM killer, as the parent sees it
    return value


def test_a_crashed_child_is_reported_and_replaced():
    call = IsolatedCall(_die_or_echo, timeout_s=30)
    try:
        with pytest.raises(IsolatedCrash):
            call("die")
        assert call("after") == "after"
    finally:
        call.close()


def test_a_hung_call_is_stopped_and_the_next_one_runs():
    call = IsolatedCall(_sleep_then_echo, timeout_s=1.0)
    try:
        assert call(0, "first") == "first"
        started = time.monotonic()
        with pytest.raises(IsolatedTimeout):
            call(30, "hangs")
        assert time.monotonic() - started < 5
        assert call(0, "after") == "after"
    finally:
        call.close()


def test_format_flag_forces_the_reader(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "export.data").write_text(
        json.dumps({"id": "r1", "body": ARTICLE_PARAGRAPHS[0]}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--quiet", "--input", str(tmp_path / "in"), "--output", str(out), "--format", "jsonl",
                 "--set", "input.fields.text=body"]) == 0
    (record,) = _records(out / "clean")
    assert record["source_id"] == "r1" and record["text"] == ARTICLE_PARAGRAPHS[0]


def test_a_page_over_the_time_limit_is_rejected_and_the_run_goes_on(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.html").write_text(article_html("Peace talks", ARTICLE_PARAGRAPHS), encoding="utf-8")
    (tmp_path / "in" / "plain.txt").write_text("\n".join(ARTICLE_PARAGRAPHS), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--quiet", "--input", str(tmp_path / "in"), "--output", str(out),
                 "--set", "html.timeout_s=0.001"]) == 0
    (reject,) = _records(out / "rejects")
    assert reject["reason"] == "timeout" and "html.timeout_s=0.001" in reject["detail"]
    assert [os.path.basename(r["source"]) for r in _records(out / "clean")] == ["plain.txt"]


def test_a_split_jsonl_file_gives_the_same_output_as_a_whole_one(tmp_path):
    (tmp_path / "in").mkdir()
    lines = [json.dumps({"id": f"r{i}", "text": f"Record {i}. " + ARTICLE_PARAGRAPHS[i % 4]}) for i in range(60)]
    lines[17] = '{"id": "broken"'
    (tmp_path / "in" / "big.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs = []
    for split in (0, 700):
        out = tmp_path / f"out{split}"
        assert main(["run", "--quiet", "--input", str(tmp_path / "in"), "--output", str(out),
                     "--set", f"input.split_bytes={split}", "--set", "output.shards=1",
                     "--set", "dedup.enabled=false", "--set", "validation.validate=false"]) == 0  # the records repeat paragraphs on purpose
        summary = json.loads((out / "report" / "summary.json").read_text())
        assert summary["docs_in"] == 60 and summary["bytes_in"] == (tmp_path / "in" / "big.jsonl").stat().st_size
        clean, rejects = _records(out / "clean"), _records(out / "rejects")
        assert len(clean) == 59 and rejects[0]["reason"] == "bad_json"
        outputs.append((clean, [r["offset"] for r in rejects]))
    assert outputs[0] == outputs[1]
