"""Corpus de-duplication: the pure functions, then the whole pipeline through the CLI."""
import glob
import json
import os

import numpy as np
import pytest

from pipeline.cli import EXIT_OK, main
from pipeline.config import ConfigError, build_config
from pipeline.steps import dedup
from tests.test_cli import read_records

# Two different articles on the same topic (a city's flood), written for these tests.
FLOOD_A = [
    "Heavy rain flooded the lower districts of Riverton on Tuesday night, forcing the evacuation of about 2,000 residents.",
    "The river rose more than three metres in six hours, the regional water authority said in a statement on Wednesday morning.",
    "Emergency crews used boats to reach families trapped on the upper floors of apartment buildings near the old harbour.",
    "Mayor Elena Ortiz said the city had opened four shelters in schools and sports halls and asked residents to avoid the flooded streets.",
    "Power was cut to roughly 15,000 homes as a precaution, and the utility said it could take two days to restore supply.",
    "Forecasters expect the rain to ease on Thursday, but warned that the river would stay high until the weekend.",
    "Local businesses along the waterfront began counting the cost, with several shop owners saying the water reached their counters.",
    "The national government said it would send additional pumps and engineers from neighbouring provinces.",
    "It was the worst flooding in Riverton since 1998, when the river burst its banks after a week of storms.",
]
FLOOD_B = [
    "Residents of Riverton returned to their homes on Saturday as the flood water receded, finding streets covered in mud.",
    "Insurance assessors arrived in the lower districts to inspect damaged houses, cars and shops along the harbour road.",
    "Mayor Elena Ortiz promised a review of the city's flood defences and said the embankment built after 1998 had partly failed.",
    "Volunteers from nearby towns helped clear debris, while the army delivered drinking water to neighbourhoods without supply.",
    "Schools that served as shelters will reopen on Monday, the education office said, after cleaning and safety checks.",
    "Farmers upstream reported that fields of wheat and maize were under water and that the harvest would be lost.",
    "The regional water authority said the river level had fallen by two metres since its peak on Wednesday.",
    "Economists estimated the total damage at several hundred million euros, which would weigh on the local economy.",
]
ARTICLE_ZH = [
    "新华社北京3月5日电 国家统计局5日发布数据显示，今年前两个月全国规模以上工业增加值同比增长百分之六点八。",
    "分行业看，装备制造业增加值增长百分之九点二，高技术制造业增长百分之十点一，明显快于全部规模以上工业。",
    "国家统计局新闻发言人表示，工业生产总体保持稳定恢复态势，新动能持续成长，企业预期有所改善。",
    "从地区看，东部地区工业增加值增长百分之七点一，中部地区增长百分之六点五，西部地区增长百分之六点三。",
    "专家认为，随着一系列稳增长政策措施落地见效，工业经济有望继续保持平稳运行。",
    "数据还显示，前两个月社会消费品零售总额同比增长百分之五点五，其中餐饮收入增长较快。",
]

CHROME_TOP = ["Home | World | Business | Sport", "Share on Facebook  Share on X"]
CHROME_BOTTOM = ["Editor: J. Smith", "Related: Storm warnings issued for the coast", "Copyright 2024 Daily Courier"]


def text(paragraphs):
    return "\n".join(paragraphs)


def shingle_jaccard(a: str, b: str) -> float:
    return dedup.jaccard(dedup.shingle_hashes(a), dedup.shingle_hashes(b))


# --- pure functions ----------------------------------------------------------------------------------
def test_exact_key_folds_case_space_and_width():
    plain = "Officials met in Geneva on Sunday, 23 November.\nThe talks lasted 8 hours."
    variant = "OFFICIALS  met in Geneva on Sunday， ２３ November.   The talks lasted ８ hours."
    assert dedup.exact_key(plain) == dedup.exact_key(variant)
    zh = "国家统计局5日发布数据显示，工业增加值同比增长。"
    assert dedup.exact_key(zh) == dedup.exact_key("国家统计局５日发布数据显示,工业增加值同比增长.")
    assert dedup.exact_key(plain) != dedup.exact_key(plain.replace("Sunday", "Monday"))


