"""Language identification: script pass, zh-Hans/zh-Hant, und lines, runs, document summary, seeds."""
import json
import os
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.config import build_config
from pipeline.document import REJECT_REASONS, Document, Reject
from pipeline.steps import language, text_steps
from pipeline.steps.language import (LineLanguage, annotate_lines, detect_lines, detect_text,
                                     language_runs, summarize_document)
from tests.conftest import REPO, SEEDS


def _seed_lines(prefix):
    name = next(f for f in sorted(os.listdir(SEEDS)) if f.startswith(prefix))
    with open(os.path.join(SEEDS, name), encoding="utf-8") as fh:
        return fh.read().split("\n")


def _doc(lines, doc_id="d"):
    return Document(id=doc_id, source=f"{doc_id}.txt", lines=tuple(lines))


# --- script pass -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, lang, script", [
    ("서울시는 오늘 새로운 대중교통 정책을 발표했다.", "ko", "Kore"),
    ("東京都は今日、新しい交通政策を発表しました。", "ja", "Jpan"),
    ("トヨタ、新型EVを発表", "ja", "Jpan"),
    ("กรุงเทพมหานครประกาศนโยบายใหม่วันนี้", "th", "Thai"),
    ("Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα.", "el", "Grek"),
    ("הממשלה הודיעה היום על צעדים חדשים.", "he", "Hebr"),
    ("Կառավարությունը այսօր հայտարարեց նոր միջոցառումներ։", "hy", "Armn"),
])
def test_script_settles_single_language_scripts(text, lang, script):
    result = detect_text(text)
    assert (result.lang, result.script) == (lang, script)
    assert result.confidence > 0.8


@pytest.mark.parametrize("text", [
    "中国人民银行今天宣布降息。",
    "日本首相今日访问北京",          # Han only, about Japan: still Chinese
    "大韩民国总统访问华盛顿",
    "漢字",
])
def test_han_only_text_is_never_korean_or_japanese(text):
    assert detect_text(text).lang.startswith("zh-")


@pytest.mark.parametrize("backend", sorted(language.BACKENDS))
def test_han_only_with_every_backend(backend):
    # langdetect alone calls much traditional Chinese "ko"; the script pass must win whatever the backend
    assert detect_text("臺灣總統今天在臺北發表談話，強調兩岸關係的穩定。", backend).lang == "zh-Hant"


@pytest.mark.parametrize("text, lang", [
    ("美国和乌克兰代表在日内瓦进行了会谈,会后双方表示会谈富有成果。", "zh-Hans"),
    ("美國和烏克蘭代表在日內瓦進行了會談,會後雙方表示會談富有成果。", "zh-Hant"),
    ("这是简体中文的句子。", "zh-Hans"),
    ("這是繁體中文的句子。", "zh-Hant"),
    ("遭控「中国代理人」案被调查", "zh-Hans"),      # corner brackets do not make it traditional
    ("台灣高層諜案頻傳 前外長助理涉案", "zh-Hant"),
])
def test_simplified_and_traditional_chinese_are_told_apart(text, lang):
    result = detect_text(text)
    assert result.lang == lang
    assert result.script == ("Hant" if lang == "zh-Hant" else "Hans")


def test_chinese_with_latin_names_stays_chinese():
    assert detect_text("欧洲国防部长周五强调,由于俄罗斯总统弗拉基米尔·普京(Vladimir Putin)的持续侵略").lang == "zh-Hans"
    assert detect_text("Syrskyi:俄罗斯因突破尝试失败而遭受创纪录的损失").lang == "zh-Hans"
    assert detect_text("Officials said the word 和平 means peace in the statement released today.").lang == "en"


@pytest.mark.parametrize("text", ["", "   ", "2025-11-24 22:19:13", "12,345.00", "—— *** ——", "(0764)", "|||", "☆★☆"])
def test_lines_without_letters_are_und(text):
    assert detect_text(text) == LineLanguage("und", 0.0, "Zyyy")
    assert detect_lines([text]) == [LineLanguage("und", 0.0, "Zyyy")]


