"""The Beam graph on small inputs: every document ends in clean or rejects, with the right reason."""
import os

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import build_config
from pipeline.transforms import AUDIT, REJECTS, CleanDocuments, ExpandInputs, ReadDocuments
from tests.conftest import EXPECTED_CLEAN, EXPECTED_REASONS


def _name(record):
    return os.path.basename(record["source"])


def test_documents_are_routed_to_clean_or_rejects_with_reasons(corpus):
    config = build_config({"input": {"paths": [str(corpus)], "max_document_bytes": 10_000}})
    with BeamTestPipeline(runner=FnApiRunner()) as p:
        files = (p | beam.Create([str(corpus)]) | beam.ParDo(ExpandInputs(skip_hidden=True)))
        read = files | "Read" >> beam.ParDo(ReadDocuments("auto", 10_000)).with_outputs(REJECTS, main="docs")
        cleaned = read.docs | "Clean" >> beam.ParDo(CleanDocuments(config)).with_outputs(REJECTS, AUDIT, main="clean")
        rejects = (read[REJECTS], cleaned[REJECTS]) | beam.Flatten()

        assert_that(cleaned.clean | "CleanNames" >> beam.Map(_name), equal_to(sorted(EXPECTED_CLEAN)),
                    label="clean")
        assert_that(rejects | "Reasons" >> beam.Map(lambda r: (_name(r), r["reason"])),
                    equal_to(sorted(EXPECTED_REASONS.items())), label="rejects")
        assert_that(cleaned[AUDIT], equal_to([]), label="audit")


def test_too_short_and_text_of_clean_records(tmp_path):
    (tmp_path / "short.txt").write_text("Too short.\n", encoding="utf-8")
    (tmp_path / "ok.txt").write_text("\r\nA title line\r\n\r\nA paragraph that is long enough.\r\n", encoding="utf-8")
    config = build_config({"quality": {"min_chars": 20}})
    with BeamTestPipeline(runner=FnApiRunner()) as p:
        files = p | beam.Create([str(tmp_path)]) | beam.ParDo(ExpandInputs(skip_hidden=True))
        docs = files | beam.ParDo(ReadDocuments("auto", 1 << 20)).with_outputs(REJECTS, main="docs")
        cleaned = docs.docs | beam.ParDo(CleanDocuments(config)).with_outputs(REJECTS, AUDIT, main="clean")
        assert_that(cleaned.clean | "Texts" >> beam.Map(lambda r: (r["text"], r["lines_in"], r["lang"])),
                    equal_to([("A title line\nA paragraph that is long enough.", 4, "en")]), label="clean")
        assert_that(cleaned[REJECTS] | "R" >> beam.Map(lambda r: (_name(r), r["reason"])),
                    equal_to([("short.txt", "too_short")]), label="rejects")


class _Explodes:
    """A step that fails on one document: the run must go on and say why."""

    def __call__(self, doc):
        if "boom" in doc.text:
            raise RuntimeError("step exploded")
        return doc


def test_a_step_that_raises_sends_the_document_to_rejects(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("A perfectly fine document with text.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("This document makes the step go boom.\n", encoding="utf-8")
    import pipeline.steps as steps

    original = steps.text_steps
    monkeypatch.setattr(steps, "text_steps", lambda config: [("explodes", _Explodes())] + original(config))
    with BeamTestPipeline(runner=FnApiRunner()) as p:
        files = p | beam.Create([str(tmp_path)]) | beam.ParDo(ExpandInputs(skip_hidden=True))
        docs = files | beam.ParDo(ReadDocuments("auto", 1 << 20)).with_outputs(REJECTS, main="docs")
        cleaned = docs.docs | beam.ParDo(CleanDocuments(build_config())).with_outputs(REJECTS, AUDIT, main="clean")
        assert_that(cleaned.clean | "N" >> beam.Map(_name), equal_to(["a.txt"]), label="clean")
        assert_that(cleaned[REJECTS] | "R" >> beam.Map(
            lambda r: (_name(r), r["reason"], "RuntimeError: step exploded" in r["detail"])),
            equal_to([("b.txt", "error", True)]), label="rejects")
