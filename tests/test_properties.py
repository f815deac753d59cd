"""Property tests for every step in pipeline/steps/: any Unicode text goes through without an
exception (a Reject with a known reason is an answer, not a failure), no line is lost or invented, and
a second call gives the same result.

Sizes are kept small so the suite runs in seconds; the heavy shapes (a 1 MB line, 100,000 empty lines)
are explicit examples, not random ones.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.config import Config
from pipeline.document import REJECT_REASONS, Document, Reject
from pipeline.sinks import json_line
from pipeline.steps import chrome, dedup, halves, language, quality, repeats, text_steps
from pipeline.steps import html as html_step
from pipeline.steps.chrome_lexicon import load_lexicon
from pipeline.steps.chrome_lines import normalise_line
from pipeline.steps.decode import decode_bytes
from pipeline.steps.normalize import normalize_text

CONFIG = Config()
LEXICON = load_lexicon()
CHAIN = text_steps(CONFIG, LEXICON)

# Characters that break naive text code: controls, lone surrogates, bidi marks, joiners, odd spaces,
# combining marks, a BOM, line/paragraph separators, non-BMP emoji.
ODD = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\udfff", "\u200e", "\u200f", "\u202e", "\u2066",
       "\u200d", "\u200c", "\u200b", "\ufeff", "\u00a0", "\u3000", "\u0301", "\u2028", "\u2029", "\t",
       "\U0001F600", "\U0001F468\u200d\U0001F469", "\ufffd", "\u0640"]
SNIPPETS = [
    "Officials met in Geneva on Sunday to discuss the proposed peace plan.",
    "美国和乌克兰代表23日在瑞士日内瓦就和平计划进行了会谈。", "Москва, 24 ноября — РИА Новости.",
    "2025-11-24 22:16:52", "责任编辑：王明", "Related news", "相关新闻", "• Share", "Ἀθῆναι, 3 Μαΐου",
    "مرحبا بالعالم، هذا نص عربي.", "שלום עולם", "日本語の文章です。カタカナ", "한국어 문장입니다.",
    "1.", "（）", "https://example.com/a?b=c", "Copyright © 2024", "...", "a" * 300,
]
ANY_CHAR = st.characters(exclude_categories=())  # every code point, surrogates included
LINE = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.sampled_from(SNIPPETS),
    st.lists(st.one_of(st.sampled_from(ODD), st.sampled_from(SNIPPETS), st.text(max_size=8)), max_size=6)
    .map("".join),
)
RAW_TEXT = st.lists(LINE, max_size=30).map("\n".join)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def doc_of(text: str) -> Document:
    return Document(id="d", source="prop.txt", lines=tuple(normalize_text(text)))


def outcome(step, doc: Document):
    """The step's result as comparable data: (reason, detail) for a Reject, else the record and removals."""
    try:
        out = step(doc)
    except Reject as r:
        assert r.reason in REJECT_REASONS, r.reason
        return ("reject", r.reason, r.detail), None
    return (dict(out.removed), out.title, out.date, out.site, out.lang, json.dumps(out.extra, sort_keys=True,
            default=repr)), out


def check_accounted(before: Document, after: Document) -> None:
    """Kept lines + removed lines (the clean text + the audit) rebuild the input's non-blank lines."""
    assert after.lines == before.lines
    assert set(before.removed.items()) <= set(after.removed.items()), "an earlier removal was undone"
    kept = after.kept_indices()
    rebuilt = sorted([(i, after.lines[i]) for i in kept] + [(r.line, r.text) for r in after.removals()])
    expected = [(i, line) for i, line in enumerate(before.lines) if line.strip() or i in after.removed]
    assert rebuilt == expected
    assert "\n".join(after.lines[i] for i in kept) == after.text


def check_step(step, doc: Document):
    first, out = outcome(step, doc)
    second, _ = outcome(step, doc)
    assert first == second, "a second call gave another result"
    if out is not None:
        check_accounted(doc, out)
        json_line(out.clean_record()).encode("utf-8")  # the record can be written
        json_line(out.audit_record()).encode("utf-8")
    return out


def annotated(doc: Document) -> Document:
    return language.annotate_lines(doc, CONFIG.language)


# --- reading ---------------------------------------------------------------------------------------
@FAST
@given(st.binary(max_size=2000))
def test_decode_any_bytes(data):
    try:
        text, used = decode_bytes(data)
    except Reject as r:
        assert r.reason in REJECT_REASONS
        return
    assert isinstance(used, str) and used
    assert decode_bytes(data) == (text, used)


@FAST
@given(RAW_TEXT)
def test_normalize_any_text(text):
    lines = normalize_text(text)
    for line in lines:
        assert "\n" not in line and "\r" not in line and line == line.strip()
        line.encode("utf-8")  # no lone surrogate survives
    assert normalize_text("".join(line + "\n" for line in lines)) == lines  # idempotent
    assert normalize_text(text) == lines


# --- per-document steps ------------------------------------------------------------------------------
@FAST
@given(RAW_TEXT)
def test_language_annotate_and_summarize(text):
    doc = doc_of(text)
    out = check_step(lambda d: language.annotate_lines(d, CONFIG.language), doc)
    assert len(out.notes["line_langs"]) == len(doc.lines)
    check_step(lambda d: language.summarize_document(d, CONFIG.language), out)