@pytest.mark.parametrize("text, lang", [
    ("The government announced new measures on Sunday to curb rising prices.", "en"),
    ("Le gouvernement a annoncé dimanche de nouvelles mesures contre la hausse des prix.", "fr"),
    ("Die Regierung hat am Sonntag neue Maßnahmen gegen steigende Preise angekündigt.", "de"),
    ("Правительство в воскресенье объявило о новых мерах по сдерживанию роста цен.", "ru"),
    ("Уряд у неділю оголосив про нові заходи щодо стримування зростання цін.", "uk"),
    ("أعلنت الحكومة يوم الأحد عن إجراءات جديدة للحد من ارتفاع الأسعار.", "ar"),
    ("دولت روز یکشنبه اقدامات جدیدی برای مهار افزایش قیمت‌ها اعلام کرد.", "fa"),
    ("सरकार ने रविवार को बढ़ती कीमतों पर लगाम लगाने के लिए नए उपायों की घोषणा की।", "hi"),
])
def test_shared_scripts_go_to_the_backend(text, lang):
    assert detect_text(text).lang == lang


@pytest.mark.parametrize("text, not_lang", [
    ("і все", "ru"),                 # і, ї, є, ґ are not in the Russian alphabet (the model says ru)
    ("Київ і Львів", "ru"),
    ("Мы были там вчера", "uk"),     # ы is in neither the Ukrainian nor the Bulgarian alphabet
    ("Мы были там вчера", "bg"),
    ("نگاه کنید", "ar"),             # گ and ک are Persian letters, not Arabic ones
])
def test_letters_outside_an_alphabet_rule_the_language_out(text, not_lang):
    for backend in sorted(language.BACKENDS):
        assert detect_text(text, backend).lang != not_lang
    assert language._alphabet_filter(text, detect_text(text).script) >= {not_lang}


def test_the_web_share_prior_settles_close_languages():
    # Indonesian; the model alone leans Malay on so short a line
    assert detect_text("Saya tidak tahu", prior_weight=0.0).lang == "ms"
    assert detect_text("Saya tidak tahu").lang == "id"
    ranked = language.apply_prior([("ms", 0.5), ("id", 0.5)], 0.3)
    assert ranked[0][0] == "id" and abs(sum(p for _l, p in ranked) - 1.0) < 1e-9
    assert language.apply_prior([("ms", 0.6), ("id", 0.4)], 0.0) == [("ms", 0.6), ("id", 0.4)]


def test_answers_stay_within_the_script():
    # a Cyrillic line is never given a Latin-script language, a Latin line never a CJK one
    assert detect_text("Ы").script == "Cyrl" and detect_text("Ы").lang in language.SCRIPT_CANDIDATES["Cyrl"]
    assert detect_text("xin chao").lang not in language.NON_LATIN


# --- runs --------------------------------------------------------------------------------------------

def _ll(lang):
    return LineLanguage(lang, 0.0 if lang == "und" else 0.9, "Zyyy" if lang == "und" else "Latn")


def test_runs_absorb_und_lines():
    langs = [_ll(x) for x in ["und", "zh-Hans", "und", "zh-Hans", "und", "en", "en", "und"]]
    assert language_runs(langs) == [
        {"lang": "zh-Hans", "start": 0, "end": 4, "lines": 5},
        {"lang": "en", "start": 5, "end": 7, "lines": 3},
    ]


def test_runs_over_a_subset_of_lines():
    langs = [_ll(x) for x in ["en", "zh-Hans", "zh-Hans", "en", "en"]]
    assert language_runs(langs, [0, 3, 4]) == [{"lang": "en", "start": 0, "end": 4, "lines": 3}]
    assert language_runs(langs, []) == []
    assert language_runs([_ll("und")] * 2) == [{"lang": "und", "start": 0, "end": 1, "lines": 2}]


def _line(lang, confidence, script):
    return LineLanguage(lang, confidence, script)


def test_a_misread_line_inside_an_article_does_not_split_it():
    en, pl = _line("en", 0.99, "Latn"), _line("pl", 0.97, "Latn")
    assert [r["lang"] for r in language_runs([en, en, pl, en, en])] == ["en"]
    # a different script is a real island: a Chinese line quoted in an English article stays apart
    zh = _line("zh-Hans", 1.0, "Hans")
    assert [r["lang"] for r in language_runs([en, en, zh, en, en])] == ["en", "zh-Hans", "en"]


def test_an_unsure_title_joins_the_half_it_belongs_to():
    title = _line("fo", 0.4, "Latn")  # a short Icelandic title read as Faroese
    body = [_line("is", 0.98, "Latn")] * 4 + [_line("en", 0.99, "Latn")] * 4
    assert language_runs([title] + body) == [
        {"lang": "is", "start": 0, "end": 4, "lines": 5}, {"lang": "en", "start": 5, "end": 8, "lines": 4}]
    # a sure one-line paragraph at the end is a segment of its own
    assert [r["lang"] for r in language_runs(body + [_line("fr", 0.99, "Latn")])] == ["is", "en", "fr"]


def test_few_han_characters_next_to_japanese_are_kanji():
    ja = _line("ja", 0.98, "Jpan")
    lines = ["1時間前", "東京都の新しい交通政策が発表されました。", "記者会見は午後に行われる予定です。"]
    lls = detect_lines(lines)
    assert lls[0].lang.startswith("zh-")          # Han only: Chinese, line by line
    assert [r["lang"] for r in language_runs(lls)] == ["ja"]
    long_zh = detect_text("东京都今天发布了新的交通政策，记者会将于下午举行。")
    assert [r["lang"] for r in language_runs([ja, ja, long_zh, long_zh])] == ["ja", "zh-Hans"]


def test_chinese_lines_without_variant_evidence_join_the_variant_around_them():
    lines = ["臺灣總統今天在臺北發表談話。", "大家今天都在公司工作", "兩岸關係的穩定是各方共同的願望。", "大家都很高兴"]
    lls = detect_lines(lines)
    assert [ll.lang for ll in lls] == ["zh-Hant", "zh-Hans", "zh-Hant", "zh-Hans"]  # line 1: no evidence
    assert [r["lang"] for r in language_runs(lls)] == ["zh-Hant"]


# --- seeds -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix, switch", [("000", 45), ("001", 30), ("002", 35)])
def test_seed_language_switch_at_the_english_title_line(prefix, switch):
    lines = _seed_lines(prefix)
    runs = language_runs(detect_lines(lines))
    assert [r["lang"] for r in runs] == ["zh-Hans", "en"]
    assert runs[1]["start"] == switch
    assert runs[0]["end"] == switch - 1
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in lines[switch])  # the title is English


@pytest.mark.parametrize("prefix", ["003", "004"])
def test_every_chinese_line_of_seeds_003_and_004_is_simplified(prefix):
    lines = _seed_lines(prefix)
    for line, ll in zip(lines, detect_lines(lines)):
        if any("\u4e00" <= ch <= "\u9fff" for ch in line):
            assert ll.lang == "zh-Hans", line
        elif not any(ch.isalpha() for ch in line):
            assert ll.lang == "und", line


# --- steps -------------------------------------------------------------------------------------------

def test_annotate_then_summarize_over_kept_lines():
    lines = _seed_lines("000")
    cfg = build_config({}).language
    doc = annotate_lines(_doc(lines), cfg)
    assert len(doc.notes["line_langs"]) == len(lines)
    # the translated half removed: the document is English
    doc = doc.remove_lines(range(45), "halves.translated")
    doc = summarize_document(doc, cfg)
    assert doc.lang == "en"
    assert doc.extra["script"] == "Latn"
    assert doc.extra["lang_confidence"] > 0.8
    kept = doc.kept_indices()
    assert doc.extra["segments"] == [{"lang": "en", "start": 45, "end": kept[-1], "lines": len(kept)}]


