"""`abstraction export RUN --format csv|parquet|xlsx|jsonl`: a run folder as analysis tables.

Errors are raised as `UserError`; `abstraction.cli.main.run` turns them into messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from abstraction.cli.review import open_store
from abstraction.review.table_files import check_format, write_tables
from abstraction.review.tables import build_tables

console = Console()


def export(
    run: Annotated[Path, typer.Argument(help="Run folder of <doc-id>.json extraction files.")],
    out: Annotated[Path, typer.Option(help="Folder for the tables (created).")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="csv, parquet, xlsx or jsonl.")
    ] = "csv",
    reviewed_only: Annotated[bool, typer.Option(help="Only documents marked reviewed.")] = False,
    sources: Annotated[Path | None, typer.Option(help="Folder with the source texts.")] = None,
) -> None:
    """Write the run as tables: one row per document, one table per list of facts.

    Reviewed values where a review exists, the model's value beside each (docs/export.md).
    Parquet and Excel need the export extra: pip install 'abstraction[export]'.
    """
    check_format(fmt)
    store = open_store(run, sources=sources, gold=None)
    tables = build_tables(store, reviewed_only=reviewed_only)
    paths = write_tables(list(tables.values()), out, fmt=fmt)
    summary = RichTable("table", "rows")
    for table in tables.values():
        summary.add_row(table.name, str(len(table.rows)))
    console.print(summary)
    for path in paths:
        console.print(f"wrote {path}", highlight=False)
