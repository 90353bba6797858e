"""The case-report schema: the contract between the model, the files and the people.

Modelled on the CARE case-report checklist (patient information, clinical findings, timeline,
diagnostic assessment, therapeutic intervention, follow-up and outcomes), with what a
haematology/oncology case needs (immunophenotype, extramedullary sites, CAR-T targets, donor
type and graft source).

Rules the models enforce:
- every key is required; "not reported" is an explicit ``null`` (or an empty list), never a guess;
- extra keys are forbidden;
- every fact carries `Evidence`: a verbatim quote from the source and, once grounded, its
  character offsets (Python string indices, i.e. Unicode code points) and a grounding status.

The model is asked for quotes only; `abstraction.grounding` fills offsets and status.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

from abstraction.core.scoring import Score

SCHEMA_VERSION = "1.2.0"

GroundingStatus = Literal["exact", "fuzzy", "unsupported"]
AlignMethod = Literal["verbatim", "normalized", "fuzzy", "relocated"]
"""How a quote was found; ``relocated``: the model's quote did not state the fact, and grounding
put the sentence of the case text that does in its place (prompt setting ``relocate``)."""


class Strict(BaseModel):
    """Base for every schema model: no extra keys; defaults are still written out."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Evidence(Strict):
    """Where a fact is stated in the source.

    The model supplies `quote` only (a plain string is accepted and becomes ``{"quote": ...}``).
    Grounding sets `start`/`end` (end exclusive), `status`, `method` and `similarity`.
    `page` and `section` are set for PDF and JATS inputs.
    """

    quote: str = Field(description="Verbatim words from the source that state the fact.")
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    status: GroundingStatus | None = None
    method: AlignMethod | None = None
    similarity: float | None = Field(default=None, ge=0, le=100)
    page: int | None = None
    section: str | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_quote(cls, data: Any) -> Any:
        return {"quote": data} if isinstance(data, str) else data


EvidenceField = Annotated[Evidence, Score.ignore()]


class TextFact(Strict):
    value: Annotated[str, Score.text()]
    evidence: EvidenceField


class YearFact(Strict):
    value: Annotated[int, Score.exact()] = Field(ge=1800, le=2100)
    evidence: EvidenceField


class AgeFact(Strict):
    """Age as stated ("45-year-old" is 45 years; "18 months" is 18 months)."""

    # Compared as a quantity: both sides are converted to days before the 1% tolerance applies,
    # so 45 years equals 540 months; the unit is part of that comparison, not a fact of its own.
    value: Annotated[float, Score.number(tolerance=0.01, unit="unit")] = Field(ge=0, le=150)
    unit: Annotated[Literal["years", "months", "weeks", "days"], Score.ignore()]
    evidence: EvidenceField


class AgeGroupFact(Strict):
    value: Annotated[
        Literal["neonate", "infant", "child", "adolescent", "adult", "older_adult"], Score.exact()
    ]
    evidence: EvidenceField


class SexFact(Strict):
    value: Annotated[Literal["female", "male", "other"], Score.exact()]
    evidence: EvidenceField


class OutcomeStatusFact(Strict):
    value: Annotated[Literal["alive", "died", "lost_to_follow_up"], Score.exact()]
    evidence: EvidenceField


class SourceMetadata(Strict):
    """Bibliographic data, when the text shows it (front matter is allowed as evidence here)."""

    title: TextFact | None
    journal: TextFact | None
    year: YearFact | None
    doi: TextFact | None
    authors: Annotated[list[TextFact], Score.records("value")]
    keywords: Annotated[list[TextFact], Score.records("value")]


class Patient(Strict):
    age: AgeFact | None
    age_group: AgeGroupFact | None
    sex: SexFact | None


class Diagnosis(Strict):
    name: Annotated[str, Score.text("diagnoses", qualifiers="details")]
    status: Annotated[Literal["principal", "secondary", "ruled_out"], Score.exact()]
    details: Annotated[str | None, Score.text("diagnoses")] = Field(
        description="Subtype, immunophenotype, stage or genetics, as written."
    )
    evidence: EvidenceField


class Finding(Strict):
    name: Annotated[str, Score.text("findings", qualifiers="body_site")]
    assertion: Annotated[Literal["present", "absent", "uncertain"], Score.exact()]
    body_site: Annotated[str | None, Score.text("anatomy")]
    evidence: EvidenceField


class DiseaseEvent(Strict):
    event: Annotated[
        Literal["relapse", "progression", "remission", "stable_disease"], Score.exact()
    ]
    type: Annotated[str | None, Score.text("events")] = Field(
        description="Kind of event as written, e.g. extramedullary, MRD-negative, complete."
    )
    body_sites: Annotated[list[str], Score.text("anatomy")]
    time: Annotated[str | None, Score.time()] = Field(description="Time expression as written.")
    evidence: EvidenceField


TreatmentCategory = Literal[
    "chemotherapy",
    "cellular_therapy",
    "stem_cell_transplant",
    "immunotherapy",
    "targeted_therapy",
    "radiotherapy",
    "surgery",
    "supportive",
    "other",
]