def test_remembered_lines_get_each_backends_own_answer():
    # lines seen before are answered from a per-process cache: per backend and prior, whatever the order
    lines = ["Selamat pagi semua", "Home", "Selamat pagi semua", "Bom dia a todos", "Home"] * 2
    long_line = "Das ist ein langer Absatz. " * 20  # longer than the cached lines: detected each time
    for backend, prior in (("cld2", 0.3), ("py3langid", 0.0), ("py3langid", 0.3), ("cld2+py3langid", 0.3)):
        cfg = build_config({"language": {"backend": backend, "prior_weight": prior}}).language
        doc = annotate_lines(_doc(lines + [long_line]), cfg)
        assert list(doc.notes["line_langs"]) == detect_lines(lines + [long_line], backend, prior)


def test_a_traditional_chinese_document_with_neutral_lines_is_zh_hant():
    lines = ["臺灣總統今天在臺北發表談話。", "大家今天都在", "兩岸關係的穩定是各方共同的願望。",
             "2025-11-24 22:19:13", "大家今天都在公司工作，明天也在公司工作，大家都在公司工作"]
    doc = summarize_document(annotate_lines(_doc(lines), None), None)
    assert (doc.lang, doc.extra["script"]) == ("zh-Hant", "Hant")
    assert doc.extra["segments"] == [{"lang": "zh-Hant", "start": 0, "end": 4, "lines": 5}]


def test_documents_outside_the_allowed_languages_are_rejected():
    cfg = build_config({"language": {"allowed": ["en", "fr"]}}).language
    doc = annotate_lines(_doc(_seed_lines("004")), cfg)
    with pytest.raises(Reject) as err:
        summarize_document(doc, cfg)
    assert err.value.reason == "language" and "language" in REJECT_REASONS
    assert "zh-Hans" in err.value.detail
    # 'zh' admits both Chinese standards
    zh_cfg = build_config({"language": {"allowed": ["zh"]}}).language
    assert summarize_document(doc, zh_cfg).lang == "zh-Hans"
    hant_cfg = build_config({"language": {"allowed": ["zh-Hant"]}}).language
    with pytest.raises(Reject):
        summarize_document(doc, hant_cfg)


def test_low_confidence_documents_are_rejected_when_asked():
    cfg = build_config({"language": {"min_confidence": 0.9}}).language
    mixed = annotate_lines(_doc(_seed_lines("001")), cfg)  # half Chinese, half English
    with pytest.raises(Reject) as err:
        summarize_document(mixed, cfg)
    assert err.value.reason == "language"


def test_steps_order_annotate_after_chrome_before_halves_summarize_last():
    names = [name for name, _step in text_steps(build_config({}))]
    assert names.index("chrome.strip") < names.index("language.annotate_lines") < names.index("halves.split_halves")
    # a too-short text is rejected as too_short, not as an uncertain language
    assert names[-1] == "language.summarize_document"
    assert max(i for i, n in enumerate(names) if n.startswith("quality.")) < len(names) - 1


# --- determinism -------------------------------------------------------------------------------------

_PROBE = """
import json, os, sys
from pipeline.steps.language import detect_lines
lines = []
for name in sorted(os.listdir('seeds')):
    lines += open(os.path.join('seeds', name), encoding='utf-8').read().split('\\n')
lines += ["Ok", "si", "Das ist gut", "prix", "Hola amigos", "Merci beaucoup"]
out = {b: [(l.lang, l.confidence) for l in detect_lines(lines, b)] for b in sys.argv[1:]}
print(json.dumps(out))
"""


