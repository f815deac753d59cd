"""Builds the Beam graph from the config and runs it on the chosen runner.

Local runs use Beam's FnApiRunner directly. Beam 2.7x's DirectRunner first tries the Prism runner,
which downloads a Go binary on first use; on a machine without internet that costs a failed download
before the fallback. Naming the FnApiRunner (the batch engine DirectRunner falls back to) keeps local
runs offline and predictable. `--runner PrismRunner` still selects Prism explicitly.
"""
from __future__ import annotations

import logging
import os
import time
import uuid

import apache_beam as beam
from apache_beam.options.pipeline_options import (
    DirectOptions, GoogleCloudOptions, PipelineOptions, SetupOptions, StandardOptions, TestOptions,
)

from pipeline import progress, report, sinks, spill
from pipeline.config import Config
from pipeline.gc_tuning import tune_gc
from pipeline.readers import JsonFields
from pipeline.transforms import (
    AUDIT, BITEXT, PAGES, REJECTS, BatchFiles, CleanDocuments, CountWritten, DeduplicateCorpus, ExpandInputs, ExtractHtml,
    FinishDocuments, ProgressTick, ReadDocuments, RemoveCorpusRepeats, split_input,
)

LOCAL_RUNNER_NAMES = {"DirectRunner", "direct", "local", "FnApiRunner"}


def is_local(config: Config) -> bool:
    return config.runner.name in LOCAL_RUNNER_NAMES


# setup.py of a source checkout (next to the pipeline package); absent in an installed wheel
PROJECT_SETUP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "setup.py")


def make_options(config: Config, beam_args: list[str]) -> PipelineOptions:
    """Beam options: config.runner.beam_options first, then the command line's (later flags win).

    A remote runner gets the project's setup.py as --setup_file when no way of installing the
    package on workers was given (setup file, requirements, extra packages or a custom container).
    """
    options = PipelineOptions(list(config.runner.beam_options) + list(beam_args))
    setup = options.view_as(SetupOptions)
    if is_local(config):
        direct = options.view_as(DirectOptions)
        direct.direct_num_workers = config.runner.workers
        direct.direct_running_mode = "multi_processing" if config.runner.workers > 1 else "in_memory"
    else:
        options.view_as(StandardOptions).runner = config.runner.name
        shipped = (setup.setup_file or setup.requirements_file or setup.extra_packages
                   or options.get_all_options().get("sdk_container_image"))
        if not shipped and os.path.exists(PROJECT_SETUP):
            setup.setup_file = PROJECT_SETUP
            logging.getLogger("newsclean").info("workers install newsclean from --setup_file=%s", PROJECT_SETUP)
    setup.save_main_session = False
    return options


def is_dry_run(options: PipelineOptions) -> bool:
    """--dry_run=True: the runner builds the job (Dataflow: the full job description) and submits nothing."""
    return bool(options.view_as(TestOptions).dry_run)


def make_runner(config: Config):
    if is_local(config):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return FnApiRunner()
    return config.runner.name


