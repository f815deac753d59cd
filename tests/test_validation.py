"""The expectation suites, `newsclean validate`, validation at the end of `newsclean run`, the reports.

A good output (tests/fixtures/good_output.json, written by hand in the full output schema) passes
every suite; each test plants one defect into a copy of it and checks that `newsclean validate`
fails naming exactly that expectation. One pipeline run over seeds/ is shared by the run tests.
"""
from __future__ import annotations

import copy
import functools
import gzip
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from pipeline import cli, validation
from pipeline.document import REJECT_REASONS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "good_output.json")
ALLOWED = "validation.allowed_languages=[en, de, ru, ja, zh]"


def good_records() -> dict[str, list[dict]]:
    with open(FIXTURE, encoding="utf-8") as fh:
        data = json.load(fh)
    for record in data["clean"]:
        record["chars"] = len(record["text"])
    return {kind: data[kind] for kind in validation.SUITES}


def write_output(folder, records: dict[str, list[dict]], compress: bool = False) -> str:
    """records -> folder/<kind>/part-00000-of-00001.jsonl[.gz], as the pipeline writes them."""
    for kind, rows in records.items():
        os.makedirs(os.path.join(folder, kind), exist_ok=True)
        payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
        name = "part-00000-of-00001.jsonl" + (".gz" if compress else "")
        with open(os.path.join(folder, kind, name), "wb") as fh:
            fh.write(gzip.compress(payload, mtime=0) if compress else payload)
    return str(folder)


def validate(folder, *sets: str, capsys=None) -> tuple[int, dict]:
    """`newsclean validate FOLDER --set ...` -> (exit code, report/validation.json)."""
    argv = ["validate", str(folder)]
    for s in sets:
        argv += ["--set", s]
    code = cli.main(argv)
    with open(os.path.join(folder, "report", "validation.json"), encoding="utf-8") as fh:
        return code, json.load(fh)


def failed(results: dict) -> list[str]:
    return validation.failed_expectations(results)


def expectation(results: dict, suite: str, name: str) -> dict:
    s = next(s for s in results["suites"] if s["name"] == suite)
    return next(e for e in s["expectations"] if e["name"] == name)


@pytest.fixture(scope="module")
def good_output(tmp_path_factory):
    """The good output validated once (with Data Docs); tests read it, never change it."""
    folder = write_output(tmp_path_factory.mktemp("good"), good_records())
    code, results = validate(folder, ALLOWED)
    return folder, code, results


# --- a good output passes ----------------------------------------------------------------------
def test_good_output_passes_every_suite(good_output):
    folder, code, results = good_output
    assert code == cli.EXIT_OK, failed(results)
    assert results["ok"]
    assert {s["name"]: s["status"] for s in results["suites"]} == {
        "clean": "passed", "rejects": "passed", "bitext": "passed"}
    # with the full schema and allowed languages configured, nothing is skipped
    assert [e["name"] for s in results["suites"] for e in s["expectations"] if e["status"] == "skipped"] == []
    assert expectation(results, "clean", "no_chrome_lines")["unexpected_count"] == 0


def test_data_docs_index_lists_every_suite(good_output):
    folder, _code, results = good_output
    index = os.path.join(folder, "report", "data_docs", "index.html")
    assert results["data_docs"] == os.path.join(folder, "report", "data_docs", "index.html")

    class Page(html.parser.HTMLParser):
        """Collects the tags and the page title; the suite links live in the results-table data."""

        def __init__(self):
            super().__init__()
            self.tags, self.title, self._in_title = [], "", False

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self._in_title = tag == "title"

        def handle_data(self, data):
            if self._in_title:
                self.title += data
                self._in_title = False

    parser = Page()
    with open(index, encoding="utf-8") as fh:
        page = fh.read()
    parser.feed(page)
    assert "html" in parser.tags and "body" in parser.tags and "Data Docs" in parser.title
    docs = os.path.join(folder, "report", "data_docs")
    for suite in validation.SUITES:
        # the suite's page is linked, and its validation result page (listed in the index's
        # results table data) exists and reports success
        assert f'href="expectations/{suite}.html"' in page
        assert os.path.isfile(os.path.join(docs, "expectations", f"{suite}.html"))
        results_pages = re.findall(rf"validations/{suite}/[^'\"]+?\.html", page)
        assert results_pages, f"no validation result of suite {suite} in the Data Docs index"
        with open(os.path.join(docs, results_pages[0]), encoding="utf-8") as fh:
            assert "Succeeded" in fh.read()


