"""Builds the Beam graph from the config and runs it on the chosen runner.

Local runs use Beam's FnApiRunner directly. Beam 2.7x's DirectRunner first tries the Prism runner,
which downloads a Go binary on first use; on a machine without internet that costs a failed download
before the fallback. Naming the FnApiRunner (the batch engine DirectRunner falls back to) keeps local
runs offline and predictable. `--runner PrismRunner` still selects Prism explicitly.
"""
from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, SetupOptions, StandardOptions

from pipeline import report, sinks
from pipeline.config import Config
from pipeline.transforms import AUDIT, BITEXT, REJECTS, CleanDocuments, CountWritten, ExpandInputs, ReadDocuments

LOCAL_RUNNER_NAMES = {"DirectRunner", "direct", "local", "FnApiRunner"}


def is_local(config: Config) -> bool:
    return config.runner.name in LOCAL_RUNNER_NAMES


def make_options(config: Config, beam_args: list[str]) -> PipelineOptions:
    options = PipelineOptions(beam_args)
    if is_local(config):
        direct = options.view_as(DirectOptions)
        direct.direct_num_workers = config.runner.workers
        direct.direct_running_mode = "multi_processing" if config.runner.workers > 1 else "in_memory"
    else:
        options.view_as(StandardOptions).runner = config.runner.name
    options.view_as(SetupOptions).save_main_session = False
    return options


def make_runner(config: Config):
    if is_local(config):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return FnApiRunner()
    return config.runner.name


def build_pipeline(p: beam.Pipeline, config: Config, num_shards: int) -> None:
    """read -> decode/normalise -> text steps -> write clean / rejects / audit / bitext."""
    out = config.output.dir
    files = (
        p
        | "InputSpecs" >> beam.Create(list(config.input.paths))
        | "ExpandInputs" >> beam.ParDo(ExpandInputs(config.input.skip_hidden))
        # the same file named twice (a folder and a file in it) is read once
        | "KeyByPath" >> beam.Map(lambda f: (f.path, f))
        | "OncePerPath" >> beam.CombinePerKey(min)
        | "Files" >> beam.Values()
        | "SpreadFiles" >> beam.Reshuffle()
    )
    read = files | "Read" >> beam.ParDo(
        ReadDocuments(config.input.encoding, config.input.max_document_bytes)
    ).with_outputs(REJECTS, main="docs")
    cleaned = read.docs | "Clean" >> beam.ParDo(CleanDocuments(config)).with_outputs(REJECTS, AUDIT, BITEXT, main="clean")
    rejects = (read[REJECTS], cleaned[REJECTS]) | "AllRejects" >> beam.Flatten()

    for kind, records in (("clean", cleaned.clean), ("rejects", rejects), ("audit", cleaned[AUDIT]),
                          ("bitext", cleaned[BITEXT])):
        _ = (
            records
            | f"Count{kind.title()}" >> beam.ParDo(CountWritten(kind))
            | f"Write{kind.title()}" >> sinks.WriteJsonl(sinks.join(out, kind), num_shards, config.output.compress)
        )


def run(config: Config, beam_args: list[str], input_bytes: int) -> dict:
    """Run the pipeline to completion; returns the summary (also written to report/summary.json)."""
    started = time.time()
    num_shards = config.output.shards or sinks.auto_shards(input_bytes)
    sinks.remove_previous_outputs(config.output.dir)
    with beam.Pipeline(runner=make_runner(config), options=make_options(config, beam_args)) as p:
        build_pipeline(p, config, num_shards)
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
    report.write_json(sinks.join(config.output.dir, "report", "summary.json"), summary)
    return summary
