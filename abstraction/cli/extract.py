"""`abstraction extract`: case reports in, grounded and validated records out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from abstraction.cli import jobs
from abstraction.cli.options import ModelOptions, with_model_options
from abstraction.core.prompts import DEFAULT_PROMPT, default_prompts_dir, load_prompt
from abstraction.core.schemas import load_extraction
from abstraction.jobs.outcomes import DocumentOutcome

out = Console()


def _grounding_table(out_dir: Path, outcomes: list[DocumentOutcome]) -> Table | None:
    """Per-document grounding counts: this run's status, tokens and seconds for each document,
    and the counts of the output it wrote or served from the cache.  A document that failed
    shows no counts (twelfth session's audit: the table read every file back, so an output
    that could not be replaced showed as this run's "ok", with its old tokens)."""
    t = Table(title="grounding of each document's facts")
    for col in (
        "document",
        "status",
        "facts",
        "exact",
        "fuzzy",
        "unsupported",
        "not stated",
        "tokens in/out",
        "s",
    ):
        t.add_column(col, justify="left" if col in ("document", "status") else "right")
    for o in outcomes:
        if o.status == "skipped":
            continue
        counts: tuple[object, ...] = ("-",) * 5
        path = out_dir / f"{o.id}.json"
        if o.status in ("ok", "cached") and path.is_file():
            e = load_extraction(path.read_bytes())
            if (g := e.grounding) is not None:
                counts = (g.facts, g.exact, g.fuzzy, g.unsupported, g.not_stated)
        status = o.status if o.status != "failed" else f"failed ({o.error_kind or '?'})"
        t.add_row(
            o.id,
            status,
            *(str(x) for x in counts),
            f"{o.prompt_tokens}/{o.completion_tokens}",
            f"{o.seconds:.1f}",
        )
    return t if t.row_count else None


@with_model_options
def extract(
    paths: Annotated[
        list[str], typer.Argument(help="Files (.txt .md .pdf .xml .jsonl), folders or globs.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder for <document-id>.json.")],
    prompt: Annotated[
        str, typer.Option(help="Prompt version (prompts/<v>.toml).")
    ] = DEFAULT_PROMPT,
    *,
    models: ModelOptions,
    slots: Annotated[
        int | None, typer.Option(min=1, help="Embedded server's parallel slots (default 1).")
    ] = None,
    prompts_dir: Annotated[Path | None, typer.Option(help="Folder of prompt files.")] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, help="Documents in flight (default: the embedded model's slots, else 4)."
        ),
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(min=0, help="Stop cleanly at this many USD.")
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            help="Run store (SQLite): default OUT/runs.db (the --out folder), "
            "or $ABSTRACTION_RUNS_DB."
        ),
    ] = None,
    log_bodies: Annotated[
        bool,
        typer.Option(
            "--log-bodies",
            help="Also store every model request and response body in the run store "
            "(so every document's full text); off by default.",
        ),
    ] = False,
    prices: Annotated[Path | None, typer.Option(help="Price table (TOML or JSON).")] = None,
    max_doc_bytes: Annotated[int | None, typer.Option(min=1, help="Refuse larger texts.")] = None,
    max_part_chars: Annotated[
        int | None, typer.Option(min=200, help="Split longer documents.")
    ] = None,
    overlap: Annotated[
        int, typer.Option(min=0, help="Characters shared by adjacent parts.")
    ] = 1_000,
    cache_dir: Annotated[Path | None, typer.Option(help="Content-addressed cache folder.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Call the model again.")] = False,
    retries: Annotated[
        int, typer.Option(min=0, help="HTTP retries per call (429/5xx/timeouts).")
    ] = 4,
) -> None:
    """Extract case reports into grounded records: DIR/<document-id>.json.

    A resumable job: finished documents are cached (a re-run makes no model calls), a failed
    document is written with its reason and the job goes on; exit code 1 if any failed.
    """
    spec = load_prompt(prompt, prompts_dir or default_prompts_dir())
    config = models.config(slots=slots)
    options = jobs.job_options(
        model_config=config,
        prompt=spec,
        prices=prices,
        max_doc_bytes=max_doc_bytes,
        max_part_chars=max_part_chars,
        overlap=overlap,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        log_bodies=log_bodies,
        retries=retries,
    )
    # Each slot of the embedded server runs one sequence: more documents than slots would only
    # queue there and evict each other's cached prompt prefix.
    concurrency = concurrency or (config.slots if config.is_local else 4)
    code, summary = jobs.extract_job_summary(
        [Path(p) for p in paths],
        out_dir=out_dir,
        prompt=spec,
        model_config=config,
        concurrency=concurrency,
        max_cost=max_cost,
        store=store,
        options=options,
    )
    table = _grounding_table(out_dir, summary.outcomes)
    if table is not None:
        out.print(table)
    out.print(f"prompt {spec.identity}")
    if left_out := spec.not_extracted():
        out.print(
            f"not extracted by this prompt (null or empty in every record): {', '.join(left_out)}"
            "; --prompt v1 asks for every field",
            style="dim",
            highlight=False,
        )
    raise typer.Exit(code)