def test_exact_key_makes_every_unicode_space_run_one_space():
    """Every character the regex \\s takes (ideographic, no-break, line and paragraph separators, the
    ASCII information separators) is folded as a space, a run of them to one, none at the ends."""
    import re
    import sys

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c))]
    assert "\u3000" in spaces and "\u2029" in spaces and "\x1c" in spaces
    for space in spaces:
        assert dedup.fold_text(f"{space}a{space}{space}b c{space}") == "a b c"
    assert dedup.fold_text("a\u00a0\u00a0b") == "a b"  # (NFKC makes it a plain space first)
    assert dedup.fold_text("a\u200bb") == "a\u200bb"  # zero-width space: not a space


def test_cjk_text_is_shingled_by_characters_and_latin_by_words():
    zh = text(ARTICLE_ZH)
    assert dedup.shingle_mode(zh) == "char"
    assert dedup.shingle_mode(text(FLOOD_A)) == "word"
    grams = dedup.shingles("国家统计局发布数据", char_ngram=3)
    assert grams == {"国家统", "家统计", "统计局", "计局发", "局发布", "发布数", "布数据"}
    # Thai has no spaces between words either
    assert dedup.shingle_mode("กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย") == "char"
    # a Latin text with a Chinese name in it stays word-shingled; punctuation never enters a shingle
    assert dedup.shingle_mode("The delegation was led by 王毅, the foreign minister, on Sunday.") == "word"
    assert dedup.shingles("One, two; three!", word_ngram=2) == {"one two", "two three"}


@pytest.mark.parametrize("sample", [text(FLOOD_A), text(ARTICLE_ZH), "短文", "Two words", ""])
def test_hashed_shingles_are_the_string_shingles(sample):
    for n in (1, 3, 5):
        strings = dedup.shingles(sample, word_ngram=n, char_ngram=n)
        hashed = dedup.shingle_hashes(sample, word_ngram=n, char_ngram=n)
        assert len(hashed) == len(strings)
    assert (dedup.shingle_hashes(text(FLOOD_A)) == dedup.shingle_hashes(text(FLOOD_A).upper())).all()


def test_near_duplicate_with_chrome_and_a_dropped_paragraph_is_caught():
    original = text(FLOOD_A)
    syndicated = text(CHROME_TOP + FLOOD_A[:4] + FLOOD_A[5:] + CHROME_BOTTOM).replace(",", ";")
    similarity = shingle_jaccard(original, syndicated)
    assert similarity >= 0.7
    hasher = dedup.MinHasher(128, 32)
    sigs = [hasher.signature(dedup.shingle_hashes(t)) for t in (original, syndicated)]
    keys = [set(hasher.band_keys(s)) for s in sigs]
    assert keys[0] & keys[1], "LSH must make them candidates"


def test_chinese_near_duplicate_is_caught():
    original = text(ARTICLE_ZH)
    copy = text(["来源：新华网  责任编辑：王明"] + ARTICLE_ZH[:3] + ARTICLE_ZH[4:]).replace("，", ",")
    assert shingle_jaccard(original, copy) >= 0.7


def test_same_topic_different_article_is_not_a_near_duplicate():
    a, b = text(FLOOD_A), text(FLOOD_B)
    assert shingle_jaccard(a, b) < 0.1
    hasher = dedup.MinHasher(128, 32)
    sig_a, sig_b = (hasher.signature(dedup.shingle_hashes(t)) for t in (a, b))
    assert not set(hasher.band_keys(sig_a)) & set(hasher.band_keys(sig_b))


def test_minhash_is_deterministic_and_estimates_jaccard():
    a = dedup.shingle_hashes(text(FLOOD_A))
    b = dedup.shingle_hashes(text(FLOOD_A[:6]))
    h1, h2 = dedup.MinHasher(256, 32), dedup.MinHasher(256, 32)
    assert (h1.signature(a) == h2.signature(a)).all()
    estimate = float((h1.signature(a) == h1.signature(b)).mean())
    assert abs(estimate - dedup.jaccard(a, b)) < 0.1


