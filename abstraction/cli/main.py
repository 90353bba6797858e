"""The command line: the one place where errors become messages and exit codes.

Under tests (``ABSTRACTION_DEBUG=1``) errors are re-raised so a failing test shows the cause.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from abstraction.core.errors import AbstractionError, ModelSetupError, UserError

app = typer.Typer(
    name="abstraction",
    help="Grounded extraction of clinical case reports into a validated schema; evaluation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)


def _register() -> None:
    from abstraction.cli import (
        brat,
        doctor,
        evaluate,
        export_cmd,
        extract,
        jobs,
        review,
        schema_cmd,
    )

    app.command("extract")(extract.extract)
    app.command("doctor")(doctor.doctor)
    app.command("schema")(schema_cmd.schema)
    app.command("validate")(schema_cmd.validate)
    app.add_typer(brat.app)
    app.add_typer(review.app, name="review")
    app.command("promote")(review.promote)
    app.command("export")(export_cmd.export)
    evaluate.register(app)
    app.add_typer(jobs.runs_app, name="runs")
    app.add_typer(jobs.batch_app, name="batch")


_register()


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except AbstractionError as exc:
        if os.environ.get("ABSTRACTION_DEBUG"):
            raise
        kind = "error" if isinstance(exc, UserError | ModelSetupError) else "model error"
        err.print(f"[bold red]{kind}:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except OSError as exc:  # a file or folder the system refused: say which, not a traceback
        if os.environ.get("ABSTRACTION_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] {escape(os_error_message(exc))}", highlight=False)
        sys.exit(2)


def os_error_message(exc: OSError) -> str:
    """``<path>: <reason>`` for an error the system gave on a file (twelfth session's audit:
    promote into a gold folder that cannot be written, validate on a symlink loop and export
    over a file printed Python tracebacks)."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason
