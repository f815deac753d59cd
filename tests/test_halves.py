"""Translated halves and same-language repeats: seeds, small hand-written fixtures, hard negatives."""
import glob
import os

import pytest

from pipeline import sources
from pipeline.config import build_config
from pipeline.document import Document
from pipeline.steps import apply_steps, halves, language, text_steps
from tests.conftest import SEEDS

# --- hand-written fixtures -------------------------------------------------------------------------

ARTICLE_EN = [
    "Harbour city approves 42 million euro flood barrier",
    "The city council of Lindholm voted 27 to 4 on Tuesday to build a flood barrier across the "
    "harbour mouth, mayor Katrin Olsberg said after the meeting.",
    "The barrier, designed by the engineering firm Vandermeer, will cost 42 million euros and is due "
    "to be finished in 2029.",
    "Storm surges flooded the old town three times since 2017, damaging more than 350 homes.",
    "Opposition leader Piet Aaltonen called the plan too expensive and asked for a referendum.",
    "Work on the first section is expected to begin next spring.",
]
# The same article in German (written for these tests), without its title, two paragraphs merged.
ARTICLE_DE = [
    "Der Stadtrat von Lindholm hat am Dienstag mit 27 zu 4 Stimmen beschlossen, eine Flutsperre quer "
    "über die Hafeneinfahrt zu bauen, sagte Bürgermeisterin Katrin Olsberg nach der Sitzung.",
    "Die Sperre, entworfen vom Ingenieurbüro Vandermeer, soll 42 Millionen Euro kosten und bis 2029 "
    "fertig sein. Sturmfluten haben die Altstadt seit 2017 dreimal überschwemmt und mehr als 350 "
    "Häuser beschädigt.",
    "Oppositionsführer Piet Aaltonen nannte den Plan zu teuer und forderte eine Volksabstimmung.",
    "Die Arbeiten am ersten Abschnitt sollen im nächsten Frühjahr beginnen.",
]
# A different German article on the same story: the same names and numbers, in another order and
# with other content around them (the case a document-wide bag of names cannot tell apart).
OTHER_ARTICLE_DE = [
    "Die Stadtverwaltung von Lindholm erklärte am Mittwoch, der Zeitplan bis 2029 sei trotz der "
    "Proteste nicht gefährdet, die 42 Millionen Euro seien im Haushalt bereits eingeplant.",
    "Oppositionsführer Piet Aaltonen sammelt seit Tagen Unterschriften für eine Volksabstimmung. Nach "
    "Angaben seiner Partei unterschrieben bereits mehr als 2000 Bürger, viele davon Fischer.",
    "Das Ingenieurbüro Vandermeer wollte sich zu den Vorwürfen nicht äußern. Eine Sprecherin verwies "
    "auf eine Pressekonferenz in der kommenden Woche.",
    "Fischer aus dem Hafenviertel fürchten um ihre Liegeplätze, wenn die Einfahrt schmaler wird.",
    "Bürgermeisterin Katrin Olsberg will die Gegner Anfang Juni zu einem Gespräch ins Rathaus einladen.",
]


def make_doc(lines, doc_id="fixture"):
    return Document(id=doc_id, source=f"{doc_id}.txt", lines=tuple(lines))


def run_halves(lines, **halves_cfg):
    config = build_config({"halves": halves_cfg} if halves_cfg else None)
    doc = language.annotate_lines(make_doc(lines), config.language)
    return halves.split_halves(doc, config.halves)


def seed_document(prefix):
    path = glob.glob(os.path.join(SEEDS, prefix + "_*.txt"))[0]
    with open(path, "rb") as fh:
        data = fh.read()
    return sources.text_document(path, data)


# --- seeds -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix, split_line", [("000", 45), ("001", 30), ("002", 35)])
def test_seed_translation_is_split_at_the_english_title_and_english_is_kept(prefix, split_line):
    config = build_config()
    doc = apply_steps(seed_document(prefix), text_steps(config))
    info = doc.extra["translated_halves"]
    assert info["split_line"] == split_line
    assert doc.lines[split_line].split()[0][0].isupper()  # the English title line
    assert (info["first_lang"].split("-")[0], info["second_lang"]) == ("zh", "en")
    assert info["kept"] == "second"
    chinese = [i for i in range(split_line) if doc.lines[i].strip()]
    assert all(doc.removed.get(i) == "halves.translated" for i in chinese)
    assert not any(i >= split_line for i in doc.removed)
    assert doc.lang == "en" and doc.text.startswith(doc.lines[split_line])
    bitext = doc.notes["bitext"]
    assert len(bitext) >= 25
    assert all(r["src_lang"] == "en" and r["tgt_lang"].startswith("zh") for r in bitext)
    assert all(min(r["src_lines"]) >= split_line > max(r["tgt_lines"]) for r in bitext)
    pairs = info["pairs"]
    assert pairs == sorted(pairs) and all(i < split_line <= j for i, j in pairs)


