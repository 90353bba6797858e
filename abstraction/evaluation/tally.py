"""Tallies: one system's scores on a suite, as numbers only, to combine with later runs.

A suite whose texts may not be committed (MACCROBAT: its recordings embed the texts, so they
stay under the git-ignored ``out/``) has to be recorded again on every fresh machine, and on a
2-core machine one system's run over 20 documents takes about an hour.  A tally keeps what the
comparison needs of such a run, and nothing of the text:

- per document: its id, the sha256 of its text and of its gold record, its status, the
  scorer's per-field counts (tp, fp, fn, ...) and its seconds;
- per system: what it was given (`System.describe`), its prompt's hash, the hashes of the code
  that made its records (`Provenance.code_sha256`), tokens, seconds and the principal-diagnosis
  verdicts as right/wrong.

``abstraction eval SUITE --tally DIR`` writes one per system; ``--from-tally FILE`` puts a
tallied system beside the systems of this run (or beside other tallies) in one paired report.
A tally is only combined when it was scored by this scorer (`scorer_sha256`) against this
suite's documents and gold, in this order: otherwise `load_tally` refuses and says what
differs, because paired intervals over counts made by different instruments would be false.
Each system keeps its own extraction code hash: systems run in different sessions are compared
as they were run, with the same instrument.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.hashing import files_sha256
from abstraction.core.records import GoldRecord
from abstraction.core.version import __version__
from abstraction.evaluation.compare import VersionInput
from abstraction.evaluation.counts import DocResult, DocStatus
from abstraction.evaluation.principal import PrincipalScore, PrincipalVerdict
from abstraction.evaluation.runner import VersionRun, version_input

TALLY_FORMAT_VERSION: Literal["1"] = "1"

_SCORER_FILES = (
    "evaluation/scorer.py",
    "evaluation/slots.py",
    "evaluation/plan.py",
    "evaluation/pairing.py",
    "evaluation/counts.py",
    "evaluation/overlap.py",
    "evaluation/files.py",
    "evaluation/principal.py",
    "evaluation/results.py",
    "core/terms.py",
    "core/normalize.py",
    "core/vocab.py",
    "core/scoring.py",
    "core/schema.py",
    "core/schemas.py",
    "core/records.py",
    "data/synonyms",
    "data/units.json",
    "data/stopwords.txt",
)
"""What turns a prediction and a gold record into counts (the modules the scorer imports and
the vocabularies they read)."""


@cache
def scorer_sha256() -> str:
    """sha256 of the scorer's code and vocabularies (`_SCORER_FILES`)."""
    return files_sha256(_SCORER_FILES)


