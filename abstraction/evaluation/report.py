"""Render an `EvalReport` as Markdown, as a self-contained HTML page, and as JSON.

The HTML needs nothing from the network and no script: styles are inline and the charts are
inline SVG (one small chart per field: a bar per prompt version with its 95% interval as a
whisker).  All text from reports is escaped.  The terminal table lives in the CLI (rich).
"""

from __future__ import annotations

import html
from pathlib import Path

from abstraction.evaluation.compare import (
    MIN_DOCUMENTS_FOR_SIGNIFICANCE,
    EvalReport,
    FieldRow,
    Interval,
    OrderRow,
    VersionSummary,
)
from abstraction.evaluation.principal import fmt_principal

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d"]
MAX_ERRORS_SHOWN = 200


def fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def fmt_iv(iv: Interval | None) -> str:
    return "–" if iv is None else f"{iv.estimate:.3f} [{iv.low:.3f}, {iv.high:.3f}]"


def fmt_delta(iv: Interval | None) -> str:
    return "–" if iv is None else f"{iv.estimate:+.3f} [{iv.low:+.3f}, {iv.high:+.3f}]"


VERSION_COLUMNS = (
    "version",
    "sha256",
    "model",
    "docs",
    "failed",
    "tokens",
    "s/doc",
    "micro F1 [95% CI]",
    "macro F1",
    "principal dx",
    "grounding P",
    "grounding R",
)


def _seconds_cell(v: VersionSummary) -> str:
    """s/doc, marked when it is the recorded calls' latency or covers only some documents."""
    if v.seconds_documents == 0:
        return "n/a"
    cell = f"{v.seconds_per_document:.2f}"
    if v.seconds_source == "recorded":
        cell += " (rec.)"
    if v.seconds_documents < v.documents:
        cell += f" ({v.seconds_documents}/{v.documents} docs)"
    return cell


def version_cells(v: VersionSummary) -> list[str]:
    """One prompt version's row of `VERSION_COLUMNS` as text: the same in Markdown, HTML and
    the terminal table."""
    return [
        v.prompt_version,
        v.prompt_sha256[:12],
        v.model or "–",
        str(v.documents),
        str(v.failures),
        str(v.total_tokens),
        _seconds_cell(v),
        fmt_iv(v.f1),
        fmt(v.macro_f1),
        fmt_principal(v.principal),
        fmt(v.grounding_precision),
        fmt(v.grounding_recall),
    ]


def not_extracted_notes(report: EvalReport) -> list[str]:
    """One sentence per version that does not ask for every field."""
    return [
        f"{v.prompt_version} does not ask for {', '.join(v.not_extracted)}: every gold value "
        "there counts as missed."
        for v in report.versions
        if v.not_extracted
    ]


NAME_NOT_KEPT = "from a tally (the predicted name is not kept)"
"""A tallied verdict's reason: the tally keeps right or wrong, never the name."""


def principal_notes(report: EvalReport) -> list[str]:
    """Per version with a principal-diagnosis score: where its labels came from and the
    documents it got wrong, with what it predicted and why that is wrong."""
    out = []
    for v in report.versions:
        p = v.principal
        if p is None:
            continue
        misses = [x for x in p.verdicts if not x.right]
        tallied = any(x.reason == NAME_NOT_KEPT for x in misses)
        wrong = [
            x.id
            if x.reason == NAME_NOT_KEPT
            else f"{x.id} ({'none' if x.predicted is None else repr(x.predicted)}: {x.reason})"
            for x in misses
        ]
        line = f"{v.prompt_version} principal diagnosis {fmt_principal(p)} (labels: {p.source})"
        if p.other_reading:
            line += f"; {p.other_reading} wrong ones name the other reading"
        if wrong:
            line += "; wrong: " + "; ".join(wrong)
        if tallied:
            line += " (wrong ones from a tally: the tally keeps right or wrong, not the name)"
        out.append(line)
    return out


SYSTEM_COLUMNS = ("system", "given", "calls", "wall s/doc", "leaking docs")


def system_cells(v: VersionSummary) -> list[str]:
    """One system's row of `SYSTEM_COLUMNS`: what it was given (`System.describe`), its
    wall-clock seconds per document in this run, and the leakage evaluator's count."""
    given = v.system.get("prompt", v.prompt_version)
    examples = v.system.get("examples")
    if examples is not None:
        given += f", {examples} example(s)"
    wall = v.wall_seconds_per_document
    leaks = "–" if v.leaks is None else f"{len(v.leaks)}/{v.documents}"
    return [
        v.prompt_version,
        str(given),
        str(v.system.get("calls", "–")),
        "–" if wall is None else f"{wall:.2f}",
        leaks,
    ]