@pytest.mark.parametrize("prefix", ["003", "004"])
def test_seeds_without_a_translation_are_untouched(prefix):
    config = build_config()
    doc = seed_document(prefix)
    doc = language.annotate_lines(doc, config.language)
    out = halves.split_halves(doc, config.halves)
    assert out.removed == doc.removed
    assert "translated_halves" not in out.extra and "repeated_copy" not in out.extra
    assert not out.notes.get("bitext")


# --- fixtures --------------------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["original_first", "translation_first"])
def test_article_and_its_translation_are_found_in_either_order(order):
    lines = ARTICLE_EN + ARTICLE_DE if order == "original_first" else ARTICLE_DE + ARTICLE_EN
    out = run_halves(lines)
    info = out.extra["translated_halves"]
    split = len(ARTICLE_EN) if order == "original_first" else len(ARTICLE_DE)
    assert info["split_line"] == split
    # the English half has the title line and more paragraphs: it is taken for the original
    english = range(0, split) if order == "original_first" else range(split, len(lines))
    assert info["kept"] == ("first" if order == "original_first" else "second")
    assert [i for i in out.removed] == [i for i in range(len(lines)) if i not in english]
    assert set(out.removed.values()) == {"halves.translated"}
    # the merged German paragraph pairs with both English paragraphs it holds
    merged = (split + 1) if order == "original_first" else 1
    en2, en3 = (2, 3) if order == "original_first" else (split + 2, split + 3)
    pairs = {tuple(p) if order == "original_first" else (p[1], p[0]) for p in info["pairs"]}
    assert (en2, merged) in pairs and (en3, merged) in pairs


def test_keep_language_and_keep_both():
    lines = ARTICLE_EN + ARTICLE_DE
    kept_de = run_halves(lines, keep="de")
    assert kept_de.extra["translated_halves"]["kept"] == "second"
    assert all(i < len(ARTICLE_EN) for i in kept_de.removed)

    both = run_halves(lines, keep="both")
    second = both.notes["split_off"]
    assert both.extra["translated_halves"]["kept"] == "both"
    assert both.extra["translated_halves"]["linked_id"] == second.id == "fixture-2"
    assert second.extra["translated_halves"]["linked_id"] == "fixture"
    assert both.text == "\n".join(ARTICLE_EN) and second.text == "\n".join(ARTICLE_DE)
    assert set(both.removed.values()) == set(second.removed.values()) == {"halves.split"}


def test_bitext_records_name_languages_lines_and_score():
    out = run_halves(ARTICLE_EN + ARTICLE_DE)
    records = out.notes["bitext"]
    assert records and [r["id"] for r in records] == [f"fixture:{k}" for k in range(len(records))]
    first = records[0]
    assert (first["src_lang"], first["tgt_lang"]) == ("en", "de")
    assert first["src"] == ARTICLE_EN[1] and first["tgt"] == ARTICLE_DE[0]
    assert first["src_lines"] == [1] and first["tgt_lines"] == [len(ARTICLE_EN)]
    assert all(0.35 <= r["score"] <= 1 for r in records)


def test_two_different_articles_on_the_same_story_are_not_translated_halves():
    """Hard negative: the halves share every name and number, but not paragraph by paragraph."""
    out = run_halves(ARTICLE_EN + OTHER_ARTICLE_DE)
    assert "translated_halves" not in out.extra and not out.removed


def test_a_quoted_translation_inside_an_article_is_not_a_half():
    lines = ARTICLE_EN[:3] + ["„Die Sperre soll 42 Millionen Euro kosten und bis 2029 fertig sein.“"] + ARTICLE_EN[3:]
    out = run_halves(lines)
    assert "translated_halves" not in out.extra and not out.removed


def test_a_glossary_of_alternating_lines_is_not_translated_halves():
    lines = [line for pair in zip(ARTICLE_EN[1:5], ARTICLE_DE) for line in pair]
    assert "translated_halves" not in run_halves(lines).extra


def test_same_language_repeat_keeps_the_first_copy():
    copy = [ARTICLE_EN[0], ARTICLE_EN[1].replace("said after", "told reporters after"),
            ARTICLE_EN[2], ARTICLE_EN[4].replace("asked for", "demanded")]
    out = run_halves(ARTICLE_EN + copy)
    assert out.extra["repeated_copy"]["split_line"] == len(ARTICLE_EN)
    assert sorted(out.removed) == list(range(len(ARTICLE_EN), len(ARTICLE_EN) + len(copy)))
    assert set(out.removed.values()) == {"halves.repeated"}
    assert "translated_halves" not in out.extra


