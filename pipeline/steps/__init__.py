"""The functional core: pure functions over Document, no Beam, no I/O.

`text_steps(config)` lists, in order, the steps the pipeline applies to every decoded document; the
Beam shell (pipeline/transforms.py) runs them in one DoFn so that lines never become Beam elements.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

from pipeline.document import Document
from pipeline.steps import halves, language, quality

Step = Callable[[Document], Document]


def text_steps(config) -> list[tuple[str, Step]]:
    """(name, step) pairs for the per-document cleaning chain, built from the config."""
    steps: list[tuple[str, Step]] = []
    # First: every later step may read doc.notes["line_langs"].
    steps.append(("language.annotate_lines", partial(language.annotate_lines, cfg=config.language)))
    # ... chrome stripping, translated halves, ... go here ...
    # Translated halves: after chrome (whose removed lines it ignores), before the document summary.
    if config.halves.enabled:
        steps.append(("halves.split_halves", partial(halves.split_halves, cfg=config.halves)))
    # Late: the document's language over the lines still kept.
    steps.append(("language.summarize_document", partial(language.summarize_document, cfg=config.language)))
    steps.append(("quality.require_text", quality.require_text))
    if config.quality.min_chars > 0:
        steps.append(("quality.min_chars", partial(quality.require_min_chars, min_chars=config.quality.min_chars)))
    return steps


def apply_steps(doc: Document, steps: list[tuple[str, Step]]) -> Document:
    """Run the steps in order; a Reject raised by one stops the chain."""
    for _name, step in steps:
        doc = step(doc)
    return doc
