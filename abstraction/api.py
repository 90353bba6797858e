"""The library's front door: `extract`, `evaluate` and `load_gold`, re-exported as
``abstraction.extract`` and so on.

Each call resolves its configuration once, as the CLI does (argument, then environment, then
defaults: ``$OPENAI_BASE_URL``, ``$OPENAI_API_KEY``, ``$ABSTRACTION_MODEL``, the embedded
model), opens the model for the call and closes it again, and goes through the same pipeline
as ``abstraction extract`` and ``abstraction eval`` (`abstraction.extraction.pipeline`): a
long document is split for the model's context and merged.  For many documents, the cache and
the run log use ``abstraction extract`` (or `abstraction.jobs.runner.run_job`).

Like the rest of the library these return values and raise `abstraction.core.errors`
exceptions; a model that fails on a document gives a failed `Extraction`, not an exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from abstraction.client import ModelConfig, open_client, resolve_config
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import DEFAULT_PROMPT, PromptSpec, default_prompts_dir, load_prompt
from abstraction.core.records import Extraction, GoldRecord
from abstraction.evaluation.compare import EvalReport, compare
from abstraction.evaluation.files import read_gold, read_gold_dir
from abstraction.evaluation.runner import run_suite, version_input
from abstraction.evaluation.suite import load_suite
from abstraction.extraction.pipeline import chunk_settings
from abstraction.extraction.pipeline import extract as extract_parts
from abstraction.jobs.inputs import discover, load

__all__ = ["evaluate", "extract", "load_gold"]

Recording = Literal["off", "record", "replay"]


def model_config(
    model: str | ModelConfig | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    recordings: Path | None = None,
    recording: Recording = "off",
) -> ModelConfig:
    """`model` as a `ModelConfig`: 'local' (the embedded model), a model name at `base_url`,
    or a config already made (returned as is).  `recording` 'record' or 'replay' keeps or
    answers model exchanges in `recordings`."""
    if isinstance(model, ModelConfig):
        return model
    if recording != "off" and recordings is None:
        raise UserError(f"recording={recording!r} needs a recordings folder")
    return resolve_config(
        model=model,
        base_url=base_url,
        api_key=api_key,
        recording_dir=recordings if recording != "off" else None,
        recording_mode=recording,
    )


def _prompt(prompt: str | PromptSpec, prompts_dir: Path | None) -> PromptSpec:
    if isinstance(prompt, PromptSpec):
        return prompt
    return load_prompt(prompt, prompts_dir or default_prompts_dir())


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and len(text) < 4096 and Path(text).is_file()


def read_document(source: str | Path | Document) -> Document:
    """A `Document` from a file (text, Markdown, PDF, JATS XML) or from the text itself: a
    `Path`, or a one-line string naming an existing file, is read; any other string is the
    text (its id is ``text``)."""
    if isinstance(source, Document):
        return source
    if isinstance(source, str) and not _looks_like_path(source):
        if not source.strip():
            raise UserError("the text is empty")
        return Document(id="text", text=source)
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    found = discover([path])
    if len(found) != 1 or found[0].problem:
        why = found[0].problem if len(found) == 1 else f"{len(found)} documents"
        raise UserError(
            f"{path}: not one readable document ({why}); `abstraction extract` takes many"
        )
    return load(found[0])


def extract(
    source: str | Path | Document,
    *,
    prompt: str | PromptSpec = DEFAULT_PROMPT,
    model: str | ModelConfig | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prompts_dir: Path | None = None,
) -> Extraction:
    """Extract one case report (a file, or its text) into a grounded `Extraction`."""
    doc = read_document(source)
    spec = _prompt(prompt, prompts_dir)
    config = model_config(model, base_url=base_url, api_key=api_key)
    with open_client(config) as client:
        return extract_parts(doc, prompt=spec, client=client, chunking=chunk_settings(spec, config))


def evaluate(
    suite: str | Path,
    *,
    prompts: list[str | PromptSpec] | None = None,
    model: str | ModelConfig | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prompts_dir: Path | None = None,
    recording: Recording = "off",
) -> EvalReport:
    """Run prompt versions (default: the default prompt) over a suite (a name under
    ``eval/suites`` or the shipped suites, or a suite file) and compare them; `recording`
    'replay' answers from the suite's recordings, offline."""
    spec = load_suite(str(suite))
    versions = [_prompt(p, prompts_dir) for p in (prompts or [DEFAULT_PROMPT])]
    config = model_config(
        model,
        base_url=base_url,
        api_key=api_key,
        recordings=spec.recordings_dir,
        recording=recording,
    )
    with open_client(config) as client:
        runs = run_suite(spec, versions, client=client, model=config)
    return compare(
        spec.name,
        [version_input(r) for r in runs],
        description=spec.description,
        fields_in_scope=spec.fields,
    )


def load_gold(path: str | Path) -> GoldRecord | dict[str, GoldRecord]:
    """A gold file as a `GoldRecord`, or a folder of them keyed by document id."""
    path = Path(path)
    return read_gold_dir(path) if path.is_dir() else read_gold(path)
