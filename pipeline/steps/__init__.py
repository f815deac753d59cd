"""The functional core: pure functions over Document, no Beam, no I/O.

`text_steps(config)` lists, in order, the steps the pipeline applies to every decoded document; the
Beam shell (pipeline/transforms.py) runs them in one DoFn so that lines never become Beam elements.
"""
from __future__ import annotations

import os
from functools import partial
from typing import Callable

from pipeline.document import Document
from pipeline.steps import chrome, faults, halves, language, quality
from pipeline.steps.chrome_lexicon import Lexicon, load_lexicon

Step = Callable[[Document], Document]


def chrome_lexicon(config) -> Lexicon:
    """The phrase packs the chrome step uses (built-in + config.chrome.extra_lexicons); reads files."""
    return load_lexicon(config.chrome.extra_lexicons, builtin=config.chrome.builtin_lexicons)


def text_steps(config, lexicon: Lexicon | None = None) -> list[tuple[str, Step]]:
    """(name, step) pairs for the per-document cleaning chain, built from the config.

    `lexicon`: phrase packs loaded beforehand (the Beam shell loads them where the config's files
    are, and ships them to workers); loaded from the config when not given.
    """
    steps: list[tuple[str, Step]] = []
    if config.chrome.enabled:
        lexicon = lexicon if lexicon is not None else chrome_lexicon(config)
        steps.append(("chrome.strip", partial(chrome.strip_chrome, lexicon=lexicon, settings=config.chrome)))
    # After chrome (which reads no languages), so the lines it removed are not sent to the detectors;
    # every later step may read doc.notes["line_langs"].
    steps.append(("language.annotate_lines", partial(language.annotate_lines, cfg=config.language)))
    # Translated halves: after chrome (whose removed lines it ignores), before the document summary.
    if config.halves.enabled:
        steps.append(("halves.split_halves", partial(halves.split_halves, cfg=config.halves)))
    injected = faults.fault_step(os.environ.get(faults.ENV))  # tests of error handling only
    if injected is not None:
        steps.append(("testing.injected_fault", injected))
    steps.extend(gate_steps(config))
    return steps


def gate_steps(config) -> list[tuple[str, Step]]:
    """The end of `text_steps`, run again after corpus-level passes: the quality gates, then the
    document's language over the lines still kept (a too-short text is rejected as too_short, not as
    an uncertain language)."""
    steps: list[tuple[str, Step]] = [("quality.require_text", quality.require_text)]
    if config.quality.min_chars > 0:
        steps.append(("quality.min_chars", partial(quality.require_min_chars, min_chars=config.quality.min_chars)))
    steps.append(("language.summarize_document", partial(language.summarize_document, cfg=config.language)))
    return steps


def apply_steps(doc: Document, steps: list[tuple[str, Step]]) -> Document:
    """Run the steps in order; a Reject raised by one stops the chain."""
    for _name, step in steps:
        doc = step(doc)
    return doc