def build_pipeline(p: beam.Pipeline, config: Config, num_shards: int, progress_dir: str | None = None,
                   tmp_dir: str | None = None, key_partitions: int | None = None) -> None:
    """read -> decode/normalise -> text steps -> corpus passes -> write clean / rejects / audit / duplicates / bitext.

    With `progress_dir` (local runs on a terminal), ProgressTick steps report live counts there.
    `tmp_dir` holds spill and chunk files while the job runs (default: a hidden folder in the output).
    `key_partitions` (local runs): corpus passes group their keys on disk in that many partitions
    (pipeline/spill.py GroupKeys); None: through the runner's GroupByKey (its shuffle service).

    Memory: documents are never grouped or gathered into one collection (a Flatten or GroupByKey of
    documents is held in memory by the local runner); each producer's records go to their own
    writers, and corpus passes keep the documents in spill files while only keys are grouped.
    """
    out = config.output.dir
    tmp_dir = tmp_dir or sinks.join(out, sinks.TMP_DIR, "graph")
    specs = list(config.input.paths)
    files = p | "InputSpecs" >> beam.Create(specs) | "ExpandInputs" >> beam.ParDo(ExpandInputs(config.input.skip_hidden))
    if len(specs) > 1:
        # the same file named twice (a folder and a file in it) is read once
        # keyed by bytes: a file name that is not UTF-8 holds lone surrogates, which a str key cannot
        files = (files
                 | "KeyByPath" >> beam.Map(lambda f: (f.path.encode("utf-8", "surrogatepass"), f))
                 | "OncePerPath" >> beam.CombinePerKey(min)
                 | "Files" >> beam.Values())
    files = (
        files
        # a big uncompressed JSON Lines file becomes byte ranges that several workers read
        | "SplitFiles" >> beam.FlatMap(split_input, config.input.format, config.input.split_bytes)
        # spread over the workers in small batches: the local runner holds a list per MB of input
        # between listing and reading, not an element per file
        | "BatchFiles" >> beam.ParDo(BatchFiles())
        | "SpreadFiles" >> beam.Reshuffle()
        | "Unbatch" >> beam.FlatMap(lambda batch: batch)
    )
    if progress_dir:
        files = files | "ProgressRead" >> beam.ParDo(ProgressTick("read", progress_dir))
    read = files | "Read" >> beam.ParDo(
        ReadDocuments(config.input.encoding, config.input.max_document_bytes, config.input.format,
                      JsonFields(**config.input.fields.model_dump()))
    ).with_outputs(REJECTS, PAGES, main="docs")
    # pages of one WARC or JSON Lines file are spread over the workers before extraction
    pages = (read[PAGES] | "SpreadPages" >> beam.Reshuffle()
             | "ExtractHtml" >> beam.ParDo(ExtractHtml(config.html, config.input.encoding)).with_outputs(
                 REJECTS, main="docs"))
    chrome = config.chrome
    corpus_pass = chrome.enabled and chrome.corpus_repeats
    outputs: dict[str, list] = {kind: [] for kind in sinks.OUTPUT_KINDS}
    outputs["rejects"] += [read[REJECTS], pages[REJECTS]]
    clean = []
    # text documents and extracted pages are cleaned where they are produced (no Flatten of documents)
    for name, docs in (("Clean", read.docs), ("CleanPages", pages.docs)):
        cleaned = docs | name >> beam.ParDo(
            CleanDocuments(config, emit_documents=corpus_pass)).with_outputs(REJECTS, AUDIT, BITEXT, main="clean")
        clean.append(cleaned.clean)
        outputs["rejects"].append(cleaned[REJECTS])
        outputs["audit"].append(cleaned[AUDIT])
        outputs["bitext"].append(cleaned[BITEXT])
    if corpus_pass:
        # lines recurring across documents of a site (menus, footers), then the gates again
        finished = (
            tuple(clean)
            | "CorpusRepeats" >> RemoveCorpusRepeats(
                sinks.join(tmp_dir, "repeats"), chrome.repeats_min_docs_site, chrome.repeats_min_docs_corpus,
                chrome.repeats_max_chars, key_partitions)
            | "Finish" >> beam.ParDo(FinishDocuments(config)).with_outputs(REJECTS, AUDIT, BITEXT, main="clean")
        )
        clean = [finished.clean]
        outputs["rejects"].append(finished[REJECTS])
        outputs["audit"].append(finished[AUDIT])
        outputs["bitext"].append(finished[BITEXT])

    # corpus de-duplication: clean records -> kept clean records + duplicates records
    if config.dedup.enabled:
        deduped = tuple(clean) | "Dedup" >> DeduplicateCorpus(
            config.dedup, sinks.join(tmp_dir, "dedup"), key_partitions)
        clean = [deduped["clean"]]
        outputs["duplicates"].append(deduped["duplicates"])
    outputs["clean"] = clean

    for kind in ("duplicates", "clean", "rejects", "audit", "bitext"):
        parts = outputs[kind] or [p | f"No{kind.title()}" >> beam.Create([])]
        counted = []
        for i, records in enumerate(parts):
            suffix = str(i) if len(parts) > 1 else ""
            if progress_dir and kind in ("clean", "rejects"):
                records = records | f"Progress{kind.title()}{suffix}" >> beam.ParDo(ProgressTick(kind, progress_dir))
            counted.append(records | f"Count{kind.title()}{suffix}" >> beam.ParDo(CountWritten(kind)))
        _ = tuple(counted) | f"Write{kind.title()}" >> sinks.WriteJsonl(
            sinks.join(out, kind), sinks.join(tmp_dir, "chunks", kind), num_shards, config.output.compress)


