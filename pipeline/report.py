"""The run summary: Beam counters -> summary dict -> a table for people and summary.json."""
from __future__ import annotations

import json

from apache_beam.io.filesystems import FileSystems

NAMESPACE = "newsclean"


def query_counters(result) -> dict[str, int]:
    """All newsclean counters of a finished run, summed over the steps that report them."""
    from apache_beam.metrics.metric import MetricsFilter

    counters: dict[str, int] = {}
    for c in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        value = c.committed if c.committed is not None else c.attempted
        counters[c.key.metric.name] = counters.get(c.key.metric.name, 0) + int(value or 0)
    return counters


def _prefixed(counters: dict[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in sorted(counters.items()) if k.startswith(prefix) and v}


def build_summary(counters: dict[str, int], wall_time_s: float, **context) -> dict:
    """The summary written to report/summary.json; `context` adds run facts (input, output, runner)."""
    docs_in = counters.get("docs_in", 0)
    clean = counters.get("written.clean", 0)
    rejected = counters.get("written.rejects", 0)
    duplicates = counters.get("written.duplicates", 0)
    split = counters.get("split", 0)  # extra documents made by splitting one (halves keep: both)
    bytes_in = counters.get("bytes_in", 0)
    summary = {
        "docs_in": docs_in,
        "clean": clean,
        "rejected": rejected,
        "duplicates": duplicates,
        "split": split,
        "accounting_ok": docs_in + split == clean + rejected + duplicates,
        "bitext_pairs": counters.get("written.bitext", 0),
        "rejected_by_reason": _prefixed(counters, "rejected."),
        "removed_lines_by_rule": _prefixed(counters, "removed_lines."),
        "bytes_in": bytes_in,
        "bytes_out": counters.get("bytes_out", 0),
        "wall_time_s": round(wall_time_s, 3),
        "mb_per_s": round(bytes_in / 1e6 / wall_time_s, 3) if wall_time_s > 0 else None,
    }
    summary.update(context)
    return summary


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def format_summary(s: dict) -> str:
    """A readable table of the summary."""
    rows = [("documents in", f"{s['docs_in']:,}"), ("clean", f"{s['clean']:,}"),
            ("rejected", f"{s['rejected']:,}")]
    rows += [(f"  {reason}", f"{n:,}") for reason, n in s["rejected_by_reason"].items()]
    rows.append(("duplicates", f"{s['duplicates']:,}"))
    if s.get("split"):
        rows.append(("split in two (halves keep: both)", f"{s['split']:,}"))
    if s.get("bitext_pairs"):
        rows.append(("bitext pairs", f"{s['bitext_pairs']:,}"))
    removed = s["removed_lines_by_rule"]
    rows.append(("lines removed", f"{sum(removed.values()):,}"))
    rows += [(f"  {rule}", f"{n:,}") for rule, n in removed.items()]
    rows.append(("bytes in / clean text out", f"{_size(s['bytes_in'])} / {_size(s['bytes_out'])}"))
    speed = f" ({s['mb_per_s']:.2f} MB/s)" if s.get("mb_per_s") is not None else ""
    rows.append(("wall time", f"{s['wall_time_s']:.1f} s{speed}"))
    verdict = "OK" if s["accounting_ok"] else "MISMATCH"
    split = f" + {s['split']} split" if s.get("split") else ""
    rows.append(("accounting", f"{verdict}: {s['docs_in']} in{split} = {s['clean']} clean + {s['rejected']} rejected"
                               f" + {s['duplicates']} duplicates"))
    width = max(len(label) for label, _ in rows) + 2
    lines = ["newsclean run summary", "-" * (width + 30)]
    lines += [f"{label:<{width}}{value}" for label, value in rows]
    if s.get("output"):
        lines.append(f"{'outputs':<{width}}{s['output']}")
    return "\n".join(lines)


def write_json(path: str, data: dict) -> None:
    with FileSystems.create(path) as fh:
        fh.write((json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
