"""The Document record: its cheaper copies and remembered kept lines behave as the plain ones did."""
from __future__ import annotations

import dataclasses
import pickle

import pytest

from pipeline.document import Document


def _doc() -> Document:
    return Document(id="d1", source="a.txt", lines=("Title", "", "Menu", "Body text.", "Footer"),
                    removed={2: "chrome.header"}, extra={"k": 1}, notes={"n": 2})


def test_kept_lines_follow_every_removal():
    doc = _doc()
    assert doc.kept_indices() == [0, 3, 4]
    assert doc.text == "Title\nBody text.\nFooter"
    fewer = doc.remove_lines([4], "chrome.footer")
    assert fewer.kept_indices() == [0, 3] and fewer.text == "Title\nBody text."
    assert doc.kept_indices() == [0, 3, 4]  # the original is unchanged
    retitled = fewer.replace(title="Title")
    assert retitled.kept_indices() == [0, 3]
    assert fewer.replace(removed={}).kept_indices() == [0, 2, 3, 4]


def test_a_caller_may_change_the_kept_list_it_gets():
    doc = _doc()
    doc.kept_indices().append(99)
    assert doc.kept_indices() == [0, 3, 4]


def test_pickled_the_same_whether_or_not_its_text_was_read():
    fresh = pickle.dumps(_doc(), protocol=pickle.HIGHEST_PROTOCOL)
    read = _doc()
    read.clean_record()
    assert pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL) == fresh
    assert pickle.loads(fresh) == read


def test_replace_is_dataclasses_replace():
    doc = _doc()
    doc.text  # (a remembered view must not show in a copy's fields)
    for changes in ({}, {"title": "T", "lang": "en"}, {"removed": {0: "x"}}, {"lines": ("a",), "removed": {}}):
        new, plain = doc.replace(**changes), dataclasses.replace(doc, **changes)
        assert new == plain and repr(new) == repr(plain) and new.kept_indices() == plain.kept_indices()
        assert pickle.dumps(new) == pickle.dumps(plain)
    with pytest.raises(TypeError):
        doc.replace(no_such_field=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.replace(title="T").title = "U"