@FAST
@given(RAW_TEXT)
def test_chrome_strip(text):
    check_step(lambda d: chrome.strip_chrome(d, LEXICON, CONFIG.chrome), doc_of(text))


@FAST
@given(RAW_TEXT, st.sampled_from(["original", "first", "both", "en"]))
def test_halves_split(text, keep):
    cfg = CONFIG.halves.model_copy(update={"keep": keep})
    out = check_step(lambda d: halves.split_halves(d, cfg), annotated(doc_of(text)))
    split_off = out.notes.get("split_off")
    if split_off is not None:
        check_accounted(doc_of(text), split_off)


@FAST
@given(RAW_TEXT, st.integers(0, 50))
def test_quality_gates(text, min_chars):
    doc = doc_of(text)
    check_step(quality.require_text, doc)
    check_step(lambda d: quality.require_min_chars(d, min_chars), doc)


@FAST
@given(RAW_TEXT, st.sets(st.integers(0, 40)))
def test_corpus_repeats(text, picked):
    doc = doc_of(text)
    keys = repeats.repeat_keys(doc, 200)
    for _key, indices in keys:
        assert all(0 <= i < len(doc.lines) for i in indices)
    # the definition: the line key of every short kept line with a letter or digit, but the title
    expected: dict = {}
    for i in doc.kept_indices():
        line = doc.lines[i].strip()
        if len(line) <= 200 and line != (doc.title or "").strip() and normalise_line(line):
            expected.setdefault(repeats.line_key(normalise_line(line)), []).append(i)
    assert keys == sorted(expected.items())
    check_step(lambda d: repeats.remove_repeats(d, [i for i in picked if i < len(d.lines)]), doc)


@FAST
@given(RAW_TEXT)
@example("\ud800")  # found by this test: exact_key/shingle_hashes raised UnicodeEncodeError
def test_dedup_core(text):
    assert dedup.exact_key(text) == dedup.exact_key(text)
    hashes = dedup.shingle_hashes(text)
    assert list(hashes) == list(dedup.shingle_hashes(text))
    both = dedup.exact_key_and_shingle_hashes(text)  # the pipeline's one-fold form of the two
    assert both[0] == dedup.exact_key(text) and list(both[1]) == list(hashes)
    if len(hashes):
        hasher = dedup.MinHasher(num_perm=16, bands=4)
        assert list(hasher.signature(hashes)) == list(hasher.signature(hashes))


@settings(max_examples=40, deadline=None)
@given(RAW_TEXT)
def test_whole_chain(text):
    check_step(chain, doc_of(text))


# Real documents with random damage (lines dropped or doubled, odd characters inserted): random text
# almost never looks like translated halves or a page with chrome, these reach the deep code paths.
def _seed_lines() -> list[list[str]]:
    import os

    from tests.conftest import SEEDS

    return [open(os.path.join(SEEDS, n), encoding="utf-8").read().splitlines() for n in sorted(os.listdir(SEEDS))]


SEED_LINES = _seed_lines()
EDITS = st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["drop", "keep", "odd", "double"]),
                           st.sampled_from(ODD)), max_size=12)


def damaged(seed: int, edits) -> str:
    lines = list(SEED_LINES[seed])
    for i, op, ch in edits:
        i %= len(lines)
        if op == "drop":
            del lines[i]
        elif op == "odd":
            lines[i] = lines[i][: i % 9] + ch + lines[i][i % 9:]
        elif op == "double":
            lines.insert(i, lines[i])
    return "\n".join(lines)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, len(SEED_LINES) - 1), EDITS, st.sampled_from(["original", "both", "en", "zh"]))
def test_damaged_seeds_through_every_step(seed, edits, keep):
    doc = doc_of(damaged(seed, edits))
    cfg = CONFIG.halves.model_copy(update={"keep": keep})
    check_step(lambda d: chrome.strip_chrome(d, LEXICON, CONFIG.chrome), doc)
    out = check_step(lambda d: halves.split_halves(d, cfg), annotated(doc))
    if out.notes.get("split_off") is not None:
        check_accounted(doc, out.notes["split_off"])
    check_step(chain, doc)


def chain(d: Document) -> Document:
    for _name, step in CHAIN:
        d = step(d)
    return d


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<title>", "<script>", "<!--", "&amp;",
                                 "&#xD800;", "<meta charset='x'>", "<br>"]) | LINE, max_size=20).map("".join))
def test_html_extraction(markup):
    try:
        out = html_step.extract_page(markup.encode("utf-8", "surrogatepass"), "http://example.com/")
    except Reject as r:
        assert r.reason in REJECT_REASONS
        return
    for line in out.lines:
        line.encode("utf-8")


# --- the heavy shapes, as explicit examples ---------------------------------------------------------
HEAVY = {
    "1 MB line": "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 18_000,
    "1 MB line without spaces": "新" * 350_000,
    "100,000 empty lines": "\n" * 100_000 + "The only sentence of this document, at its very end.\n",
    "mixed scripts and marks": "\n".join(
        [s + "\u200f" + "\u200d".join("ab") for s in SNIPPETS] * 20),
    "10,000 short chrome lines": "\n".join(f"• Headline {i} 2025-11-24 22:16" for i in range(10_000)),
}


@pytest.mark.parametrize("name", sorted(HEAVY))
def test_heavy_inputs_go_through_the_chain(name):
    doc = doc_of(HEAVY[name])
    first, out = outcome(chain, doc)
    if out is not None:
        check_accounted(doc, out)
