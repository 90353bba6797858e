"""Evaluation suites: which documents, which gold, which fields.

A suite is a small TOML file, ``eval/suites/<name>.toml``::

    description = "The seed and the hand-written case reports"
    documents = ["../../seeds/*.txt"]     # files or globs, relative to this file
    gold = "../../gold"                   # <document-id>.json per document
    fields = ["patient", "treatments"]    # optional: paths in scope (default: all)
    recordings = "../recordings"          # optional: where --record/--replay keep responses
    baselines = "../baselines"            # optional: <baselines>/<suite>/<prompt>.json
    principal = "../labels/x.json"        # optional: principal-diagnosis labels (see below)
    prompts = "prompts"                   # optional: the prompt folder (default: --prompts-dir,
                                          # else the usual prompts folder)

``principal`` names a hand-labels file (`abstraction.evaluation.principal`): `abstraction eval`
then reports, per system, how many documents' principal diagnosis is right.  Without it the
gold records' own principal diagnoses are the labels, where they have one.

The suite's schema is its gold's: gold files of a schema other than `CaseReport` name it (their
``schema`` key, docs/schemas.md), and every prompt run over the suite must fill that schema.

The suite's name is its file name.  Relative paths are resolved against the suite file, so a
suite works from any working directory.  A name is looked up in ``./eval/suites``, then among the
suites the package ships (``smoke`` and ``core``, with their documents, gold, baselines and
recordings: `abstraction.core.bundled`).
"""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from abstraction.core.bundled import data_root
from abstraction.core.errors import UserError
from abstraction.evaluation.counts import unknown_paths
from abstraction.evaluation.files import gold_schema, read_gold_dir
from abstraction.evaluation.plan import scoring_schema

SUITES_DIR = Path("eval") / "suites"


class SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    documents: list[str]
    gold: str
    fields: list[str] | None = None
    recordings: str = "../recordings"
    baselines: str = "../baselines"
    principal: str | None = None
    prompts: str | None = None


class Suite(BaseModel):
    """A loaded suite with its paths resolved."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    path: Path
    description: str
    documents: list[Path]
    gold_dir: Path
    fields: tuple[str, ...] | None
    recordings_dir: Path
    baselines_dir: Path
    principal_labels: Path | None = None
    prompts_dir: Path | None = None


def find_suite(name_or_path: str, *, suites_dir: Path = SUITES_DIR) -> Path:
    """A suite file path, from a path or a name under `suites_dir`."""
    as_path = Path(name_or_path)
    if as_path.suffix == ".toml" or as_path.is_file():
        if not as_path.is_file():
            raise UserError(f"{as_path}: no such suite file")
        return as_path
    folders = [suites_dir]
    if suites_dir == SUITES_DIR:
        folders.append(data_root() / SUITES_DIR)
    for folder in folders:
        candidate = folder / f"{name_or_path}.toml"
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted({p.stem for f in folders for p in f.glob("*.toml")})) or "none"
    raise UserError(f"no suite {name_or_path!r} in {suites_dir} (known: {known})")


def load_suite(name_or_path: str, *, suites_dir: Path = SUITES_DIR) -> Suite:
    path = find_suite(name_or_path, suites_dir=suites_dir)
    try:
        spec = SuiteFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: invalid suite file: {exc}") from exc
    base = path.resolve().parent
    documents = _expand(base, spec.documents, path)
    if spec.fields is not None:
        golds = read_gold_dir(base / spec.gold)
        with scoring_schema(gold_schema(golds.values(), path).model):
            bad = unknown_paths(spec.fields)
        if bad:
            raise UserError(f"{path}: fields names unknown paths {bad}")
    return Suite(
        name=path.stem,
        path=path,
        description=spec.description,
        documents=documents,
        gold_dir=(base / spec.gold).resolve(),
        fields=tuple(spec.fields) if spec.fields is not None else None,
        recordings_dir=(base / spec.recordings).resolve(),
        baselines_dir=(base / spec.baselines).resolve() / path.stem,
        principal_labels=(base / spec.principal).resolve() if spec.principal else None,
        prompts_dir=(base / spec.prompts).resolve() if spec.prompts else None,
    )


def _expand(base: Path, patterns: list[str], path: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        hits = sorted(Path(p) for p in glob.glob(str(base / pattern)))
        if not hits:
            raise UserError(f"{path}: {pattern!r} matches no document")
        found.extend(h.resolve() for h in hits if h.is_file())
    unique = list(dict.fromkeys(found))
    if not unique:
        raise UserError(f"{path}: the suite has no documents")
    return unique