def test_html_report_is_self_contained_with_charts(good_output):
    folder, _code, _results = good_output
    with open(os.path.join(folder, "report", "index.html"), encoding="utf-8") as fh:
        page = fh.read()
    assert "<script" not in page.lower()
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert page.count("<svg") >= 1  # language shares (no run summary here: validation only)
    for lang in ("en", "de", "ru", "ja", "zh"):
        assert f">{lang}<" in page
    assert "Validation PASSED" in page
    assert 'href="data_docs/index.html"' in page


# --- one planted defect each -------------------------------------------------------------------
def plant(tmp_path, change) -> str:
    records = copy.deepcopy(good_records())
    change(records)
    for r in records["clean"]:
        r["chars"] = len(r["text"] or "")
    return write_output(tmp_path / "out", records)


def fails_only(tmp_path, change, name: str) -> dict:
    """Plant `change` into a copy of the good output: `newsclean validate` exits 4 naming only `name`."""
    code, results = validate(plant(tmp_path, change), ALLOWED)
    assert code == cli.EXIT_VALIDATION
    assert failed(results) == [name]
    return results


def test_sidebar_line_fails_no_chrome_lines(tmp_path):
    def sidebar(records):
        doc = records["clean"][4]
        doc["text"] += "\n神舟二十二号飞行任务标识发布2025-11-24 22:16:26"

    results = fails_only(tmp_path, sidebar, "clean.no_chrome_lines")
    e = expectation(results, "clean", "no_chrome_lines")
    assert e["unexpected_count"] == 1
    assert e["examples"] == ["a1f0000000000005 (in/zh_talks.txt): [timestamped_headline] 神舟二十二号飞行任务标识发布2025-11-24 22:16:26"]


def test_validation_in_its_child_process_gives_the_same_verdicts(tmp_path):
    """`newsclean run` validates in a child process (ValidationProcess): same results as in process,
    a failure inside it reported, and an unused child stopped."""
    def sidebar(records):
        records["clean"][4]["text"] += "\n神舟二十二号飞行任务标识发布2025-11-24 22:16:26"

    folder = plant(tmp_path, sidebar)
    config = cli._config_from_args(cli.build_parser().parse_args(["validate", folder, "--set", ALLOWED]))
    in_process = validation.validate_output(folder, config)
    in_child = validation.ValidationProcess().run(folder, config)
    verdicts = lambda results: [(s["name"], e["name"], e["status"], e.get("unexpected_count"))
                                for s in results["suites"] for e in s["expectations"]]
    assert verdicts(in_child) == verdicts(in_process) and failed(in_child) == ["clean.no_chrome_lines"]
    with pytest.raises(RuntimeError, match="validation failed in its process"):
        validation.ValidationProcess().run(folder, config="not a config")
    unused = validation.ValidationProcess()
    unused.close()
    assert unused._process.returncode is not None


def test_duplicate_id_fails_id_unique(tmp_path):
    def duplicate(records):
        twin = dict(records["clean"][1], text=records["clean"][1]["text"] + "\nEin weiterer Absatz folgt hier.")
        records["clean"].append(twin)

    results = fails_only(tmp_path, duplicate, "clean.id_unique")
    assert expectation(results, "clean", "id_unique")["unexpected_count"] == 2


