"""The run summary: Beam counters -> summary dict -> a table for people, summary.json, and the HTML
report (report/index.html) a person opens first."""
from __future__ import annotations

import html
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
        "dedup": _prefixed(counters, "dedup."),
        "languages": _prefixed(counters, "clean_lang."),
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
    rows = [("documents in", f"{s['docs_in']:,}"), ("clean", f"{s['clean']:,}")]
    rows += [(f"  {lang}", f"{n:,}") for lang, n in _by_count(s.get("languages") or {})]
    rows.append(("rejected", f"{s['rejected']:,}"))
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
    v = s.get("validation")
    if v:
        rows.append(("validation", _validation_verdict(v)))
    width = max(len(label) for label, _ in rows) + 2
    lines = ["newsclean run summary", "-" * (width + 30)]
    lines += [f"{label:<{width}}{value}" for label, value in rows]
    if s.get("output"):
        lines.append(f"{'outputs':<{width}}{s['output']}")
    return "\n".join(lines)


def write_json(path: str, data: dict) -> None:
    with FileSystems.create(path) as fh:
        fh.write((json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def _by_count(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _validation_verdict(v: dict) -> str:
    tally = (f"{v['expectations_passed']} passed, {v['expectations_failed']} failed, "
             f"{v['expectations_skipped']} skipped")
    if v["ok"]:
        return f"PASSED ({tally})"
    return f"FAILED: {', '.join(v['failed'])} ({tally})"


def remove_summary(out_dir: str) -> None:
    """Delete an earlier run's report/summary.json (a failed run must not leave an old one looking current)."""
    path = summary_path(out_dir)
    if FileSystems.exists(path):
        FileSystems.delete([path])


def summary_path(out_dir: str) -> str:
    from pipeline.sinks import join

    return join(out_dir, "report", "summary.json")


def report_path(out_dir: str) -> str:
    from pipeline.sinks import join

    return join(out_dir, "report", "index.html")


def read_summary(out_dir: str):
    """report/summary.json of an output folder, or None when there is none."""
    path = summary_path(out_dir)
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as fh:
        return json.loads(fh.read().decode("utf-8"))


# --- the HTML report ----------------------------------------------------------------------------
# Self-contained: inline CSS and SVG, no script, nothing fetched (it opens offline, from gs:// too).
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;
padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.muted{color:#666}.banner{padding:.6rem 1rem;border-radius:6px;font-weight:600;margin:1rem 0}
.ok{background:#e6f4ea;color:#1e6b34}.bad{background:#fdecea;color:#a12622}.none{background:#f1f3f4;color:#444}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.6rem}
.figure{border:1px solid #e3e3e3;border-radius:6px;padding:.5rem .8rem}
.figure b{display:block;font-size:1.35rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;
border-bottom:1px solid #eee;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#1e6b34;font-weight:600}.failed{color:#a12622;font-weight:600}.skipped{color:#777}
code,.ex{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}.ex{color:#555;display:block}
svg text{font:12px system-ui,sans-serif;fill:#333}
"""


def bar_chart(items: list[tuple[str, float]], value_label=lambda v: f"{v:,}", color: str = "#4a7dbf",
              label_width: int = 200, bar_width: int = 420) -> str:
    """A horizontal bar chart as inline SVG (one bar per (label, value))."""
    if not items:
        return '<p class="muted">nothing to show</p>'
    top = max(v for _, v in items) or 1
    row = 22
    height = row * len(items) + 4
    parts = [f'<svg role="img" width="{label_width + bar_width + 90}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        w = max(1, round(bar_width * value / top)) if value else 0
        shown = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">'
                     f'<title>{html.escape(label)}</title>{html.escape(shown)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="{row - 6}" fill="{color}" rx="2"/>')
        parts.append(f'<text x="{label_width + w + 6}" y="{y + 15}">{html.escape(value_label(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _figure(label: str, value: str) -> str:
    return f'<div class="figure"><span class="muted">{html.escape(label)}</span><b>{html.escape(value)}</b></div>'


def _validation_section(validation: dict | None, summary_validation: dict | None) -> str:
    if not validation:
        return ('<div class="banner none">Validation was not run (validation.validate: false); '
                "run <code>newsclean validate OUTPUT_DIR</code>.</div>")
    ok = validation["ok"]
    verdict = _validation_verdict(summary_validation) if summary_validation else ("PASSED" if ok else "FAILED")
    out = [f'<div class="banner {"ok" if ok else "bad"}">Validation {html.escape(verdict)}</div>']
    for suite in validation["suites"]:
        out.append(f'<h3>{html.escape(suite["name"])} <span class="{suite["status"].replace(" ", "")}">'
                   f'{html.escape(suite["status"])}</span> <span class="muted">{suite["records"]:,} records</span></h3>')
        if not suite["expectations"]:
            continue
        out.append("<table><tr><th>expectation</th><th>status</th><th>failing rows</th><th>why / examples</th></tr>")
        for e in suite["expectations"]:
            if e["status"] == "skipped":
                note = e.get("reason", "")
            elif e.get("error"):
                note = e["error"]
            else:
                note = e.get("why", "")
            examples = "".join(f'<span class="ex">{html.escape(x)}</span>' for x in e.get("examples", []))
            count = e.get("unexpected_count")
            out.append(f'<tr><td><code>{html.escape(e["name"])}</code></td>'
                       f'<td class="{e["status"]}">{html.escape(e["status"])}</td>'
                       f'<td class="n">{"" if count is None else f"{count:,}"}</td>'
                       f"<td>{html.escape(note)}{examples}</td></tr>")
        out.append("</table>")
    links = ['<a href="validation.json">validation.json</a>']
    if validation.get("data_docs"):
        links.append('<a href="data_docs/index.html">Great Expectations Data Docs</a>')
    out.append(f'<p>Details: {" · ".join(links)}</p>')
    return "\n".join(out)


def render_html(summary: dict | None, validation: dict | None = None) -> str:
    """The person-first report: figures, charts, rejects, validation."""
    s = summary or {}
    title = "newsclean report"
    body = [f"<h1>{title}</h1>",
            f'<p class="muted">output <code>{html.escape(str(s.get("output") or (validation or {}).get("output", "")))}</code>'
            + (f' · input <code>{html.escape(", ".join(s.get("input", [])))}</code>' if s.get("input") else "")
            + (f' · runner {html.escape(str(s.get("runner")))}' if s.get("runner") else "") + "</p>"]
    if summary:
        if not s.get("accounting_ok", True):
            body.append('<div class="banner bad">Accounting mismatch: documents in != clean + rejected + duplicates</div>')
        removed = s.get("removed_lines_by_rule") or {}
        figures = [("documents in", f"{s.get('docs_in', 0):,}"), ("clean", f"{s.get('clean', 0):,}"),
                   ("rejected", f"{s.get('rejected', 0):,}"), ("duplicates", f"{s.get('duplicates', 0):,}"),
                   ("bitext pairs", f"{s.get('bitext_pairs', 0):,}"), ("lines removed", f"{sum(removed.values()):,}"),
                   ("bytes in", _size(s.get("bytes_in", 0))), ("clean text out", _size(s.get("bytes_out", 0))),
                   ("wall time", f"{s.get('wall_time_s', 0):.1f} s")]
        body.append('<div class="figures">' + "".join(_figure(k, v) for k, v in figures) + "</div>")
    else:
        body.append('<p class="muted">No run summary in this folder (report/summary.json); validation only.</p>')

    languages = (summary or {}).get("languages") or _languages_from(validation)
    body.append("<h2>Languages of clean documents</h2>")
    total = sum(languages.values())
    body.append(bar_chart([(lang, n / total) for lang, n in _by_count(languages)],
                          value_label=lambda v: f"{v:.1%}") if total else '<p class="muted">no clean documents</p>')
    if summary:
        body.append("<h2>Removed lines by rule</h2>")
        body.append(bar_chart(_by_count(s.get("removed_lines_by_rule") or {}), color="#c27c2c"))
        body.append("<h2>Rejected documents by reason</h2>")
        reasons = _by_count(s.get("rejected_by_reason") or {})
        if reasons:
            body.append("<table><tr><th>reason</th><th>documents</th></tr>" + "".join(
                f'<tr><td><code>{html.escape(r)}</code></td><td class="n">{n:,}</td></tr>' for r, n in reasons)
                + "</table>")
        else:
            body.append('<p class="muted">none</p>')
    body.append("<h2>Validation</h2>")
    body.append(_validation_section(validation, (summary or {}).get("validation")))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _languages_from(validation: dict | None) -> dict[str, int]:
    for suite in (validation or {}).get("suites", []):
        if suite.get("output") == "clean":
            return suite.get("languages") or {}
    return {}


def write_html_report(out_dir: str, summary: dict | None, validation: dict | None = None) -> str:
    """report/index.html; returns its path."""
    path = report_path(out_dir)
    with FileSystems.create(path) as fh:
        fh.write(render_html(summary, validation).encode("utf-8"))
    return path