def gold_sha256(gold: GoldRecord) -> str:
    """sha256 of what is scored in a gold record: its fields in scope and its record."""
    scored = {
        "annotated_fields": gold.annotated_fields,
        "record": gold.record.model_dump(mode="json"),
    }
    body = json.dumps(scored, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TallyDocument(_Model):
    id: str
    document_sha256: str
    gold_sha256: str
    status: DocStatus
    error: str | None = None
    counts: dict[str, list[int]] = Field(description="Scorer counts per field path.")
    seconds: float | None = Field(None, description="Model seconds (recorded or wall).")
    wall_seconds: float | None = None
    principal_right: bool | None = Field(
        None, description="Principal diagnosis right (None: the document has no label)."
    )
    principal_other_reading: bool = False


class Tally(_Model):
    kind: Literal["eval_tally"] = "eval_tally"
    format_version: Literal["1"] = TALLY_FORMAT_VERSION
    suite: str
    name: str = Field(description="The system's name in reports (e.g. v22, instructor:v23).")
    prompt_version: str
    prompt_sha256: str
    system: dict[str, Any]
    model: str | None
    code_sha256: list[str] = Field(description="Distinct `Provenance.code_sha256` values.")
    scorer_sha256: str
    fields_in_scope: list[str] | None
    toolkit_version: str
    created_at: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    seconds_source: str
    not_extracted: list[str]
    leaks: dict[str, list[str]] | None = Field(
        None, description="Prompt example values found in the output (never document text)."
    )
    principal_source: str | None = None
    documents: list[TallyDocument]


def tally_of(
    run: VersionRun,
    suite: str,
    documents: Sequence[tuple[Document, GoldRecord]],
    fields_in_scope: Sequence[str] | None,
) -> Tally:
    """The tally of one system's run over `documents` (the suite's, in order)."""
    vi = version_input(run)
    by_id = {r.id: r for r in vi.results}
    verdicts = {v.id: v for v in (run.principal.verdicts if run.principal else [])}
    docs = []
    for doc, gold in documents:
        res = by_id[doc.id]
        verdict = verdicts.get(doc.id)
        docs.append(
            TallyDocument(
                id=doc.id,
                document_sha256=doc.sha256,
                gold_sha256=gold_sha256(gold),
                status=res.status,
                error=res.error,
                counts={k: list(v) for k, v in res.counts.items()},
                seconds=run.seconds.get(doc.id),
                wall_seconds=run.wall_seconds.get(doc.id),
                principal_right=None if verdict is None else verdict.right,
                principal_other_reading=bool(verdict and verdict.other_reading),
            )
        )
    codes = sorted(
        {e.provenance.code_sha256 for e in run.extractions.values() if e.provenance.code_sha256}
    )
    return Tally(
        suite=suite,
        name=run.label,
        prompt_version=run.prompt.version,
        prompt_sha256=run.prompt.sha256,
        system=dict(run.system),
        model=vi.model,
        code_sha256=codes,
        scorer_sha256=scorer_sha256(),
        fields_in_scope=list(fields_in_scope) if fields_in_scope is not None else None,
        toolkit_version=__version__,
        created_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        prompt_tokens=vi.prompt_tokens,
        completion_tokens=vi.completion_tokens,
        total_tokens=vi.total_tokens,
        seconds_source=vi.seconds_source,
        not_extracted=list(vi.not_extracted),
        leaks=vi.leaks,
        principal_source=run.principal.source if run.principal else None,
        documents=docs,
    )


def write_tally(tally: Tally, folder: Path) -> Path:
    """Write `tally` as FOLDER/<suite>/<name>.json (':' in a name becomes '-')."""
    path = folder / tally.suite / f"{tally.name.replace(':', '-')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tally.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return path


def read_tally(path: Path) -> Tally:
    try:
        return Tally.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable tally ({exc})") from exc


def check_tally(
    tally: Tally,
    suite: str,
    documents: Sequence[tuple[Document, GoldRecord]],
    fields_in_scope: Sequence[str] | None,
    *,
    where: str = "tally",
) -> None:
    """Raise a `UserError` naming the difference unless `tally` was scored by this scorer on
    these documents and gold records, in this order, with these fields in scope."""
    problems = []
    if tally.suite != suite:
        problems.append(f"it is of suite {tally.suite}, not {suite}")
    if tally.scorer_sha256 != scorer_sha256():
        problems.append(
            f"it was scored by another scorer (sha256 {tally.scorer_sha256[:12]}, this one "
            f"{scorer_sha256()[:12]}): re-run the system with this one"
        )
    want = list(fields_in_scope) if fields_in_scope is not None else None
    if tally.fields_in_scope != want:
        problems.append("its fields in scope differ from the suite's")
    ids = [doc.id for doc, _ in documents]
    if [d.id for d in tally.documents] != ids:
        problems.append("its documents are not the suite's, in the suite's order")
    else:
        for (doc, gold), td in zip(documents, tally.documents, strict=True):
            if td.document_sha256 != doc.sha256:
                problems.append(f"{doc.id}: made from another text")
            if td.gold_sha256 != gold_sha256(gold):
                problems.append(f"{doc.id}: scored against another gold record")
    if problems:
        raise UserError(f"{where}: cannot be combined with this run: " + "; ".join(problems))


def version_from_tally(tally: Tally) -> VersionInput:
    """What `compare` needs, from a tally (no match details: they would hold text)."""
    results = [
        DocResult(id=d.id, status=d.status, error=d.error, counts=dict(d.counts))
        for d in tally.documents
    ]
    timed = [d.seconds for d in tally.documents if d.seconds is not None]
    wall = [d.wall_seconds for d in tally.documents if d.wall_seconds is not None]
    labelled = [d for d in tally.documents if d.principal_right is not None]
    principal = None
    if labelled:
        right = sum(1 for d in labelled if d.principal_right)
        principal = PrincipalScore(
            right=right,
            documents=len(labelled),
            share=right / len(labelled),
            other_reading=sum(1 for d in labelled if d.principal_other_reading),
            source=tally.principal_source or "tally",
            verdicts=[
                PrincipalVerdict(
                    id=d.id,
                    right=bool(d.principal_right),
                    predicted=None,
                    principals=0,
                    other_reading=d.principal_other_reading,
                    reason="from a tally (the predicted name is not kept)",
                )
                for d in labelled
            ],
        )
    return VersionInput(
        prompt_version=tally.name,
        prompt_sha256=tally.prompt_sha256,
        results=results,
        model=tally.model,
        prompt_tokens=tally.prompt_tokens,
        completion_tokens=tally.completion_tokens,
        total_tokens=tally.total_tokens,
        seconds=sum(timed),
        seconds_documents=len(timed),
        seconds_source=tally.seconds_source,
        not_extracted=list(tally.not_extracted),
        system={**tally.system, "tally": f"{tally.created_at}, scorer {tally.scorer_sha256[:12]}"},
        wall_seconds_per_document=sum(wall) / len(wall) if wall else None,
        leaks=tally.leaks,
        principal=principal,
    )