def leak_notes(report: EvalReport) -> list[str]:
    """One sentence per system and leaking document: the example values it repeated."""
    return [
        f"{v.prompt_version} {doc}: {', '.join(values)}"
        for v in report.versions
        for doc, values in (v.leaks or {}).items()
    ]


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_md_row(header), _md_row(["---"] * len(header)), *(_md_row(r) for r in rows)]


def render_markdown(report: EvalReport) -> str:
    names = [v.prompt_version for v in report.versions]
    out = [f"# Evaluation: suite `{report.suite}`", ""]
    if report.description:
        out += [report.description, ""]
    b = report.bootstrap
    out += [
        f"Intervals: {b.confidence:.0%} paired bootstrap over documents "
        f"({b.samples} samples, seed {b.seed}); deltas are against `{names[0]}`.",
        "",
        "## Versions",
        "",
    ]
    out += _md_table(list(VERSION_COLUMNS), [version_cells(v) for v in report.versions])
    if any(v.seconds_source == "recorded" for v in report.versions):
        out += [
            "",
            "s/doc (rec.): the model calls' latency as measured when they were recorded, so a "
            "live run and its replay print the same figure; documents whose recordings carry "
            "no latency are left out (shown as n/N docs).",
        ]
    for note in not_extracted_notes(report):
        out += ["", note]
    for note in principal_notes(report):
        out += ["", note]
    if any(v.system or v.leaks is not None for v in report.versions):
        out += ["", "## Systems", ""]
        out += _md_table(list(SYSTEM_COLUMNS), [system_cells(v) for v in report.versions])
        out += [
            "",
            "Leaking docs: documents whose output holds a value of the given prompt's "
            "few-shot examples that the document does not contain (a system shown no "
            "examples measures chance agreement).",
        ]
        out += [f"- {n}" for n in leak_notes(report)]
    out += ["", "## Overall and per field (F1)", ""]
    header = ["field", "kind"] + names + [f"Δ {n}" for n in names[1:]]
    rows = [_field_cells(r) for r in [report.overall, report.document_mean, *report.fields]]
    out += _md_table(header, rows)
    if report.order:
        out += ["", "## Order (pairwise agreement)", "", ORDER_NOTE, ""]
        out += _md_table(
            ["list", *names, *[f"Δ {n}" for n in names[1:]]],
            [order_cells(r) for r in report.order],
        )
    out += ["", "## Got worse", ""]
    if len(report.documents) < MIN_DOCUMENTS_FOR_SIGNIFICANCE:
        out += [
            f"{len(report.documents)} documents: below {MIN_DOCUMENTS_FOR_SIGNIFICANCE}, no "
            'field is marked significant ("CI below 0" is "–"); a bootstrap over so few '
            "documents cannot support it.",
            "",
        ]
    if report.worse:
        out += _md_table(
            ["version", "what", "name", names[0], "now", "Δ", "CI below 0"],
            [
                [
                    w.version,
                    w.kind,
                    w.name,
                    fmt(w.baseline),
                    fmt(w.value),
                    f"{w.delta:+.3f}",
                    "–" if w.significant is None else ("yes" if w.significant else "no"),
                ]
                for w in report.worse
            ],
        )
    else:
        out.append("Nothing got worse.")
    out += ["", "## Documents (F1)", ""]
    out += _md_table(
        ["document", *names, *[f"Δ {n}" for n in names[1:]]],
        [
            [
                d.id,
                *[
                    f"{x:.3f}" + ("" if s == "ok" else f" ({s})")
                    for x, s in zip(d.f1, d.status, strict=True)
                ],
                *[f"{x:+.3f}" for x in d.delta[1:] if x is not None],
            ]
            for d in report.documents
        ],
    )
    return "\n".join(out) + "\n"


ORDER_NOTE = (
    "Order: of the pairs of gold items the gold orders (all pairs of a hand-gold list; "
    "MACCROBAT's BEFORE / AFTER pairs), those whose two items the system found are judged; "
    "the figure is the share of judged pairs it lists in the gold's order (n: judged pairs)."
)


def order_cells(r: OrderRow) -> list[str]:
    """One ordered list's row: the share per version (with its judged pairs), then deltas."""
    shares = [f"{fmt_iv(iv)} (n={n})" for iv, n in zip(r.share, r.pairs, strict=True)]
    return [f"{r.path} (order)", *shares, *[fmt_delta(d) for d in r.delta[1:]]]


