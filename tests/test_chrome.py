"""The chrome cleaner on the seeds and on hand-written portal pages in several languages."""
from __future__ import annotations

import glob
import os

import pytest
import yaml

from pipeline.config import ChromeConfig, load_config
from pipeline.document import Document
from pipeline.sources import text_document
from pipeline.steps import apply_steps, text_steps
from pipeline.steps.chrome import classify, normalise_date, strip_chrome
from pipeline.steps.chrome_lexicon import LexiconError, load_lexicon
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.steps.chrome_lines import (
    DATE_RE, INNER_PUNCT_RE, SEPARATOR_RE, TIME_RE, URL_RE, WORD_DATE_RE, display_width, ends_sentence, is_near_repeat, line_features, normalise_line,
    normalise_lines, page_features,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "chrome")


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


def seed(prefix: str) -> Document:
    path = glob.glob(os.path.join(ROOT, "seeds", prefix + "_*.txt"))[0]
    with open(path, "rb") as fh:
        return text_document(path, fh.read())


def fixture(name: str) -> Document:
    path = os.path.join(FIXTURES, name)
    with open(path, "rb") as fh:
        return text_document(path, fh.read())


def kept(doc: Document) -> list[str]:
    return doc.text.split("\n")


def rules_of(doc: Document, needle: str) -> set[str]:
    return {rule for i, rule in doc.removed.items() if needle in doc.lines[i]}


# --- line features ------------------------------------------------------------------------------

def test_display_width_counts_cjk_double():
    assert display_width("abc") == 3
    assert display_width("新闻") == 4
    assert display_width("  新闻 ab ") == 7


def test_sentence_ends_in_several_scripts():
    assert ends_sentence("这是一句话。")
    assert ends_sentence('He said "yes."')
    assert ends_sentence("Правда?")
    assert ends_sentence("“完了！”")
    assert not ends_sentence("Home")
    assert not ends_sentence("美乌首轮会谈结束 多国相继发声")


# Characters the per-line features look at (marks, digits, spaces, wide and beyond-BMP characters).
_FEATURE_CHARS = st.sampled_from(
    list(",，、;；。.!?！？:：-/|→>»·@ \t\u3000\n12905aZwWcoyr新闻ΣßİÉ年时月日“”»」()[]【】•*")
    + ["www.", "http://", ".com", "By ", "𝟏", "😀", "2024-03-01", "12:30"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_FEATURE_CHARS, max_size=120).map("".join), max_size=20))
def test_page_features_match_each_line_alone(lines):
    """A page's lines worked out together (one array of code points) get what each gets alone, and
    the counts that have a regex of their own agree with it."""
    together = page_features(lines)
    assert together == [line_features(line) for line in lines]
    for line, f in zip(lines, together):
        text = line.strip()
        assert f.inner_punct == (len(INNER_PUNCT_RE.findall(text)) if f.width >= 50 else 0)
        assert f.separators == len(SEPARATOR_RE.findall(text))
        assert f.url == (URL_RE.search(text) is not None)
        assert f.width == display_width(text)
        assert f.has_date == bool(DATE_RE.search(text) or WORD_DATE_RE.search(text))
        assert f.has_time == bool(TIME_RE.search(text))
    assert normalise_lines(lines) == [normalise_line(line) for line in lines]


def test_timestamps_and_near_repeats():
    assert line_features("2025-11-24 22:19:13").timestamped
    assert line_features("Сегодня, 7:37").timestamped
    assert not line_features("The minister spoke for 20 minutes on 3 March, then left.").timestamped
    assert is_near_repeat("新版和平框架能保住乌克兰主权吗", "新版和平框架能保住乌克兰主权吗外交进程全面提速")
    assert not is_near_repeat("完全不同的标题", "新版和平框架能保住乌克兰主权吗")