def test_untranslated_half_fails_foreign_script_share(tmp_path):
    def keep_both_halves(records):
        doc = records["clean"][4]
        doc["text"] += ("\nGeneva talks make progress\n"
                        "US envoy Steve Witkoff said on Sunday that the talks in Geneva had made real progress.\n"
                        "He said negotiations would continue in the coming days and all sides hoped for a deal soon.\n"
                        "European officials welcomed the talks but stressed that many questions remain open.")

    results = fails_only(tmp_path, keep_both_halves, "clean.foreign_script_share")
    e = expectation(results, "clean", "foreign_script_share")
    assert e["examples"][0].startswith("a1f0000000000005 (in/zh_talks.txt): foreign_script_share = 0.")


def test_disallowed_language_fails_lang_allowed(tmp_path):
    def korean(records):
        records["clean"].append(dict(
            records["clean"][0], id="a1f0000000000009", lang="ko", script="Kore",
            text="새 열차 운행 시작\n서울과 부산을 잇는 새 고속열차가 이번 달부터 운행을 시작했다."))

    results = fails_only(tmp_path, korean, "clean.lang_allowed")
    assert expectation(results, "clean", "lang_allowed")["examples"] == ["a1f0000000000009 (in/en_storm.txt): lang = ko"]


def test_empty_text_fails_text_length(tmp_path):
    def empty(records):
        records["clean"][2]["text"] = ""

    fails_only(tmp_path, empty, "clean.text_length")


def test_bad_reject_reason_fails_reason_known(tmp_path):
    def bad_reason(records):
        records["rejects"][1]["reason"] = "sidebar"

    fails_only(tmp_path, bad_reason, "rejects.reason_known")
    assert "sidebar" not in REJECT_REASONS


def test_bitext_pair_in_one_language_fails_languages_differ(tmp_path):
    def same(records):
        records["bitext"][0]["tgt_lang"] = "zh"

    fails_only(tmp_path, same, "bitext.languages_differ")


# --- missing columns and outputs are skipped, never passed -------------------------------------
def test_missing_columns_and_bitext_are_reported_not_passed(tmp_path):
    records = good_records()
    for r in records["clean"]:
        del r["lang_confidence"]
    del records["bitext"]
    folder = write_output(tmp_path / "out", records, compress=True)  # and .jsonl.gz is read
    code, results = validate(folder)  # no allowed languages configured
    assert code == cli.EXIT_OK
    bitext = next(s for s in results["suites"] if s["name"] == "bitext")
    assert bitext["status"] == "no records" and bitext["records"] == 0
    assert expectation(results, "clean", "lang_confidence_floor")["status"] == "skipped"
    assert "lang_confidence not in the output" in expectation(results, "clean", "lang_confidence_floor")["reason"]
    assert expectation(results, "clean", "lang_allowed")["status"] == "skipped"
    assert expectation(results, "clean", "id_unique")["status"] == "passed"


def test_validate_refuses_a_missing_folder(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope")]) == cli.EXIT_USAGE
    assert "output folder not found" in capsys.readouterr().err


# --- pure helpers ------------------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    "男子动物园内用弹弓射老虎目击者发声2025-11-24 22:13:53",
    "2025-11-24 22:19:13  环球网",
    "(责任编辑:0764)",
    "相关新闻",
    "Related articles",
    "Читайте также:",
    "Lesen Sie auch",
    "© 2024 Example Media. All rights reserved.",
    "Share this article",
    "返回顶部",
    "(Reporting by Jane Doe; Editing by John Roe)",
    "Ceasefire talks resume in Cairo 2 hours ago",
])
def test_chrome_patterns_flag_chrome_lines(line):
    assert validation.chrome_lines("Some article sentence ends here.\n" + line, validation.load_chrome_patterns())


@pytest.mark.parametrize("text", [
    "Ports closed at 12:30 on Thursday, officials said.\nThe storm is expected to pass by Saturday.",
    "会议于2025年11月24日在日内瓦举行，双方讨论了停火问题。",
    "编辑部表示，将继续关注此事的进展。",
    "Key measures:\n- lower taxes for families;\n- more money for schools;\n- a new rail line.",
    "He shared the results with colleagues.\nCopyright law was not the issue, the court said.",
])
def test_chrome_patterns_leave_prose_alone(text):
    assert validation.chrome_lines(text, validation.load_chrome_patterns()) == []


