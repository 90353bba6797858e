"""Principal diagnosis: hand labels, the gold they complete, and the measure that uses them.

MACCROBAT does not say which diagnosis is principal, so its import marks every asserted
diagnosis ``secondary``.  A *principal label* says it for one document: the diagnosis name as
the text writes it (with offsets), other spans naming the same diagnosis, clinical names the
text does not write, and, where the case could be read another way, that other reading.  The
labels live in a committed file (``eval/labels/maccrobat-principal.json``; its header says how
they were made); only ids, hashes, offsets and short names are in it, never the texts.

Two uses:

- `apply_label` completes an imported gold record: the labelled diagnosis becomes
  ``principal`` (matched to an imported diagnosis by offsets, else by term; added when the
  import lacks it) and the other diagnoses that are not ruled out stay ``secondary``.
  `abstraction import-brat --principal FILE` calls it.
- `measure` scores predictions: per document, is the prediction's principal diagnosis (the
  first with status ``principal``) the same clinical term as the label, one of its
  alternatives or accepted names (`abstraction.core.terms.compare`, with the document's
  own abbreviations)?  A missing or failed prediction, or one without a principal, is wrong.
  It never raises on a prediction.  Documents whose prediction matches only the other
  reading are counted apart, never as right.

Without a labels file, `targets_from_gold` takes the principal of hand-gold records (the gold's
name, nothing else accepted), so the same measure runs on any suite whose gold has one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from abstraction.core.documents import sha256_text
from abstraction.core.errors import UserError
from abstraction.core.records import GoldRecord
from abstraction.core.schema import CaseReport, Diagnosis, Evidence
from abstraction.core.terms import compare, defined_abbreviations
from abstraction.evaluation.files import read_gold_dir, read_prediction

VOCAB = "diagnoses"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelSpan(_Model):
    """A verbatim span of the text: ``text[start:end] == name``."""

    name: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class OtherReading(LabelSpan):
    also_accepted: list[str] = Field(default_factory=list)


class PrincipalLabel(_Model):
    """One document's principal diagnosis (see the fields described in the labels file)."""

    id: str
    split: Literal["dev", "held-out"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    stated: bool = True
    """False: the text never names the diagnosis; start/end point at the finding it rests on."""
    alternatives: list[LabelSpan] = Field(default_factory=list)
    also_accepted: list[str] = Field(default_factory=list)
    other_reading: OtherReading | None = None
    rationale: str
    unsure: str | None = None

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every name the measure accepts as right, the label's own first."""
        return (self.name, *(a.name for a in self.alternatives), *self.also_accepted)

    @property
    def other_names(self) -> tuple[str, ...]:
        r = self.other_reading
        return () if r is None else (r.name, *r.also_accepted)

    def check_text(self, text: str) -> None:
        """Refuse a text this label was not made from (hash), or offsets that miss its spans."""
        if sha256_text(text) != self.sha256:
            raise UserError(
                f"{self.id}: the text's sha256 differs from the principal label's: it is "
                "not the text the label was made from"
            )
        spans = [*self.alternatives] + ([self.other_reading] if self.other_reading else [])
        if self.stated:
            spans.insert(0, LabelSpan(name=self.name, start=self.start, end=self.end))
        elif not 0 <= self.start < self.end <= len(text):
            raise UserError(f"{self.id}: principal label offsets {self.start}-{self.end} invalid")
        for s in spans:
            if text[s.start : s.end] != s.name:
                raise UserError(
                    f"{self.id}: principal label span {s.start}-{s.end} is not {s.name!r}"
                )


class PrincipalLabels(_Model):
    kind: Literal["principal_labels"] = "principal_labels"
    format_version: Literal["1"] = "1"
    corpus: str
    attribution: str
    method: str
    fields: dict[str, str] = Field(default_factory=dict)
    labels: list[PrincipalLabel]

    @model_validator(mode="after")
    def _unique(self) -> PrincipalLabels:
        ids = [label.id for label in self.labels]
        if len(set(ids)) != len(ids):
            raise ValueError("a document id is labelled twice")
        return self

    def by_id(self) -> dict[str, PrincipalLabel]:
        return {label.id: label for label in self.labels}


def read_labels(path: Path) -> PrincipalLabels:
    """Load and validate a principal-labels file."""
    try:
        return PrincipalLabels.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from exc
    except (ValueError, ValidationError) as exc:
        raise UserError(f"{path}: not a principal-labels file: {exc}") from exc


# ----------------------------------------------------------------------------- the import


def _overlaps(ev: Evidence, start: int, end: int) -> bool:
    return ev.start is not None and ev.end is not None and ev.start < end and start < ev.end


def _find(diagnoses: list[Diagnosis], label: PrincipalLabel, text: str) -> int | None:
    """The imported diagnosis the label names: by offsets first, then by term."""
    candidates = [i for i, d in enumerate(diagnoses) if d.status != "ruled_out"]
    spans = [(label.start, label.end)] if label.stated else []
    spans += [(a.start, a.end) for a in label.alternatives]
    for start, end in spans:
        for i in candidates:
            if _overlaps(diagnoses[i].evidence, start, end):
                return i
    abbr = defined_abbreviations(text)
    for i in candidates:
        if _matching_name(label.accepted, diagnoses[i].name, abbr) is not None:
            return i
    return None


def apply_label(gold: GoldRecord, label: PrincipalLabel, text: str) -> tuple[GoldRecord, str]:
    """`gold` with the labelled diagnosis as ``principal``, and a note saying how it was found.

    The other diagnoses keep their status (``secondary``, or ``ruled_out``).  Refuses (raises
    `UserError`) a text other than the label's, or a gold made from another text."""
    label.check_text(text)
    if gold.document_sha256 not in (None, label.sha256):
        raise UserError(f"{gold.document_id}: the gold was made from another text than the label")
    record = gold.record.model_copy(deep=True)
    diagnoses = [
        d.model_copy(update={"status": "secondary"}) if d.status == "principal" else d
        for d in record.diagnoses
    ]
    found = _find(diagnoses, label, text)
    if found is not None:
        diagnoses[found] = diagnoses[found].model_copy(update={"status": "principal"})
        how = f"matched the imported diagnosis {diagnoses[found].name!r}"
    else:
        note = "hand-labelled principal diagnosis" + (
            "" if label.stated else "; not named in the text, the quote is what it rests on"
        )
        ev = Evidence(
            quote=text[label.start : label.end], start=label.start, end=label.end, note=note
        )
        diagnoses.insert(
            0, Diagnosis(name=label.name, status="principal", details=None, evidence=ev)
        )
        how = "added (the import has no diagnosis naming it)"
    record.diagnoses = diagnoses
    note = f"Principal diagnosis (hand label {label.name!r}): {how}."
    notes = "\n".join(n for n in (gold.notes, note) if n)
    return gold.model_copy(update={"record": record, "notes": notes}), note


# ----------------------------------------------------------------------------- the measure


@dataclass(frozen=True)
class Target:
    """What counts as right for one document: accepted names, and the other reading's."""

    accepted: tuple[str, ...]
    other: tuple[str, ...] = ()
    qualifiers: str | None = None
    """The gold diagnosis's own modifiers (its details): a prediction that adds only these to
    an accepted name is right ("IgG kappa multiple myeloma" for "multiple myeloma" with details
    "IgG kappa"), as the scorer pairs diagnoses."""


class PrincipalVerdict(_Model):
    id: str
    right: bool
    predicted: str | None = Field(description="The prediction's first principal diagnosis.")
    principals: int = Field(description="How many diagnoses the prediction marks principal.")
    other_reading: bool = Field(
        default=False, description="Wrong, but the same term as the label's other reading."
    )
    reason: str


class PrincipalScore(_Model):
    """Right / documents over the labelled documents of one run."""

    right: int
    documents: int
    share: float | None = Field(description="right / documents; None without documents.")
    other_reading: int = Field(description="Wrong documents that match the other reading.")
    source: str = Field(description="Where the labels came from.")
    verdicts: list[PrincipalVerdict]


def targets_from_labels(labels: PrincipalLabels) -> dict[str, Target]:
    return {lab.id: Target(lab.accepted, lab.other_names) for lab in labels.labels}


def targets_from_gold(golds: Iterable[GoldRecord]) -> dict[str, Target]:
    """The gold records' own principal diagnoses (the first one), where a gold has one."""
    out = {}
    for gold in golds:
        name = principal_of(gold.record)
        if name:
            details = next(
                (d.details for d in gold.record.diagnoses if d.status == "principal"), None
            )
            out[gold.document_id] = Target((name,), qualifiers=details)
    return out


def principal_of(record: CaseReport | Mapping[str, Any] | None) -> str | None:
    """The name of the first diagnosis with status ``principal``, or None."""
    names = _principals(record)
    return names[0] if names else None


def _principals(record: CaseReport | Mapping[str, Any] | None) -> list[str]:
    """Names of the diagnoses marked principal, in order; [] for anything malformed."""
    if isinstance(record, CaseReport):
        record = record.model_dump()
    diagnoses = record.get("diagnoses") if isinstance(record, Mapping) else None
    if not isinstance(diagnoses, list):
        return []
    names = [
        d.get("name")
        for d in diagnoses
        if isinstance(d, Mapping) and d.get("status") == "principal"
    ]
    return [n if isinstance(n, str) else "" for n in names]


def _matching_name(
    names: Iterable[str], pred: str, abbr: Mapping[str, str], qualifiers: str | None = None
) -> str | None:
    for name in names:
        if compare(name, pred, vocab=VOCAB, qualifiers=qualifiers, abbreviations=abbr):
            return name
    return None


def judge(
    doc_id: str,
    target: Target,
    record: CaseReport | Mapping[str, Any] | None,
    text: str | None = None,
) -> PrincipalVerdict:
    """One document's verdict (None: no prediction); `text` lets the document's own
    abbreviations count.  Never raises on a malformed record: it is wrong, with the reason."""
    principals = _principals(record)
    verdict = functools.partial(PrincipalVerdict, id=doc_id, principals=len(principals))
    if record is None:
        return verdict(right=False, predicted=None, reason="no prediction (missing or failed)")
    if not principals or not principals[0].strip():
        return verdict(right=False, predicted=None, reason="no principal diagnosis")
    pred = principals[0]
    abbr = defined_abbreviations(text) if text else {}
    hit = _matching_name(target.accepted, pred, abbr, target.qualifiers)
    if hit is not None:
        return verdict(right=True, predicted=pred, reason=f"same term as {hit!r}")
    other = _matching_name(target.other, pred, abbr)
    if other is not None:
        return verdict(
            right=False, predicted=pred, other_reading=True, reason=f"the other reading {other!r}"
        )
    return verdict(
        right=False, predicted=pred, reason=f"not {target.accepted[0]!r} nor an accepted name"
    )


def measure(
    targets: Mapping[str, Target],
    records: Mapping[str, CaseReport | Mapping[str, Any] | None],
    *,
    texts: Mapping[str, str] | None = None,
    source: str = "",
) -> PrincipalScore:
    """Score the labelled documents among `records` (id -> the prediction's record, None when
    the extraction failed).  Documents without a target are not counted."""
    verdicts = [
        judge(doc_id, targets[doc_id], records[doc_id], (texts or {}).get(doc_id))
        for doc_id in records
        if doc_id in targets
    ]
    right = sum(v.right for v in verdicts)
    n = len(verdicts)
    return PrincipalScore(
        right=right,
        documents=n,
        share=right / n if n else None,
        other_reading=sum(v.other_reading for v in verdicts),
        source=source,
        verdicts=verdicts,
    )


def fmt_principal(score: PrincipalScore | None) -> str:
    """``right/documents (share)``, or ``–`` when the run had no labelled document."""
    if score is None or not score.documents:
        return "–"
    return f"{score.right}/{score.documents} ({score.share:.2f})"


def targets_for(
    golds: Mapping[str, GoldRecord], labels: PrincipalLabels | None
) -> tuple[dict[str, Target], str]:
    """The targets for these gold documents and where they come from: the labels file's
    (refusing a label made from another text than its gold), else the golds' own principals."""
    if labels is None:
        return targets_from_gold(golds.values()), "the gold records' principal diagnoses"
    by_id = labels.by_id()
    for doc_id, gold in golds.items():
        label = by_id.get(doc_id)
        if label and gold.document_sha256 and gold.document_sha256 != label.sha256:
            raise UserError(f"{doc_id}: the principal label was made from another text")
    return {k: t for k, t in targets_from_labels(labels).items() if k in golds}, "labels file"


def measure_dirs(pred_dir: Path, gold_dir: Path, labels: Path | None = None) -> PrincipalScore:
    """`measure` for ``abstraction score``: predictions in `pred_dir`, one per gold document
    of `gold_dir`; targets from the `labels` file, else from the gold records."""
    golds = read_gold_dir(gold_dir)
    targets, source = targets_for(golds, read_labels(labels) if labels else None)
    records = {d: read_prediction(pred_dir / f"{d}.json").record for d in golds}
    return measure(targets, records, source=str(labels) if labels else source)