def test_sketch_jaccard_is_exact_for_short_documents_and_close_for_long_ones():
    a = dedup.shingle_hashes(text(FLOOD_A))
    b = dedup.shingle_hashes(text(FLOOD_A[:6]))
    k = max(len(a), len(b)) + 1
    assert dedup.sketch_jaccard(a[:k], b[:k], k) == dedup.jaccard(a, b)
    rng = np.random.RandomState(7)
    universe = rng.permutation(np.unique(rng.randint(0, 1 << 32, size=30000, dtype=np.uint64).astype(np.uint32)))
    # two shingle sets sharing 14,000 of 26,000 hashes: true Jaccard 0.538
    long_a, long_b = np.sort(universe[:20000]), np.sort(universe[6000:26000])
    for k in (256, 1024):
        estimate = dedup.sketch_jaccard(long_a[:k], long_b[:k], k)
        assert abs(estimate - 14000 / 26000) < 4 * (0.54 * 0.46 / k) ** 0.5


def test_sketch_jaccard_is_the_share_of_the_unions_k_smallest_that_both_hold():
    """The definition, with sets, on random sketches: exact below k, at k, identical, disjoint."""
    def by_definition(a, b, k):
        sa, sb = set(a.tolist()), set(b.tolist())
        if len(a) < k and len(b) < k:
            return 1.0 if not sa | sb else len(sa & sb) / len(sa | sb)
        union = sorted(sa | sb)[:k]
        return sum(1 for h in union if h in sa and h in sb) / len(union)

    rng = np.random.RandomState(11)
    for trial in range(400):
        k = int(rng.choice([8, 64, 256]))
        n = int(rng.randint(1, 3 * k))
        universe = np.unique(rng.randint(0, 1 << 32, size=3 * n + 8, dtype=np.uint64).astype(np.uint32))
        universe = rng.permutation(universe)
        shift = int(rng.randint(0, n + 1))
        a, b = np.sort(universe[:n])[:k], np.sort(universe[shift:shift + int(rng.randint(1, 2 * n + 1))])[:k]
        assert dedup.sketch_jaccard(a, b, k) == by_definition(a, b, k), trial
    same = np.arange(100, dtype=np.uint32)
    assert dedup.sketch_jaccard(same, same, 64) == 1.0
    assert dedup.sketch_jaccard(same[:50], same[50:], 64) == 0.0
    empty = np.array([], dtype=np.uint32)
    assert dedup.sketch_jaccard(empty, empty, 64) == 1.0


def test_keeper_is_the_longest_text_then_the_smallest_id():
    def keeper(*members):  # the smallest rank is kept (exact groups, bucket pairs and clusters use it)
        return dedup.id_of_rank(min(dedup.rank_bytes(i, n) for i, n in members))

    assert keeper(("b", 100), ("a", 90), ("c", 100)) == "b"
    assert keeper(("z", 50), ("y", 50)) == "y"
    # the bucket pairs put the better-ranked document first
    a, b, c = dedup.rank_bytes("a", 20), dedup.rank_bytes("b", 10), dedup.rank_bytes("c", 10)
    pairs = dedup.bucket_pairs([b, a, c])
    assert pairs == [(a, b), (a, c), (b, c)]
    assert [dedup.id_of_rank(r) for r in (a, b, c)] == ["a", "b", "c"]


def test_a_large_bucket_gives_linearly_many_pairs():
    ranks = [dedup.rank_bytes(f"id{i:03d}", 100) for i in range(200)]
    pairs = dedup.bucket_pairs(ranks, max_all_pairs=32)
    assert len(pairs) < 2 * len(ranks)
    assert all(a < b for a, b in pairs)


def test_default_lsh_bands_catch_pairs_at_the_threshold():
    cfg = build_config({}).dedup
    hasher = dedup.MinHasher(cfg.num_perm, cfg.bands)
    assert dedup.candidate_probability(cfg.threshold, hasher.bands, hasher.rows) >= 0.99
    assert dedup.candidate_probability(0.1, hasher.bands, hasher.rows) < 0.01


def test_config_rejects_more_bands_than_permutations():
    with pytest.raises(ConfigError, match="bands"):
        build_config({"dedup": {"num_perm": 16, "bands": 32}})


