"""Versioned, immutable prompt files.

A prompt is a TOML file ``prompts/<version>.toml``.  Its identity is its version plus the sha256
of the file's bytes; `prompts/lock.json` pins each version's hash, and the test suite fails if a
committed prompt changes (write a new version instead).  Each prompt has one or more passes;
each pass names the schema sections it extracts, so a multi-pass design is data, not code.

A prompt fills the built-in `CaseReport` unless it names another schema, ``schema =
"package.module:ClassName"`` (`abstraction.core.schemas`, docs/schemas.md): its passes' sections
are then that model's top-level fields.  ``mentions`` passes and the fixed ``rules`` are written
for `CaseReport` and are refused for another schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from abstraction.core.bundled import data_root
from abstraction.core.errors import UserError
from abstraction.core.schemas import DEFAULT_SCHEMA_REF, RecordSchema, resolve_schema

PROMPTS_ENV = "ABSTRACTION_PROMPTS_DIR"

DEFAULT_PROMPT = "v53"
"""The version `abstraction extract` and `batch prepare` use unless told otherwise: the one that
abstracts the whole case (every section of `CaseReport`, nothing in ``not_extracted``), measured
against v1, v18, v22, v27, v29, v30, v32, v33, v35, v37, v39, v40, v42, v43, v45, v46, v47,
v48, v49, v50, v51 and v52 on the hand-gold core suite and MACCROBAT dev-20 and held-20
(docs/prompts.md, "v29" ... "v52", "v53").  v53 is v48 with one more fixed rule
(``measurements_from_text``); every request is v48's.  v48 is v46 (v35 with four more fixed
rules and one mentions setting) with the source pass's instruction written field by field.
v18 lists names only."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(_Frozen):
    """A short fictional example: a text and the compact JSON answer for this pass."""

    text: str
    answer: str

    @field_validator("answer")
    @classmethod
    def _compact_json(cls, v: str) -> str:
        # The llama.cpp schema grammar allows no newlines inside JSON: an indented example
        # teaches the model a layout it cannot produce, and it stalls.
        json.loads(v)
        if "\n" in v.strip():
            raise ValueError("example answers must be compact, single-line JSON")
        return v


RULE_NAMES = (
    "values_as_written",
    "quote_from_value",
    "null_words",
    "tests_not_treatments",
    "category_vocabulary",
    "targets_by_category",
    "targets_of_targeted_only",
    "findings_not_sites",
    "findings_not_events",
    "findings_only_findings",
    "sites_from_words",
    "results_from_text",
    "measurements_from_text",
    "intent_from_words",
    "doses_are_doses",
    "doses_from_words",
    "dose_words",
    "durations_out_of_doses",
    "same_treatment_once",
    "duration_from_words",
    "follow_up_from_text",
    "times_from_words",
    "events_from_text",
    "diagnoses_not_treatments",
    "diagnoses_only_diseases",
    "same_disease_once",
    "one_principal",
    "transplant_attributes",
    "cell_donor_from_words",
    "sex_from_text",
    "age_from_text",
    "age_group_from_age",
    "outcome_from_text",
    "cause_of_death_diagnosis",
    "timeline_from_record",
    "timeline_told_earlier",
    "keywords_from_text",
)
"""The fixed rules a prompt may name in ``settings.rules``, in the order they run."""

RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "sex_from_text": ("patient.sex",),
    "age_from_text": ("patient.age",),
    "age_group_from_age": ("patient.age_group",),
    "follow_up_from_text": ("outcome.follow_up",),
    "outcome_from_text": ("outcome.status", "outcome.cause_of_death"),
    "timeline_from_record": ("timeline.event", "timeline.time"),
    "keywords_from_text": ("source.keywords",),
    "events_from_text": (
        "disease_events.event",
        "disease_events.type",
        "disease_events.body_sites",
        "disease_events.time",
    ),
    "transplant_attributes": ("treatments.donor_type", "treatments.graft_source"),
    "cell_donor_from_words": ("treatments.donor_type",),
    "intent_from_words": ("treatments.intent",),
    "doses_from_words": ("treatments.dose",),
    "dose_words": ("treatments.dose",),
    "duration_from_words": ("treatments.duration",),
    "times_from_words": ("treatments.time", "assessments.time"),
    "sites_from_words": ("findings.body_site",),
    "results_from_text": ("assessments.result",),
    "measurements_from_text": ("assessments.method", "assessments.result"),
}
"""The fields (`FIELD_PATHS`) a rule fills from the text or the record, so a prompt that names
it extracts them even with no pass asking the model for them."""

