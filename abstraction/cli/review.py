"""`abstraction review PATH`, `abstraction review export|carry|assign|agreement`, and
`abstraction promote`.

Errors are raised as `UserError`; `abstraction.cli.main.run` turns them into messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from abstraction.core.errors import UserError
from abstraction.review.app import bind, create_app, new_token, serve
from abstraction.review.dual import assign, identity, reviewer_store, run_agreement
from abstraction.review.export import export_run
from abstraction.review.export import promote as promote_records
from abstraction.review.index import RunIndex
from abstraction.review.reconcile import promote_reconciled
from abstraction.review.store import RunStore, carry_reviews

console = Console()


class _ServeByDefault(TyperGroup):
    """``review PATH`` means ``review serve PATH``; ``review export ...`` is a subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors its click
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ServeByDefault,
    no_args_is_help=True,
    help="Review and correct extraction records in a local web app. "
    "`abstraction review RUN` serves the run folder RUN (same as `review serve RUN`).",
)


def open_store(path: Path, *, sources: Path | None, gold: Path | None) -> RunStore:
    """A run folder, or a single extraction file (reviewed alone, its folder as the run)."""
    if path.is_file():
        if path.suffix != ".json":
            raise UserError(f"{path}: give a run folder or an extraction .json file")
        return RunStore(path.parent, sources=sources, gold=gold, only=frozenset({path.stem}))
    if not path.is_dir():
        raise UserError(f"{path}: no such folder")
    if gold is None and Path("gold").is_dir():
        gold = Path("gold")
    return RunStore(path, sources=sources, gold=gold)