def _field_cells(r: FieldRow) -> list[str]:
    return [r.path, r.kind, *[fmt_iv(iv) for iv in r.f1], *[fmt_delta(d) for d in r.delta[1:]]]


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;
max-width:80rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.worse{color:#b00020}.better{color:#1b7f3b}.muted{color:#777}
.grid{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;border:1px solid #eee;padding:.4rem}
figcaption{font-size:.8rem;font-family:monospace}
.legend span{display:inline-block;margin-right:1rem;font-size:.85rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
details{margin:.3rem 0}summary{cursor:pointer}
"""


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def bar_chart(row: FieldRow, names: list[str], *, width: int = 340) -> str:
    """An inline SVG: one bar per version (F1) with a whisker for its 95% interval."""
    label_w, right = 70, 46
    plot_w = width - label_w - right
    bar_h, gap, top = 14, 8, 6
    height = top + len(names) * (bar_h + gap) + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" data-field="{_e(row.path)}">',
        f"<title>{_e(row.path)}: F1 per version with 95% intervals</title>",
    ]
    for tick in (0.0, 0.5, 1.0):
        x = label_w + tick * plot_w
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{height - 14}" '
            'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 3}" font-size="9" text-anchor="middle" '
            f'fill="#777">{tick:g}</text>'
        )
    for i, (name, iv) in enumerate(zip(names, row.f1, strict=True)):
        y = top + i * (bar_h + gap)
        colour = PALETTE[i % len(PALETTE)]
        w = max(0.0, min(1.0, iv.estimate)) * plot_w
        lo = label_w + max(0.0, iv.low) * plot_w
        hi = label_w + min(1.0, iv.high) * plot_w
        mid = y + bar_h / 2
        parts += [
            f'<text x="{label_w - 4}" y="{mid + 3:.1f}" font-size="10" text-anchor="end">'
            f"{_e(name)}</text>",
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{colour}"><title>{_e(name)}: {fmt_iv(iv)}</title></rect>',
            f'<g class="whisker" stroke="#222" stroke-width="1.2">'
            f'<line x1="{lo:.1f}" y1="{mid:.1f}" x2="{hi:.1f}" y2="{mid:.1f}"/>'
            f'<line x1="{lo:.1f}" y1="{y + 3}" x2="{lo:.1f}" y2="{y + bar_h - 3}"/>'
            f'<line x1="{hi:.1f}" y1="{y + 3}" x2="{hi:.1f}" y2="{y + bar_h - 3}"/></g>',
            f'<text x="{width - right + 4}" y="{mid + 3:.1f}" font-size="10">'
            f"{iv.estimate:.3f}</text>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def _delta_cell(d: Interval | None) -> str:
    if d is None:
        return '<td class="num muted">–</td>'
    cls = "worse" if d.high < 0 else ("better" if d.low > 0 else "")
    return f'<td class="num {cls}">{_e(fmt_delta(d))}</td>'


def _table(header: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _systems_html(report: EvalReport) -> str:
    """The systems section (`system_cells`, `leak_notes`), when the run was of systems."""
    if not any(v.system or v.leaks is not None for v in report.versions):
        return ""
    rows = [
        "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in system_cells(v)) + "</tr>"
        for v in report.versions
    ]
    notes = "".join(f'<p class="muted">leak: {_e(n)}</p>' for n in leak_notes(report))
    return "<h2>Systems</h2>" + _table(list(SYSTEM_COLUMNS), rows) + notes


def render_html(report: EvalReport) -> str:
    names = [v.prompt_version for v in report.versions]
    b = report.bootstrap
    legend = "".join(
        f'<span><i class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></i>{_e(n)}</span>'
        for i, n in enumerate(names)
    )
    body = [
        f"<h1>Evaluation: suite {_e(report.suite)}</h1>",
        f"<p>{_e(report.description)}</p>" if report.description else "",
        f'<p class="muted">Bars: F1 per prompt version; whiskers: {b.confidence:.0%} paired '
        f"bootstrap interval over documents ({b.samples} samples, seed {b.seed}). Deltas are "
        f"against {_e(names[0])}; red when the whole interval is below zero.</p>",
        f'<p class="legend">{legend}</p>',
        "<h2>Versions</h2>",
        _versions_table(report),
        *(f'<p class="muted">{_e(note)}</p>' for note in not_extracted_notes(report)),
        _systems_html(report),
        "<h2>Overall</h2>",
        '<div class="grid">',
        *(
            f"<figure><figcaption>{_e(r.path)}</figcaption>{bar_chart(r, names)}</figure>"
            for r in (report.overall, report.document_mean)
        ),
        "</div>",
        "<h2>Per field</h2>",
        '<div class="grid">',
        *(
            f"<figure><figcaption>{_e(r.path)}</figcaption>{bar_chart(r, names)}</figure>"
            for r in report.fields
        ),
        "</div>",
        _fields_table(report, names),
        *(
            [
                "<h2>Order (pairwise agreement)</h2>",
                f'<p class="muted">{_e(ORDER_NOTE)}</p>',
                _table(
                    ["list", *names, *[f"Δ {n}" for n in names[1:]]],
                    [
                        "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in order_cells(r)) + "</tr>"
                        for r in report.order
                    ],
                ),
            ]
            if report.order
            else []
        ),
        "<h2>Got worse</h2>",
        _worse_table(report, names),
        "<h2>Documents</h2>",
        _documents_table(report, names),
        "<h2>Details</h2>",
        *_details(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        f"<title>Evaluation: {_e(report.suite)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _versions_table(report: EvalReport) -> str:
    rows = []
    for v in report.versions:
        version, sha, model, *numbers = (_e(c) for c in version_cells(v))
        nums = "".join(f"<td class='num'>{c}</td>" for c in numbers)
        rows.append(f"<tr><td>{version}</td><td><code>{sha}</code></td><td>{model}</td>{nums}</tr>")
    return _table(list(VERSION_COLUMNS), rows)


def _fields_table(report: EvalReport, names: list[str]) -> str:
    rows = []
    for r in [report.overall, report.document_mean, *report.fields]:
        cells = "".join(f"<td class='num'>{_e(fmt_iv(iv))}</td>" for iv in r.f1)
        deltas = "".join(_delta_cell(d) for d in r.delta[1:])
        rows.append(
            f"<tr><td><code>{_e(r.path)}</code></td><td>{_e(r.kind)}</td>{cells}{deltas}</tr>"
        )
    return _table(["field", "kind", *names, *[f"Δ {n}" for n in names[1:]]], rows)


def _worse_table(report: EvalReport, names: list[str]) -> str:
    if not report.worse:
        return "<p>Nothing got worse.</p>"
    rows = [
        f"<tr><td>{_e(w.version)}</td><td>{_e(w.kind)}</td><td><code>{_e(w.name)}</code></td>"
        f"<td class='num'>{fmt(w.baseline)}</td><td class='num'>{fmt(w.value)}</td>"
        f"<td class='num worse'>{w.delta:+.3f}</td>"
        f"<td>{'–' if w.significant is None else ('yes' if w.significant else 'no')}</td></tr>"
        for w in report.worse
    ]
    return _table(["version", "what", "name", names[0], "now", "Δ", "CI below 0"], rows)


def _status_note(status: str) -> str:
    return "" if status == "ok" else f" <span class='worse'>({_e(status)})</span>"


def _documents_table(report: EvalReport, names: list[str]) -> str:
    rows = []
    for d in report.documents:
        cells = "".join(
            f"<td class='num'>{x:.3f}{_status_note(s)}</td>"
            for x, s in zip(d.f1, d.status, strict=True)
        )
        deltas = "".join(
            f"<td class='num {'worse' if x < 0 else ''}'>{x:+.3f}</td>"
            for x in d.delta[1:]
            if x is not None
        )
        rows.append(f"<tr><td><code>{_e(d.id)}</code></td>{cells}{deltas}</tr>")
    return _table(["document", *names, *[f"Δ {n}" for n in names[1:]]], rows)


def _details(report: EvalReport) -> list[str]:
    out = []
    for v in report.versions:
        out.append(f"<h3>{_e(v.prompt_version)}</h3>")
        for d in v.report.documents:
            head = f"{d.id}: F1 {d.f1:.3f}, {len(d.errors)} error(s), {len(d.matches)} pair(s)"
            if d.status != "ok":
                head += f" — {d.status}: {d.error or ''}"
            errs = [
                f"<tr><td><code>{_e(e['path'])}</code></td><td>{_e(e['kind'])}</td>"
                f"<td>{_e(e['gold'])}</td><td>{_e(e['pred'])}</td></tr>"
                for e in d.errors[:MAX_ERRORS_SHOWN]
            ]
            pairs = [
                f"<tr><td><code>{_e(m['path'])}</code></td><td class='num'>{m['gold_index']}</td>"
                f"<td class='num'>{m['pred_index']}</td><td class='num'>{m['similarity']:.1f}</td>"
                f"<td>{_e(m['gold_key'])}</td><td>{_e(m['pred_key'])}</td></tr>"
                for m in d.matches
            ]
            out.append(
                f"<details><summary>{_e(head)}</summary>"
                + (_table(["path", "error", "gold", "prediction"], errs) if errs else "")
                + (
                    _table(
                        ["list", "gold #", "pred #", "similarity", "gold key", "pred key"], pairs
                    )
                    if pairs
                    else ""
                )
                + "</details>"
            )
    return out


def render_json(report: EvalReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def write_reports(report: EvalReport, out_dir: Path) -> list[Path]:
    """Write report.md, report.html and report.json into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "report.md": render_markdown(report),
        "report.html": render_html(report),
        "report.json": render_json(report),
    }
    paths = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