ATTACHING_RULES = frozenset(
    {
        "transplant_attributes",
        "cell_donor_from_words",
        "intent_from_words",
        "doses_from_words",
        "dose_words",
        "duration_from_words",
        "times_from_words",
        "sites_from_words",
        "results_from_text",
    }
)
"""The rules of `RULE_FIELDS` that fill fields of items the passes gave (a treatment's intent),
making none: their fields are extracted only if a pass that did not fail asks for the section."""

MENTION_SECTIONS = ("patient", "diagnoses", "findings", "treatments", "assessments", "outcome")
"""The sections a ``mentions`` pass fills (see `abstraction.extraction.mentions`)."""

MENTION_LISTS = (
    "age",
    "sex",
    "main_diagnosis",
    "other_diagnoses",
    "signs_symptoms",
    "absent_signs_symptoms",
    "medications",
    "procedures",
    "tests",
    "outcome",
)
"""What a ``mentions`` pass can ask the model to list (`PassSpec.lists`)."""

MENTION_FIELDS: dict[str, tuple[str, ...]] = {
    "age": ("patient.age",),
    "sex": ("patient.sex",),
    "main_diagnosis": ("diagnoses.name", "diagnoses.status"),
    "other_diagnoses": ("diagnoses.name", "diagnoses.status"),
    "signs_symptoms": ("findings.name", "findings.assertion"),
    "absent_signs_symptoms": ("findings.name", "findings.assertion"),
    "medications": ("treatments.name", "treatments.category"),
    "procedures": ("treatments.name", "treatments.category"),
    "tests": ("assessments.method",),
    "outcome": ("outcome.status",),
}
"""The fields (`FIELD_PATHS`) each kind of phrase fills; a mentions pass fills no others (a
phrase cannot say a dose, a time, a body site...)."""


