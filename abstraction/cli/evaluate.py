"""`abstraction score` and `abstraction eval`: the evaluation harness on the command line.

Register both on the main app with ``evaluate.register(app)``.  Errors propagate to the main
app's handler (a message and exit code 2); a failed baseline check exits 1.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from abstraction.cli.options import ModelOptions, with_model_options
from abstraction.client import ModelConfig
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import default_prompts_dir
from abstraction.core.records import GoldRecord
from abstraction.evaluation.baseline import check_baselines, write_baselines
from abstraction.evaluation.compare import EvalReport, VersionInput, compare
from abstraction.evaluation.files import gold_schema, read_gold_dir, score_dirs
from abstraction.evaluation.plan import scoring_schema
from abstraction.evaluation.principal import PrincipalScore, fmt_principal, measure_dirs
from abstraction.evaluation.report import (
    ORDER_NOTE,
    SYSTEM_COLUMNS,
    VERSION_COLUMNS,
    fmt,
    fmt_delta,
    fmt_iv,
    leak_notes,
    not_extracted_notes,
    order_cells,
    principal_notes,
    system_cells,
    version_cells,
    write_reports,
)
from abstraction.evaluation.results import ScoreReport
from abstraction.evaluation.runner import (
    VersionRun,
    load_suite_gold,
    run_systems,
    suite_schema,
    version_input,
)
from abstraction.evaluation.suite import Suite, load_suite
from abstraction.evaluation.systems import choose_system, make_system
from abstraction.evaluation.tally import (
    check_tally,
    read_tally,
    scorer_changed,
    scorer_sha256,
    tally_of,
    version_from_tally,
    write_tally,
)
from abstraction.extraction.extractor import Completer

# Tables are wide (a column per figure): when the output is a file or a pipe, do not squeeze
# them into 80 columns; on a terminal, rich fits them to the window.
console = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True)

RecordingMode = Literal["off", "record", "replay"]


def _f(x: float | None) -> str:
    return fmt(x)


def print_score(report: ScoreReport, *, details: bool = False) -> None:
    o = report.overall
    console.print(
        f"[bold]{len(report.documents)} document(s)[/bold]: micro P {o.precision:.3f} "
        f"R {o.recall:.3f} F1 [bold]{o.f1:.3f}[/bold]; macro F1 {o.macro_f1:.3f} over "
        f"{o.macro_fields} fields; grounding P {_f(o.grounding_precision)} "
        f"R {_f(o.grounding_recall)}",
        highlight=False,
    )
    table = Table(title="Per field", show_lines=False)
    for col in [
        "field",
        "kind",
        "tp",
        "fp",
        "fn",
        "tn",
        "P",
        "R",
        "F1",
        "halluc.",
        "omiss.",
        "ground. P",
        "ground. R",
        "order",
    ]:
        table.add_column(col, justify="left" if col in ("field", "kind") else "right")
    for path, f in report.fields.items():
        table.add_row(
            path,
            f.kind,
            str(f.tp),
            str(f.fp),
            str(f.fn),
            str(f.tn),
            _f(f.precision),
            _f(f.recall),
            _f(f.f1),
            _f(f.hallucination_rate),
            _f(f.omission_rate),
            _f(f.grounding_precision),
            _f(f.grounding_recall),
            _f(f.order_score),
        )
    console.print(table)
    for path, order in report.order.items():
        if path not in report.fields:  # only its order is scored (the gold's partial order)
            console.print(
                f"{path} order: {order.share:.3f} ({order.concordant} of {order.pairs} judged "
                "gold-ordered pairs in the gold's order)",
                highlight=False,
            )
    bad = [d for d in report.documents if d.status != "ok"]
    for d in bad:
        console.print(f"[red]{d.id}: {d.status}[/red] ({d.error}) scored 0", highlight=False)
    if report.unmatched_predictions:
        console.print(
            f"[yellow]not scored (no gold):[/yellow] {', '.join(report.unmatched_predictions)}"
        )
    if details:
        for d in report.documents:
            console.print(f"[bold]{d.id}[/bold] F1 {d.f1:.3f}", highlight=False)
            for e in d.errors:
                console.print(
                    f"  {e['kind']:13} {e['path']}: gold={e['gold']!r} pred={e['pred']!r}",
                    highlight=False,
                    markup=False,
                )


def score(
    pred_dir: Annotated[Path, typer.Argument(help="Folder of <document-id>.json extractions.")],
    gold_dir: Annotated[Path, typer.Argument(help="Folder of <document-id>.json gold records.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full score report (JSON) here.")
    ] = None,
    details: Annotated[bool, typer.Option(help="Print every error per document.")] = False,
    allow_hash_mismatch: Annotated[
        bool,
        typer.Option(help="Score a prediction made from another text than its gold (warns)."),
    ] = False,
    principal: Annotated[
        Path | None,
        typer.Option(
            help="Principal-diagnosis labels (e.g. eval/labels/maccrobat-principal.json); "
            "default: the gold records' own principal diagnoses, where they have one."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Scoring processes (default: every CPU this process may use)."),
    ] = None,
) -> None:
    """Score existing extractions against gold, per field and per document.

    PRED_DIR may hold a second annotator's gold records: the report is then their agreement
    with GOLD_DIR (F1 per field, and Cohen's kappa for categorical fields)."""
    golds = read_gold_dir(gold_dir)
    with scoring_schema(gold_schema(golds.values(), gold_dir).model):
        _score(pred_dir, gold_dir, json_out, details, allow_hash_mismatch, principal, workers)


def _score(
    pred_dir: Path,
    gold_dir: Path,
    json_out: Path | None,
    details: bool,
    allow_hash_mismatch: bool,
    principal: Path | None,
    workers: int | None = None,
) -> None:
    """`score` inside the gold's schema."""
    from abstraction.evaluation.agreement import agreement_dirs

    report = score_dirs(
        pred_dir, gold_dir, allow_hash_mismatch=allow_hash_mismatch, workers=workers
    )
    print_score(report, details=details)
    _print_principal(measure_dirs(pred_dir, gold_dir, principal))
    for w in report.warnings:
        console.print(f"[yellow]warning[/yellow] another text than the gold: {w}", markup=True)
    rows = agreement_dirs(pred_dir, gold_dir)
    if rows is not None:
        table = Table(title="Agreement between the two annotators")
        for col in ("field", "F1", "kappa", "slots"):
            table.add_column(col)
        for r in rows:
            kappa = "–" if r.kappa is None else f"{r.kappa:.3f}"
            f1 = "–" if r.f1 is None else f"{r.f1:.3f}"
            table.add_row(r.path, f1, kappa, str(r.pairs) if r.pairs else "")
        console.print(table)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")


def _print_principal(p: PrincipalScore) -> None:
    if not p.documents:
        return
    console.print(
        f"principal diagnosis: {fmt_principal(p)} right (labels: {p.source})", highlight=False
    )
    for v in p.verdicts:
        if not v.right:
            pred = "none" if v.predicted is None else repr(v.predicted)
            console.print(f"  {v.id}: {pred}: {v.reason}", highlight=False, markup=False)


def _model_config(
    model: str | None,
    base_url: str | None,
    mode: RecordingMode,
    suite: Suite,
    *,
    models: ModelOptions,
) -> ModelConfig:
    """Resolved like `abstraction extract` (flag, environment, defaults); the recordings
    folder defaults to the suite's.  (`model`, `base_url` and `mode` are in `models`; they are
    named for tests that stand in for this function.)"""
    return models.config(recordings=suite.recordings_dir)


def _open_client(config: ModelConfig) -> AbstractContextManager[Completer]:
    from abstraction.client import open_client

    return open_client(config)


def print_eval(report: EvalReport) -> None:
    names = [v.prompt_version for v in report.versions]
    vt = Table(title=f"Suite {report.suite}: versions")
    shown = len(VERSION_COLUMNS) - 2  # the terminal leaves out grounding P/R to stay narrow
    for col in VERSION_COLUMNS[:shown]:
        vt.add_column(col)
    for v in report.versions:
        vt.add_row(*version_cells(v)[:shown])
    console.print(vt)
    for note in not_extracted_notes(report):
        console.print(note, style="dim", highlight=False)
    for note in principal_notes(report):
        console.print(note, highlight=False, markup=False)
    if any(v.system.get("system", "ours") != "ours" for v in report.versions):
        # with peers only: wall seconds differ from run to run, and prompt runs stay as before
        st = Table(title="Systems: what each was given, wall-clock s/doc, few-shot leakage")
        for col in SYSTEM_COLUMNS:
            st.add_column(col)
        for v in report.versions:
            st.add_row(*system_cells(v))
        console.print(st)
        for note in leak_notes(report):
            console.print(f"[yellow]leak[/yellow] {note}", highlight=False)
    ft = Table(title=f"F1 per field (Δ vs {names[0]}, {report.bootstrap.confidence:.0%} CI)")
    for col in ["field", *names, *[f"Δ {n}" for n in names[1:]]]:
        ft.add_column(col)
    for r in [report.overall, report.document_mean, *report.fields]:
        deltas = []
        for d in r.delta[1:]:
            text = fmt_delta(d)
            deltas.append(f"[red]{text}[/red]" if d and d.high < 0 else text)
        ft.add_row(r.path, *[fmt_iv(iv) for iv in r.f1], *deltas)
    console.print(ft)
    if report.order:
        ot = Table(title=f"Order: pairwise agreement (Δ vs {names[0]})")
        for col in ["list", *names, *[f"Δ {n}" for n in names[1:]]]:
            ot.add_column(col)
        for o in report.order:
            ot.add_row(*order_cells(o))
        console.print(ot)
        console.print(ORDER_NOTE, highlight=False)
    for w in report.worse:
        mark = " (CI below 0)" if w.significant else ""
        console.print(
            f"[yellow]worse[/yellow] {w.version} {w.kind} {w.name}: {w.baseline:.3f} -> "
            f"{w.value:.3f} ({w.delta:+.3f}){mark}",
            highlight=False,
        )


@with_model_options
def eval_suite(
    suite: Annotated[str, typer.Argument(help="Suite name (eval/suites/NAME.toml) or path.")],
    prompt: Annotated[
        list[str] | None,
        typer.Option("--prompt", "-p", help="Prompt version (ours:VERSION); repeat to compare."),
    ] = None,
    system: Annotated[
        list[str] | None,
        typer.Option(
            "--system",
            "-s",
            help="System: ours:VERSION, instructor[:VERSION] (one call with that prompt's "
            "text), langextract[:VERSION] (LangExtract given that prompt's text and kinds; the "
            "'peers' extra); repeat to compare.  Runs after the --prompt versions.",
        ),
    ] = None,
    *,
    models: ModelOptions,
    report_dir: Annotated[
        Path | None, typer.Option("--report", help="Write report.{md,html,json} here.")
    ] = None,
    check_baseline: Annotated[
        bool, typer.Option(help="Fail when a field's F1 drops below the committed baseline.")
    ] = False,
    tolerance: Annotated[float, typer.Option(help="Allowed F1 drop for --check-baseline.")] = 0.02,
    update_baseline: Annotated[
        bool, typer.Option(help="Write this run's figures as the committed baselines.")
    ] = False,
    prompts_dir: Annotated[Path | None, typer.Option(help="Folder of prompt files.")] = None,
    tally_dir: Annotated[
        Path | None,
        typer.Option(
            "--tally",
            help="Also write each system's tally (scores as numbers, no text) to "
            "DIR/<suite>/<system>.json, to combine with later runs (--from-tally).",
        ),
    ] = None,
    from_tally: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-tally",
            help="Add a system from its tally file, scored by this scorer on this suite's "
            "documents and gold (checked); repeat.  Comes after the systems run here.",
        ),
    ] = None,
) -> None:
    """Run systems (prompt versions of ours, peers) over a suite, score them against gold,
    and compare side by side.

    Recordings replay only the requests they were made from: a baseline names the engine its
    recordings came from (``engine`` in its file); pass the same --engine to replay it."""
    if models.replay and models.record:
        raise UserError("--replay and --record exclude each other")
    mode: RecordingMode = "replay" if models.replay else ("record" if models.record else "off")
    spec = load_suite(suite)
    pdir = prompts_dir or spec.prompts_dir or default_prompts_dir()
    names = [f"ours:{v}" for v in prompt or []] + list(system or [])
    if not names and not from_tally:
        raise UserError("give at least one --prompt version, --system or --from-tally")
    choices = [choose_system(n, pdir) for n in names]
    outputs = _Outputs(report_dir, tally_dir, list(from_tally or []))
    with scoring_schema(suite_schema(spec).model):
        _eval(spec, choices, mode, models, outputs, check_baseline, tolerance, update_baseline)


