"""Peer comparison on MACCROBAT-dev: LangExtract, a one-call instructor extraction, and ours.

Being replaced: ``abstraction eval SUITE --system ours:v18 --system instructor`` runs ours and
a one-call instructor system inside the harness (`abstraction.evaluation.systems`), with the
same instruction text, kinds list, client and retry policy for both (docs/evaluation.md,
"Systems").  This script's instructor peer differs (its own prompt and `PeerRecord`, no
re-asks); it stays for LangExtract, whose adapter has not moved yet.

Every system runs on the same embedded model, through the same llama.cpp server, on the same
documents; every output is mapped to our `CaseReport` and scored by our scorer against the
partial gold of ``abstraction import-brat``, on the core fields only (`CORE_FIELDS`: age, sex,
diagnoses, signs/symptoms with their negation, medications with their dose, diagnostic and
therapeutic procedures, outcome).  Run it under the model lock:

    flock /tmp/model.lock python eval/peers.py --gold out/maccrobat-gold \\
        --dataset ../shared/datasets/maccrobat2020-dev
    python eval/peers.py --rescore            # re-map and re-score the stored raw outputs

The server is llama_cpp.server (the toolkit's default), or with ``--llama-server PATH``
llama.cpp's own ``llama-server`` (one slot; scripts/build_llama_server.sh builds it), which
decodes about twice as fast here.  On llama-server, our client and the instructor peer both
send the schema as the same GBNF grammar (llama-server's own schema converter lets the model
write newlines and indents).  Systems take turns document by document, so a host whose speed
drifts slows every system alike.  Replaying recordings made on llama-server needs
``--llama-server`` too (no server is started): the requests carry the grammar.

The systems:

- ``langextract``: `langextract.extract` with the OpenAI provider pointed at the server, our
  fictional few-shot examples (`LX_EXAMPLES`), its default 1,000-character chunks, one worker
  (the server answers one request at a time anyway), temperature 0 and at most 3,000 output
  tokens per call.  ``use_schema_constraints=False``: with its default (True) LangExtract sends
  ``response_format: {"type": "json_schema", ...}``, which llama-cpp-python's server rejects
  with HTTP 500, so every document fails; ``--langextract-schema`` runs that setting (as system
  ``langextract-schema``) to show it.  Without the schema it sends ``{"type": "json_object"}``.
- ``instructor``: one call per document (``max_retries=0``, no HTTP retries) with a small
  pydantic model (`PeerRecord`, no evidence), ``Mode.JSON`` and the schema passed to llama.cpp
  as ``response_format: {"type": "json_object", "schema": ...}``; no examples.
- ``ours-<version>``: `abstraction.extraction.pipeline.extract` with each ``--prompt`` version
  (default: the CLI's default prompt), through `abstraction.client`.

Mapping peers to the schema follows the importer's rules (abstraction/evaluation/brat.py), so
that a peer is not penalised for a convention: a negated disease is ``ruled_out``, an uncertain
one is left out; medications and therapeutic procedures become treatments (category from the
importer's keyword rule, medications with their dose), diagnostic procedures assessments; the
outcome status comes from the outcome's words (died / alive); a repeated mention that adds
nothing is dropped.  LangExtract's character intervals fill the evidence offsets (its alignment
status becomes ours; an extraction it could not align is ``unsupported``); instructor's values
have a quote only.

The table gives each system's overall micro F1 with its 95% interval and, for each of our
systems, its margin over every other system with a 95% interval: a paired bootstrap over
documents (`abstraction.evaluation.compare`, the eval harness's own).

Seconds per document are wall-clock seconds around each system's work on one document (the
server's start is not included).  Calls are the model requests each system makes: one per
LangExtract chunk prompt, one per instructor call, one per attempt of each of our passes
(re-asks included).  The openai SDK's own retries of a failed HTTP request (5xx, timeouts:
two in LangExtract's client and in ours, none in the instructor peer's) are not counted.
"Discarded calls" are calls whose answer was not used (a re-ask, an unparseable chunk, an
error).  Few-shot leakage: a document leaks when an output value equals a value of that
system's examples and the document does not contain it (`abstraction.evaluation.leakage`).

Outputs under ``--out`` (default ``out/peers``, git-ignored: they embed MACCROBAT text):
``<system>/<id>.raw.json`` (what the system returned, with timings), ``<system>/<id>.json``
(the mapped `Extraction`, readable by ``abstraction score``), ``<system>/score.json``, and
``table.json`` / ``table.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pydantic import BaseModel, Field, ValidationError  # noqa: E402

from abstraction import __version__  # noqa: E402
from abstraction.core.documents import Document, sha256_text  # noqa: E402
from abstraction.core.errors import UserError  # noqa: E402
from abstraction.core.prompts import PromptSpec, default_prompts_dir, load_prompt  # noqa: E402
from abstraction.core.records import (  # noqa: E402
    DocumentInfo,
    Extraction,
    Failure,
    GoldRecord,
    Provenance,
    Usage,
)
from abstraction.core.schema import (  # noqa: E402
    AgeFact,
    Assessment,
    CaseReport,
    Diagnosis,
    Evidence,
    Finding,
    OutcomeStatusFact,
    SexFact,
    TextFact,
    empty_case_report,
)
from abstraction.core.vocab import (  # noqa: E402
    outcome_status,
    parse_age,
    parse_sex,
    treatment_item,
)
from abstraction.evaluation.leakage import example_values, leaked_strings  # noqa: E402

CORE_FIELDS: tuple[str, ...] = (
    "patient.age",
    "patient.sex",
    "diagnoses.name",
    "findings.name",
    "findings.assertion",
    "treatments.name",
    "treatments.dose",
    "assessments.method",
    "outcome.status",
    "outcome.cause_of_death",
)
"""The fields compared (scored only where the partial gold annotates them)."""

PEERS = ("langextract", "instructor")
API_KEY = "sk-local"  # the local server checks none; the SDKs insist on one
MAX_TOKENS = 3000  # per call, as our prompts' settings
Item = TypeVar("Item", bound=BaseModel)

# ----------------------------------------------------------------------------- LangExtract

LX_PROMPT = (
    "Extract facts about the patient of this clinical case report, in order of appearance, "
    "using the exact words of the text (no paraphrase). Classes: age; sex; disease (diseases "
    "and disorders the patient has or that were ruled out); sign_symptom (signs, symptoms and "
    "abnormal findings); medication (drugs given to the patient); diagnostic_procedure (tests, "
    "imaging, examinations); therapeutic_procedure (surgery and other treatments that are not "
    "drugs); outcome (the patient's final status). Attributes: assertion (present, absent when "
    "negated, or uncertain) for disease and sign_symptom; body_site for sign_symptom when "
    "stated; dose as written for medication; cause_of_death for outcome when stated. Do not "
    "extract facts about other people, and never copy facts from the examples."
)

LX_EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "text": (
            "A 62-year-old woman presented with fever and a productive cough but denied chest "
            "pain. A chest radiograph showed consolidation in the right lower lobe, and "
            "community-acquired pneumonia was diagnosed. She was treated with intravenous "
            "ceftriaxone 2 g daily and was discharged in good condition on day 6."
        ),
        "extractions": [
            ("age", "62-year-old", {}),
            ("sex", "woman", {}),
            ("sign_symptom", "fever", {"assertion": "present"}),
            ("sign_symptom", "productive cough", {"assertion": "present"}),
            ("sign_symptom", "chest pain", {"assertion": "absent"}),
            ("diagnostic_procedure", "chest radiograph", {}),
            (
                "sign_symptom",
                "consolidation",
                {"assertion": "present", "body_site": "right lower lobe"},
            ),
            ("disease", "community-acquired pneumonia", {"assertion": "present"}),
            ("medication", "ceftriaxone", {"dose": "2 g daily"}),
            ("outcome", "discharged in good condition", {}),
        ],
    },
    {
        "text": (
            "An 8-month-old boy was brought in after two days of vomiting and abdominal "
            "distension; there was no diarrhoea. Abdominal ultrasound showed an ileocolic "
            "intussusception. He underwent laparotomy with manual reduction and received "
            "morphine 0.1 mg/kg for pain. He later developed sepsis and died on the fifth "
            "postoperative day."
        ),
        "extractions": [
            ("age", "8-month-old", {}),
            ("sex", "boy", {}),
            ("sign_symptom", "vomiting", {"assertion": "present"}),
            ("sign_symptom", "abdominal distension", {"assertion": "present"}),
            ("sign_symptom", "diarrhoea", {"assertion": "absent"}),
            ("diagnostic_procedure", "Abdominal ultrasound", {}),
            ("disease", "ileocolic intussusception", {"assertion": "present"}),
            ("therapeutic_procedure", "laparotomy", {}),
            ("therapeutic_procedure", "manual reduction", {}),
            ("medication", "morphine", {"dose": "0.1 mg/kg"}),
            ("sign_symptom", "pain", {"assertion": "present"}),
            ("disease", "sepsis", {"assertion": "present"}),
            ("outcome", "died", {"cause_of_death": "sepsis"}),
        ],
    },
)
"""Fictional few-shot examples (not from MACCROBAT): every extraction text is in its text."""

LX_FREE_TEXT_ATTRIBUTES = ("body_site", "dose", "cause_of_death")
"""Attributes whose values are words of the text (the others are a fixed vocabulary)."""

_LX_CLASSES = {
    "age": "age",
    "sex": "sex",
    "gender": "sex",
    "disease": "disease",
    "disease_disorder": "disease",
    "diagnosis": "disease",
    "disorder": "disease",
    "sign_symptom": "sign_symptom",
    "sign": "sign_symptom",
    "symptom": "sign_symptom",
    "signs_symptoms": "sign_symptom",
    "finding": "sign_symptom",
    "medication": "medication",
    "drug": "medication",
    "diagnostic_procedure": "diagnostic_procedure",
    "test": "diagnostic_procedure",
    "therapeutic_procedure": "therapeutic_procedure",
    "procedure": "therapeutic_procedure",
    "treatment": "therapeutic_procedure",
    "outcome": "outcome",
}
_STATUS: dict[str | None, tuple[Any, Any]] = {
    "match_exact": ("exact", "verbatim"),
    "match_fuzzy": ("fuzzy", "fuzzy"),
    "match_lesser": ("fuzzy", "fuzzy"),
    "match_greater": ("fuzzy", "fuzzy"),
}


def lx_examples() -> list[Any]:
    """`LX_EXAMPLES` as LangExtract `ExampleData` (imports langextract)."""
    from langextract import data as lxd

    return [
        lxd.ExampleData(
            text=ex["text"],
            extractions=[
                lxd.Extraction(extraction_class=c, extraction_text=t, attributes=a or None)
                for c, t, a in ex["extractions"]
            ],
        )
        for ex in LX_EXAMPLES
    ]


def lx_example_values() -> set[str]:
    """Normalised words of the examples that a copy would reproduce (length >= 3)."""
    values = [
        s
        for ex in LX_EXAMPLES
        for _, text, attrs in ex["extractions"]
        for s in [text, *(attrs.get(k, "") for k in LX_FREE_TEXT_ATTRIBUTES)]
        if s
    ]
    return {v for v in _normalised(values) if len(v) >= 3}


def lx_emitted_values(adoc: dict[str, Any]) -> list[str]:
    """The words LangExtract returned: extraction texts and free-text attribute values."""
    out: list[str] = []
    for e in adoc.get("extractions") or []:
        out.append(str(e.get("extraction_text") or ""))
        attrs = e.get("attributes") or {}
        out.extend(_attr(attrs, k) or "" for k in LX_FREE_TEXT_ATTRIBUTES)
    return [s for s in out if s]


def _normalised(values: Iterable[str]) -> set[str]:
    from abstraction.grounding import normalize

    return {normalize(v) for v in values}


def _attr(attrs: dict[str, Any], key: str) -> str | None:
    value = attrs.get(key)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v)
    value = str(value).strip() if value is not None else ""
    return value or None


def _lx_class(name: str) -> str | None:
    key = re.sub(r"[^a-z]+", "_", name.lower()).strip("_")
    return _LX_CLASSES.get(key)


def _assertion(value: str | None) -> Literal["present", "absent", "uncertain"]:
    v = (value or "").lower()
    if "uncertain" in v or "possible" in v or "suspect" in v:
        return "uncertain"
    if "absent" in v or "neg" in v or v in ("no", "false"):
        return "absent"
    return "present"


def lx_evidence(e: dict[str, Any], text: str) -> Evidence:
    """Evidence from LangExtract's character interval and alignment status."""
    ci = e.get("char_interval") or {}
    start, end = ci.get("start_pos"), ci.get("end_pos")
    quote = str(e.get("extraction_text") or "")
    if start is None or end is None or not 0 <= start < end <= len(text):
        return Evidence(quote=quote, status="unsupported", note="langextract: not aligned")
    status, method = _STATUS.get(e.get("alignment_status"), ("fuzzy", "fuzzy"))
    return Evidence(quote=text[start:end], start=start, end=end, status=status, method=method)