class PassSpec(_Frozen):
    """One model call per document.

    shape: ``sections`` (the model fills these `CaseReport` sections, each fact with a quote) or
      ``mentions`` (the model lists verbatim phrases per category, each phrase its own quote,
      and fixed rules turn them into the sections in `MENTION_SECTIONS`: fewer tokens per fact).
    max_words / max_items / max_chars: for ``mentions``, the most words and characters a phrase
      and the most phrases a list may have (enforced by the schema, so by llama.cpp's
      grammar: a phrase that reaches `max_chars` is closed there).  `max_items` also bounds
      every list of a ``sections`` pass (``maxItems`` on each array of its schema).
    split: for ``mentions``, a phrase that joins several names ("fever, cough and rash",
      "heart failure (CHF)") becomes one phrase per name (each still words of the text).
    name_max_words: for ``mentions``, a phrase (after `split`) of more words is a clause, not a
      name: it goes to the extraction's ``dropped`` list instead of the record.  Unlike
      `max_words` it leaves the model's request unchanged.
    split_clauses: for ``mentions`` with `name_max_words`, a longer phrase is first cut at
      "with" / "without" (what follows "without" in the signs is an absent sign).
    truncated_max_items: for either shape, when an answer is cut off at max_tokens (the 1.5B
      model sometimes repeats one phrase until it is), the pass is asked once more with each
      list limited to this many phrases in the schema (maxItems), which bounds the answer.
    max_tokens: this pass's answer limit, instead of the prompt's ``settings.max_tokens``.
    optional: when this pass fails (after its re-asks), the extraction goes on without it:
      the pass is recorded as failed, and the fields only it asks for are listed in the
      extraction's ``not_extracted``.  A required pass (the default) that fails fails the
      document.
    fill: for ``sections``, fields (``section.field``, e.g. ``patient.sex``) the model must
      fill: null is not allowed there, and a list needs at least one item.  A small model
      answers null to anything it may; made to answer, it copies the value from the text, and
      grounding's support check removes an answer the text does not state.
    omit: for ``sections``, nullable fields (``section.field``, e.g. ``treatments.donor_type``)
      left out of the pass's schema: the model does not write them (each null field of each
      item is several tokens) and the answer has them null.  For fields a rule of the prompt
      sets from the text whatever the model says (a transplant's donor type and graft source,
      a treatment's intent), or fills when the model gave none, so that writing them only
      costs time.
    lists: for ``mentions``, the kinds of phrase this pass asks for (`MENTION_LISTS`; empty:
      all).  A mentions pass after passes that filled its sections pools its phrases with
      theirs (a name an earlier pass already has, as the scorer's term matching reads it, is
      not added again; age, sex and outcome fill only what the earlier passes left null).
    only_with_header: run this pass only on a text that opens with an article's front matter
      (title, journal, author lines before the first line of running text: grounding's
      `header_span`) and only on a document's first part.  Elsewhere it is skipped: no request,
      recorded with status ``skipped``, its fields null ("not reported"), not ``not_extracted``.
      For the source pass: on a text without a header its answer is the model's guess (a year
      of the case history as the publication year), which the support check then drops.
    finish_cut: for ``mentions`` with `max_chars`, a phrase the cap closed in the middle of a
      word of the text ("consolidation of both lower lobes with pleu") has that word finished
      from the text when it ends the name there ("... with 89% neutro" -> "89% neutrophils,"),
      else taken off ("pleu" of "pleural effusion"): never a number, only where every place
      the text has the phrase reads the same.  The request is unchanged.
    copy_words: for ``mentions``, each phrase of a list (signs, absent signs, drugs...) is
      made of the document's own words and punctuation marks, at most this many steps of them
      (a word, or a mark with the word joined to it), two words always apart: a pattern built
      from each document's words goes into the schema, so llama.cpp's grammar lets the model
      write no word the text lacks (a word of the prompt's examples, a word in another
      script).  It replaces `max_chars` for the lists (the grammar reads one pattern per
      phrase); the single phrases (age, sex, main diagnosis, outcome) keep `max_chars`, as
      the outcome and sex are read by rules from words the text may not have ("survived").
      Excludes `max_words`.
    system: this pass's system text instead of the prompt's.  A pass copied verbatim from
      another version, system text included, sends the same requests, so that version's
      recorded answers replay for it; the model's prefix cache is shared only by passes with
      the same system text, so such passes go together.
    """

    name: str
    sections: tuple[str, ...]
    instructions: str
    optional: bool = False
    max_tokens: int | None = Field(default=None, ge=1, le=32000)
    examples: tuple[Example, ...] = ()
    shape: Literal["sections", "mentions"] = "sections"
    max_words: int | None = Field(default=None, ge=1, le=50)
    max_chars: int | None = Field(default=None, ge=1, le=500)
    max_items: int | None = Field(default=None, ge=1, le=200)
    split: bool = False
    name_max_words: int | None = Field(default=None, ge=1, le=50)
    split_clauses: bool = False
    lists: tuple[str, ...] = ()
    truncated_max_items: int | None = Field(default=None, ge=1, le=200)
    fill: tuple[str, ...] = ()
    omit: tuple[str, ...] = ()
    system: str | None = None
    only_with_header: bool = Field(default=False, exclude_if=lambda v: not v)
    finish_cut: bool = Field(default=False, exclude_if=lambda v: not v)
    copy_words: int | None = Field(default=None, ge=1, le=50, exclude_if=lambda v: v is None)

    schema_ref: str = Field(default=DEFAULT_SCHEMA_REF, exclude=True)
    """The schema whose sections this pass names (set from the prompt's ``schema``)."""

    @model_validator(mode="after")
    def _known_sections(self) -> PassSpec:
        known = resolve_schema(self.schema_ref).sections
        unknown = [s for s in self.sections if s not in known]
        if unknown:
            raise ValueError(f"unknown sections {unknown}; known: {list(known)}")
        if self.schema_ref != DEFAULT_SCHEMA_REF and self.shape == "mentions":
            raise ValueError("a mentions pass fills CaseReport sections: use shape 'sections'")
        return self

    @model_validator(mode="after")
    def _shape_sections(self) -> PassSpec:
        if self.shape == "mentions" and tuple(self.sections) != MENTION_SECTIONS:
            raise ValueError(f"a mentions pass fills exactly the sections {list(MENTION_SECTIONS)}")
        limits = (self.max_words, self.max_chars, self.name_max_words)
        used = any(v is not None for v in limits)
        if (used or self.split or self.split_clauses or self.lists) and self.shape != "mentions":
            raise ValueError(
                "max_words, max_chars, split, split_clauses, name_max_words and lists apply to a "
                "mentions pass only"
            )
        if self.finish_cut and (self.shape != "mentions" or self.max_chars is None):
            raise ValueError("finish_cut applies to a mentions pass with max_chars only")
        if self.copy_words is not None and (self.shape != "mentions" or self.max_words is not None):
            raise ValueError("copy_words applies to a mentions pass without max_words")
        single = {"age", "sex", "main_diagnosis", "outcome"}
        if self.copy_words is not None and self.lists and set(self.lists) <= single:
            raise ValueError("copy_words patterns a pass's lists: this pass asks for none")
        if self.fill and self.shape != "sections":
            raise ValueError("fill applies to a sections pass only")
        outside = [
            f for f in self.fill if f.count(".") != 1 or f.split(".")[0] not in self.sections
        ]
        if outside:
            raise ValueError(f"fill names section.field paths of this pass's sections: {outside}")
        if self.omit:
            if self.shape != "sections":
                raise ValueError("omit applies to a sections pass only")
            paths = resolve_schema(self.schema_ref).field_paths
            bad = [
                f
                for f in self.omit
                if f.count(".") != 1
                or f.split(".")[0] not in self.sections
                or f not in paths
                or f in self.fill
                or not _nullable(self.schema_ref, f)
            ]
            if bad or len(set(self.omit)) != len(self.omit):
                raise ValueError(
                    f"omit names distinct nullable section.field paths of this pass's sections "
                    f"that it does not fill: {bad or list(self.omit)}"
                )
            shared = [f for f in self.omit if shares_model(self.schema_ref, f, self.sections)]
            if shared:
                raise ValueError(
                    f"omit cannot leave out {shared}: the section's model is also another "
                    f"section's in this pass, which would lose the field too"
                )
        unknown = [k for k in self.lists if k not in MENTION_LISTS]
        if unknown or len(set(self.lists)) != len(self.lists):
            raise ValueError(
                f"lists must name distinct kinds of {list(MENTION_LISTS)}; got {list(self.lists)}"
            )
        return self


