"""Tallies: one system's scores on a suite, as numbers only, to combine with later runs.

A suite whose texts may not be committed (MACCROBAT: its recordings embed the texts, so they
stay under the git-ignored ``out/``) has to be recorded again on every fresh machine, and on a
2-core machine one system's run over 20 documents takes about an hour.  A tally keeps what the
comparison needs of such a run, and nothing of the text:

- per document: its id, the sha256 of its text, of its gold record and of its principal
  label, its status (a failure's kind, never its message: a message may quote the model's
  answer, and so the text), the scorer's per-field counts (tp, fp, fn, ...) and its seconds;
- per system: what it was given (`System.describe`), its prompt's hash, the hashes of the code
  that made its records (`Provenance.code_sha256`), tokens, seconds and the principal-diagnosis
  verdicts as right/wrong.

``abstraction eval SUITE --tally DIR`` writes one per system; ``--from-tally FILE`` puts a
tallied system beside the systems of this run (or beside other tallies) in one paired report.
A tally is only combined when it was scored by this scorer (`scorer_sha256`: its code, the
libraries that decide matches and the schema's scoring rules) against this suite's documents,
gold and principal labels, in this order, with counts only for paths the suite scores:
otherwise `check_tally` refuses and says what differs, because paired intervals over counts
made by different instruments would be false.
Each system keeps its own extraction code hash: systems run in different sessions are compared
as they were run, with the same instrument.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.hashing import files_sha256
from abstraction.core.records import GoldRecord
from abstraction.core.version import __version__
from abstraction.evaluation.compare import VersionInput
from abstraction.evaluation.counts import NCOUNTS, DocResult, DocStatus, make_scope
from abstraction.evaluation.plan import (
    LeafPlan,
    ModelPlan,
    RecordsPlan,
    all_paths,
    compile_plan,
    current_schema,
)
from abstraction.evaluation.principal import (
    PrincipalScore,
    PrincipalVerdict,
    Target,
    read_labels,
    targets_for,
)
from abstraction.evaluation.report import NAME_NOT_KEPT
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
    "core/denials.py",
    "core/normalize.py",
    "core/scoring.py",
    "core/schema.py",
    "core/schemas.py",
    "core/records.py",
    "data/synonyms",
    "data/units.json",
    "data/denying_names.txt",
)
"""What turns a prediction and a gold record into counts and a principal verdict: the modules
the scorer imports and the vocabularies they read, and nothing else (an extraction rule hashed
here would refuse every tally, an hour of model time each, for nothing)."""

_SCORER_LIBRARIES = ("lemminflect", "rapidfuzz", "scipy")
"""Libraries whose answers decide which values are the same (lemmas, similarities, the
assignment of list items): their versions are part of the instrument (no lock file pins them)."""


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _plan_text(plan: ModelPlan) -> str:
    """The scoring rules of a schema as the scorer reads them (its `Score`s, keys, facts)."""
    lines = []
    for node in plan.walk():
        if isinstance(node, LeafPlan):
            lines.append(
                f"leaf {node.path} {node.score!r} many={node.many} threshold={node.threshold} "
                f"fact={node.fact} in_name={node.in_name}"
            )
        elif isinstance(node, RecordsPlan):
            keys = [k.path for k in node.key]
            lines.append(f"records {node.path} {keys} {node.ordered} {node.threshold}")
        else:
            lines.append(f"model {node.path} evidence={node.evidence}")
    return "\n".join(lines)


def _instrument_sha256(model: type[BaseModel]) -> str:
    """sha256 of the scorer's files now on disk, its libraries' versions, the Unicode tables
    (case folding) and `model`'s scoring rules (a schema of one's own lives outside the
    package)."""
    parts = [files_sha256(_SCORER_FILES), f"unicode {unicodedata.unidata_version}"]
    parts += [f"{name} {_version(name)}" for name in _SCORER_LIBRARIES]
    parts.append(_plan_text(compile_plan(model)))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


@cache
def _pinned(model: type[BaseModel]) -> str:
    return _instrument_sha256(model)


SAME_SCORER: dict[str, tuple[str, str]] = {
    "bb7d4d53f8f76078ed3ac3c9a90df61e244b7bf49c3d343149b92208ce76b836": (
        "5264a71da129fc7d6eee2fa31b740ad8527d0831ceeb2658c8ef8be4300da253",
        "3 December 2026: only SCHEMA_VERSION (1.1.0 -> 1.2.0) and PassRecord.status (a new "
        "value, 'skipped') changed in the hashed files; neither is read by the scorer.  "
        "Checked: v27 on held-20 and dev-20 and v18 on dev-20, re-scored from their recordings "
        "by the new scorer, gave per-document counts and principal verdicts identical to the "
        "old scorer's tallies (60 of 60 documents).",
    ),
}
"""Scorer hashes declared the same instrument: old -> (new, why and how it was checked).  An
entry is added only when the hashed files changed in ways the scorer does not read AND
tallies re-scored from recordings by the new scorer equal the old ones; it lets the tallies
of runs whose recordings are gone (MACCROBAT's stay on the machine that made them) be
combined with new ones.  Chains are followed."""


def same_scorer(theirs: str, ours: str) -> bool:
    """`theirs` is `ours`, or leads to it through `SAME_SCORER`."""
    seen = set()
    while theirs != ours and theirs in SAME_SCORER and theirs not in seen:
        seen.add(theirs)
        theirs = SAME_SCORER[theirs][0]
    return theirs == ours


def scorer_sha256() -> str:
    """sha256 of the scorer for the current schema (`scoring_schema`), taken once per process:
    the instrument as this process loaded it (`abstraction eval` takes it before its run)."""
    return _pinned(current_schema())


def scorer_changed() -> bool:
    """Whether the scorer on disk is no longer the one `scorer_sha256` took (files edited, a
    library upgraded while a run went on): its counts may not be this digest's."""
    return _instrument_sha256(current_schema()) != scorer_sha256()


def gold_sha256(gold: GoldRecord) -> str:
    """sha256 of what is scored in a gold record: its fields in scope and its record."""
    scored: dict[str, object] = {
        "annotated_fields": gold.annotated_fields,
        "record": gold.record.model_dump(mode="json"),
    }
    if gold.order is not None:  # absent before partial orders: older golds keep their digest
        scored["order"] = {path: sorted(pairs) for path, pairs in gold.order.items()}
    body = json.dumps(scored, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _target_sha256(target: Target) -> str:
    body = json.dumps(
        {"accepted": target.accepted, "other": target.other, "qualifiers": target.qualifiers},
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def principal_targets(
    documents: Sequence[tuple[Document, GoldRecord]], labels: Path | None
) -> dict[str, str]:
    """sha256 of what counts as the right principal diagnosis, per labelled document: the
    labels file's label (`labels`), else the gold's own principal diagnosis."""
    golds = {doc.id: gold for doc, gold in documents}
    targets, _ = targets_for(golds, read_labels(labels) if labels else None)
    return {doc_id: _target_sha256(t) for doc_id, t in targets.items()}


_KIND = re.compile(r"[A-Za-z_][\w.-]{0,63}")


def error_kind(error: str | None) -> str | None:
    """The kind of a failure (``timeout``, ``unparseable``, ``ValueError``), never its message:
    a message may quote the model's answer (pydantic's ``input_value=...``), and so the text."""
    if error is None:
        return None
    head = error.split(":", 1)[0].strip()
    return head if _KIND.fullmatch(head) else "error"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


CountRow = Annotated[list[NonNegativeInt], Field(min_length=NCOUNTS, max_length=NCOUNTS)]


class TallyDocument(_Model):
    id: str
    document_sha256: str
    gold_sha256: str
    principal_sha256: str | None = Field(
        None, description="What counts as the right principal diagnosis (None: no label)."
    )
    status: DocStatus
    error: str | None = Field(
        None, pattern=f"^{_KIND.pattern}$", description="The failure's kind (never its message)."
    )
    counts: dict[str, CountRow] = Field(description="Scorer counts per field path.")
    seconds: float | None = Field(None, description="Model seconds (recorded or wall).")
    wall_seconds: float | None = None
    principal_right: bool | None = Field(
        None, description="Principal diagnosis right (None: the document has no label)."
    )
    principal_other_reading: bool = False
    principals: int = Field(0, ge=0, description="Diagnoses the prediction marks principal.")


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
    *,
    labels: Path | None = None,
) -> Tally:
    """The tally of one system's run over `documents` (the suite's, in order, as the run read
    them) and the suite's principal `labels` file (None: the gold's principal diagnoses)."""
    vi = version_input(run)
    targets = principal_targets(documents, labels)
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
                principal_sha256=targets.get(doc.id),
                status=res.status,
                error=error_kind(res.error),
                counts={k: list(v) for k, v in res.counts.items()},
                seconds=run.seconds.get(doc.id),
                wall_seconds=run.wall_seconds.get(doc.id),
                principal_right=None if verdict is None else verdict.right,
                principal_other_reading=bool(verdict and verdict.other_reading),
                principals=verdict.principals if verdict else 0,
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
    labels: Path | None = None,
    where: str = "tally",
) -> None:
    """Raise a `UserError` naming the difference unless `tally` was scored by this scorer on
    these documents and gold records, in this order, with these fields in scope, and judged
    against these principal `labels` (None: the gold's); call it inside the suite's schema."""
    problems = []
    if tally.suite != suite:
        problems.append(f"it is of suite {tally.suite}, not {suite}")
    if not same_scorer(tally.scorer_sha256, scorer_sha256()):
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
        targets = principal_targets(documents, labels)
        fields = tuple(fields_in_scope) if fields_in_scope is not None else None
        for (doc, gold), td in zip(documents, tally.documents, strict=True):
            if td.document_sha256 != doc.sha256:
                problems.append(f"{doc.id}: made from another text")
            if td.gold_sha256 != gold_sha256(gold):
                problems.append(f"{doc.id}: scored against another gold record")
            if td.principal_sha256 != targets.get(doc.id) or (
                (td.principal_right is None) != (td.principal_sha256 is None)
            ):
                problems.append(
                    f"{doc.id}: its principal diagnosis was judged against another label"
                )
            annotated = tuple(gold.annotated_fields) if gold.annotated_fields is not None else None
            scope = make_scope(annotated, fields)
            scored = all_paths(compile_plan()) if scope is None else scope.score | scope.order
            if stray := sorted(set(td.counts) - scored):
                problems.append(
                    f"{doc.id}: counts for paths this suite does not score ({', '.join(stray)})"
                )
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
                    principals=d.principals,
                    other_reading=d.principal_other_reading,
                    reason=NAME_NOT_KEPT,
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