@dataclass
class Mapped:
    """A peer's output as our record, with what the mapping left out and why."""

    record: CaseReport
    notes: Counter[str] = field(default_factory=Counter)


def _sex_of(text: str) -> Literal["female", "male"] | None:
    for word in re.findall(r"[A-Za-z]+", text):
        sex = parse_sex(word)
        if sex:
            return sex
    return None


def _outcome(
    rec: CaseReport, candidates: list[tuple[str, Evidence, str | None]], notes: Counter[str]
) -> None:
    """Died wins over alive, the first such mention is the evidence (the importer's rule)."""
    stated = [(outcome_status(t), ev, cause) for t, ev, cause in candidates]
    notes["outcome: no status in its words"] += sum(s is None for s, _, _ in stated)
    for wanted in ("died", "alive"):
        chosen = [(ev, cause) for s, ev, cause in stated if s == wanted]
        if chosen:
            ev, cause = chosen[0]
            rec.outcome.status = OutcomeStatusFact(value=wanted, evidence=ev)
            if wanted == "died" and cause:
                rec.outcome.cause_of_death = TextFact(value=cause, evidence=Evidence(quote=cause))
            return


def lx_to_record(adoc: dict[str, Any], text: str) -> Mapped:
    """Map a LangExtract result (``data_lib.annotated_document_to_dict``) to a `CaseReport`."""
    rec, notes = empty_case_report(), Counter[str]()
    outcomes: list[tuple[str, Evidence, str | None]] = []
    for e in adoc.get("extractions") or []:
        cls = _lx_class(str(e.get("extraction_class") or ""))
        value = str(e.get("extraction_text") or "").strip()
        attrs = e.get("attributes") or {}
        if cls is None:
            notes[f"unmapped class {e.get('extraction_class')!r}"] += 1
            continue
        if not value:
            notes[f"{cls}: empty extraction text"] += 1
            continue
        ev = lx_evidence(e, text)
        if cls == "age":
            _set_age(rec, parse_age(value), ev, notes)
        elif cls == "sex":
            _set_sex(rec, _sex_of(value), ev, notes)
        elif cls == "disease":
            _add_diagnosis(rec, value, _assertion(_attr(attrs, "assertion")), ev, notes)
        elif cls == "sign_symptom":
            assertion = _assertion(_attr(attrs, "assertion"))
            body_site = _attr(attrs, "body_site")
            rec.findings.append(
                Finding(name=value, assertion=assertion, body_site=body_site, evidence=ev)
            )
        elif cls == "medication":
            rec.treatments.append(treatment_item(value, _attr(attrs, "dose"), ev))
        elif cls == "therapeutic_procedure":
            rec.treatments.append(treatment_item(value, None, ev))
        elif cls == "diagnostic_procedure":
            rec.assessments.append(Assessment(method=value, result=None, time=None, evidence=ev))
        else:
            outcomes.append((value, ev, _attr(attrs, "cause_of_death")))
    _outcome(rec, outcomes, notes)
    return Mapped(_deduped(rec, notes), notes)