Quotes = Literal["model", "text"]
"""Who gives a fact's quote (`PromptSettings.quotes`)."""


class PromptSettings(_Frozen):
    temperature: float = 0.0
    max_tokens: int = 3000
    max_retries: int = Field(default=2, ge=0, le=5)
    evidence_first: bool = False
    quotes: Quotes = "model"
    """Who gives a fact's quote: ``model``, the model writes one for every fact (an
    ``evidence`` string in each item it answers); ``text``, the model is asked for the values
    only (fewer tokens to write: quotes were a third of what v24's passes wrote) and, before
    the rules run, each fact gets the case-text sentence that states its value, chosen as
    ``relocate`` chooses (source metadata: the value's own words; `locate_quotes`).  Either
    way the support check then holds the quote to the value."""
    seed: int | None = 0
    unsupported: Literal["flag", "drop"] = "flag"
    """What happens to a fact grounding finds no support for: kept in the record and flagged,
    or moved out of the record to the extraction's ``dropped`` list."""
    rules: tuple[str, ...] = ()
    """Fixed rules run on the merged record before grounding (`abstraction.extraction.rules`:
    a treatment's category from a vocabulary, tests out of the treatments...)."""

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [r for r in v if r not in RULE_NAMES]
        if unknown:
            raise ValueError(f"unknown rules {unknown}; known: {list(RULE_NAMES)}")
        return v

    relocate: bool = False
    """When a fact's quote does not state its key value (or is front matter, boilerplate or
    not found) but the case text states the value, grounding takes the first sentence that
    does as the fact's evidence (method ``relocated``; the note keeps the model's quote)."""
    unstated: Literal["flag", "drop"] = "flag"
    """A fact whose quote states its key value but not an attribute (a dose, a time):
    ``flag`` marks the whole fact unsupported; ``drop`` sets that attribute to null (or takes
    it out of its list), keeps it in the extraction's ``dropped`` list, and the fact stays."""
    evidence_scope: Literal["quote", "sentence"] = "quote"
    """Where a fact's attributes (dose, time, body site...) must be stated: in its quote, or
    in the sentence(s) of the text the quote lies in.  The key value (a name) must always be
    in the quote."""
    no_cjk: bool = False
    """The answer's grammar forbids CJK characters (ideographs, kana, Hangul, fullwidth
    forms) in strings, and ``\\u`` escapes above U+2FFF: the 1.5B Qwen model sometimes
    switches into Chinese mid-phrase ("2 g/kg as a单剂量", "right coronary动脉").  With
    greedy decoding its answer is unchanged up to where such a character would come.  For
    English case reports; applied where the toolkit writes the grammar (the embedded
    engine's ``gbnf`` mode), not to a hosted model's ``json_schema`` (docs/prompts.md)."""