CHROME_IN_PROSE = [
    "Ports closed at 12:30 on Thursday, officials said.\nThe storm is expected to pass by Saturday.",
    "会议于2025年11月24日在日内瓦举行，双方讨论了停火问题。\n神舟二十二号飞行任务标识发布2025-11-24 22:16:26",
    "2025-11-24 22:19:13  环球网\nThe minister spoke.",
    "The minister spoke.\n(责任编辑:0764)\nShe left.",
    "相关新闻", "Related articles:", "Читайте также", "[ Share this article ]",
    "© 2024 Example Media. All rights reserved.\n",
    "He shared the results.\nCopyright law was not the issue, the court said.",
    "Talks resume in Cairo 2 hours ago", "Talks resume in Cairo 2 hours ago.",
    "Markets\n- Oil rises\n- Gold falls\n- Stocks flat\nEnd of list.",
    "Key measures:\n- lower taxes;\n- more money for schools;\n- a new rail line.",
    "(Reporting by Jane Doe; Editing by John Roe)\r\nMore text.", "", "\n", "\n\n相关新闻\n\n",
]


def test_one_combined_chrome_regex_fails_the_same_texts_as_one_regex_per_pattern():
    """no_chrome_lines hands Great Expectations one alternation of the line patterns; a text fails
    it exactly when some per-pattern regex finds a line (GX: re.search over the text)."""
    patterns = validation.load_chrome_patterns()
    combined = validation.chrome_regex_list(patterns)
    assert len(combined) == 1  # the shipped patterns are joined: one scan of each text, not eight
    lines = [line for text in CHROME_IN_PROSE for line in text.split("\n")]
    texts = CHROME_IN_PROSE + ["\n".join(lines[i:i + 3]) for i in range(len(lines))]
    per_pattern = [any(re.search(p.line_regex, t) for p in patterns) for t in texts]
    assert per_pattern == [any(re.search(r, t) for r in combined) for t in texts]
    assert True in per_pattern and False in per_pattern


def test_combined_chrome_regex_keeps_each_pattern_whole():
    """A pattern's own top-level alternation stays inside its group, and a pattern with a
    capturing group (a backreference would point at another pattern's group once joined) keeps
    its own regex."""
    patterns = [validation.ChromePattern("menu", "", "home|news"),
                validation.ChromePattern("pair", "", r"(a)b"),
                validation.ChromePattern("doubled", "", r"(\w+) \1"),
                validation.ChromePattern("stars", "", r"\*{3}")]
    regexes = validation.chrome_regex_list(patterns)
    assert len(regexes) == 3  # menu|stars joined; pair and doubled on their own
    for text, matched_by in [("home", "menu"), ("homework", None), ("x\nnews", "menu"), ("ab", "pair"),
                             ("hello hello", "doubled"), ("hello world", None), ("***", "stars"), ("a***", None)]:
        names = [name for name, _line in validation.chrome_lines(text, patterns)]
        assert names == ([matched_by] if matched_by else [])
        assert any(re.search(r, text) for r in regexes) == bool(matched_by), text


def test_a_line_only_one_pattern_matches_fails_and_is_named(tmp_path):
    line = "Copyright © 2024 Example Media Group"
    assert [name for name, _ in validation.chrome_lines(line, validation.load_chrome_patterns())] == ["copyright"]

    def footer(records):
        records["clean"][0]["text"] += "\n" + line

    e = expectation(fails_only(tmp_path, footer, "clean.no_chrome_lines"), "clean", "no_chrome_lines")
    assert e["unexpected_count"] == 1
    assert e["examples"] == ["a1f0000000000001 (in/en_storm.txt): [copyright] " + line]