def test_clusters_resolve_to_the_best_ranked_document_within_the_rounds(tmp_path):
    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from pipeline.transforms import ResolveClusters

    # a chain e-d-c-b-a (each similar only to its neighbours) where a is the longest, and a pair x-y
    ranks = {name: dedup.rank_bytes(name, chars) for name, chars in
             {"a": 500, "b": 400, "c": 300, "d": 200, "e": 100, "x": 50, "y": 60}.items()}
    chain = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("y", "x")]
    edges = [((ranks[p], ranks[q]), 0.9) for p, q in chain]
    for partitions in (None, 3):  # Beam's shuffle, and on disk in 3 partitions (local runs)
        with TestPipeline() as p:
            removed = p | "Edges" >> beam.Create(edges) | ResolveClusters(8, str(tmp_path), partitions)
            assert_that(removed, equal_to([(ranks[n], ranks["a"]) for n in "bcde"] + [(ranks["x"], ranks["y"])]))
    # with too few rounds the far end of the chain points at a better document that is itself removed,
    # and the best document of every component is still kept
    with TestPipeline() as p:
        removed = p | "Edges" >> beam.Create(edges) | ResolveClusters(rounds=2)
        assert_that(removed, equal_to([(ranks["b"], ranks["a"]), (ranks["c"], ranks["a"]),
                                       (ranks["d"], ranks["b"]), (ranks["e"], ranks["c"]),
                                       (ranks["x"], ranks["y"])]))


# --- through the pipeline ----------------------------------------------------------------------------
@pytest.fixture
def dup_corpus(tmp_path):
    """An original, an exact copy (case/width/spacing), two near copies (chrome, dropped paragraph,
    punctuation), a same-topic different article, a Chinese article and its near copy, two texts
    without letters, and a reject."""
    root = tmp_path / "in"
    root.mkdir()
    files = {
        "flood_original.txt": text(FLOOD_A),
        "flood_exact.txt": text(FLOOD_A).upper().replace(",", "，"),
        "flood_portal.txt": text(CHROME_TOP + FLOOD_A + CHROME_BOTTOM),
        "flood_repunct.txt": text(FLOOD_A[:4] + FLOOD_A[5:]).replace(",", " -").replace(".", ";"),
        "flood_aftermath.txt": text(FLOOD_B),
        "stats_zh.txt": text(ARTICLE_ZH),
        "stats_zh_copy.txt": text(["来源：新华网"] + ARTICLE_ZH[:4] + ARTICLE_ZH[5:]).replace("，", ","),
        "empty.txt": "",
        # no letters or digits: no shingles, so never near duplicates of each other
        "symbols_a.txt": "★★★ ——— ★★★ ——— ★★★ ——— ★★★ ——— ★★★",
        "symbols_b.txt": "!!! ??? !!! ??? !!! ??? !!! ??? !!! ???",
    }
    for name, content in files.items():
        (root / name).write_text(content, encoding="utf-8")
    return root


def test_pipeline_writes_duplicates_and_accounts_for_them(dup_corpus, tmp_path):
    out = tmp_path / "out"
    # chrome stripping off: the portal copy keeps its chrome lines, a near copy that is the longest text
    assert main(["run", "--input", str(dup_corpus), "--output", str(out), "--set", "chrome.enabled=false", "--set", "validation.validate=false",
                 "--set", "language.min_confidence=0",
                 "--quiet"]) == EXIT_OK
    clean = {os.path.basename(r["source"]): r for r in read_records(out, "clean")}
    duplicates = {os.path.basename(r["source"]): r for r in read_records(out, "duplicates")}
    # the kept flood copy is the longest text (the portal copy with its chrome lines)
    assert set(clean) == {"flood_portal.txt", "flood_aftermath.txt", "stats_zh.txt", "symbols_a.txt",
                          "symbols_b.txt"}
    assert set(duplicates) == {"flood_original.txt", "flood_exact.txt", "flood_repunct.txt", "stats_zh_copy.txt"}
    for record in duplicates.values():
        assert set(record) == {"id", "source", "duplicate_of", "method", "similarity"}
    # original and exact copy have the same length: the smaller id stays for the near stage
    exact_pair = [duplicates["flood_original.txt"], duplicates["flood_exact.txt"]]
    exact_dup = next(r for r in exact_pair if r["method"] == "exact")
    survivor = next(r for r in exact_pair if r is not exact_dup)
    assert exact_dup["duplicate_of"] == survivor["id"] < exact_dup["id"] and exact_dup["similarity"] == 1.0
    for record in (survivor, duplicates["flood_repunct.txt"]):
        assert record["method"] == "near"
        assert record["duplicate_of"] == clean["flood_portal.txt"]["id"]
        assert 0.7 <= record["similarity"] < 1.0
    assert duplicates["stats_zh_copy.txt"]["duplicate_of"] == clean["stats_zh.txt"]["id"]
    summary = json.loads((out / "report" / "summary.json").read_text())
    assert (summary["docs_in"], summary["clean"], summary["rejected"], summary["duplicates"]) == (10, 5, 1, 4)
    assert summary["accounting_ok"]