def run(config: Config, beam_args: list[str], input_bytes: int, progress_stream=None) -> dict:
    """Run the pipeline to completion; returns the summary (also written to report/summary.json).

    `progress_stream` (a terminal): draw a live progress line there during local runs.
    """
    started = time.time()
    tune_gc()  # the launcher builds a large graph and, in a local run, cleans documents itself
    num_shards = config.output.shards or sinks.auto_shards(input_bytes)
    options = make_options(config, beam_args)
    if is_dry_run(options):
        return dry_run(config, options, num_shards)
    sinks.remove_previous_outputs(config.output.dir)
    # no summary.json until this run has finished: a folder without one holds no complete output
    report.remove_summary(config.output.dir)
    stream = progress_stream if is_local(config) else None
    tmp_dir = temp_folder(config, options)
    try:
        with progress.live_progress(stream, input_bytes) as progress_dir, \
                beam.Pipeline(runner=make_runner(config), options=options) as p:
            build_pipeline(p, config, num_shards, progress_dir, tmp_dir,
                           spill.key_partitions(input_bytes) if is_local(config) else None)
    finally:
        sinks.remove_tree(tmp_dir)
        if "://" not in tmp_dir:  # the hidden folder in a local output, when no other run uses it
            try:
                os.rmdir(os.path.dirname(tmp_dir))
            except OSError:
                pass
    result = p.result
    counters = report.query_counters(result)
    summary = report.build_summary(
        counters,
        time.time() - started,
        input=list(config.input.paths),
        output=config.output.dir,
        runner=config.runner.name,
        workers=config.runner.workers,
        shards=num_shards,
    )
    report.write_json(report.summary_path(config.output.dir), summary)
    return summary


def temp_folder(config: Config, options: PipelineOptions) -> str:
    """This run's folder for spill and chunk files: under --temp_location when given (Dataflow),
    else a hidden folder in the output; removed when the run ends."""
    base = options.view_as(GoogleCloudOptions).temp_location or sinks.join(config.output.dir, sinks.TMP_DIR)
    return sinks.join(base, f"newsclean-{uuid.uuid4().hex}")


def dry_run(config: Config, options: PipelineOptions, num_shards: int) -> dict:
    """Build the job on the runner without running it: nothing is read, written or deleted.

    Returns {"dry_run": True, "runner", "shards", "transforms": names of the graph's transforms,
    "job": the runner's job (Dataflow: apiclient.Job, whose .json() is the job request)}.
    """
    p = beam.Pipeline(runner=make_runner(config), options=options)
    build_pipeline(p, config, num_shards)
    result = p.run()
    job = getattr(result, "job", None)
    # Dataflow: the pipeline proto of the job request (after the runner's overrides)
    proto = getattr(job, "proto_pipeline", None) or p.to_runner_api()
    transforms = sorted(t.unique_name for t in proto.components.transforms.values() if t.unique_name)
    return {"dry_run": True, "runner": config.runner.name, "shards": num_shards,
            "transforms": transforms, "job": job}
