"""`abstraction schema` and `abstraction validate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from abstraction.core.jsonschema_export import json_schema_text, validate_file
from abstraction.core.schemas import DEFAULT_SCHEMA_REF
from abstraction.extraction.output import atomic_write_text

out = Console()


def schema(
    kind: Annotated[
        str, typer.Option(help="extraction (output files), gold, or record (the bare record).")
    ] = "extraction",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of stdout.")
    ] = None,
    record_schema: Annotated[
        str,
        typer.Option(
            "--schema", help="The record schema, package.module:ClassName (docs/schemas.md)."
        ),
    ] = DEFAULT_SCHEMA_REF,
) -> None:
    """Write the JSON Schema of output files (or gold files, or the bare record)."""
    if kind not in ("extraction", "gold", "record"):
        raise typer.BadParameter("kind must be extraction, gold or record")
    text = json_schema_text(kind, record_schema)  # type: ignore[arg-type]
    if out_file is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(out_file, text)
        out.print(f"wrote {out_file}")


def validate(
    files: Annotated[list[Path], typer.Argument(help="Extraction or gold JSON files.")],
) -> None:
    """Check JSON files against the schema; exits 1 if any is invalid."""
    bad = 0
    for f in files:
        problems = validate_file(f)
        if problems:
            bad += 1
            for p in problems:
                out.print(f"[red]✗[/] {p.file} {p.json_path}: {p.message}", highlight=False)
        else:
            out.print(f"[green]✓[/] {f}", highlight=False)
    out.print(f"{len(files) - bad} valid, {bad} invalid")
    if bad:
        raise typer.Exit(1)
