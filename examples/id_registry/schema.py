"""A small infectious-disease registry: the worked example of a schema of your own.

Built only from the toolkit's building blocks (docs/schemas.md): `Strict` models, facts that
carry `evidence: Evidence`, and a `Score` on every field saying how it is compared with gold.
A prompt names it with ``schema = "examples.id_registry.schema:IdRegistry"``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from abstraction.core.schema import AgeFact, EvidenceField, OutcomeStatusFact, SexFact, Strict
from abstraction.core.scoring import Score


class Patient(Strict):
    age: AgeFact | None
    sex: SexFact | None


class InfectionSite(Strict):
    """Where the infection is, as written (e.g. "left knee joint", "lung")."""

    value: Annotated[str, Score.text("anatomy")]
    evidence: EvidenceField


class Pathogen(Strict):
    """An organism identified in this patient, with the specimen and the method that found it."""

    organism: Annotated[str, Score.text()]
    specimen: Annotated[str | None, Score.text()]
    method: Annotated[
        Literal["culture", "pcr", "antigen", "serology", "microscopy", "sequencing", "other"]
        | None,
        Score.exact(),
    ]
    evidence: EvidenceField


class Antimicrobial(Strict):
    """One antimicrobial given, in the order given (the order is scored)."""

    drug: Annotated[str, Score.text("treatments")]
    dose: Annotated[str | None, Score.text()]
    route: Annotated[
        Literal["oral", "intravenous", "intramuscular", "topical", "other"] | None, Score.exact()
    ]
    duration: Annotated[str | None, Score.time()]
    evidence: EvidenceField


class SourceControl(Strict):
    """A procedure that removes or drains the source of the infection."""

    procedure: Annotated[str, Score.text("treatments")]
    time: Annotated[str | None, Score.time()]
    evidence: EvidenceField


class IdRegistry(Strict):
    """One patient's infection, as an infectious-disease registry records it."""

    patient: Patient
    infection_site: InfectionSite | None
    pathogens: Annotated[list[Pathogen], Score.records("organism")]
    antimicrobials: Annotated[list[Antimicrobial], Score.records("drug", ordered=True)]
    source_control: Annotated[list[SourceControl], Score.records("procedure")]
    outcome: OutcomeStatusFact | None