def _set_age(
    rec: CaseReport, parsed: tuple[float, Any] | None, ev: Evidence, notes: Counter[str]
) -> None:
    if rec.patient.age is not None:
        return
    if parsed is None or not 0 <= parsed[0] <= 150:
        notes["age: no number and unit"] += 1
        return
    rec.patient.age = AgeFact(value=parsed[0], unit=parsed[1], evidence=ev)


def _set_sex(
    rec: CaseReport, sex: Literal["female", "male"] | None, ev: Evidence, notes: Counter[str]
) -> None:
    if rec.patient.sex is not None:
        return
    if sex is None:
        notes["sex: not understood"] += 1
        return
    rec.patient.sex = SexFact(value=sex, evidence=ev)


def _add_diagnosis(
    rec: CaseReport,
    name: str,
    assertion: Literal["present", "absent", "uncertain"],
    ev: Evidence,
    notes: Counter[str],
) -> None:
    """Negated -> ruled_out; uncertain ones are skipped, as the importer does."""
    if assertion == "uncertain":
        notes["diagnoses: uncertain, skipped"] += 1
        return
    status = "ruled_out" if assertion == "absent" else "secondary"
    rec.diagnoses.append(Diagnosis(name=name, status=status, details=None, evidence=ev))


def _key(item: BaseModel) -> dict[str, Any]:
    return {
        k: " ".join(v.split()).casefold() if isinstance(v, str) else v
        for k, v in item.model_dump(exclude={"evidence"}).items()
    }


def dedupe(items: Sequence[Item], *, key: str = "name") -> list[Item]:
    """Drop an item whose `key` equals an earlier one's and whose other filled values all do.

    The importer's rule for repeated mentions: "fever" twice is one finding, "pain" absent
    after "pain" present stays.
    """
    kept: list[Item] = []
    seen: list[dict[str, Any]] = []
    for item in items:
        values = _key(item)
        if any(
            values[key] == old[key] and all(v is None or v == old[k] for k, v in values.items())
            for old in seen
        ):
            continue
        kept.append(item)
        seen.append(values)
    return kept


def _deduped(rec: CaseReport, notes: Counter[str]) -> CaseReport:
    for name, key in (("diagnoses", "name"), ("findings", "name"), ("treatments", "name")):
        items = getattr(rec, name)
        kept = dedupe(items, key=key)
        notes[f"{name}: repeated mention dropped"] += len(items) - len(kept)
        setattr(rec, name, kept)
    kept_a = dedupe(rec.assessments, key="method")
    notes["assessments: repeated mention dropped"] += len(rec.assessments) - len(kept_a)
    rec.assessments = kept_a
    for k in [k for k, v in notes.items() if v == 0]:
        del notes[k]
    return CaseReport.model_validate(rec.model_dump())


# ----------------------------------------------------------------------------- instructor