class PromptSpec(_Frozen):
    version: str
    description: str
    schema_ref: str = Field(default=DEFAULT_SCHEMA_REF, alias="schema")
    """The record schema the prompt fills, ``package.module:ClassName`` (TOML key ``schema``)."""
    system: str
    settings: PromptSettings = PromptSettings()
    passes: tuple[PassSpec, ...]
    sha256: str = ""

    @model_validator(mode="before")
    @classmethod
    def _schema_to_passes(cls, data: Any) -> Any:
        """Each pass checks its sections against the prompt's schema."""
        if isinstance(data, dict) and "schema" in data and isinstance(data.get("passes"), list):
            ref = data["schema"]
            passes = [
                {**p, "schema_ref": ref} if isinstance(p, dict) else p for p in data["passes"]
            ]
            return {**data, "passes": passes}
        return data

    @model_validator(mode="after")
    def _schema_rules(self) -> PromptSpec:
        resolve_schema(self.schema_ref)  # a UserError, with the schema's problems, when unusable
        if self.schema_ref != DEFAULT_SCHEMA_REF and self.settings.rules:
            raise ValueError("settings.rules are written for CaseReport; another schema has none")
        return self

    @property
    def record_schema(self) -> RecordSchema:
        """The schema this prompt fills (resolved once per schema)."""
        return resolve_schema(self.schema_ref)

    @property
    def identity(self) -> str:
        return f"{self.version}@{self.sha256[:12]}"

    @property
    def pattern_passes(self) -> list[str]:
        """The passes whose answer needs a JSON-schema pattern enforced (``copy_words``)."""
        return [p.name for p in self.passes if p.copy_words]

    def settings_dict(self) -> dict[str, Any]:
        return self.settings.model_dump()

    def pass_settings(self, spec: PassSpec) -> PromptSettings:
        """The settings a request of pass `spec` is sent with (its own max_tokens, if any)."""
        if spec.max_tokens is None:
            return self.settings
        return self.settings.model_copy(update={"max_tokens": spec.max_tokens})

    def not_extracted(self, failed: Iterable[str] = ()) -> list[str]:
        """The fields no pass of this prompt asks the model for (or only the `failed` passes,
        by name, do) and no rule of it fills (`collapse_paths` form of the prompt's schema): in
        its records they are null or empty because they were not extracted, not because the
        text does not report them."""
        return list(
            _not_extracted(self.passes, frozenset(failed), self.schema_ref, self.settings.rules)
        )


