"""`abstraction import-brat`: brat-annotated case reports (MACCROBAT) -> partial gold files.

The corpus is read at run time from DIR, else ``$ABSTRACTION_MACCROBAT_DIR``, else
``../shared/datasets/maccrobat2020-dev`` next to the repository.  Its texts and anything made
from them (the gold written here) must stay out of the repository: write to a git-ignored
folder such as ``out/maccrobat-gold``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from abstraction.core.errors import UserError
from abstraction.evaluation.brat import (
    SOURCE_NOTE,
    Conversion,
    ImportStats,
    convert_document,
    import_stats,
)
from abstraction.evaluation.brat_ann import find_brat_documents, read_brat_document
from abstraction.evaluation.principal import PrincipalLabel, apply_label, read_labels
from abstraction.extraction.output import run_folder_mark, write_all

ENV_DIR = "ABSTRACTION_MACCROBAT_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ANNOTATOR = "MACCROBAT2020 annotators (brat), via abstraction import-brat"
IGNORED_OUTPUT_DIRS = ("out", "runs", "tmp")

app = typer.Typer()


def default_maccrobat_dir() -> Path:
    """``$ABSTRACTION_MACCROBAT_DIR``, else ``../shared/datasets/maccrobat2020-dev`` by the repo."""
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else REPO_ROOT.parent / "shared" / "datasets" / "maccrobat2020-dev"


def _committable(out: Path) -> bool:
    """True when `out` is inside the repository but outside its git-ignored output folders."""
    target = out.resolve()
    if not target.is_relative_to(REPO_ROOT) or not (REPO_ROOT / ".git").exists():
        return False
    return not any(target.is_relative_to(REPO_ROOT / d) for d in IGNORED_OUTPUT_DIRS)


def _convert_all(
    paths: list[Path], annotator: str, labels: dict[str, PrincipalLabel] | None = None
) -> tuple[list[Conversion], list[str], list[str]]:
    """Convert every document; with `labels`, mark each labelled one's principal diagnosis
    (a label whose text differs is refused: that document fails).  Returns the conversions,
    the failures and one note per labelled document."""
    conversions, failures, notes = [], [], []
    for path in paths:
        try:
            doc = read_brat_document(path)
            conv = convert_document(doc, annotator=annotator)
            label = (labels or {}).get(doc.id)
            if label is not None:
                gold, note = apply_label(conv.gold, label, doc.text)
                conv = dataclasses.replace(conv, gold=gold)
                notes.append(f"{doc.id}: {note}")
            conversions.append(conv)
        except UserError as exc:
            failures.append(f"{path.name}: {exc}")
    return conversions, failures, notes


def _stats_tables(stats: ImportStats) -> tuple[Table, Table]:
    facts = Table(title=f"Facts imported from {stats.documents} documents")
    facts.add_column("field")
    facts.add_column("facts", justify="right")
    facts.add_column("documents with any", justify="right")
    for path, count in stats.facts.items():
        facts.add_row(path, str(count), str(stats.documents_with.get(path, 0)))
    skipped = Table(title="Mentions not imported as separate facts")
    skipped.add_column("reason")
    skipped.add_column("mentions", justify="right")
    for reason, count in stats.skipped.items():
        skipped.add_row(reason, str(count))
    return facts, skipped


@app.command("import-brat")
def import_brat(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help=f"Folder of ID.txt + ID.ann files [default: ${ENV_DIR}, else "
            "../shared/datasets/maccrobat2020-dev]",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the gold files, e.g. out/maccrobat-gold.")
    ] = ...,  # type: ignore[assignment]
    annotator: Annotated[str, typer.Option(help="Recorded as the gold's annotator.")] = (
        DEFAULT_ANNOTATOR
    ),
    principal: Annotated[
        Path | None,
        typer.Option(
            help="Hand labels of each document's principal diagnosis (e.g. "
            "eval/labels/maccrobat-principal.json): the labelled diagnosis gets status "
            "'principal'.  Without it every asserted diagnosis stays 'secondary'."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every warning.")] = False,
) -> None:
    """Convert brat annotations (MACCROBAT style) into partial gold records, one per document."""
    console = Console()
    source = folder or default_maccrobat_dir()
    try:
        paths = find_brat_documents(source)
        labels = read_labels(principal).by_id() if principal else None
    except UserError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    conversions, failures, principal_notes = _convert_all(paths, annotator, labels)
    if _committable(out):
        console.print(f"[yellow]warning:[/yellow] {out} is inside the repository; never commit it")
    if (mark := run_folder_mark(out)) is not None:  # its outputs and reviews would go
        console.print(f"[red]error:[/red] {escape(str(out))} is a run folder (it has {mark})")
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    files = [
        (out / f"{c.gold.document_id}.json", (c.gold.model_dump_json(indent=2) + "\n").encode())
        for c in conversions
    ]
    # all or none, and a gold file it replaces (corrected by hand since the last import) is
    # kept in history/ (twelfth session's audit: a plain write replaced it)
    kept = [k for _, k in write_all(files) if k is not None]
    stats = import_stats(conversions)
    for table in _stats_tables(stats):
        console.print(table)
    warned = [f"{c.gold.document_id}: {w}" for c in conversions for w in c.warnings]
    console.print(f"{stats.warnings} warnings" + ("" if verbose else " (--verbose lists them)"))
    for line in warned if verbose else []:
        console.print(f"  {line}", markup=False)
    if labels is not None:
        added = sum("added" in n for n in principal_notes)
        console.print(
            f"Principal diagnosis from {principal}: {len(principal_notes)} of "
            f"{len(conversions)} documents labelled ({added} added, the rest matched an "
            "imported diagnosis)" + ("" if verbose else " (--verbose lists them)")
        )
        for line in principal_notes if verbose else []:
            console.print(f"  {line}", markup=False)
    for line in failures:
        console.print(f"[red]failed:[/red] {line}")
    if kept:
        console.print(
            f"{len(kept)} gold files differed from the import and were replaced; the earlier "
            f"ones are kept in {out / 'history'}"
        )
    console.print(
        f"Wrote {len(conversions)} gold files to {out} ({len(failures)} failed).\n{SOURCE_NOTE}"
    )
    if failures:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
