"""CLI for jobs: ``abstraction runs list|show``, ``abstraction batch prepare|collect``, and the
progress bar and summary that ``abstraction extract`` shows around `run_job`.

Register in ``abstraction/cli/main.py``::

    from abstraction.cli import jobs
    app.add_typer(jobs.runs_app, name="runs")
    app.add_typer(jobs.batch_app, name="batch")
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from abstraction.cli.options import ModelOptions, with_model_options
from abstraction.client import ModelConfig
from abstraction.core.errors import AbstractionError, UserError
from abstraction.core.prompts import DEFAULT_PROMPT, PromptSpec
from abstraction.extraction.chunking import ChunkSettings
from abstraction.extraction.pipeline import chunk_settings
from abstraction.jobs.collect import batch_model, run_collect
from abstraction.jobs.inputs import InputLimits
from abstraction.jobs.prices import load_prices
from abstraction.jobs.runner import (
    JobOptions,
    JobSummary,
    ProgressCallback,
    ProgressUpdate,
    run_job,
)
from abstraction.jobs.store import STORE_NAME, RunStore, default_store_path
from abstraction.jobs.transport import RetryPolicy

console = Console()
err_console = Console(stderr=True)

runs_app = typer.Typer(
    help="Recorded extraction runs (the SQLite run store).", no_args_is_help=True
)
batch_app = typer.Typer(
    help="Offline batches: OpenAI Batch API and vllm run-batch files.", no_args_is_help=True
)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Run store file (default: OUT/runs.db, or $ABSTRACTION_RUNS_DB)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="A job's output folder: its run store is OUT/runs.db."),
]


def store_path(store: Path | None, out: Path | None) -> Path:
    """The run store to read: ``--store``, else ``--out``'s, else ``$ABSTRACTION_RUNS_DB``."""
    path = store or (out / STORE_NAME if out is not None else default_store_path())
    if path is None:
        raise UserError(
            "which run store? pass --out DIR (the job's output folder) or --store FILE "
            "(or set $ABSTRACTION_RUNS_DB)"
        )
    if not path.is_file():
        raise UserError(f"{path}: no run store there (a job writes one in its --out folder)")
    return path


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """The CLI is where errors become messages: our own errors exit 2 with their text."""
    try:
        yield
    except AbstractionError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.4f}"


# -- progress and summary for `abstraction extract` ----------------------------------------------


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- docs/s" if speed is None else f"{speed:.1f} docs/s", style="cyan")