def test_dates_are_normalised():
    assert normalise_date("2012年01月12日 16:30 来源：海口晚报") == "2012-01-12 16:30"
    assert normalise_date("12.03.2024 10:15") == "2024-03-12 10:15"
    assert normalise_date("Published 14 March 2024 09:42") == "2024-03-14 09:42"
    assert normalise_date("5 января 2012, 14:25") == "2012-01-05 14:25"
    assert normalise_date("no date here") is None


# --- seeds --------------------------------------------------------------------------------------

def test_seed_003_keeps_exactly_title_and_body(lexicon):
    doc = strip_chrome(seed("003"), lexicon)
    lines = kept(doc)
    assert lines[0] == "美乌首轮会谈结束 多国相继发声 进展与挑战并存"
    assert lines[1].startswith("美国和乌克兰代表23日")
    assert lines[-1].endswith("都满意的协议。")
    assert "美乌首轮会谈结束 多国相继发声" in lines[2:]  # the subheading inside the body stays
    assert len(lines) == 8  # title + 6 paragraphs + subheading, nothing of the sidebar
    assert doc.title == lines[0]
    assert doc.date == "2025-11-24 22:19:13"
    assert doc.site == "环球网"


def test_seed_003_rules_name_what_was_removed(lexicon):
    doc = strip_chrome(seed("003"), lexicon)
    assert rules_of(doc, "(责任编辑:0764)") == {"chrome.editor_credit"}
    assert rules_of(doc, "2025-11-24 22:19:13") == {"chrome.dateline"}
    assert rules_of(doc, "中华网 china.com") == {"chrome.header"}
    sidebar = [i for i, rule in doc.removed.items() if rule == "sidebar.timestamped_headline"]
    assert len(sidebar) >= 60
    assert all(i > 24 for i in sidebar)


def test_seed_004_drops_the_latest_news_list(lexicon):
    doc = strip_chrome(seed("004"), lexicon)
    lines = kept(doc)
    assert lines[-1].endswith("910 人受伤。")
    assert not any(line.startswith("- ") for line in lines)
    assert "“俄罗斯是这场战争的唯一原因”" in lines  # a short quoted subheading between paragraphs
    heading = [i for i, line in enumerate(doc.lines) if line.startswith("过去24小时")][0]
    listed = [i for i in range(heading, len(doc.lines)) if doc.lines[i].strip()]
    assert {doc.removed[i] for i in listed} == {"aggregator.latest_list"}
    assert doc.title == lines[0]


@pytest.mark.parametrize("prefix", ["000", "001", "002"])
def test_articles_without_chrome_lose_nothing(lexicon, prefix):
    original = seed(prefix)
    doc = strip_chrome(original, lexicon)
    assert doc.removed == {}
    assert doc.text == original.text


# --- hand-written portal pages in three more languages --------------------------------------------