# (?![^\n]*$(?<!A)(?<!B)): the gate on a line's ending that chrome_patterns.yaml uses for speed
_ENDING_GATE = re.compile(r"\(\?!\[\^\\n\]\*\$((?:\(\?<![^()]*\))+)\)")
_GATE_PIECES = ["Talks resume in Cairo", " ", "  ", "2", "17", " hours ago", " hrs", "ago", "AGO", "3小时前", "前",
                "vor 5 Minuten", "Minute", "Stunde", "Tagen", "hace 2 horas", "días", "il y a 3 jours", "5 минут назад",
                "назад", "2025-11-24 22:16", "2025/1/2 9:05:33", ":", "1:23", ".", "。", "\n", "\r"]


def ending_gate_as_lookahead(regex: str) -> str:
    """The pattern with its ending gate written the plain way, (?=[^\n]*(?:A|B)$)."""
    m = _ENDING_GATE.match(regex)
    endings = re.findall(r"\(\?<!([^()]*)\)", m.group(1))
    return r"(?=[^\n]*(?:" + "|".join(endings) + ")$)" + regex[m.end():]


@functools.lru_cache(maxsize=None)
def gated_patterns() -> list[tuple[validation.ChromePattern, validation.ChromePattern]]:
    """(shipped pattern, the same with a plain lookahead) for every pattern with an ending gate."""
    return [(p, validation.ChromePattern(p.name, "", ending_gate_as_lookahead(p.regex)))
            for p in validation.load_chrome_patterns() if _ENDING_GATE.match(p.regex)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_GATE_PIECES), max_size=12))
def test_ending_gates_flag_the_same_lines_as_plain_lookaheads(pieces):
    text = "".join(pieces)
    assert {p.name for p, _plain in gated_patterns()} >= {"timestamped_headline", "relative_time_headline"}
    for pattern, plain in gated_patterns():
        assert validation.chrome_lines(text, [pattern]) == validation.chrome_lines(text, [plain])


def test_ending_gate_reference_flags_its_lines():
    """The comparison above compares something: both forms flag these lines."""
    patterns = {p.name: p for p in validation.load_chrome_patterns()}
    for name, line in [("timestamped_headline", "Talks resume in Cairo 2025-11-24 22:16"),
                       ("relative_time_headline", "Talks resume in Cairo 2 hours ago"),
                       ("relative_time_headline", "Gespräche in Kairo vor 5 Minuten")]:
        plain = validation.ChromePattern(name, "", ending_gate_as_lookahead(patterns[name].regex))
        for pattern in (patterns[name], plain):
            assert validation.chrome_lines("Prose.\n" + line + "\nMore prose.", [pattern]) == [(name, line)]
            assert validation.chrome_lines("Prose.\n" + line + ".", [pattern]) == []