class PeerFinding(BaseModel):
    name: str = Field(description="Sign or symptom, as written.")
    negated: bool = Field(description="True when the text says it was absent.")


class PeerMedication(BaseModel):
    name: str = Field(description="Drug given to the patient, as written.")
    dose: str | None = Field(description="Dose as written, or null.")


class PeerRecord(BaseModel):
    """The core fields, no evidence: what a plain one-call extraction asks for."""

    age: float | None = Field(description="Age number, or null if not stated.")
    age_unit: Literal["years", "months", "weeks", "days"] | None
    sex: Literal["female", "male"] | None
    diagnoses: list[str] = Field(description="Diseases and disorders the patient has.")
    signs_symptoms: list[PeerFinding]
    medications: list[PeerMedication]
    diagnostic_procedures: list[str] = Field(description="Tests, imaging, examinations.")
    therapeutic_procedures: list[str] = Field(description="Surgery and other non-drug treatment.")
    outcome: Literal["alive", "died"] | None = Field(description="Only if the text states it.")
    cause_of_death: str | None


INSTRUCTOR_SYSTEM = (
    "You extract facts about the patient from a clinical case report. Report only what the "
    "text states about this patient, in the words of the text. Use null or an empty list when "
    "something is not stated."
)
INSTRUCTOR_USER = (
    "{text}\n\nExtract from the case report above: the patient's age and sex, diagnoses, "
    "signs and symptoms (negated=true when the text says they were absent), medications with "
    "their dose, diagnostic procedures, therapeutic procedures, the outcome (alive or died) and "
    "the cause of death."
)


def instructor_to_record(data: dict[str, Any]) -> Mapped:
    """Map a `PeerRecord` (as a dict) to a `CaseReport`; evidence is the value as a quote."""
    peer = PeerRecord.model_validate(data)
    rec, notes = empty_case_report(), Counter[str]()

    def ev(value: str) -> Evidence:
        return Evidence(quote=value)

    if peer.age is not None and 0 <= peer.age <= 150:
        unit = peer.age_unit or "years"
        rec.patient.age = AgeFact(value=peer.age, unit=unit, evidence=ev(f"{peer.age:g} {unit}"))
    elif peer.age is not None:
        notes["age: out of range"] += 1
    if peer.sex:
        rec.patient.sex = SexFact(value=peer.sex, evidence=ev(peer.sex))
    for name in _nonblank(peer.diagnoses):
        _add_diagnosis(rec, name, "present", ev(name), notes)
    rec.findings = [
        Finding(
            name=f.name.strip(),
            assertion="absent" if f.negated else "present",
            body_site=None,
            evidence=ev(f.name),
        )
        for f in peer.signs_symptoms
        if f.name.strip()
    ]
    rec.treatments = [
        treatment_item(m.name.strip(), (m.dose or "").strip() or None, ev(m.name))
        for m in peer.medications
        if m.name.strip()
    ] + [treatment_item(p, None, ev(p)) for p in _nonblank(peer.therapeutic_procedures)]
    rec.assessments = [
        Assessment(method=m, result=None, time=None, evidence=ev(m))
        for m in _nonblank(peer.diagnostic_procedures)
    ]
    if peer.outcome:
        rec.outcome.status = OutcomeStatusFact(value=peer.outcome, evidence=ev(peer.outcome))
        cause = (peer.cause_of_death or "").strip()
        if peer.outcome == "died" and cause:
            rec.outcome.cause_of_death = TextFact(value=cause, evidence=ev(cause))
    return Mapped(_deduped(rec, notes), notes)