PAGES = {
    "en_portal.txt": dict(
        title="Volunteers count record number of seabirds on northern cliffs",
        first="Volunteers surveying the northern cliffs",
        last="The full survey results will be published in the autumn.",
        subheading="A decade of patient work",
        date="2024-03-14 09:42",
        paragraphs=6,
    ),
    "ru_portal.txt": dict(
        title="В Казани открыли детскую библиотеку в здании бывшей фабрики",
        first="В Казани после трёх лет реконструкции",
        last="с девяти утра до восьми вечера.",
        subheading=None,
        date="2024-03-12 10:15",
        paragraphs=4,
    ),
    "de_portal.txt": dict(
        title="Bäckereien im Land kämpfen mit steigenden Energiepreisen",
        first="Viele Bäckereien im Land",
        last="keine Zeit, die Anträge auszufüllen.",
        subheading="Förderprogramm soll helfen",
        date="2024-02-05 08:30",
        paragraphs=4,
    ),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_portal_pages_keep_title_and_body_only(lexicon, name):
    want = PAGES[name]
    doc = strip_chrome(fixture(name), lexicon)
    lines = kept(doc)
    assert lines[0] == want["title"] == doc.title
    assert lines[1].startswith(want["first"])
    assert lines[-1].endswith(want["last"])
    body = lines[1:]
    if want["subheading"]:
        assert want["subheading"] in body
    assert len([l for l in body if line_features(l).prose]) == want["paragraphs"]
    assert len(body) == want["paragraphs"] + (1 if want["subheading"] else 0)
    assert doc.date == want["date"]


def test_portal_rules(lexicon):
    en = strip_chrome(fixture("en_portal.txt"), lexicon)
    assert rules_of(en, "By Martha Ellison") == {"chrome.byline"}
    assert rules_of(en, "Advertisement") == {"chrome.advertisement"}
    assert rules_of(en, "1. Ferry timetable") == {"aggregator.latest_list"}
    assert rules_of(en, "All rights reserved") == {"chrome.copyright"}
    ru = strip_chrome(fixture("ru_portal.txt"), lexicon)
    assert rules_of(ru, "Жители Елабуги") == {"sidebar.timestamped_headline"}
    assert rules_of(ru, "Читайте также") == {"chrome.related"}
    de = strip_chrome(fixture("de_portal.txt"), lexicon)
    assert rules_of(de, "Neue Regeln für Minijobber") == {"aggregator.latest_list"}
    assert rules_of(de, "Von Lena Hofmann") == {"chrome.dateline"}
    assert de.site is None  # a byline is not a site


def test_page_without_prose_is_left_alone(lexicon):
    doc = Document(id="x", source="x", lines=("Home", "News", "Sport", "Weather", "Contact"))
    assert strip_chrome(doc, lexicon) is doc


def test_same_input_same_output(lexicon):
    a = classify(fixture("en_portal.txt").lines, lexicon)
    b = classify(fixture("en_portal.txt").lines, load_lexicon())
    assert a == b


def test_hard_wrapped_paragraphs_are_read_as_prose(lexicon):
    wrapped = (
        "Menu", "Home", "News", "Sport",
        "Council approves budget",
        "The city council approved next year's budget on Tuesday after a",
        "debate that lasted almost six hours, with most of the discussion",
        "centred on the cost of the new tram line and on school repairs.",
        "The vote was 31 to 12, with two abstentions from the opposition",
        "benches, and the budget now goes to the regional authority.",
        "Contact", "Privacy",
    )
    doc = strip_chrome(Document(id="w", source="w", lines=wrapped), lexicon)
    assert kept(doc)[0] == "Council approves budget"
    assert len(kept(doc)) == 6
    assert rules_of(doc, "Privacy") == {"chrome.copyright"}


# --- phrase packs ---------------------------------------------------------------------------------

def test_builtin_packs_travel_with_the_package(lexicon):
    assert any(s.startswith("builtin:zh") for s in lexicon.sources)
    assert lexicon.match("(责任编辑:0764)") == "editor_credit"
    assert lexicon.match("Читайте также") == "related"
    # a phrase inside a sentence of the article is not chrome
    assert lexicon.match("The committee decided to share this information with the public next week.") is None
    assert lexicon.match("Printer ink prices") is None  # whole words only


def test_user_pack_adds_site_phrases(tmp_path):
    pack = tmp_path / "site.yaml"
    pack.write_text(yaml.safe_dump({"language": "en", "phrases": {"share": ["Beam me this story"]}}))
    lexicon = load_lexicon([str(pack)])
    assert lexicon.match("Beam me this story") == "share"
    example = load_lexicon([os.path.join(ROOT, "configs", "lexicons", "example-site.yaml")], builtin=False)
    assert example.match("More from Example News") == "related"


def test_bad_pack_is_an_error_naming_the_file(tmp_path):
    pack = tmp_path / "bad.yaml"
    pack.write_text("phrases:\n  sharing: [x]\n")
    with pytest.raises(LexiconError, match="bad.yaml.*sharing"):
        load_lexicon([str(pack)])
    with pytest.raises(LexiconError, match="not found"):
        load_lexicon([str(tmp_path / "missing.yaml")])


# --- the step in the chain ------------------------------------------------------------------------

def test_chain_runs_chrome_before_quality_gates():
    config = load_config(None)
    names = [name for name, _ in text_steps(config)]
    assert names.index("chrome.strip") < names.index("quality.require_text")
    doc = apply_steps(seed("003"), text_steps(config))
    assert doc.text.split("\n")[0] == doc.title


def test_chrome_can_be_switched_off():
    config = load_config(None, [{"chrome": {"enabled": False}}])
    assert "chrome.strip" not in [name for name, _ in text_steps(config)]


def test_default_yaml_documents_every_chrome_key():
    with open(os.path.join(ROOT, "configs", "default.yaml"), encoding="utf-8") as fh:
        documented = yaml.safe_load(fh)["chrome"]
    assert documented == ChromeConfig().model_dump()


# --- newsclean inspect ------------------------------------------------------------------------------

def test_inspect_marks_removed_lines_by_rule(capsys):
    from pipeline.cli import main

    path = os.path.join(FIXTURES, "ru_portal.txt")
    assert main(["inspect", path, "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "# title: В Казани открыли детскую библиотеку в здании бывшей фабрики" in out
    assert "- sidebar.timestamped_headline" in out
    assert "\x1b[" not in out
    kept_line = [l for l in out.splitlines() if "Читальный зал будет открыт" in l][0]
    assert " - " not in kept_line[:8]
    assert main(["inspect", path, "--color", "always", "--removed-only"]) == 0
    coloured = capsys.readouterr().out
    assert "\x1b[" in coloured and "Читальный зал будет открыт" not in coloured


def test_article_with_a_list_inside_keeps_it(lexicon):
    article = (
        "How the new recycling rules work",
        "From April, households in the district will sort their waste into four bins instead of two, "
        "the council announced on Wednesday.",
        "The change follows a consultation last year in which most residents said they wanted to recycle "
        "more but found the current rules confusing.",
        "The bins will be collected on alternate weeks:",
        "- blue bin for paper and cardboard",
        "- green bin for garden and food waste",
        "- yellow bin for plastics and metal cans",
        "- black bin for everything that cannot be recycled",
        "Officials said the change should double the share of recycled waste within three years, "
        "and that residents would receive the new bins free of charge.",
        "Leaflets explaining the new system will be delivered to every home in March.",
    )
    doc = strip_chrome(Document(id="r", source="r", lines=article), lexicon)
    assert doc.removed == {}
    assert doc.title == article[0]


@pytest.mark.parametrize("mode", ["none", "specific", "all"])
def test_text_extracted_from_html_gets_the_configured_rules(lexicon, mode):
    page = seed("003").with_extra(html_extractor="trafilatura")
    out = strip_chrome(page, lexicon, ChromeConfig(on_extracted_html=mode))
    rules = set(out.removed.values())
    if mode == "none":
        assert out.removed == {}
    elif mode == "specific":
        # what a line is (a timestamped sidebar item) still goes; "outside the prose run" alone does not
        assert "sidebar.timestamped_headline" in rules
        assert not rules & {"chrome.header", "chrome.footer", "chrome.inline_block"}
    else:
        assert rules == set(strip_chrome(seed("003"), lexicon, ChromeConfig()).removed.values())


@pytest.mark.parametrize("dateline,site", [
    ("2025-11-24 22:19:13  环球网", "环球网"),
    ("2024-03-01 10:00 | Reuters", "Reuters"),
    ("2024-03-01 10:00 | 163.com", "163.com"),
    ("November 19, 2019 / 12:21 AM / Updated 14 hours ago", None),  # a count, not a site
    ("14.03.2024 09:42 | 5 min read", None),
])
def test_site_after_a_dateline_is_a_name_not_a_count(dateline, site):
    from pipeline.steps.chrome import _site_from_dateline

    assert _site_from_dateline(dateline) == site


@pytest.mark.parametrize("dateline,site", [
    ("2012-01-12 15:38:49  今日早報 編輯：馬利", "今日早報"),  # a credit after the name
    ("2012-01-12 16:30  海口晚报 参与互动(0)", "海口晚报"),  # a comments widget after the name
    ("2012-01-02  id=11024&pn=0.html", None),  # a URL fragment
    ("2024-03-01 10:00 | The Guardian", "The Guardian"),
])
def test_site_is_cut_at_what_follows_the_name(dateline, site):
    from pipeline.steps.chrome import _site_from_dateline

    assert _site_from_dateline(dateline) == site


# --- speed: the line cache and page-at-once lookups decide nothing ----------------------------------

def _pages() -> list[tuple[str, ...]]:
    pages = [fixture(name).lines for name in sorted(os.listdir(FIXTURES))]
    pages += [seed(prefix).lines for prefix in ("000", "001", "002", "003", "004")]
    # pages sharing a site's menu and footer with another page, in another order
    first = pages[0]
    pages.append(first[:6] + pages[1][6:] + first[-4:])
    return pages


def test_line_cache_cold_warm_and_fresh_give_the_same_decisions():
    warm = load_lexicon()
    cold_run = [classify(page, warm) for page in _pages()]
    assert warm.line_cache  # it was used
    warm_run = [classify(page, warm) for page in reversed(_pages())][::-1]
    fresh_run = [classify(page, load_lexicon()) for page in _pages()]
    assert cold_run == warm_run == fresh_run
    assert any(decision.removed for decision in cold_run)


def test_line_cache_does_not_carry_skipped_lines_over():
    lexicon = load_lexicon()
    page = fixture("en_portal.txt").lines
    skipped = classify(page, lexicon, skip=frozenset(range(0, len(page), 2)))
    assert classify(page, lexicon) == classify(page, load_lexicon())
    assert skipped == classify(page, load_lexicon(), skip=frozenset(range(0, len(page), 2)))


def test_line_cache_is_bounded(monkeypatch):
    from pipeline.steps import chrome

    monkeypatch.setattr(chrome, "CACHE_MAX_LINES", 10)
    lexicon = load_lexicon()
    decisions = [classify(page, lexicon) for page in _pages()]
    assert len(lexicon.line_cache) <= 10 + max(len(page) for page in _pages())
    assert decisions == [classify(page, load_lexicon()) for page in _pages()]


def test_lexicon_travels_without_its_line_cache():
    import pickle

    lexicon = load_lexicon()
    page = fixture("ru_portal.txt").lines
    decision = classify(page, lexicon)
    copy = pickle.loads(pickle.dumps(lexicon))
    assert copy.line_cache == {} and lexicon.line_cache
    assert classify(page, copy) == decision


def test_page_at_once_phrase_lookup_equals_line_by_line(lexicon):
    lines = [line for page in _pages() for line in page]
    lines += ["Share 分享", "分享 Share this", "Поделиться share", "Printer", "reshare more news", "", "   ",
              "Related news: Новости по теме", "相关新闻 Related", "x" * 90, "Print | Share | 打印"]
    widths = [line_features(line).width for line in lines]
    assert lexicon.match_many(lines, widths) == [lexicon.match(line, w) for line, w in zip(lines, widths)]
    assert lexicon.match_many(lines, widths).count(None) < len(lines)


@pytest.mark.parametrize("name,page", [
    ("1.4 MB hard-wrapped paragraph",
     [f"the reporter, tired after a long day, files the copy at {i:07d} and goes on" for i in range(20_000)]),
    ("50,000 bullet lines", [f"- Headline {i} about the market 2024-03-{i % 28 + 1:02d} 12:{i % 60:02d}"
                             for i in range(50_000)]),
])
def test_pathological_pages_take_seconds_not_minutes(lexicon, name, page):
    import time

    started = time.process_time()
    classify(page, lexicon)
    assert time.process_time() - started < 3, name