class Treatment(Strict):
    """One treatment this patient received, in the order given (the list order is chronological).

    `immunotherapy` covers cytokines (interferon, interleukin) and antibodies; `cellular_therapy`
    covers CAR-T and donor lymphocyte infusions.
    """

    name: Annotated[str, Score.text("treatments")]
    category: Annotated[TreatmentCategory, Score.exact()]
    target: Annotated[str | None, Score.text("targets")] = Field(
        description="Antigen or molecular target only when named (e.g. CD19); else null."
    )
    donor_type: Annotated[
        Literal["autologous", "related", "unrelated", "haploidentical", "syngeneic"] | None,
        Score.exact(),
    ]
    graft_source: Annotated[
        Literal["bone_marrow", "peripheral_blood", "cord_blood"] | None, Score.exact()
    ]
    dose: Annotated[str | None, Score.text("doses")]
    duration: Annotated[str | None, Score.time()]
    intent: Annotated[
        Literal[
            "induction",
            "consolidation",
            "maintenance",
            "bridging",
            "conditioning",
            "salvage",
            "curative",
            "palliative",
            "supportive",
            "prophylaxis",
        ]
        | None,
        Score.exact(),
    ]
    time: Annotated[str | None, Score.time()]
    evidence: EvidenceField


class Assessment(Strict):
    method: Annotated[str, Score.text("methods")]
    result: Annotated[str | None, Score.text()]
    time: Annotated[str | None, Score.time()]
    evidence: EvidenceField


class Outcome(Strict):
    status: OutcomeStatusFact | None
    cause_of_death: TextFact | None
    follow_up: TextFact | None = Field(description="Length of follow-up as written.")


class TimelineEvent(Strict):
    event: Annotated[str, Score.text("events")]
    time: Annotated[str | None, Score.time()] = Field(
        description="Time expression as written, e.g. '6th month after UCBT'."
    )
    evidence: EvidenceField


class CaseReport(Strict):
    """The facts of one case report.  Lists are in the order the text gives them."""

    source: SourceMetadata
    patient: Patient
    diagnoses: Annotated[list[Diagnosis], Score.records("name", polarity="status")]
    findings: Annotated[list[Finding], Score.records("name", polarity="assertion")]
    disease_events: Annotated[list[DiseaseEvent], Score.records("event", "type")]
    treatments: Annotated[list[Treatment], Score.records("name", ordered=True)]
    assessments: Annotated[list[Assessment], Score.records("method")]
    outcome: Outcome
    timeline: Annotated[list[TimelineEvent], Score.records("event", ordered=True)]


SECTIONS: tuple[str, ...] = tuple(CaseReport.model_fields)
"""Top-level sections, in schema order; prompts name the ones each pass extracts."""

METADATA_SECTIONS = frozenset({"source"})
"""Sections whose evidence may come from an article's front matter; all others are patient facts."""


def _fact_type(annotation: Any) -> type[BaseModel] | None:
    """The fact model in ``X | None`` or ``list[X]``, if X is a model with evidence."""
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel) and "evidence" in arg.model_fields:
            return arg
    return None


def _field_paths(model: type[BaseModel], path: str) -> Iterator[str]:
    for name, info in model.model_fields.items():
        here = f"{path}.{name}" if path else name
        fact = _fact_type(info.annotation)
        fields = [f for f in fact.model_fields if f != "evidence"] if fact is not None else []
        if fact is not None and get_origin(info.annotation) is list and fields != ["value"]:
            yield from (f"{here}.{f}" for f in fields)
        elif fact is not None:
            yield here
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            yield from _field_paths(info.annotation, here)


FIELD_PATHS: tuple[str, ...] = tuple(_field_paths(CaseReport, ""))
"""Every field a prompt can extract, in schema order: a single fact by its path
(``patient.age``, ``outcome.cause_of_death``, ``source.authors``), a field of the records in a
list by the list's path and the field (``treatments.dose``)."""


def collapse_paths(paths: Iterable[str]) -> list[str]:
    """`paths` (of `FIELD_PATHS`) in schema order, with a top-level section named alone when
    every field under it is there (``source`` for all of ``source.title`` .. ``keywords``)."""
    given = set(paths)
    out: list[str] = []
    for section in SECTIONS:
        under = [p for p in FIELD_PATHS if p.split(".")[0] == section]
        if all(p in given for p in under):
            out.append(section)
        else:
            out.extend(p for p in under if p in given)
    return out


def iter_facts(model: BaseModel, path: str = "") -> Iterator[tuple[str, BaseModel, Evidence]]:
    """Yield ``(json_path, fact, evidence)`` for every fact in `model`, depth first, in schema
    order."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if isinstance(value, Evidence):
            yield path, model, value
        elif isinstance(value, BaseModel):
            yield from iter_facts(value, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from iter_facts(item, f"{here}[{i}]")


def iter_evidence(model: BaseModel, path: str = "") -> Iterator[tuple[str, Evidence]]:
    """Yield ``(json_path, evidence)`` for every fact in `model`, depth first, in schema order."""
    for here, _, evidence in iter_facts(model, path):
        yield here, evidence


def empty_case_report() -> CaseReport:
    """A record with every section present and nothing reported (the merge starting point)."""
    return CaseReport(
        source=SourceMetadata(
            title=None, journal=None, year=None, doi=None, authors=[], keywords=[]
        ),
        patient=Patient(age=None, age_group=None, sex=None),
        diagnoses=[],
        findings=[],
        disease_events=[],
        treatments=[],
        assessments=[],
        outcome=Outcome(status=None, cause_of_death=None, follow_up=None),
        timeline=[],
    )