def test_disabled_step_changes_nothing():
    doc = run_halves(ARTICLE_EN + ARTICLE_DE, enabled=False)
    assert not doc.removed and "translated_halves" not in doc.extra


# --- the pure parts --------------------------------------------------------------------------------

def test_candidate_split_tolerates_a_misdetected_title():
    langs = ["zh", "zh", "zh", "fr", "en", "en", "en"]  # the short English title read as French
    cands = halves.candidate_splits(langs, [100, 100, 100, 20, 300, 300, 300])
    assert cands[0].position == 3 and (cands[0].first_lang, cands[0].second_lang) == ("zh", "en")


def test_one_language_gives_no_candidate():
    assert halves.candidate_splits(["en"] * 6, [100] * 6) == []
    assert halves.find_translated_halves(ARTICLE_EN, ["en"] * len(ARTICLE_EN)) is None


def test_anchors_survive_translation_and_transliteration():
    zh = halves.line_features("美国特使史蒂夫·维特科夫(Steve Witkoff)周二在莫斯科,会谈持续了5个小时,涉及28点计划。")
    en = halves.line_features("U.S. envoy Steve Witkoff met in Moscow on Tuesday for five hours over the 28-point plan.")
    assert {"steve", "vitko"} <= zh.names & en.names
    assert "28" in zh.numbers & en.numbers
    ru = halves.line_features("Премьер-министр Хичем Мечичи заявил об этом 15 июля.")
    en2 = halves.line_features("Prime minister Hichem Mechichi said so on July 15.")
    assert halves._fold_word("Мечичи")[:5] in en2.names and "15" in ru.numbers & en2.numbers


def test_bead_pairs_follow_where_merged_paragraphs_split():
    bead = halves.Bead(a=(0, 1), b=(0, 1), length_logp=0.0, match=0.0)
    # A: one long and one short paragraph; B: two of equal length -> A0 spans B0 and part of B1
    assert halves.bead_line_pairs(bead, [300, 100], [200, 200]) == [(0, 0), (0, 1), (1, 1)]
    three_to_one = halves.Bead(a=(0, 1, 2), b=(0,), length_logp=0.0, match=0.0)
    assert halves.bead_line_pairs(three_to_one, [1, 1, 1], [3]) == [(0, 0), (1, 0), (2, 0)]


def test_original_side_prefers_the_half_with_the_title_and_without_bracketed_names():
    lines = ["美国特使史蒂夫·维特科夫(Steve Witkoff)和贾里德·库什纳(Jared Kushner)周二会见了普京。",
             "会谈持续了五个小时。",
             "Witkoff and Kushner meet Putin",
             "U.S. envoy Steve Witkoff and Jared Kushner met Putin on Tuesday.",
             "The talks lasted five hours."]
    assert halves.original_side(lines, [0, 1], [2, 3, 4]) == "second"


def test_pipeline_writes_bitext_and_counts_a_split_document(tmp_path):
    """Through Beam: keep: both gives two linked clean records from one input, counted as `split`."""
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from pipeline import report
    from pipeline.transforms import AUDIT, BITEXT, REJECTS, CleanDocuments, CountWritten

    config = build_config({"halves": {"keep": "both"}})
    doc = make_doc(ARTICLE_EN + ARTICLE_DE, "pair")
    p = BeamTestPipeline(runner=FnApiRunner())
    cleaned = (p | beam.Create([doc])
               | beam.ParDo(CleanDocuments(config)).with_outputs(REJECTS, AUDIT, BITEXT, main="clean"))
    clean = cleaned.clean | "CountClean" >> beam.ParDo(CountWritten("clean"))
    assert_that(clean | beam.Map(lambda r: (r["id"], r["translated_halves"]["linked_id"])),
                equal_to([("pair", "pair-2"), ("pair-2", "pair")]), label="linked")
    assert_that(cleaned[BITEXT] | beam.Map(lambda r: (r["doc_id"], r["src_lang"], r["tgt_lang"])),
                equal_to([("pair", "en", "de")] * 4), label="bitext")
    result = p.run()
    result.wait_until_finish()
    counters = report.query_counters(result)
    counters["docs_in"] = 1
    summary = report.build_summary(counters, 1.0)
    assert summary["split"] == 1 and summary["clean"] == 2 and summary["accounting_ok"]


def test_katakana_names_meet_their_latin_spelling():
    ja = halves.line_features("マンチェスター・ユナイテッドとチェルシーが勝ち、ワトフォードは降格した。")
    en = halves.line_features("Manchester United and Chelsea won, while Watford went down.")
    assert {"ntd", "kls", "vtf"} <= ja.sounds & en.sounds  # United, Chelsea, Watford