def test_dedup_output_is_byte_identical_across_worker_counts(dup_corpus, tmp_path):
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        assert main(["run", "--input", str(dup_corpus), "--output", str(out), "--workers", workers,
                     "--set", "output.shards=2", "--quiet"]) == EXIT_OK
        outs.append(out)
    for kind in ("clean", "duplicates"):
        first, second = (sorted(glob.glob(str(o / kind / "*"))) for o in outs)
        assert [os.path.basename(p) for p in first] == [os.path.basename(p) for p in second]
        for a, b in zip(first, second):
            with open(a, "rb") as fa, open(b, "rb") as fb:
                assert fa.read() == fb.read(), f"{kind} differs"


def test_corpus_passes_give_the_same_output_with_keys_grouped_on_disk_or_by_the_shuffle(
        dup_corpus, tmp_path, monkeypatch):
    """Local runs group the corpus passes' keys in partition files (pipeline/spill.py); remote runners
    use their shuffle. Both must decide the same repeated lines and the same duplicates."""
    from pipeline import spill
    from tests.test_corpus_repeats import write_corpus

    write_corpus(dup_corpus)  # pages of one site sharing a menu and a footer: corpus repeats
    for n, topic in enumerate(("harbour dredging", "new bus timetable")):  # a short line in 2 documents only
        (dup_corpus / f"pair{n}.txt").write_text(
            f"Photo: town archive\nThe council approved the {topic} plan on Tuesday after a long debate, "
            "and work will start in the spring once the contracts are signed.\n", encoding="utf-8")
    outs = {}
    for name, partitions in (("shuffle", lambda _bytes: None), ("disk", lambda _bytes: 4)):
        monkeypatch.setattr(spill, "key_partitions", partitions)
        out = outs[name] = tmp_path / name
        assert main(["run", "--input", str(dup_corpus), "--output", str(out), "--quiet",
                     "--set", "validation.validate=false"]) == EXIT_OK
    assert any(r["method"] == "near" for r in read_records(outs["disk"], "duplicates"))
    assert any("corpus.repeated_line" in json.dumps(r) for r in read_records(outs["disk"], "audit"))
    assert sum("Photo: town archive" in r["text"] for r in read_records(outs["disk"], "clean")) == 2
    for kind in ("clean", "duplicates", "audit"):
        assert read_records(outs["disk"], kind) == read_records(outs["shuffle"], kind), kind


def test_dedup_can_be_switched_off(dup_corpus, tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--input", str(dup_corpus), "--output", str(out), "--quiet", "--set", "chrome.enabled=false", "--set", "validation.validate=false",
                 "--set", "language.min_confidence=0",
                 "--set", "dedup.enabled=false", "--set", "validation.validate=false"]) == EXIT_OK
    assert len(read_records(out, "clean")) == 9
    assert read_records(out, "duplicates") == []
    exact_only = tmp_path / "exact_only"
    assert main(["run", "--input", str(dup_corpus), "--output", str(exact_only), "--quiet", "--set", "chrome.enabled=false", "--set", "validation.validate=false",
                 "--set", "language.min_confidence=0",
                 "--set", "dedup.near=false"]) == EXIT_OK
    assert [r["method"] for r in read_records(exact_only, "duplicates")] == ["exact"]
