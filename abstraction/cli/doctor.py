"""`abstraction doctor`: what the embedded model needs, checked one by one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from abstraction.cli.options import EngineOption
from abstraction.client.config import resolve_config
from abstraction.client.doctor import run_checks

out = Console()


def doctor(
    engine: EngineOption = None,
    llama_server: Annotated[
        Path | None, typer.Option(help="Check this llama.cpp llama-server binary instead.")
    ] = None,
    gguf: Annotated[
        Path | None, typer.Option(help="Check this GGUF instead of the default.")
    ] = None,
    scan: Annotated[
        bool, typer.Option(help="Disassemble the engine to check it runs on any AVX2 CPU.")
    ] = True,
    smoke: Annotated[bool, typer.Option(help="Start the server and time a one-token call.")] = True,
) -> None:
    """Check the CPU, the engine, its portability, the model file and a one-token call.

    Exits 1 if any check fails; each failure says what to do."""
    config = resolve_config(engine=engine, llama_server=llama_server)
    failed = 0
    for check in run_checks(
        config.engine, llama_server=config.llama_server, gguf=gguf, scan=scan, smoke=smoke
    ):
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        out.print(f"{mark} [bold]{check.name}[/bold]: {escape(check.detail)}", highlight=False)
        failed += not check.ok
    if failed:
        out.print(f"[red]{failed} problem(s)[/red]")
        raise typer.Exit(1)
    out.print("[green]no problems found[/green]")
