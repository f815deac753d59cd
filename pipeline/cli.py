"""The `newsclean` command line.

Exit codes: 0 success; 1 the pipeline failed; 2 a usage, config, input or output error (nothing ran);
3 the run finished but the accounting identity docs_in + split == clean + rejected + duplicates failed;
4 an expectation suite failed (newsclean validate, or newsclean run with validation.validate: true).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap

from pipeline.config import ConfigError, load_config, parse_set_option

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ACCOUNTING, EXIT_VALIDATION = 0, 1, 2, 3, 4


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit 2."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("newsclean")
    except Exception:
        return "unknown"


RUN_EPILOG = textwrap.dedent("""\
    examples:
      newsclean run                                  # configs' defaults: seeds/ -> out/
      newsclean run --input dumps/ --output cleaned/
      newsclean run --input 'crawl/**/*.txt' --workers 2 --set quality.min_chars=200
      newsclean run --input crawl/*.warc.gz pages.jsonl.zst saved/*.html --output cleaned/
      newsclean run --input export.data --format jsonl --set input.fields.text=body
      newsclean run --config configs/dataflow.yaml --runner DataflowRunner \\
          --project P --region R --temp_location gs://B/tmp --input gs://B/in/ --output gs://B/out

    Options newsclean does not know are passed to Beam's PipelineOptions (e.g. --project,
    --region, --temp_location, --setup_file); an option neither knows is an error.

    outputs (JSON Lines): OUTPUT/clean/, OUTPUT/rejects/, OUTPUT/audit/, OUTPUT/duplicates/,
    OUTPUT/bitext/, OUTPUT/report/summary.json;
    OUTPUT/report/index.html (open it first), validation.json and data_docs/ (validation)
    exit codes: 0 ok; 1 pipeline failed; 2 usage/config/input/output error; 3 accounting mismatch;
    4 validation failed (validation.validate: true; `warn` reports without failing)
""")

VALIDATE_EPILOG = textwrap.dedent("""\
    examples:
      newsclean validate out/
      newsclean validate gs://B/out --set validation.allowed_languages='[zh, en]'

    Runs the Great Expectations suites in expectations/ (clean, rejects, bitext) on the output
    folder (local or any Beam filesystem path), prints a pass/fail table per expectation with
    failing-row counts and examples, and writes OUTPUT/report/validation.json, the Data Docs in
    OUTPUT/report/data_docs/ and the HTML report OUTPUT/report/index.html.
    exit codes: 0 every suite passed; 4 a suite failed; 2 usage/config error
""")


LANGID_EPILOG = textwrap.dedent("""\
    examples:
      echo '这是繁體中文嗎' | newsclean langid
      newsclean langid headlines.txt                      # ids are PATH:LINE
      newsclean langid --format jsonl texts.jsonl --backend py3langid > langs.jsonl

    output: one JSON object per input line, in input order:
      {"id": "...", "lang": "zh-Hant", "confidence": 0.93, "script": "Hant"}
    lang: ISO 639-1 code, zh-Hans / zh-Hant for Chinese, und when there is no letter to go by.
""")


def add_config_options(parser: argparse.ArgumentParser, config_help: str, set_example: str) -> None:
    """--config FILE and --set KEY=VALUE, the same on every subcommand."""
    parser.add_argument("--config", metavar="FILE", help=config_help)
    parser.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                        help=f"override any config key, e.g. --set {set_example} (value read as YAML)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsclean",
        description="Clean multilingual news corpora: language ID, portal chrome and sidebar removal, "
                    "translated-halves de-duplication, validation. Runs on Apache Beam.",
    )
    parser.add_argument("--version", action="version", version=f"newsclean {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser(
        "run",
        help="clean input documents into an output folder",
        description="Read documents, clean them, and write clean/, rejects/, audit/, duplicates/, bitext/ and report/ "
                    "under the output folder. Prints the run summary.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_options(run, "YAML config (every key is documented in configs/default.yaml); "
                            "without it the built-in defaults apply", "quality.min_chars=100")
    run.add_argument("--input", metavar="PATH", nargs="+", action="extend",
                     help="file, folder (read recursively) or glob; local or gs://...; repeatable "
                          "(replaces input.paths)")
    run.add_argument("--format", choices=["auto", "text", "html", "jsonl", "warc"],
                     help="input format for every file (replaces input.format; auto = by extension: "
                          ".html/.htm, .jsonl/.json, .warc, else text; .gz/.zst decompressed)")
    run.add_argument("--output", metavar="DIR", help="output folder (replaces output.dir)")
    run.add_argument("--runner", metavar="NAME",
                     help="Beam runner: DirectRunner (default, local, nothing downloaded), "
                          "DataflowRunner, PrismRunner, FlinkRunner, ...")
    run.add_argument("--workers", metavar="N", type=int, help="local worker processes (DirectRunner)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress line)")

    langid = sub.add_parser(
        "langid",
        help="identify the language of each line of text or JSON Lines",
        description="Read plain text lines or JSON Lines records {\"id\", \"text\"} (each line is "
                    "read as a record if it is a JSON object with a \"text\" field) from files or "
                    "stdin, and write one JSON line {\"id\", \"lang\", \"confidence\", \"script\"} "
                    "per input line. Lines without letters are \"und\".",
        epilog=LANGID_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    langid.add_argument("files", metavar="FILE", nargs="*",
                        help="input files ('-' or none: stdin); text is read as UTF-8")
    langid.add_argument("--format", choices=["auto", "text", "jsonl"], default="auto",
                        help="auto (default): a line that is a JSON object with a \"text\" field is a "
                             "record, any other line is text; text: every line is text; jsonl: every "
                             "non-blank line must be a record")
    add_config_options(langid, "YAML config; its language section is used", "language.prior_weight=0")
    langid.add_argument("--backend", metavar="NAME",
                        help="cld2+py3langid (default), cld2, py3langid or langdetect "
                             "(replaces language.backend)")
    langid.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    inspect = sub.add_parser(
        "inspect",
        help="show one document with the lines the cleaning steps remove, marked by rule",
        description="Run the per-document cleaning steps on FILE (no Beam) and print every line: "
                    "kept lines plain, removed lines marked with the rule that removed them "
                    "(coloured on a terminal). For people tuning rules and phrase packs.",
    )
    inspect.add_argument("file", metavar="FILE", help="a text document")
    add_config_options(inspect, "YAML config, as for run", "chrome.extra_lexicons=[my.yaml]")
    inspect.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                         help="colour removed lines (auto: only on a terminal)")
    inspect.add_argument("--removed-only", action="store_true", help="print only the removed lines")

    validate = sub.add_parser(
        "validate",
        help="check an output folder against the expectation suites",
        description="Validate an output folder with the Great Expectations suites; write the results, "
                    "Data Docs and the HTML report under OUTPUT_DIR/report/.",
        epilog=VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("output_dir", metavar="OUTPUT_DIR", help="output folder of a run (local or gs://...)")
    add_config_options(validate, "YAML config of the run (validation.*, quality.min_chars and the language "
                                 "settings give the suite parameters)", "validation.allowed_languages='[zh, en]'")
    validate.add_argument("--examples", metavar="N", type=int, default=3,
                          help="failing examples shown per expectation (default 3)")
    validate.add_argument("--quiet", action="store_true", help="print nothing but the verdict line")
    return parser


def unknown_beam_args(args: list[str]) -> list[str]:
    """The args that neither newsclean nor any of Beam's option classes know."""
    try:
        from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser
    except ImportError:  # Beam moved its parser: let Beam itself warn about unknown args
        return []

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    parser = _BeamArgumentParser(allow_abbrev=False)
    for cls in set(subclasses(PipelineOptions)):
        try:
            cls._add_argparse_args(parser)
        except argparse.ArgumentError:  # an option two classes declare
            pass
    _known, unknown = parser.parse_known_args(args)
    return [a for a in unknown if a.startswith("-")]


def _config_from_args(args) -> "object":
    overrides = [parse_set_option(s) for s in args.overrides]
    flags: dict = {}
    if args.command != "run":
        return load_config(args.config, overrides)
    if args.input:
        flags.setdefault("input", {})["paths"] = args.input
    if args.format:
        flags.setdefault("input", {})["format"] = args.format
    if args.output:
        flags.setdefault("output", {})["dir"] = args.output
    if args.runner:
        flags.setdefault("runner", {})["name"] = args.runner
    if args.workers is not None:
        flags.setdefault("runner", {})["workers"] = args.workers
    return load_config(args.config, overrides + [flags])


def _inside(child: str, parent: str) -> bool:
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def check_io(config, list_remote: bool = True) -> int:
    """Refuse missing inputs and unusable outputs before anything runs; returns the input size.

    `list_remote=False` (a dry run): remote inputs are not listed (no storage access), so their
    size is not counted.
    """
    from pipeline import sources

    out = config.output.dir
    total, missing = 0, []
    for spec in config.input.paths:
        if not list_remote and sources.is_remote(spec):
            continue
        try:
            files = sources.expand_spec(spec, config.input.skip_hidden)
        except Exception as err:  # an unreachable bucket, an unknown scheme, ...
            raise CliError(f"cannot read input {spec}: {err}") from None
        if not files:
            missing.append(spec)
        total += sum(f.size for f in files)
        if not sources.is_remote(spec) and not sources.is_remote(out) and os.path.isdir(spec) and _inside(out, spec):
            raise CliError(f"output folder {out} is inside input folder {spec}: "
                           "a later run would read its own output; choose another --output")
    if missing:
        raise CliError("input not found (or no file in it): " + ", ".join(missing))
    if not sources.is_remote(out):
        try:
            os.makedirs(out, exist_ok=True)
            probe = os.path.join(out, ".newsclean-write-test")
            with open(probe, "w") as fh:
                fh.write("ok")
            os.remove(probe)
        except OSError as err:
            raise CliError(f"cannot write to output folder {out}: {err.strerror or err}") from None
    return total


def _warn_injected_fault() -> None:
    """The test-only fault injection must never go unnoticed (pipeline/steps/faults.py)."""
    from pipeline.steps import faults

    value = os.environ.get(faults.ENV)
    if value:
        try:
            faults.fault_step(value)
        except ValueError as err:
            raise CliError(str(err)) from None
        print(f"newsclean: warning: {faults.ENV} is set: documents holding its marker fail on purpose "
              "(testing only)", file=sys.stderr)


def cmd_run(args, beam_args: list[str]) -> int:
    unknown = unknown_beam_args(beam_args)
    if unknown:
        raise CliError(f"unknown option(s): {' '.join(unknown)} (see newsclean run --help)")
    config = _config_from_args(args)
    unknown = unknown_beam_args(config.runner.beam_options) if config.runner.beam_options else []
    if unknown:
        raise CliError(f"runner.beam_options: unknown option(s): {' '.join(unknown)}")
    _warn_injected_fault()

    from pipeline import report, runner

    if runner.is_dry_run(runner.make_options(config, beam_args)):
        check_io(config, list_remote=False)
        return _dry_run(config, beam_args, args.quiet)
    input_bytes = check_io(config)
    live = None if args.quiet or not sys.stderr.isatty() else sys.stderr
    mode = config.validation.validate
    validator = None
    if mode:
        from pipeline.validation import ValidationProcess

        validator = ValidationProcess()  # imports Great Expectations while the job runs
    try:
        summary = runner.run(config, beam_args, input_bytes, progress_stream=live)
    except BaseException:
        if validator:
            validator.close()
        raise
    results = None
    if mode:
        note = "validating outputs ..."
        if live:
            print(note, end="\r", file=sys.stderr, flush=True)
        results = _validate(config.output.dir, config, summary, validator=validator)
        if live:
            print(" " * len(note), end="\r", file=sys.stderr, flush=True)
    else:
        report.write_html_report(config.output.dir, summary)
    if not args.quiet:
        print(report.format_summary(summary))
        if results is not None and not results["ok"]:
            from pipeline import validation

            print()
            print(validation.format_table(results))
        print(f"report: {report.report_path(config.output.dir)}")
    if not summary["accounting_ok"]:
        split = f" + {summary['split']} split" if summary.get("split") else ""
        print(f"newsclean: accounting mismatch: {summary['docs_in']} documents in{split}, "
              f"{summary['clean']} clean + {summary['rejected']} rejected + {summary['duplicates']} duplicates",
              file=sys.stderr)
        return EXIT_ACCOUNTING
    if results is not None and not results["ok"]:
        from pipeline import validation

        failed = ", ".join(validation.failed_expectations(results))
        if mode == "warn":
            print(f"newsclean: warning: validation failed: {failed} (validation.validate: warn)", file=sys.stderr)
            return EXIT_OK
        print(f"newsclean: validation failed: {failed}", file=sys.stderr)
        return EXIT_VALIDATION
    return EXIT_OK


def _dry_run(config, beam_args: list[str], quiet: bool) -> int:
    """--dry_run=True: build the job on the runner and submit nothing. Remote inputs are not listed,
    earlier outputs not removed, nothing is validated (no storage access: works without credentials)."""
    from pipeline import runner

    built = runner.run(config, beam_args, input_bytes=0)
    if not quiet:
        print(f"dry run: {config.runner.name} job built with {len(built['transforms'])} transforms, "
              f"{built['shards']} shard(s) per output kind; not submitted. Remote inputs were not listed, "
              "earlier outputs not removed, nothing validated.")
    return EXIT_OK


def _langid_records(args):
    """(id, text) for every input line, in order. A text line's id is its line number (stdin) or
    PATH:LINE (a file); a record's id is its own "id" when it has one."""
    import contextlib
    import json

    for source in args.files or ["-"]:
        if source == "-":
            opened, name = contextlib.nullcontext(sys.stdin), None
        else:
            try:
                opened = open(source, encoding="utf-8", errors="replace")
            except OSError as err:
                raise CliError(f"cannot read {source}: {err.strerror or err}") from None
            name = source
        with opened as stream:
            for lineno, line in enumerate(stream, 1):
                line = line.rstrip("\r\n")
                default_id = f"{name}:{lineno}" if name else str(lineno)
                record = None
                if args.format != "text" and line.lstrip().startswith("{"):
                    try:
                        parsed = json.loads(line)
                    except ValueError:
                        parsed = None
                    if isinstance(parsed, dict) and isinstance(parsed.get("text"), str):
                        record = parsed
                if record is not None:
                    yield record.get("id", default_id), record["text"]
                elif args.format == "jsonl":
                    if line.strip():
                        raise CliError(f"{name or 'stdin'}:{lineno}: not a JSON object with a \"text\" field")
                else:
                    yield default_id, line


def cmd_langid(args) -> int:
    import json

    from pipeline.steps.language import detect_text

    overrides = [parse_set_option(s) for s in args.overrides]
    if args.backend:
        overrides.append({"language": {"backend": args.backend}})
    cfg = load_config(args.config, overrides).language
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        for record_id, text in _langid_records(args):
            ll = detect_text(text, cfg.backend, cfg.prior_weight)
            out.write(json.dumps({"id": record_id, "lang": ll.lang, "confidence": ll.confidence,
                                  "script": ll.script}, ensure_ascii=False) + "\n")
        out.flush()
    except BrokenPipeError:  # e.g. `newsclean langid big.txt | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK


RULE_COLOURS = ("31", "33", "35", "36", "34", "91", "93", "95", "96", "94")


def format_inspection(doc, color: bool, removed_only: bool = False) -> str:
    """Every line of `doc` with its fate: '  ' kept, '- [rule]' removed (ANSI colours when `color`)."""
    rules = sorted(set(doc.removed.values()))
    colour_of = {rule: RULE_COLOURS[i % len(RULE_COLOURS)] for i, rule in enumerate(rules)}
    width = max((len(r) for r in rules), default=0)
    out = []
    for i, line in enumerate(doc.lines):
        rule = doc.removed.get(i)
        if rule is None:
            if not removed_only:
                out.append(f"{i:5d}   {'':<{width}}  {line}")
            continue
        text = f"{i:5d} - {rule:<{width}}  {line}"
        out.append(f"\x1b[{colour_of[rule]}m{text}\x1b[0m" if color else text)
    head = [f"# {doc.source}"]
    for key in ("title", "date", "site"):
        value = getattr(doc, key)
        if value:
            head.append(f"# {key}: {value}")
    counts = doc.removed_counts()
    head.append("# removed: " + (", ".join(f"{r} {n}" for r, n in counts.items()) or "nothing"))
    return "\n".join(head + out)


def cmd_inspect(args) -> int:
    from pipeline import sources, steps
    from pipeline.document import Reject

    config = load_config(args.config, [parse_set_option(s) for s in args.overrides])
    if not os.path.isfile(args.file):
        raise CliError(f"not a file: {args.file}")
    with open(args.file, "rb") as fh:
        data = fh.read()
    try:
        doc = sources.text_document(args.file, data, config.input.encoding)
    except Reject as r:
        raise CliError(f"{args.file}: {r.reason}: {r.detail}") from None
    verdict = "clean"
    for _name, step in steps.text_steps(config):
        try:
            doc = step(doc)
        except Reject as r:
            verdict = f"rejected ({r.reason}: {r.detail})"
            break
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(format_inspection(doc, color, args.removed_only))
    print(f"# verdict: {verdict}")
    return EXIT_OK
def _validate(out_dir: str, config, summary, examples: int = 3, validator=None) -> dict:
    """Run the suites (in `validator`'s process when given), then refresh summary.json (its
    `validation` entry) and the HTML report."""
    from pipeline import report, validation

    if validator is not None:
        results = validator.run(out_dir, config, examples)
    else:
        results = validation.validate_output(out_dir, config, examples=examples)
    if summary is not None:
        summary["validation"] = validation.summary_entry(results)
        report.write_json(report.summary_path(out_dir), summary)
    report.write_html_report(out_dir, summary, results)
    return results


def cmd_validate(args) -> int:
    from pipeline import report, sources, validation

    config = _config_from_args(args)
    out = args.output_dir
    if not sources.is_remote(out) and not os.path.isdir(out):
        raise CliError(f"output folder not found: {out}")
    if args.examples < 0:
        raise CliError("--examples must be 0 or more")
    results = _validate(out, config, report.read_summary(out), examples=args.examples)
    if args.quiet:
        print("validation " + ("PASSED" if results["ok"] else "FAILED: " + ", ".join(
            validation.failed_expectations(results))))
    else:
        print(validation.format_table(results))
        print(f"report: {report.report_path(out)}")
    return EXIT_OK if results["ok"] else EXIT_VALIDATION


# Warnings Beam's local multi-process workers print on every start that say nothing about this run.
_BEAM_NOISE = ("No semi_persistent_directory found",)


def _drop_known_beam_noise(record: logging.LogRecord) -> bool:
    return not any(text in record.getMessage() for text in _BEAM_NOISE)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command != "run" and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_drop_known_beam_noise)
    try:
        if args.command == "run":
            return cmd_run(args, extra)
        if args.command == "langid":
            return cmd_langid(args)
        if args.command == "inspect":
            return cmd_inspect(args)
        if args.command == "validate":
            return cmd_validate(args)
        parser.error(f"unknown command {args.command}")
    except (CliError, ConfigError) as err:
        print(f"newsclean: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("newsclean: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a failed pipeline: say what, keep the traceback for --debug users
        logging.getLogger("newsclean").debug("pipeline failed", exc_info=True)
        what = "validation could not run" if args.command == "validate" else "the pipeline failed"
        print(f"newsclean: {what}: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