def _nonblank(values: Iterable[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()]


# ----------------------------------------------------------------------------- running


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _sha(*parts: str) -> str:
    return hashlib.sha256("\n\x00".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    label: str  # what the provenance says: "local" or the URL
    server: str | None = None  # the embedded model's server: llama_cpp.server or llama-server


def _envelope(system: str, doc: Document, endpoint: Endpoint, **rest: Any) -> dict[str, Any]:
    return {
        "system": system,
        "document_id": doc.id,
        "document_sha256": doc.sha256,
        "model": endpoint.model,
        "endpoint": endpoint.label,
        **({"server": endpoint.server} if endpoint.server else {}),
        **rest,
    }


class LangExtractPeer:
    """`langextract.extract` against the server, with every call logged and counted."""

    def __init__(self, endpoint: Endpoint, *, schema_constraints: bool, chunk_chars: int):
        self.endpoint = endpoint
        self.schema_constraints = schema_constraints
        self.chunk_chars = chunk_chars
        self.name = "langextract-schema" if schema_constraints else "langextract"
        self.settings = {
            "use_schema_constraints": schema_constraints,
            "max_char_buffer": chunk_chars,
            "temperature": 0.0,
            "max_output_tokens": MAX_TOKENS,
            "seed": 0,
            "max_workers": 1,
            "extraction_passes": 1,
        }
        self.prompt_sha256 = _sha(LX_PROMPT, json.dumps(LX_EXAMPLES, sort_keys=True))

    def _model(self, examples: list[Any], log: list[dict[str, Any]]) -> Any:
        """The provider as ``lx.extract(config=..., use_schema_constraints=...)`` builds it,
        with its per-prompt call wrapped so that every request is timed and kept."""
        from langextract import factory

        config = factory.ModelConfig(
            model_id=self.endpoint.model,
            provider="OpenAILanguageModel",
            provider_kwargs={
                "base_url": self.endpoint.base_url,
                "api_key": API_KEY,
                "temperature": 0.0,
                "max_workers": 1,
                "max_output_tokens": MAX_TOKENS,
                "seed": 0,
            },
        )
        model: Any = factory.create_model(
            config,
            examples=examples if self.schema_constraints else None,
            use_schema_constraints=self.schema_constraints,
        )
        inner = model._process_single_prompt

        def logged(prompt: str, cfg: dict[str, Any]) -> Any:
            t0 = time.perf_counter()
            entry: dict[str, Any] = {"prompt_chars": len(prompt), "output": None, "error": None}
            try:
                out = inner(prompt, cfg)
                entry["output"] = out.output
                return out
            except Exception as exc:
                entry["error"] = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                entry["seconds"] = round(time.perf_counter() - t0, 3)
                log.append(entry)

        model._process_single_prompt = logged
        return model

    def run(self, doc: Document) -> dict[str, Any]:
        import langextract as lx
        from langextract import data_lib

        examples = lx_examples()
        log: list[dict[str, Any]] = []
        started, t0 = _now(), time.perf_counter()
        status, error, adoc = "ok", None, None
        try:
            result = lx.extract(
                doc.text,
                prompt_description=LX_PROMPT,
                examples=examples,
                model=self._model(examples, log),
                use_schema_constraints=False,  # the model above already has (or lacks) it
                max_char_buffer=self.chunk_chars,
                max_workers=1,
                batch_length=10,
                show_progress=False,
            )
            adoc = data_lib.annotated_document_to_dict(result)
            adoc.pop("text", None)
        except Exception as exc:  # a peer's failure is a result, not a crash
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - t0
        return _envelope(
            self.name,
            doc,
            self.endpoint,
            started_at=started,
            finished_at=_now(),
            seconds=round(seconds, 3),
            calls=len(log),
            discarded_calls=sum(not _lx_usable(c) for c in log),
            status=status,
            error=error,
            settings=self.settings,
            prompt_sha256=self.prompt_sha256,
            structured_output="json_schema" if self.schema_constraints else "json_object",
            usage=None,
            call_log=log,
            output=adoc,
        )


def _lx_usable(call: dict[str, Any]) -> bool:
    """A call LangExtract could use: an answer that parses as ``{"extractions": [...]}``."""
    if call.get("error") or not call.get("output"):
        return False
    text = str(call["output"]).strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
    try:
        parsed = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return False
    return isinstance(parsed, dict) and isinstance(parsed.get("extractions"), list)


class InstructorPeer:
    """One instructor call per document, constrained by llama.cpp's json_object schema."""

    name = "instructor"

    def __init__(self, endpoint: Endpoint, *, grammar: bool = False) -> None:
        """`grammar`: send the schema as the GBNF grammar our client sends llama-server
        (``gbnf``) instead of ``response_format`` (which llama-server turns into a grammar
        that allows newlines and indents between JSON tokens): the same constraint for both."""
        import httpx
        import instructor
        import openai

        self.endpoint = endpoint
        self.grammar = grammar
        http: Any = httpx.Client(trust_env=False, timeout=600.0)
        raw = openai.OpenAI(
            base_url=endpoint.base_url, api_key=API_KEY, max_retries=0, http_client=http
        )
        self.client = instructor.from_openai(raw, mode=instructor.Mode.JSON)
        self.schema = PeerRecord.model_json_schema()
        self.settings = {"temperature": 0.0, "max_tokens": MAX_TOKENS, "seed": 0, "retries": 0}
        self.prompt_sha256 = _sha(
            INSTRUCTOR_SYSTEM, INSTRUCTOR_USER, json.dumps(self.schema, sort_keys=True)
        )

    def _constraint(self) -> dict[str, Any]:
        if self.grammar:
            from abstraction.client import gbnf_grammar

            # null cancels the response_format that instructor's JSON mode adds
            return {"grammar": gbnf_grammar(json.dumps(self.schema)), "response_format": None}
        return {"response_format": {"type": "json_object", "schema": self.schema}}

    def run(self, doc: Document) -> dict[str, Any]:
        from instructor.core.hooks import Hooks

        responses: list[Any] = []
        hooks = Hooks()
        hooks.on("completion:response", responses.append)
        started, t0 = _now(), time.perf_counter()
        status, error, parsed = "ok", None, None
        try:
            value = self.client.chat.completions.create(
                model=self.endpoint.model,
                response_model=PeerRecord,
                messages=[
                    {"role": "system", "content": INSTRUCTOR_SYSTEM},
                    {"role": "user", "content": INSTRUCTOR_USER.format(text=doc.text.strip())},
                ],
                max_retries=0,
                hooks=hooks,
                temperature=0.0,
                max_tokens=MAX_TOKENS,
                seed=0,
                extra_body=self._constraint(),
            )
            parsed = value.model_dump()
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {str(exc)[:2000]}"
        seconds = time.perf_counter() - t0
        texts, usage = _responses(responses)
        calls = max(len(responses), 1)
        return _envelope(
            self.name,
            doc,
            self.endpoint,
            started_at=started,
            finished_at=_now(),
            seconds=round(seconds, 3),
            calls=calls,
            discarded_calls=calls - (status == "ok"),
            status=status,
            error=error,
            settings=self.settings,
            prompt_sha256=self.prompt_sha256,
            structured_output="gbnf" if self.grammar else "json_object_schema",
            usage=usage,
            call_log=[{"output": t} for t in texts],
            output=parsed,
        )


def _responses(responses: list[Any]) -> tuple[list[str | None], dict[str, int]]:
    texts: list[str | None] = []
    usage = Counter[str]()
    for r in responses:
        try:
            texts.append(r.choices[0].message.content)
        except (AttributeError, IndexError):
            texts.append(None)
        u = getattr(r, "usage", None)
        for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
            usage[k] += int(getattr(u, k, 0) or 0)
    return texts, dict(usage)


class OursSystem:
    """Our pipeline (`abstraction.extraction.pipeline.extract`) with one prompt version."""

    def __init__(
        self, prompt: PromptSpec, client: Any, endpoint: Endpoint, *, replay: bool = False
    ) -> None:
        self.prompt, self.client, self.endpoint = prompt, client, endpoint
        self.name = f"ours-{prompt.version}"
        self.replay = replay

    def run(self, doc: Document) -> dict[str, Any]:
        from abstraction.extraction.pipeline import extract

        started, t0 = _now(), time.perf_counter()
        before = self.client.recorded_latency()
        ext = extract(doc, prompt=self.prompt, client=self.client)
        seconds = time.perf_counter() - t0
        after = self.client.recorded_latency()
        if before is not None and after is not None:
            # Recording or replaying: the seconds the live calls took when recorded (a call
            # answered from an earlier recording is not re-timed at ~0 s).
            seconds = after[0] - before[0]
        usage = ext.provenance.usage
        used = sum(p.status == "ok" for p in ext.provenance.passes)
        return _envelope(
            self.name,
            doc,
            self.endpoint,
            started_at=started,
            finished_at=_now(),
            seconds=round(seconds, 3),
            calls=usage.calls,
            discarded_calls=usage.calls - used,
            status=ext.status,
            error=ext.error.message if ext.error else None,
            settings=self.prompt.settings_dict(),
            prompt_sha256=self.prompt.sha256,
            structured_output=ext.provenance.structured_output,
            usage=usage.model_dump(),
            call_log=[],
            output=ext.model_dump(mode="json"),
        )


# ----------------------------------------------------------------------------- raw -> record


def map_raw(raw: dict[str, Any], doc: Document) -> tuple[Extraction, Counter[str]]:
    """The `Extraction` a raw output stands for (peers mapped, ours as it was written)."""
    system = raw["system"]
    if system.startswith("ours-"):
        return Extraction.model_validate(raw["output"]), Counter()
    mapped: Mapped | None = None
    failure = None
    if raw["status"] == "ok":
        try:
            if system.startswith("langextract"):
                mapped = lx_to_record(raw["output"] or {}, doc.text)
            else:
                mapped = instructor_to_record(raw["output"] or {})
        except (ValidationError, TypeError, KeyError) as exc:
            failure = Failure(kind="mapping", message=f"cannot map the output: {exc}")
    else:
        failure = Failure(kind="peer", message=raw.get("error") or "failed", attempts=raw["calls"])
    return _peer_extraction(raw, doc, mapped, failure), mapped.notes if mapped else Counter()


def _peer_extraction(
    raw: dict[str, Any], doc: Document, mapped: Mapped | None, failure: Failure | None
) -> Extraction:
    u = raw.get("usage") or {}
    usage = Usage(
        prompt_tokens=u.get("prompt_tokens", 0),
        completion_tokens=u.get("completion_tokens", 0),
        total_tokens=u.get("total_tokens", 0),
        calls=raw["calls"],
        retries=raw["discarded_calls"],
    )
    provenance = Provenance(
        toolkit_version=__version__,
        prompt_version=f"peer:{raw['system']}",
        prompt_sha256=raw["prompt_sha256"],
        model=raw["model"],
        endpoint=raw["endpoint"],
        structured_output=raw["structured_output"],
        settings=raw["settings"],
        document_sha256=doc.sha256,
        started_at=raw["started_at"],
        finished_at=raw["finished_at"],
        timings={"total": raw["seconds"]},
        usage=usage,
        passes=[],
    )
    return Extraction(
        document=DocumentInfo(id=doc.id, path=doc.path, sha256=doc.sha256, chars=len(doc.text)),
        status="ok" if mapped else "failed",
        record=mapped.record if mapped else None,
        error=failure,
        grounding=None,
        provenance=provenance,
    )


def leaks_of(
    raw: dict[str, Any], ext: Extraction, doc: Document, prompts: dict[str, PromptSpec]
) -> list[str] | None:
    """Example values copied into this output (None: the system has no examples)."""
    system = raw["system"]
    if system.startswith("langextract"):
        if raw["status"] != "ok":
            return []
        return leaked_strings(lx_example_values(), lx_emitted_values(raw["output"] or {}), doc.text)
    if system.startswith("ours-"):
        prompt = prompts.get(system.removeprefix("ours-"))
        if prompt is None or not example_values(prompt):
            return None
        from abstraction.evaluation.leakage import leaked_values

        return leaked_values(ext, prompt, doc.text)
    return None  # instructor: no examples


# ----------------------------------------------------------------------------- scoring


@dataclass
class SystemResult:
    name: str
    docs: list[str]
    report: Any  # ScoreReport
    seconds: dict[str, float]  # per document id, for the documents that have an output
    calls: dict[str, int]
    discarded: dict[str, int]
    failures: list[str]
    leaks: dict[str, list[str]] | None
    notes: Counter[str]
    missing: list[str]
    results: list[Any] = field(default_factory=list)  # DocResult per document, in order


def score_system(
    name: str,
    docs: list[Document],
    golds: dict[str, GoldRecord],
    out: Path,
    prompts: dict[str, PromptSpec],
    fields: tuple[str, ...],
) -> SystemResult:
    """Map every stored raw output of `name`, write the `Extraction`s, score them."""
    from abstraction.evaluation.files import Prediction, prediction_from_extraction
    from abstraction.evaluation.files import score_prediction as score_one
    from abstraction.evaluation.results import build_report

    folder = out / name
    res = SystemResult(name, [d.id for d in docs], None, {}, {}, {}, [], {}, Counter(), [])
    results = []
    leaks: dict[str, list[str]] = {}
    has_examples = False
    for doc in docs:
        raw_path = folder / f"{doc.id}.raw.json"
        if not raw_path.is_file():
            res.missing.append(doc.id)
            pred = Prediction("missing", None, f"no raw output {raw_path}")
            results.append(score_one(golds[doc.id], pred, fields=fields))
            continue
        raw = json.loads(raw_path.read_text("utf-8"))
        ext, notes = map_raw(raw, doc)
        (folder / f"{doc.id}.json").write_text(ext.model_dump_json(indent=2) + "\n", "utf-8")
        res.notes.update(notes)
        res.seconds[doc.id] = raw["seconds"]
        res.calls[doc.id] = raw["calls"]
        res.discarded[doc.id] = raw["discarded_calls"]
        if ext.status != "ok":
            res.failures.append(doc.id)
        leaked = leaks_of(raw, ext, doc, prompts)
        if leaked is not None:
            has_examples = True
            if leaked:
                leaks[doc.id] = leaked
        results.append(score_one(golds[doc.id], prediction_from_extraction(ext), fields=fields))
    res.report = build_report(results)
    res.results = results
    res.leaks = leaks if has_examples else None
    (folder / "score.json").write_text(res.report.model_dump_json(indent=2) + "\n", "utf-8")
    return res


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def table_rows(results: list[SystemResult]) -> tuple[list[str], list[list[str]]]:
    """Rows: per-field F1 (with the gold count), overall micro P/R/F1, cost and failures."""
    header = ["field", "gold n", *[r.name for r in results]]
    paths = list(dict.fromkeys(p for r in results for p in r.report.fields))
    rows = []
    for path in paths:
        scores = [r.report.fields.get(path) for r in results]
        gold_n = next((s.gold for s in scores if s is not None), 0)
        cells = ["-" if s is None or s.tp + s.fp + s.fn == 0 else f"{s.f1:.3f}" for s in scores]
        rows.append([path, str(gold_n), *cells])
    n = len(results[0].docs) if results else 0
    for label, get in (
        ("overall micro P", lambda r: f"{r.report.overall.precision:.3f}"),
        ("overall micro R", lambda r: f"{r.report.overall.recall:.3f}"),
        ("overall micro F1", lambda r: f"{r.report.overall.f1:.3f}"),
        *_interval_rows(results),
        ("seconds / document", lambda r: _fmt(_mean(list(r.seconds.values())), ".1f")),
        ("calls / document", lambda r: _fmt(_mean(list(r.calls.values())), ".2f")),
        ("discarded calls", lambda r: str(sum(r.discarded.values()))),
        ("failed documents", lambda r: f"{len(r.failures) + len(r.missing)}/{n}"),
        ("documents with leaked examples", _leak_cell),
    ):
        rows.append([label, "", *[get(r) for r in results]])
    return header, rows


def _interval_rows(results: list[SystemResult]) -> list[tuple[str, Callable[[Any], str]]]:
    """The micro F1's 95% interval per system, and for each of our systems its margin over
    every other (paired bootstrap over documents: `abstraction.evaluation.compare`)."""
    from abstraction.evaluation.compare import VersionInput, compare

    if len(results) < 2:
        return []
    rows: list[tuple[str, Callable[[Any], str]]] = []
    ours = [r for r in results if r.name.startswith("ours-")] or results[:1]
    for k, ref in enumerate(ours):
        order = [ref, *[r for r in results if r is not ref]]
        inputs = [VersionInput(r.name, prompt_sha256="", results=r.results) for r in order]
        report = compare("peers", inputs)
        f1 = dict(zip([r.name for r in order], report.overall.f1, strict=True))
        delta = dict(zip([r.name for r in order], report.overall.delta, strict=True))
        if k == 0:
            rows.append(("overall micro F1, 95% CI", lambda r, f1=f1: _iv(f1[r.name])))
        rows.append(
            (
                f"{ref.name} minus system, 95% CI",
                lambda r, d=delta: "" if d[r.name] is None else _iv(d[r.name], sign=-1),
            )
        )
    return rows


def _iv(iv: Any, sign: int = 1) -> str:
    """`iv` (an Interval), or its negation: ``0.303 [0.25, 0.35]``."""
    est, lo, hi = (sign * iv.estimate, sign * iv.low, sign * iv.high)
    lo, hi = min(lo, hi), max(lo, hi)
    fmt = "+.3f" if sign < 0 else ".3f"
    return f"{est:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _leak_cell(r: SystemResult) -> str:
    return "n/a (no examples)" if r.leaks is None else f"{len(r.leaks)}/{len(r.docs)}"


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def table_json(results: list[SystemResult], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        **meta,
        "systems": {
            r.name: {
                "overall": r.report.overall.model_dump(),
                "fields": {p: f.model_dump() for p, f in r.report.fields.items()},
                "seconds": r.seconds,
                "calls": r.calls,
                "discarded_calls": r.discarded,
                "seconds_per_document": _mean(list(r.seconds.values())),
                "calls_per_document": _mean(list(r.calls.values())),
                "failed_documents": r.failures,
                "missing_documents": r.missing,
                "leaked_examples": r.leaks,
                "mapping_notes": dict(r.notes),
            }
            for r in results
        },
    }


# ----------------------------------------------------------------------------- CLI


def choose_docs(dataset: Path, docs: list[str] | None, default_count: int = 8) -> list[Document]:
    """Ids, or a count (a single number below 1000) of the dataset's first ids, sorted."""
    ids = sorted(p.stem for p in dataset.glob("*.txt"))
    if not ids:
        raise UserError(f"{dataset}: no *.txt documents")
    if not docs:
        chosen = ids[:default_count]
    elif len(docs) == 1 and docs[0].isdigit() and int(docs[0]) < 1000:
        chosen = ids[: int(docs[0])]
    else:
        unknown = [d for d in docs if d not in ids]
        if unknown:
            raise UserError(f"not in {dataset}: {', '.join(unknown)}")
        chosen = docs
    return [Document.from_path(dataset / f"{i}.txt") for i in chosen]


def load_golds(gold_dir: Path, docs: list[Document]) -> dict[str, GoldRecord]:
    from abstraction.evaluation.files import read_gold

    golds = {}
    for doc in docs:
        path = gold_dir / f"{doc.id}.json"
        if not path.is_file():
            raise UserError(f"no gold {path}: run `abstraction import-brat` first")
        gold = read_gold(path)
        if gold.document_sha256 not in (None, sha256_text(doc.text)):
            raise UserError(f"{path}: the gold was made from another text than {doc.path}")
        golds[doc.id] = gold
    return golds


def _server(
    base_url: str | None,
    model: str,
    record: Path | None,
    replay: Path | None = None,
    llama_server: Path | None = None,
) -> AbstractContextManager[Any]:
    """Our client on the given server, or on one embedded server started here; with `record`,
    our system's exchanges are stored there as `abstraction eval --record` stores them (so an
    eval of the same suite can `--replay` them)."""
    from abstraction.client import ModelConfig, open_client

    rec: dict[str, Any] = (
        {"recording_dir": record, "recording_mode": "record"} if record is not None else {}
    )
    if replay is not None:
        rec = {"recording_dir": replay, "recording_mode": "replay"}
    if base_url:
        return open_client(
            ModelConfig(model=model, base_url=base_url, structured="json_object_schema", **rec)
        )
    return open_client(ModelConfig(llama_server=llama_server, **rec))


def run_systems(args: argparse.Namespace, docs: list[Document], prompts: list[PromptSpec]) -> None:
    """Call every system on every document; write ``<system>/<id>.raw.json``."""
    with _server(args.base_url, args.model, args.record, args.replay, args.llama_server) as client:
        endpoint = Endpoint(
            base_url=client.base_url,
            model=client.model_name,
            label="local" if not args.base_url else args.base_url,
            server=client.describe().get("server"),
        )
        systems: list[Any] = []
        if "langextract" in args.systems:
            systems.append(
                LangExtractPeer(endpoint, schema_constraints=False, chunk_chars=args.lx_chunk)
            )
            if args.langextract_schema:
                systems.append(
                    LangExtractPeer(endpoint, schema_constraints=True, chunk_chars=args.lx_chunk)
                )
        if "instructor" in args.systems:
            systems.append(InstructorPeer(endpoint, grammar=client.structured == "gbnf"))
        if "ours" in args.systems:
            systems += [
                OursSystem(p, client, endpoint, replay=args.replay is not None) for p in prompts
            ]
        # Document by document, every system on each in turn: a machine whose speed drifts
        # (a shared host) slows all systems alike, not the one that happens to run then.
        for doc in docs:
            for system in systems:
                folder = args.out / system.name
                folder.mkdir(parents=True, exist_ok=True)
                raw = system.run(doc)
                (folder / f"{doc.id}.raw.json").write_text(
                    json.dumps(raw, indent=1, ensure_ascii=False) + "\n", "utf-8"
                )
                print(
                    f"{system.name} {doc.id}: {raw['status']} {raw['seconds']:.1f} s, "
                    f"{raw['calls']} call(s)"
                    + (f" ({raw['error'][:200]})" if raw["error"] else ""),
                    file=sys.stderr,
                    flush=True,
                )


def system_names(args: argparse.Namespace, prompts: list[PromptSpec]) -> list[str]:
    names: list[str] = []
    if "langextract" in args.systems:
        names.append("langextract")
        if args.langextract_schema:
            names.append("langextract-schema")
    if "instructor" in args.systems:
        names.append("instructor")
    if "ours" in args.systems:
        names += [f"ours-{p.version}" for p in prompts]
    return names


def _default_dataset() -> Path:
    env = os.environ.get("ABSTRACTION_MACCROBAT_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "datasets" / "maccrobat2020-dev"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from abstraction.client import LOCAL_MODEL_NAME
    from abstraction.core.prompts import DEFAULT_PROMPT

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", nargs="*", help="Document ids, or a count (default: the first 8).")
    ap.add_argument(
        "--systems",
        nargs="+",
        choices=["langextract", "instructor", "ours"],
        default=["langextract", "instructor", "ours"],
    )
    ap.add_argument(
        "--prompt",
        action="append",
        help=f"Our prompt version; repeat to compare (default: {DEFAULT_PROMPT}).",
    )
    ap.add_argument("--base-url", help="Use this llama.cpp server instead of starting one.")
    ap.add_argument("--model", default=LOCAL_MODEL_NAME, help="Model name at --base-url.")
    ap.add_argument(
        "--llama-server",
        type=Path,
        help="Serve the embedded model with this llama.cpp llama-server binary (one slot) "
        "instead of llama_cpp.server.",
    )
    ap.add_argument("--dataset", type=Path, default=_default_dataset())
    ap.add_argument("--gold", type=Path, default=Path("out/maccrobat-gold"))
    ap.add_argument("--out", type=Path, default=Path("out/peers"))
    ap.add_argument("--prompts-dir", type=Path, default=None)
    ap.add_argument("--fields", nargs="+", default=list(CORE_FIELDS), help="Paths scored.")
    ap.add_argument("--lx-chunk", type=int, default=1000, help="LangExtract max_char_buffer.")
    ap.add_argument(
        "--langextract-schema",
        action="store_true",
        help="Also run LangExtract with use_schema_constraints=True (fails on llama.cpp).",
    )
    ap.add_argument("--rescore", action="store_true", help="Score stored outputs; no model.")
    ap.add_argument(
        "--record",
        type=Path,
        default=None,
        help="Store our system's model exchanges here (e.g. out/recordings-maccrobat, the "
        "maccrobat suites' folder, so `abstraction eval maccrobat-dev8 --replay` reuses them).",
    )
    ap.add_argument(
        "--replay",
        type=Path,
        default=None,
        help="Run our system from recordings here, without a model (seconds per document are "
        "then the recorded live latencies); only with --systems ours.",
    )
    args = ap.parse_args(argv)
    args.prompt = args.prompt or [DEFAULT_PROMPT]
    if args.replay is not None and (set(args.systems) != {"ours"} or args.record is not None):
        ap.error("--replay runs only our system (--systems ours) and does not record")
    return args


def main(argv: list[str] | None = None) -> int:
    from abstraction.evaluation.counts import unknown_paths

    args = parse_args(argv)
    try:
        bad = unknown_paths(args.fields)
        if bad:
            raise UserError(f"unknown field paths: {', '.join(bad)}")
        docs = choose_docs(args.dataset, args.docs)
        golds = load_golds(args.gold, docs)
        pdir = args.prompts_dir or default_prompts_dir()
        prompts = [load_prompt(v, pdir) for v in dict.fromkeys(args.prompt)]
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.rescore:
        run_systems(args, docs, prompts)
    by_version = {p.version: p for p in prompts}
    results = [
        score_system(name, docs, golds, args.out, by_version, tuple(args.fields))
        for name in system_names(args, prompts)
    ]
    header, rows = table_rows(results)
    meta = {
        "documents": [d.id for d in docs],
        "fields": list(args.fields),
        "gold": str(args.gold),
        "model": _model_of(args.out, results),
        "server": _model_of(args.out, results, "server"),
    }
    print(_title(meta))
    print(markdown(header, rows))
    _print_leaks(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table.md").write_text(_title(meta) + "\n\n" + markdown(header, rows), "utf-8")
    (args.out / "table.json").write_text(
        json.dumps(table_json(results, meta), indent=2) + "\n", "utf-8"
    )
    print(f"wrote {args.out / 'table.md'} and {args.out / 'table.json'}", file=sys.stderr)
    return 0


def _model_of(out: Path, results: list[SystemResult], key: str = "model") -> str | None:
    """What the first stored raw output says under `key` (None when it does not say)."""
    for r in results:
        for doc_id in r.docs:
            path = out / r.name / f"{doc_id}.raw.json"
            if path.is_file():
                value = json.loads(path.read_text("utf-8")).get(key)
                return None if value is None else str(value)
    return None


def _title(meta: dict[str, Any]) -> str:
    return (
        f"Peer comparison: {len(meta['documents'])} MACCROBAT-dev documents "
        f"({', '.join(meta['documents'])}), model {meta['model']}"
        + (f" on {meta['server']}" if meta.get("server") else "")
        + "; F1 per field from our scorer "
        "on the partial gold's core fields."
    )


def _print_leaks(results: list[SystemResult]) -> None:
    for r in results:
        for doc_id, values in (r.leaks or {}).items():
            print(f"leak {r.name} {doc_id}: {', '.join(values)}")
        for note, count in sorted(r.notes.items()):
            print(f"mapping {r.name}: {note}: {count}")


if __name__ == "__main__":
    raise SystemExit(main())
