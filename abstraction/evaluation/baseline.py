"""Committed baselines and the regression gate.

A baseline is the per-field F1 of one prompt version on one suite, written from a replayed run
(so it is reproducible offline) to ``eval/baselines/<suite>/<prompt>.json`` and committed.
`check_baselines` compares a new run with it: any field (or the overall micro or macro F1) whose
F1 is lower than the baseline's by more than the tolerance is a regression.  A field scored in
the baseline but absent now counts as F1 0; a new field has nothing to regress from.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from abstraction.core.errors import UserError
from abstraction.evaluation.compare import EvalReport, VersionSummary

OVERALL = "overall (micro)"
MACRO = "overall (macro)"


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["eval_baseline"] = "eval_baseline"
    format_version: Literal["1"] = "1"
    suite: str
    prompt_version: str
    prompt_sha256: str
    model: str | None
    documents: int
    failures: int
    f1: dict[str, float]
    engine: str | None = None
    """What served the embedded model when the recordings this baseline replays were made
    (None: not the embedded model, or a baseline written before engines were named, whose
    recordings came from llama-cpp-python's server)."""


class Regression(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt_version: str
    field: str
    baseline: float
    current: float
    drop: float


def baseline_path(baselines_dir: Path, prompt_version: str) -> Path:
    return baselines_dir / f"{prompt_version}.json"


def baseline_of(suite: str, v: VersionSummary) -> Baseline:
    f1 = {OVERALL: v.report.overall.f1, MACRO: v.report.overall.macro_f1}
    f1.update({path: fs.f1 for path, fs in v.report.fields.items()})
    return Baseline(
        suite=suite,
        prompt_version=v.prompt_version,
        prompt_sha256=v.prompt_sha256,
        model=v.model,
        documents=v.documents,
        failures=v.failures,
        f1={k: round(x, 6) for k, x in f1.items()},
    )


def write_baselines(
    report: EvalReport,
    baselines_dir: Path,
    *,
    engine: str | None = None,
    only: Collection[str] | None = None,
) -> list[Path]:
    """Write each version's baseline (`only`: just these versions, e.g. the ones run here and
    not read from a tally, whose engine is not this run's)."""
    baselines_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for v in report.versions:
        if only is not None and v.prompt_version not in only:
            continue
        path = baseline_path(baselines_dir, v.prompt_version)
        baseline = baseline_of(report.suite, v).model_copy(update={"engine": engine})
        path.write_text(baseline.model_dump_json(indent=2) + "\n")
        written.append(path)
    return written


def read_baseline(path: Path) -> Baseline:
    if not path.is_file():
        raise UserError(f"no baseline {path}: run with --update-baseline (from --replay) first")
    try:
        return Baseline.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise UserError(f"{path}: invalid baseline file: {exc}") from exc


def check_baselines(
    report: EvalReport, baselines_dir: Path, *, tolerance: float
) -> tuple[list[Regression], list[str]]:
    """Regressions beyond `tolerance` in every version, and notes (e.g. a changed prompt hash)."""
    regressions: list[Regression] = []
    notes: list[str] = []
    for v in report.versions:
        base = read_baseline(baseline_path(baselines_dir, v.prompt_version))
        if base.prompt_sha256 != v.prompt_sha256:
            notes.append(
                f"{v.prompt_version}: the prompt file changed since the baseline "
                f"({base.prompt_sha256[:12]} -> {v.prompt_sha256[:12]})"
            )
        current = baseline_of(report.suite, v).f1
        for field, old in base.f1.items():
            new = current.get(field, 0.0)
            if old - new > tolerance + 1e-9:
                regressions.append(
                    Regression(
                        prompt_version=v.prompt_version,
                        field=field,
                        baseline=old,
                        current=new,
                        drop=old - new,
                    )
                )
    return regressions, notes
