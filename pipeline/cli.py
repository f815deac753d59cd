"""The `newsclean` command line.

Exit codes: 0 success; 1 the pipeline failed; 2 a usage, config, input or output error (nothing ran);
3 the run finished but the accounting identity docs_in + split == clean + rejected + duplicates failed.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap

from pipeline.config import ConfigError, load_config, parse_set_option

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ACCOUNTING = 0, 1, 2, 3


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
      newsclean run --config configs/dataflow.yaml --runner DataflowRunner \\
          --project P --region R --temp_location gs://B/tmp --input gs://B/in/ --output gs://B/out

    Options newsclean does not know are passed to Beam's PipelineOptions (e.g. --project,
    --region, --temp_location, --setup_file); an option neither knows is an error.

    outputs (JSON Lines): OUTPUT/clean/, OUTPUT/rejects/, OUTPUT/audit/, OUTPUT/bitext/, OUTPUT/report/summary.json
    exit codes: 0 ok; 1 pipeline failed; 2 usage/config/input/output error; 3 accounting mismatch
""")


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
        description="Read documents, clean them, and write clean/, rejects/, audit/ and report/ "
                    "under the output folder. Prints the run summary.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--config", metavar="FILE",
                     help="YAML config (every key is documented in configs/default.yaml); "
                          "without it the built-in defaults apply")
    run.add_argument("--input", metavar="PATH", nargs="+", action="extend",
                     help="file, folder (read recursively) or glob; local or gs://...; repeatable "
                          "(replaces input.paths)")
    run.add_argument("--output", metavar="DIR", help="output folder (replaces output.dir)")
    run.add_argument("--runner", metavar="NAME",
                     help="Beam runner: DirectRunner (default, local, nothing downloaded), "
                          "DataflowRunner, PrismRunner, FlinkRunner, ...")
    run.add_argument("--workers", metavar="N", type=int, help="local worker processes (DirectRunner)")
    run.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                     help="override any config key, e.g. --set quality.min_chars=100 (value read as YAML)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
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
    if args.input:
        flags.setdefault("input", {})["paths"] = args.input
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


def check_io(config) -> int:
    """Refuse missing inputs and unusable outputs before anything runs; returns the input size."""
    from pipeline import sources

    out = config.output.dir
    total, missing = 0, []
    for spec in config.input.paths:
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


def cmd_run(args, beam_args: list[str]) -> int:
    unknown = unknown_beam_args(beam_args)
    if unknown:
        raise CliError(f"unknown option(s): {' '.join(unknown)} (see newsclean run --help)")
    config = _config_from_args(args)
    input_bytes = check_io(config)

    from pipeline import report, runner

    summary = runner.run(config, beam_args, input_bytes)
    if not args.quiet:
        print(report.format_summary(summary))
    if not summary["accounting_ok"]:
        split = f" + {summary['split']} split" if summary.get("split") else ""
        print(f"newsclean: accounting mismatch: {summary['docs_in']} documents in{split}, "
              f"{summary['clean']} clean + {summary['rejected']} rejected + {summary['duplicates']} duplicates",
              file=sys.stderr)
        return EXIT_ACCOUNTING
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command != "run" and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "run":
            return cmd_run(args, extra)
        parser.error(f"unknown command {args.command}")
    except (CliError, ConfigError) as err:
        print(f"newsclean: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("newsclean: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a failed pipeline: say what, keep the traceback for --debug users
        logging.getLogger("newsclean").debug("pipeline failed", exc_info=True)
        print(f"newsclean: the pipeline failed: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