def reference_foreign_script_share(text) -> float:
    """foreign_script_share written out plainly (regexes per script, a loop per line): the fast
    version must give exactly these values."""
    scripts = [  # name, letters, UTF-8 width
        ("Latin", r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]", 1), ("Cyrillic", r"[\u0400-\u052f]", 2),
        ("Greek", r"[\u0370-\u03ff]", 2), ("Arabic", r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]", 2),
        ("Hebrew", r"[\u0590-\u05ff]", 2), ("Han", r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", 3),
        ("Kana", r"[\u3040-\u30ff]", 3), ("Hangul", r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]", 3),
        ("Devanagari", r"[\u0900-\u097f]", 3), ("Thai", r"[\u0e00-\u0e7f]", 3)]
    if not isinstance(text, str) or sum(1 for _n, rx, _w in scripts if re.search(rx, text)) < 2:
        return 0.0
    by_script = {}
    for line in text.split("\n"):
        weights = {name: len(re.findall(rx, line)) * w for name, rx, w in scripts}
        kana, han = weights["Kana"], weights["Han"]
        if kana:
            japanese = kana >= 0.25 * (kana + han)
            weights["Kana"], weights["Han"] = (kana + han, 0) if japanese else (0, kana + han)
        if sum(weights.values()):
            main = max(weights, key=weights.get)  # on a tie: the first script in the list
            by_script[main] = by_script.get(main, 0) + sum(weights.values())
    total = sum(by_script.values())
    return round(1 - max(by_script.values()) / total, 4) if total else 0.0


# letters at both ends of every script range and just outside, CJK mixes, line breaks, astral
# characters and lone surrogates (json.loads accepts "\ud800")
_RANGE_EDGES = [0x40, 0x41, 0x5A, 0x5B, 0x60, 0x61, 0x7A, 0x7B, 0xBF, 0xC0, 0xD7, 0x24F, 0x250, 0x1DFF, 0x1E00,
                0x1EFF, 0x1F00, 0x36F, 0x370, 0x3FF, 0x400, 0x52F, 0x530, 0x58F, 0x590, 0x5FF, 0x600, 0x6FF, 0x700,
                0x74F, 0x750, 0x77F, 0x780, 0x89F, 0x8A0, 0x8FF, 0x900, 0x97F, 0x980, 0xDFF, 0xE00, 0xE7F, 0xE80,
                0x10FF, 0x1100, 0x11FF, 0x1200, 0x303F, 0x3040, 0x30FF, 0x3100, 0x312F, 0x3130, 0x318F, 0x3190,
                0x33FF, 0x3400, 0x4DBF, 0x4DC0, 0x4DFF, 0x4E00, 0x9FFF, 0xA000, 0xABFF, 0xAC00, 0xD7AF, 0xD7B0,
                0xD800, 0xDFFF, 0xF8FF, 0xF900, 0xFAFF, 0xFB00, 0xFFFF, 0x10000, 0x1F600, 0x20000, 0x10FFFF]
_SCRIPT_SAMPLE = "".join(map(chr, _RANGE_EDGES)) + "ab Zé\nД ω ع ש 中漢 かなカナー 한 ह ไ\n\n 1:。"


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=_SCRIPT_SAMPLE, max_size=40), max_size=8))
def test_fast_foreign_script_share_equals_the_plain_reference(lines):
    text = "\n".join(lines)
    assert validation.foreign_script_share(text) == reference_foreign_script_share(text)


@pytest.mark.parametrize("text", [
    None, float("nan"), "", "\n", "\n\n\n", "a\n中", "\ud800中a",
    "abcd\nabcd\nийий",  # Latin 4 vs Cyrillic 2 x 2 on one line would tie; here lines differ
    "abcdий\nxyz",  # a tie inside a line (Latin 4, Cyrillic 4): the line is Latin
    "ий\nabcdий",
    "漢漢漢漢\nか漢漢漢",  # kana exactly a quarter: a Japanese line after a Chinese one
    "漢漢漢漢\nか漢漢漢漢",
    "か漢漢漢漢\nabcdefghijklmno", "か漢漢漢漢\nひらがな", "漢字\nかんじ\nカタカナ漢字漢字漢字",
    "한국어 中文 日本語のテキスト\nEnglish text here\n\U0001F600\U00020000 astral only",
    "双方在日内瓦的会谈取得了实质进展。\nThe talks in Geneva made real progress.\n\n" * 30,
])
def test_fast_foreign_script_share_on_tricky_texts(text):
    assert validation.foreign_script_share(text) == reference_foreign_script_share(text)


def test_a_line_separator_inside_a_text_does_not_split_the_record(tmp_path):
    """JSON written with ensure_ascii=False keeps U+2028 and U+0085 raw: one record is still one line."""
    records = good_records()
    records["clean"][0]["text"] += " Ende\u2028Absatz\x85fertig."
    records["clean"][0]["chars"] = len(records["clean"][0]["text"])
    code, results = validate(write_output(tmp_path / "out", records), ALLOWED)
    assert code == 0 and results["suites"][0]["records"] == len(records["clean"])