@contextlib.contextmanager
def job_progress(*, total_hint: str = "documents") -> Iterator[ProgressCallback]:
    """A rich progress bar (count, rate, ETA, status counts, cost) fed by the runner's callback."""
    columns = (
        TextColumn("[bold]extract"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(total_hint, total=None, status="")

        def update(u: ProgressUpdate) -> None:
            status = f"ok {u.ok}  cached {u.cached}  failed {u.failed}"
            if u.skipped:
                status += f"  skipped {u.skipped}"
            status += f"  cost {_money(u.cost)}"
            progress.update(task, total=u.total, completed=u.done, status=status)

        yield update


def print_summary(summary: JobSummary) -> None:
    """What the job did, where its files are, and the failures with their reasons."""
    table = Table(title=f"run {summary.run_id}", show_header=False)
    # documents the job never reached (Ctrl-C): counted, so the rows add up to the total
    # (twelfth session's audit: "documents 6, ok 1" and nothing else)
    not_started = summary.total - len(summary.outcomes)
    for label, value in (
        ("documents", summary.total),
        ("ok", summary.count("ok")),
        ("cached", summary.count("cached")),
        ("failed", summary.count("failed")),
        ("skipped", summary.count("skipped")),
        *((("not started", not_started),) if not_started > 0 else ()),
        ("model calls", summary.calls),
        ("tokens in / out", f"{summary.prompt_tokens:,} / {summary.completion_tokens:,}"),
        ("cost", _money(summary.cost)),
        ("time", f"{summary.seconds:.1f} s"),
        ("outputs", str(summary.out_dir)),
        ("run store", str(summary.store_path)),
    ):
        table.add_row(label, str(value))
    console.print(table)
    failures = summary.failures
    for o in failures[:20]:
        console.print(f"[red]failed[/red] {escape(f'{o.id}: [{o.error_kind}] {o.error}')}")
    if len(failures) > 20:
        console.print(f"... and {len(failures) - 20} more: abstraction runs show {summary.run_id}")
    if summary.stopped == "budget":
        console.print(
            "[yellow]stopped: the --max-cost budget was reached; re-run to go on[/yellow]"
        )
    elif summary.stopped == "interrupted":
        console.print("[yellow]interrupted: re-run the same command to resume[/yellow]")
    elif summary.stopped == "failed":
        err_console.print(
            f"[red]error:[/red] the job stopped: {escape(summary.error or '')}", highlight=False
        )


def exit_code(summary: JobSummary) -> int:
    """0 when every document is done, 1 when some failed or were skipped, 2 when the job
    stopped on an error of its surroundings (a full disk), 130 on Ctrl-C."""
    if summary.stopped == "interrupted":
        return 130
    if summary.stopped == "failed":
        return 2
    return 1 if summary.failures or summary.count("skipped") else 0


def job_options(
    *,
    model_config: ModelConfig,
    prompt: PromptSpec,
    prices: Path | None = None,
    max_doc_bytes: int | None = None,
    max_part_chars: int | None = None,
    overlap: int = 1_000,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    log_bodies: bool = False,
    retries: int = 4,
) -> JobOptions:
    """`JobOptions` from CLI values; the part budget follows the model's context when local."""
    limits = InputLimits(max_text_bytes=max_doc_bytes) if max_doc_bytes else InputLimits()
    return JobOptions(
        cache_dir=cache_dir,
        limits=limits,
        chunking=chunk_settings(
            prompt, model_config, max_part_chars=max_part_chars, overlap=overlap
        ),
        prices=load_prices(prices),
        retry=RetryPolicy(max_attempts=retries + 1),
        log_bodies=log_bodies,
        use_cache=use_cache,
    )


def extract_job_summary(
    paths: list[Path],
    *,
    out_dir: Path,
    prompt: PromptSpec,
    model_config: ModelConfig,
    concurrency: int = 4,
    max_cost: float | None = None,
    store: Path | None = None,
    options: JobOptions | None = None,
) -> tuple[int, JobSummary]:
    """Run the job with a progress bar, print its summary; return the exit code and summary."""
    with job_progress() as progress:
        summary = run_job(
            [str(p) for p in paths],
            out_dir=out_dir,
            prompt=prompt,
            model_config=model_config,
            concurrency=concurrency,
            max_cost=max_cost,
            store_path=store,
            progress=progress,
            options=options or JobOptions(),
        )
    print_summary(summary)
    return exit_code(summary), summary


# -- runs ----------------------------------------------------------------------------------------


@runs_app.command("list")
def runs_list(
    out: OutOption = None,
    store: StoreOption = None,
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The most recent runs with their document counts and cost."""
    with user_errors(), RunStore(store_path(store, out)) as db:
        rows = db.list_runs(limit=limit)
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    if not rows:
        console.print("no runs recorded yet")
        return
    table = Table("run", "started", "status", "model", "prompt", "docs", "ok", "cached", "failed")
    for column in table.columns[:4]:
        column.overflow = "fold"
    table.add_column("cost", justify="right")
    for r in rows:
        table.add_row(
            r["id"],
            (r["started_at"] or "")[:19],
            r["status"],
            r["model"] or "",
            r["prompt_version"] or "",
            *(str(r[k] or 0) for k in ("documents", "ok", "cached", "failed")),
            _money(r["cost"]),
        )
    console.print(table)


@runs_app.command("show")
def runs_show(
    run: Annotated[str, typer.Argument(help="A run id, a unique prefix, or 'latest'.")] = "latest",
    out: OutOption = None,
    store: StoreOption = None,
    documents: Annotated[bool, typer.Option(help="List every document.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One run: settings, counts by status, tokens, cost, model calls, failures."""
    with user_errors(), RunStore(store_path(store, out)) as db:
        info = db.show_run(run)
        docs = db.documents(run) if documents else []
    if as_json:
        console.print_json(json.dumps({**info, "document_rows": docs}, default=str))
        return
    _show(info, docs)


def _show(info: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    table = Table(title=f"run {info['id']}", show_header=False)
    totals = info["totals"]
    for label in ("status", "started_at", "finished_at", "model", "endpoint", "prompt_version"):
        table.add_row(label, str(info.get(label)))
    table.add_row("out_dir", str(info.get("out_dir")))
    table.add_row("documents", ", ".join(f"{k} {v}" for k, v in sorted(info["by_status"].items())))
    table.add_row(
        "model calls", ", ".join(f"{k} {v}" for k, v in sorted(info["calls_by_status"].items()))
    )
    table.add_row(
        "tokens in / out",
        f"{totals['prompt_tokens'] or 0:,} / {totals['completion_tokens'] or 0:,}",
    )
    table.add_row("cost", _money(totals["cost"]))
    if info.get("note"):
        table.add_row("note", str(info["note"]))
    console.print(table)
    for f in info["failures"][:50]:
        console.print(f"[red]failed[/red] {f['doc_id']}: [{f['error_kind']}] {f['error']}")
    if docs:
        dt = Table("document", "status", "calls", "tokens", "cost", "seconds", "error")
        for d in docs:
            dt.add_row(
                d["doc_id"],
                d["status"],
                str(d["calls"]),
                str((d["prompt_tokens"] or 0) + (d["completion_tokens"] or 0)),
                _money(d["cost"]),
                f"{d['seconds'] or 0:.2f}",
                d["error"] or "",
            )
        console.print(dt)


# -- batch ---------------------------------------------------------------------------------------


@batch_app.command("prepare")
def batch_prepare(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders, globs or JSONL.")],
    out: Annotated[Path, typer.Option("--out", help="The request JSONL to write.")],
    model: Annotated[str, typer.Option(help="Model name as the batch endpoint knows it.")],
    prompt: Annotated[str, typer.Option(help="Prompt version.")] = DEFAULT_PROMPT,
    prompts_dir: Annotated[Path | None, typer.Option(help="Folder of prompt files.")] = None,
    structured: Annotated[
        str, typer.Option(help="json_schema (OpenAI, vLLM) or json_object.")
    ] = "json_schema",
    max_part_chars: Annotated[
        int, typer.Option(help="Characters of document per request; longer ones are split.")
    ] = 48_000,
    max_doc_bytes: Annotated[int | None, typer.Option(help="Refuse larger texts.")] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace an existing request file and its manifest.")
    ] = False,
) -> None:
    """Write an OpenAI Batch API / vllm run-batch request file (and its manifest)."""
    from abstraction.core.prompts import default_prompts_dir, load_prompt
    from abstraction.jobs.batch_prepare import prepare_batch

    with user_errors():
        spec = load_prompt(prompt, prompts_dir or default_prompts_dir())
        limits = InputLimits(max_text_bytes=max_doc_bytes) if max_doc_bytes else None
        done = prepare_batch(
            [str(p) for p in paths],
            out=out,
            prompt=spec,
            model=model,
            structured=structured,
            chunking=ChunkSettings(
                max_chars=max_part_chars, overlap=min(1000, max_part_chars // 4)
            ),
            limits=limits,
            overwrite=overwrite,
        )
    console.print(f"{done.lines} requests for {done.documents} documents: {done.requests}")
    console.print(f"manifest: {done.manifest}")
    for origin, problem in done.problems:
        console.print(f"[yellow]skipped[/yellow] {origin}: {problem}")
    console.print(
        "OpenAI: upload it (purpose=batch) and create a batch on /v1/chat/completions.\n"
        f"vLLM: python -m vllm.entrypoints.openai.run_batch -i {out} -o results.jsonl "
        f"--model {model}\n"
        f"Then: abstraction batch collect results.jsonl --requests {out} --out DIR"
    )


@batch_app.command("collect")
@with_model_options
def batch_collect(
    output: Annotated[Path, typer.Argument(help="The batch output JSONL (results).")],
    requests: Annotated[
        Path,
        typer.Option("--requests", help="The prepared request file; its manifest is beside it."),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for <document-id>.json.")],
    prompt: Annotated[
        str | None,
        typer.Option(help="Prompt version (default: the one the batch was prepared with)."),
    ] = None,
    prompts_dir: Annotated[Path | None, typer.Option(help="Folder of prompt files.")] = None,
    *,
    models: ModelOptions,
    reask: Annotated[bool, typer.Option(help="Re-ask failed or missing items live.")] = True,
    store: StoreOption = None,
    prices: Annotated[Path | None, typer.Option(help="Price table (TOML or JSON).")] = None,
) -> None:
    """Validate a batch's results, re-ask the failures live, write outputs, record the run.

    Live re-asks go to --model (default: the model the batch was prepared for)."""
    with user_errors():
        config = models.config(model=batch_model(requests))
        summary = run_collect(
            output,
            requests=requests,
            out_dir=out_dir,
            prompt=prompt,
            prompts_dir=prompts_dir,
            model_config=config,
            reask=reask,
            store_path=store,
            prices=prices,
        )
    print_summary(summary)
    for problem in summary.problems[:20]:
        console.print(f"[yellow]left out[/yellow] {escape(problem)}", highlight=False)
    if len(summary.problems) > 20:
        console.print(f"[yellow]and {len(summary.problems) - 20} more problems[/yellow]")
    raise typer.Exit(exit_code(summary))