def test_same_answers_across_processes():
    backends = sorted(language.BACKENDS)
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-c", _PROBE, *backends], cwd=REPO, env=env,
                              capture_output=True, text=True, check=True)
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == set(backends)


# --- newsclean langid --------------------------------------------------------------------------------

def test_langid_command_reads_text_and_json_lines(tmp_path, capsys):
    from pipeline.cli import main

    path = tmp_path / "in.txt"
    path.write_text("這是繁體中文的句子。\n"
                    + json.dumps({"id": "a1", "text": "Le gouvernement a annoncé de nouvelles mesures."}) + "\n"
                    + "2025-11-24 22:19:13\n", encoding="utf-8")
    assert main(["langid", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["lang"], r["script"]) for r in rows] == [
        (f"{path}:1", "zh-Hant", "Hant"), ("a1", "fr", "Latn"), (f"{path}:3", "und", "Zyyy")]
    assert all(set(r) == {"id", "lang", "confidence", "script"} for r in rows)


def test_langid_command_rejects_bad_json_lines_and_missing_files(tmp_path, capsys):
    from pipeline.cli import main

    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1, "text": "hello world, how are you today"}\nplain text\n', encoding="utf-8")
    assert main(["langid", "--format", "jsonl", str(path)]) == 2
    assert "not a JSON object" in capsys.readouterr().err
    assert main(["langid", str(tmp_path / "missing.txt")]) == 2


def test_allowed_languages_are_matched_without_regard_to_case():
    cfg = build_config({"language": {"allowed": ["ZH_hans"]}}).language
    doc = annotate_lines(_doc(_seed_lines("004")), cfg)
    assert summarize_document(doc, cfg).lang == "zh-Hans"


# --- properties --------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
@example("\u00bc\U0002fa1e")  # no letter, but an unassigned code point of the Han blocks (found by Hypothesis)
def test_any_text_gets_a_well_formed_answer(text):
    ll = detect_text(text)
    assert ll.lang and ll.script and 0.0 <= ll.confidence <= 1.0
    assert detect_text(text) == ll
    # scripts are counted by Unicode block, so an unassigned code point inside a block (Cn) counts
    # with that block's script: only a text without letters and without those is undetermined
    if not any(ch.isalpha() or unicodedata.category(ch) == "Cn" for ch in text):
        assert ll.lang == "und"


_LANGS = st.sampled_from([
    LineLanguage("und", 0.0, "Zyyy"), LineLanguage("en", 0.99, "Latn"), LineLanguage("fr", 0.5, "Latn"),
    LineLanguage("zh-Hans", 0.4, "Hans"), LineLanguage("zh-Hant", 1.0, "Hant"), LineLanguage("ja", 0.98, "Jpan"),
])


@given(st.lists(_LANGS, max_size=30), st.data())
def test_runs_partition_the_given_lines_in_order(line_langs, data):
    indices = data.draw(st.lists(st.sampled_from(range(len(line_langs))), unique=True).map(sorted)
                        if line_langs else st.just([]))
    runs = language_runs(line_langs, indices)
    assert sum(r["lines"] for r in runs) == len(indices)
    if indices:
        assert runs[0]["start"] == indices[0] and runs[-1]["end"] == indices[-1]
    for a, b in zip(runs, runs[1:]):
        assert a["end"] < b["start"] and a["lang"] != b["lang"]
    for r in runs:
        assert r["start"] <= r["end"] and r["lines"] == sum(1 for i in indices if r["start"] <= i <= r["end"])


def test_lines_removed_before_annotation_are_not_labelled():
    from pipeline.document import Document
    from pipeline.steps.language import annotate_lines

    doc = Document(id="d", source="s", lines=("Home | News | Sport", "这是一篇关于经济的新闻报道。", "Contact us"))
    labelled = annotate_lines(doc.remove_lines([0, 2], "chrome.header"), build_config({}).language)
    langs = [ll.lang for ll in labelled.notes["line_langs"]]
    assert langs == ["und", "zh-Hans", "und"]