@lru_cache(maxsize=256)
def _not_extracted(
    passes: tuple[PassSpec, ...],
    skip: frozenset[str],
    schema_ref: str = DEFAULT_SCHEMA_REF,
    rules: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """`PromptSpec.not_extracted`, computed once per prompt (it runs for every document)."""
    schema = resolve_schema(schema_ref)
    asked = {f for spec in passes if spec.name not in skip for f in pass_fields(spec)}
    sections = {f.split(".")[0] for f in asked}
    asked |= {
        f
        for rule in rules
        for f in RULE_FIELDS.get(rule, ())
        if rule not in ATTACHING_RULES or f.split(".")[0] in sections
    }
    return tuple(schema.collapse(p for p in schema.field_paths if p not in asked))


def pass_fields(spec: PassSpec) -> set[str]:
    """The field paths (`FIELD_PATHS` of the pass's schema) a pass asks the model for."""
    if spec.shape == "mentions":
        return {f for kind in spec.lists or MENTION_LISTS for f in MENTION_FIELDS[kind]}
    paths = resolve_schema(spec.schema_ref).field_paths
    return {p for p in paths if p.split(".")[0] in spec.sections and p not in spec.omit}


def _nullable(schema_ref: str, path: str) -> bool:
    """Whether ``section.field`` of the schema may be null (a field of the section's model, or
    of its list's item model)."""
    section, field = path.split(".", 1)
    holder = _holder(schema_ref, section)
    if holder is None or field not in holder.model_fields:
        return False
    return type(None) in get_args(holder.model_fields[field].annotation)


def _holder(schema_ref: str, section: str) -> type[BaseModel] | None:
    """The model a section's values are (its own, or its list's items')."""
    model = resolve_schema(schema_ref).model
    return next(iter(_models_of(model.model_fields[section].annotation)), None)


def shares_model(schema_ref: str, path: str, sections: tuple[str, ...]) -> bool:
    """Whether the model holding ``section.field`` also holds another of `sections`."""
    section = path.split(".", 1)[0]
    holder = _holder(schema_ref, section)
    return any(_holder(schema_ref, s) is holder for s in sections if s != section)


def _models_of(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation names (through Optional and list)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_of(arg)]


def default_prompts_dir() -> Path:
    """Flag, then $ABSTRACTION_PROMPTS_DIR, then ./prompts, then the prompts the package
    ships (`abstraction.core.bundled`: the installed copies, or the source checkout's)."""
    env = os.environ.get(PROMPTS_ENV)
    if env:
        return Path(env)
    cwd = Path.cwd() / "prompts"
    if cwd.is_dir():
        return cwd
    return data_root() / "prompts"


def list_prompts(prompts_dir: Path) -> list[str]:
    return sorted(p.stem for p in prompts_dir.glob("*.toml"))


def load_prompt(version: str, prompts_dir: Path) -> PromptSpec:
    """Load and validate ``<prompts_dir>/<version>.toml``; the hash is of the exact bytes."""
    path = prompts_dir / f"{version}.toml"
    if not path.is_file():
        known = ", ".join(list_prompts(prompts_dir)) or "none"
        raise UserError(f"no prompt version {version!r} in {prompts_dir} (known: {known})")
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        spec = PromptSpec.model_validate({**data, "sha256": hashlib.sha256(raw).hexdigest()})
    except (tomllib.TOMLDecodeError, ValidationError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: invalid prompt file: {exc}") from exc
    if spec.version != version:
        raise UserError(f"{path}: declares version {spec.version!r}; the file name must match")
    return spec
