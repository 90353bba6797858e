"""`abstraction extract`: case reports in, grounded and validated records out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from abstraction.client import ModelConfig, open_client, resolve_config
from abstraction.core.documents import Document, find_documents
from abstraction.core.errors import UserError
from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.core.records import Extraction
from abstraction.extraction import extract_document
from abstraction.extraction.output import write_extraction

out = Console()

DEFAULT_PROMPT = "v1"


def model_config_from_options(
    *,
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    structured: str | None,
    gguf: Path | None,
    record: Path | None = None,
    replay: Path | None = None,
) -> ModelConfig:
    if record and replay:
        raise UserError("--record and --replay exclude each other")
    mode = "record" if record else "replay" if replay else "off"
    return resolve_config(
        model=model,
        base_url=base_url,
        api_key=api_key,
        structured=structured,
        gguf_path=gguf,
        recording_dir=record or replay,
        recording_mode=mode,
    )


def _summary(results: list[Extraction], seconds: float) -> Table:
    t = Table(title=f"{len(results)} document(s) in {seconds:.1f} s")
    for col in (
        "document",
        "status",
        "facts",
        "exact",
        "fuzzy",
        "unsupported",
        "tokens in/out",
        "s",
    ):
        t.add_column(col, justify="left" if col in ("document", "status") else "right")
    for e in results:
        g, u = e.grounding, e.provenance.usage
        t.add_row(
            e.document.id,
            "[green]ok[/]"
            if e.status == "ok"
            else f"[red]failed[/] ({e.error.kind if e.error else '?'})",
            *(str(x) for x in ((g.facts, g.exact, g.fuzzy, g.unsupported) if g else ("-",) * 4)),
            f"{u.prompt_tokens}/{u.completion_tokens}",
            f"{e.provenance.timings['total']:.1f}",
        )
    return t


def extract(
    paths: Annotated[list[Path], typer.Argument(help="Text/Markdown files or folders of them.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder for <document-id>.json.")],
    prompt: Annotated[
        str, typer.Option(help="Prompt version (a file in prompts/).")
    ] = DEFAULT_PROMPT,
    model: Annotated[
        str | None, typer.Option(help="'local' (embedded model) or a model name at --base-url.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL).")
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="Default: $OPENAI_API_KEY.")] = None,
    structured: Annotated[
        str | None,
        typer.Option(
            help="auto, json_schema (OpenAI/vLLM), json_object_schema (llama.cpp), json_object."
        ),
    ] = None,
    gguf: Annotated[
        Path | None, typer.Option(help="Serve this GGUF file instead of the embedded model.")
    ] = None,
    prompts_dir: Annotated[Path | None, typer.Option(help="Folder of prompt files.")] = None,
    record: Annotated[
        Path | None, typer.Option(help="Record model HTTP exchanges into this folder.")
    ] = None,
    replay: Annotated[
        Path | None, typer.Option(help="Answer from recordings in this folder (offline).")
    ] = None,
) -> None:
    """Extract case reports into grounded records: DIR/<document-id>.json."""
    spec = load_prompt(prompt, prompts_dir or default_prompts_dir())
    files = find_documents(paths)
    if not files:
        raise UserError("no .txt or .md documents found in the given paths")
    docs = [Document.from_path(f) for f in files]
    config = model_config_from_options(
        model=model,
        base_url=base_url,
        api_key=api_key,
        structured=structured,
        gguf=gguf,
        record=record,
        replay=replay,
    )
    t0 = time.perf_counter()
    results = []
    with out.status("starting the model…"), open_client(config) as client:
        startup = client.describe().get("server_startup_seconds")
        if startup is not None:
            out.print(f"model server ready in {startup:.1f} s")
        for i, doc in enumerate(docs, 1):
            out.print(f"[{i}/{len(docs)}] {doc.id}")
            ext = extract_document(doc, prompt=spec, client=client)
            write_extraction(out_dir, ext)
            results.append(ext)
    out.print(_summary(results, time.perf_counter() - t0))
    out.print(f"prompt {spec.identity}, model {results[0].provenance.model}; outputs in {out_dir}")
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)