def test_foreign_script_share():
    zh = "双方在日内瓦的会谈取得了实质进展。\n史蒂夫·维特科夫(Steve Witkoff)表示谈判将继续。"
    en = "The talks in Geneva made real progress.\nSteve Witkoff said negotiations will continue."
    assert validation.foreign_script_share(zh) == 0.0  # a Latin name inside Chinese lines
    assert validation.foreign_script_share(en) == 0.0
    assert 0.35 < validation.foreign_script_share(zh + "\n" + en) < 0.65
    ja = "東京と大阪を結ぶ新しい特急列車が運行を始めました。"
    assert validation.foreign_script_share(ja + "\n" + "连接东京和大阪的新特快列车开始运行。") > 0.3


def test_allowed_languages_match_as_tag_prefixes():
    rx = re.compile(validation.allowed_languages_regex(["zh", "en", "pt-BR"]))
    assert all(rx.match(t) for t in ("zh", "zh-Hans", "zh-Hant", "en", "pt-BR"))
    assert not any(rx.match(t) for t in ("ko", "und", "eng", "pt", "pt-PT", "zh_Hans"))


def test_every_reject_reason_is_a_suite_parameter():
    assert validation.suite_parameters()["reject_reasons"] == sorted(REJECT_REASONS)


# --- suites are found when installed from a wheel/sdist, not only in a checkout ----------------
def test_suites_ship_inside_the_package(tmp_path):
    build = tmp_path / "build"
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)], cwd=ROOT,
                   check=True, capture_output=True)
    shipped = sorted(os.listdir(build / "pipeline" / "_expectations"))
    assert shipped == sorted(n for n in os.listdir(os.path.join(ROOT, "expectations")) if n.endswith((".json", ".yaml")))
    found = subprocess.run(
        [sys.executable, "-c", "from pipeline import validation; print(validation.suites_dir())"],
        cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=str(build)), check=True, capture_output=True, text=True)
    assert found.stdout.strip() == str(build / "pipeline" / "_expectations")
    shutil.rmtree(os.path.join(ROOT, "build"), ignore_errors=True)


# --- `newsclean run` validates at the end ------------------------------------------------------
@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    code = cli.main(["run", "--input", os.path.join(ROOT, "seeds"), "--output", str(out), "--quiet"])
    return out, code


def test_run_validates_and_writes_the_reports(seeds_run):
    out, code = seeds_run
    with open(out / "report" / "validation.json", encoding="utf-8") as fh:
        results = json.load(fh)
    with open(out / "report" / "summary.json", encoding="utf-8") as fh:
        summary = json.load(fh)
    # the exit code follows the validation result (validation.validate: true by default)
    assert code == (cli.EXIT_OK if results["ok"] else cli.EXIT_VALIDATION)
    assert summary["validation"]["ok"] == results["ok"]
    assert summary["validation"]["failed"] == failed(results)
    clean = next(s for s in results["suites"] if s["name"] == "clean")
    assert clean["records"] == summary["clean"] == 5
    assert expectation(results, "clean", "id_unique")["status"] == "passed"
    assert sum(summary["languages"].values()) == summary["clean"]
    page = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "documents in" in page and "<svg" in page and "<script" not in page.lower()
    assert "Removed lines by rule" in page and "Rejected documents by reason" in page
    assert (out / "report" / "data_docs" / "index.html").is_file()


def test_run_with_validate_warn_exits_ok_and_false_skips(seeds_run, tmp_path):
    out, code = seeds_run
    seeds = os.path.join(ROOT, "seeds")
    warn = cli.main(["run", "--input", seeds, "--output", str(tmp_path / "w"), "--quiet",
                     "--set", "validation.validate=warn"])
    assert warn == cli.EXIT_OK
    assert (tmp_path / "w" / "report" / "validation.json").is_file()
    off = cli.main(["run", "--input", seeds, "--output", str(tmp_path / "f"), "--quiet",
                    "--set", "validation.validate=false"])
    assert off == cli.EXIT_OK
    assert not (tmp_path / "f" / "report" / "validation.json").exists()
    assert "Validation was not run" in (tmp_path / "f" / "report" / "index.html").read_text(encoding="utf-8")


def test_remote_output_gets_data_docs_copied_through_beam_filesystems(tmp_path, monkeypatch):
    """For gs://... the Data Docs are built in a local temp folder and copied next to the outputs."""
    folder = write_output(tmp_path / "out", good_records())
    monkeypatch.setattr(validation, "_is_remote", lambda path: True)
    results = validation.validate_output(folder, examples=1)
    assert results["ok"]
    index = os.path.join(folder, "report", "data_docs", "index.html")
    assert results["data_docs"] == index and os.path.isfile(index)
    assert os.path.isfile(os.path.join(folder, "report", "data_docs", "expectations", "clean.html"))


def test_a_broken_record_is_named_with_file_and_line(tmp_path, capsys):
    folder = write_output(tmp_path / "out", good_records())
    with open(os.path.join(folder, "clean", "part-00000-of-00001.jsonl"), "a", encoding="utf-8") as fh:
        fh.write('{"id": "cut off\n')
    assert cli.main(["validate", folder]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "validation could not run" in err and "part-00000-of-00001.jsonl:6: not a JSON record" in err


def test_great_expectations_is_imported_only_when_validating():
    code = ("import sys, pipeline.cli, pipeline.runner, pipeline.validation, pipeline.report; "
            "print('great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_batches_find_per_row_and_corpus_wide_defects(tmp_path):
    """With batches of 2 records (one file each), a duplicate id and a duplicate text in different
    files are still found (corpus-wide pass over ids and text hashes), and a chrome line in the last
    file too; counts add up over the batches."""
    records = good_records()
    clean = records.pop("clean")
    clean.append(dict(clean[0], id="a1f00000000000aa"))  # same text as the first document
    clean.append(dict(clean[1], text=clean[1]["text"] + "\nNoch ein Absatz."))  # same id as the second
    clean[4] = dict(clean[4], text=clean[4]["text"] + "\n相关新闻")
    folder = write_output(tmp_path / "out", records)
    os.makedirs(os.path.join(folder, "clean"))
    for i, record in enumerate(clean):
        with open(os.path.join(folder, "clean", f"part-{i:05d}-of-{len(clean):05d}.jsonl"), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(dict(record, chars=len(record["text"])), ensure_ascii=False) + "\n")
    code, results = validate(folder, ALLOWED, "validation.batch_records=2")
    assert code == cli.EXIT_VALIDATION
    suite = next(s for s in results["suites"] if s["name"] == "clean")
    assert suite["records"] == 7 and suite["batches"] == 4 and suite["files"] == 7
    assert failed(results) == ["clean.id_unique", "clean.text_unique", "clean.no_chrome_lines"]
    assert expectation(results, "clean", "id_unique")["unexpected_count"] == 2
    assert expectation(results, "clean", "text_unique")["examples"] == [
        "a1f0000000000001: the same text as another document", "a1f00000000000aa: the same text as another document"]
    assert expectation(results, "clean", "no_chrome_lines")["examples"] == ["a1f0000000000005 (in/zh_talks.txt): [related_header] 相关新闻"]
    assert expectation(results, "clean", "text_length")["status"] == "passed"


def test_a_column_only_some_files_have_fails_instead_of_passing(tmp_path):
    records = good_records()
    clean = records.pop("clean")
    folder = write_output(tmp_path / "out", records)
    os.makedirs(os.path.join(folder, "clean"))
    for i, record in enumerate(clean):
        if i >= 3:
            record = {k: v for k, v in record.items() if k != "lang_confidence"}
        with open(os.path.join(folder, "clean", f"part-{i:05d}-of-00005.jsonl"), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(dict(record, chars=len(record["text"])), ensure_ascii=False) + "\n")
    code, results = validate(folder, ALLOWED, "validation.batch_records=3")
    assert code == cli.EXIT_VALIDATION
    assert failed(results) == ["clean.lang_confidence_floor"]
    assert "column lang_confidence not in the output yet in 1 of 2 batches" in \
        expectation(results, "clean", "lang_confidence_floor")["error"]