@app.command("serve")
def serve_cmd(
    path: Annotated[Path, typer.Argument(help="Run folder of <doc-id>.json extraction files.")],
    sources: Annotated[
        Path | None, typer.Option(help="Folder with the source texts (default: recorded paths).")
    ] = None,
    gold: Annotated[
        Path | None, typer.Option(help="Gold folder for the diff view (default: ./gold).")
    ] = None,
    host: Annotated[str, typer.Option(help="Loopback address to bind (127.x only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8765,
    reviewer: Annotated[str | None, typer.Option(help="Pre-fill the reviewer name.")] = None,
    as_: Annotated[
        str | None,
        typer.Option("--as", help="Dual review: act as this assigned reviewer (or adjudicator)."),
    ] = None,
    adjudicate: Annotated[
        bool, typer.Option(help="Dual review: settle the reviewers' disagreements (needs --as).")
    ] = False,
) -> None:
    """Start the review app for PATH on loopback and print its address.

    The address carries a fresh session token; without it other local users get a 403.
    In a dual review (`review assign`), `--as NAME` serves NAME's own reviews, blind to the
    others' until NAME submits; `--adjudicate --as NAME` serves the reconciliation.
    """
    store = open_store(path, sources=sources, gold=gold)
    if adjudicate and as_ is None:
        raise UserError("--adjudicate needs --as NAME (who settles, recorded with each decision)")
    who = identity(store.root, as_, adjudicate=adjudicate) if as_ is not None else None
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    hosts = ("127.0.0.1", "localhost", bound_host)
    index = RunIndex(reviewer_store(store, who.name) if who and who.role == "reviewer" else store)
    console.print(f"Reviewing {len(index.rows())} document(s) in {store.root}")
    if who is not None:
        console.print(f"Acting as {who.role} {who.name}")
    token = new_token()
    web = create_app(
        store, token=token, hosts=hosts, default_reviewer=reviewer, index=index, who=who
    )
    console.print(
        f"Open http://{bound_host}:{bound_port}/{token}/  (Ctrl-C to stop)",
        soft_wrap=True,
        highlight=False,
    )
    serve(web, sock)


@app.command("export")
def export_cmd(
    run: Annotated[Path, typer.Argument(help="Run folder.")],
    out: Annotated[Path, typer.Option(help="Folder for the corrected files.")],
    reviewed_only: Annotated[
        bool, typer.Option(help="Export only documents marked reviewed.")
    ] = False,
    sources: Annotated[Path | None, typer.Option(help="Folder with the source texts.")] = None,
) -> None:
    """Write the corrected extraction files (validated) and their edit logs to OUT."""
    store = open_store(run, sources=sources, gold=None)
    written, skipped = export_run(store, out, reviewed_only=reviewed_only)
    table = Table("document", "status", "edits", "open conflicts")
    for w in written:
        table.add_row(w.doc_id, w.doc_status.replace("_", " "), str(w.edits), str(w.conflicts))
    console.print(table)
    for line in skipped:
        console.print(f"[yellow]skipped[/yellow] {line}")
    console.print(f"Wrote {len(written)} corrected file(s) to {out}")


@app.command("carry")
def carry_cmd(
    old_run: Annotated[Path, typer.Argument(help="Run folder holding the reviews.")],
    new_run: Annotated[Path, typer.Argument(help="Run folder of the re-extraction.")],
    force: Annotated[bool, typer.Option(help="Replace reviews already in NEW_RUN.")] = False,
) -> None:
    """Carry reviews to a re-extraction of the same documents and report what re-applies."""
    rows, kept = carry_reviews(RunStore(old_run), RunStore(new_run), force=force)
    table = Table("document", "edits", "re-applied", "conflicts")
    for doc_id, total, applied, conflicts in rows:
        table.add_row(doc_id, str(total), str(applied), str(conflicts))
    console.print(table)
    for path in kept:
        console.print(f"replaced a file of {new_run}; the earlier one is kept as {path}")
    console.print("Open the new run with `abstraction review` to see and settle the conflicts.")


@app.command("assign")
def assign_cmd(
    run: Annotated[Path, typer.Argument(help="Run folder.")],
    reviewers: Annotated[list[str], typer.Argument(help="Two or more reviewer names.")],
) -> None:
    """Make RUN a dual review: name its reviewers (each then runs `review RUN --as NAME`)."""
    protocol = assign(run, reviewers)
    console.print(f"Reviewers of {run}: {', '.join(protocol.reviewers)}")


@app.command("agreement")
def agreement_cmd(
    run: Annotated[Path, typer.Argument(help="Run folder of a dual review.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    sources: Annotated[Path | None, typer.Option(help="Folder with the source texts.")] = None,
) -> None:
    """Per-field agreement of each pair of reviewers (F1; Cohen's kappa for categorical
    fields) over the documents both submitted."""
    store = open_store(run, sources=sources, gold=None)
    pairs = run_agreement(store)
    if json_out:
        typer.echo(json.dumps([p.model_dump(mode="json") for p in pairs], indent=2))
        return
    for p in pairs:
        table = Table(
            "field",
            "F1",
            "kappa",
            "slots",
            title=f"{p.first} vs {p.second}: {len(p.documents)} document(s) both submitted",
        )
        for r in p.fields:
            kappa = "–" if r.kappa is None else f"{r.kappa:.3f}"
            f1 = "–" if r.f1 is None else f"{r.f1:.3f}"
            table.add_row(r.path, f1, kappa, str(r.pairs) if r.pairs else "")
        console.print(table)


def promote(
    run: Annotated[Path, typer.Argument(help="Run folder.")],
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids to promote.")],
    gold_dir: Annotated[Path, typer.Option(help="Gold folder.")] = Path("gold"),
    force: Annotated[bool, typer.Option(help="Replace existing gold files.")] = False,
    sources: Annotated[Path | None, typer.Option(help="Folder with the source texts.")] = None,
    reconciled: Annotated[
        bool, typer.Option(help="Dual review: promote the adjudicated (settled) records.")
    ] = False,
) -> None:
    """Copy reviewed records into the gold folder as gold records (validated; all or nothing).

    With --reconciled, the records the adjudicator settled in a dual review."""
    store = open_store(run, sources=sources, gold=None)
    write = promote_reconciled if reconciled else promote_records
    for path, kept in write(store, doc_ids, gold_dir, force=force):
        console.print(
            f"wrote {path}" + (f" (the gold it replaced is kept as {kept})" if kept else "")
        )


__all__ = ["app", "promote"]