@dataclass
class _Outputs:
    """Where `eval` writes, and the tallies it adds."""

    report_dir: Path | None
    tally_dir: Path | None
    from_tally: list[Path]


def _tallied(
    spec: Suite, documents: list[tuple[Document, GoldRecord]], paths: list[Path]
) -> list[VersionInput]:
    """The systems of `paths`' tallies, each checked against this suite and scorer."""
    out = []
    for path in paths:
        tally = read_tally(path)
        check_tally(
            tally,
            spec.name,
            documents,
            spec.fields,
            labels=spec.principal_labels,
            where=str(path),
        )
        out.append(version_from_tally(tally))
    return out


def _once(names: list[str]) -> None:
    """Refuse a system named twice (run here or tallied) before any model time is spent."""
    if len(set(names)) != len(names):
        raise UserError(f"each system once, please (got {', '.join(names)})")


def _eval(
    spec: Suite,
    choices: list[Any],
    mode: RecordingMode,
    models: ModelOptions,
    outputs: _Outputs,
    check_baseline: bool,
    tolerance: float,
    update_baseline: bool,
) -> None:
    """`eval_suite` once the suite and systems are known (inside the suite's schema)."""
    scorer_sha256()  # the instrument as loaded: a tally must not name files edited mid-run
    # the documents and gold the run scores (it reads them now), for its tallies to name
    documents = load_suite_gold(spec)
    tallied = _tallied(spec, documents, outputs.from_tally)  # before any model time is spent
    _once([v.prompt_version for v in tallied])
    config = _model_config(models.model, models.base_url, mode, spec, models=models)
    runs: list[VersionRun] = []
    if choices:
        with _open_client(config) as client:
            systems = [make_system(c, client=client, model=config) for c in choices]
            _once([s.name for s in systems] + [v.prompt_version for v in tallied])
            runs = run_systems(
                spec,
                systems,
                client=client,
                progress=lambda v, d: err.print(f"[dim]{v}: {d}[/dim]", highlight=False),
                documents=documents,
            )
    versions = [version_input(r) for r in runs] + tallied
    report = compare(spec.name, versions, description=spec.description, fields_in_scope=spec.fields)
    print_eval(report)
    useless = _print_failures(runs)
    if outputs.report_dir:
        for path in write_reports(report, outputs.report_dir):
            console.print(f"wrote {path}")
        _write_extractions(runs, outputs.report_dir / "extractions")
    if update_baseline:
        engine_used = config.engine if config.is_local else None
        ran = [r.label for r in runs]  # a tallied system's engine is not this run's: not written
        for path in write_baselines(report, spec.baselines_dir, engine=engine_used, only=ran):
            console.print(f"wrote baseline {path}")
    if outputs.tally_dir and runs:
        _write_tallies(spec, runs, documents, outputs.tally_dir)
    if check_baseline:
        _gate(report, spec, tolerance)
    if useless:
        err.print(
            f"[bold red]error:[/] every document failed for {', '.join(useless)}: "
            "its scores are those of an empty record",
            highlight=False,
        )
        raise typer.Exit(1)


def _print_failures(runs: list[VersionRun], shown: int = 5) -> list[str]:
    """Print each system's failed documents with their reasons (twelfth session's audit: an
    eval whose every extraction failed printed a table of zeros, no reason, and exit 0).
    Returns the systems that failed on every document."""
    useless = []
    for run in runs:
        failed = [(d, e) for d, e in run.extractions.items() if e.status != "ok"]
        if not failed:
            continue
        if len(failed) == len(run.extractions):
            useless.append(run.label)
        err.print(
            f"[yellow]{run.label}: {len(failed)} of {len(run.extractions)} documents failed "
            "(scored as empty records)[/yellow]",
            highlight=False,
        )
        for doc_id, ext in failed[:shown]:
            why = f"{ext.error.kind}: {ext.error.message}" if ext.error else ext.status
            err.print(f"  {doc_id}: {escape(why[:300])}", highlight=False)
        if len(failed) > shown:
            err.print(f"  ... and {len(failed) - shown} more", highlight=False)
    return useless


def _write_tallies(
    spec: Suite,
    runs: list[VersionRun],
    documents: list[tuple[Document, GoldRecord]],
    folder: Path,
) -> None:
    """Each run's tally; refused when the scorer changed on disk during the run."""
    if scorer_changed():
        raise UserError(
            "the scorer changed during this run (its files, libraries or schema): its counts "
            "are not those of one scorer, so no tally is written; run again"
        )
    for run in runs:
        tally = tally_of(run, spec.name, documents, spec.fields, labels=spec.principal_labels)
        console.print(f"wrote tally {write_tally(tally, folder)}")


def _write_extractions(runs: list[VersionRun], out: Path) -> None:
    for run in runs:
        folder = out / run.label
        folder.mkdir(parents=True, exist_ok=True)
        for doc_id, ext in run.extractions.items():
            (folder / f"{doc_id}.json").write_text(ext.model_dump_json(indent=2) + "\n")


def _gate(report: EvalReport, spec: Suite, tolerance: float) -> None:
    regressions, notes = check_baselines(report, spec.baselines_dir, tolerance=tolerance)
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    if regressions:
        for r in regressions:
            console.print(
                f"[red]regression[/red] {r.prompt_version} {r.field}: {r.baseline:.3f} -> "
                f"{r.current:.3f} (-{r.drop:.3f} > {tolerance})",
                highlight=False,
            )
        raise typer.Exit(1)
    console.print(f"[green]baseline check passed[/green] (tolerance {tolerance})")


def register(app: typer.Typer) -> None:
    """Add `score` and `eval` to the main app."""
    app.command("score")(score)
    app.command("eval")(eval_suite)
