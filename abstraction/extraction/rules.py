"""Fixed rules that a prompt can ask to run on its merged record, before grounding.

A small model is good at copying what the text says and poor at classifying it: it lists an
organ as a finding, a biopsy as a treatment, a transplant as a diagnosis, and picks categories
at random.  These rules settle such things from vocabularies (`abstraction/data/rules.toml`,
written from clinical knowledge), not from the model.  A prompt names the rules it wants in
``settings.rules``; the default for a prompt file is none, so older versions are unchanged.

Each rule changes the record in place and returns what it took out, as `DroppedFact`s with a
note: nothing the model said is lost, it moves to the extraction's ``dropped`` list.

- ``category_vocabulary``: a treatment's category from its name, when the vocabulary knows it.
- ``targets_by_category``: a chemotherapy, transplant, radiotherapy or surgery has no target
  (the model's goes to ``dropped``).
- ``targets_of_targeted_only``: only a cellular, immuno- or targeted therapy, or an agent the
  vocabulary lists as directed at a named molecule (tamoxifen, sirolimus...), has a target;
  any other treatment's goes to ``dropped``.
- ``durations_out_of_doses``: a dose that ends with how long it was given ("70 mg weekly for 2
  years") keeps the dose, and the length becomes the duration.
- ``tests_not_treatments``: a "treatment" that is a test (biopsy, scan...) leaves the treatments.
- ``findings_not_sites``: a "finding" that is only a body part ("kidney") leaves the findings.
- ``diagnoses_not_treatments``: a "diagnosis" that names a treatment (a transplant) leaves.
- ``sites_from_words``: a finding with no body site gets the site its name names ("right iliac
  fossa pain") or the words right after it in the text name ("pain in the right iliac fossa",
  which becomes its quote), from an anatomy vocabulary.
- ``results_from_text``: a test with no result gets the value, verdict or finding the words
  right after its name in the case text give ("haemoglobin of 6.8 g/dL", "chromogranin was
  positive", "CT showed a mass"), which become its quote.
- ``measurements_from_text``: each measurement the case's account writes as a name of the
  ``measurements`` vocabulary, a number and its unit ("haemoglobin 7.9 g/dL", "blood pressure
  of 88/54 mmHg", "LVEF 30%") is a test with that result, unless the record has it.
- ``intent_from_words``: a treatment's intent is the intent word written with it ("salvage
  chemotherapy", "as a bridge to"), else null (the model's goes to ``dropped``).
- ``doses_are_doses``: a treatment's dose is words that state a dose (an amount, a schedule or
  a strength), and only its own: one that goes on to another treatment is cut before it
  ("60 mg/m² on days 1–3 and cytarabine 200 mg/m²"), one written before another treatment's
  name ("2 g/kg intravenous immunoglobulin") or stating none (a device's size: "40 mm") is
  null.
- ``dose_words`` (v54): a treatment with no dose gets the dose word written right before its
  name ("high-dose furosemide"); a dose that is only a size ("40 mm" of a balloon) is null.
- ``doses_from_words``: a treatment's dose from the words written right after its name, at
  the mention its quote points at ("filgrastim 5 µg/kg/day", "erlotinib (150 mg daily)"), or
  right before it ("2 mg/kg/month of canakinumab", "with 1500 mg weekly erlotinib"),
  completed with how often and on which days ("400 mg" -> "400 mg daily on days 1–14"); a
  dose that ends the name ("oral acyclovir 800 mg") leaves it.  Never a laboratory value, a
  concentration, another drug's dose, or a dose the text negates, plans or generalises.
- ``same_treatment_once``: two treatments of one name whose quotes point at the same words
  (one mention listed twice) are one, unless an attribute differs.
- ``duration_from_words``: a treatment with no duration gets the length written with its name
  ("six cycles of R-CHOP", "interferon-α for two weeks"), which becomes its quote.
- ``follow_up_from_text``: when no follow-up was extracted, the length in the last case-text
  sentence about follow-up or how the patient is now ("18 months after transplant", "At the
  18-month follow-up"); not a plan, a time before or a sentence that tells a death.
- ``times_from_words``: a treatment or test with no time gets the time phrase nearest its name
  in the sentence that first names it ("on day +2", "three days later"); a model's piece of
  that phrase ("+2") is completed.
- ``events_from_text``: relapses, remissions and progressions a case-text sentence about the
  patient states and the record lacks, with type, sites and time from the sentence.
- ``findings_only_findings``: a finding named with a negation ("no fever") is that finding,
  absent; tests, treatments, the record's diagnoses and names of nothing leave the findings;
  the same finding twice is kept once.
- ``diagnoses_only_diseases``: a secondary "diagnosis" that the record also lists as a
  finding, that names only a gene, marker or genetic change ("RUNX1", "MYC rearrangement"),
  or that is a relapse, remission or progression, leaves.
- ``same_disease_once``: two diagnoses that name one disease, one more specifically ("ALL" and
  "B-ALL", with the document's own abbreviations), are one: the more specific name, principal
  if either was.
- ``null_words``: an optional attribute written as a word for nothing ("none", "N/A", "not
  stated") is null, as the schema says "not reported" is; so is a sourced value (a DOI, an
  author, the cause of death) whose value is such a word: it leaves its list and goes to
  ``dropped``.
- ``sex_from_text``: the words the case text uses for a person (she/her/woman... or
  he/his/man...), if at least three and all of one sex, when no sex was extracted or the
  extracted one contradicts them (it goes to ``dropped``).
- ``age_from_text``: when no age was extracted, the first age the case text states
  ("a 45-year-old woman"), with its sentence.
- ``age_group_from_age``: when no age group was extracted, the group the stated age falls in
  (MeSH: infant 1-23 months, child 2-12 years, adolescent 13-18, adult 19-64, older adult 65
  and over), with the age's quote; with no age, a case-text sentence calling the patient by an
  age-group word ("a middle-aged man"), never a sex word ("woman").
- ``outcome_from_text``: when no outcome was extracted, a case-text sentence saying the
  patient died, and of what ("she eventually died of severe pneumonia", "he died on day 9 of
  multiorgan failure"), or a sentence naming the cause ("The cause of death was ..."); not
  another's death or one only supposed.  It never sets "alive".
- ``values_as_written``: a fact's value that is the text's words but for accents on plain
  Latin letters ("Tomas" for "Tomás") becomes the text's words, its quote too when the quote
  is not in the text; only when every place in the text reads the same.  (A word the mentions
  passes' length cap cut is mended by the pass setting ``finish_cut``, not here.)
- ``quote_from_value``: a fact whose quote is not in the text but whose value is, word for
  word, gets its value as its quote (metadata is the usual case: the model writes "null").
- ``transplant_attributes``: a stem-cell transplant's donor type and graft source from the
  words of its name and quote (and the spelled-out form of an abbreviation): set when stated,
  null when not, whatever the model said.
- ``cell_donor_from_words``: a cellular therapy's donor type (an autologous CAR-T product,
  donor lymphocytes from a sibling) from the words written beside its name in its clause (in
  its quote, else in another case-text sentence naming it, which becomes its quote), when they
  state one unambiguously and not negated; a donor type already given is kept.
- ``timeline_from_record``: the timeline is the record's treatments, disease events and death
  in the order their quotes come in the text (the model's own timeline goes to ``dropped``).
- ``timeline_told_earlier`` (v55, not adopted): a treatment its sentence tells as earlier
  ("which had been treated 18 mo before with preoperative chemoradiotherapy") goes right
  before the entry the cue is said of (the nearest one the sentence names before the cue).
- ``findings_not_events``: a "finding" named as a relapse, remission or progression leaves the
  findings (a disease event, with its own section).
- ``cause_of_death_diagnosis``: the cause of death is also a secondary diagnosis.
- ``keywords_from_text``: the article's keywords are the terms of its "Keywords:" line (split
  at semicolons, else commas), whatever the model gave; a text without one keeps the model's.
- ``one_principal``: exactly one principal diagnosis: the first one the model marked (the
  prompts that use this rule ask for the main disease first), others become secondary; when
  none is marked, the first diagnosis that is not ruled out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, get_args

from pydantic import BaseModel

from abstraction.core.denials import denied_by_word
from abstraction.core.prompts import RULE_NAMES
from abstraction.core.records import DroppedFact
from abstraction.core.schema import (
    CaseReport,
    Diagnosis,
    Evidence,
    TreatmentCategory,
)
from abstraction.core.terms import vocabulary
from abstraction.extraction.text_rules import (
    age_from_text,
    age_group_from_age,
    cell_donor_from_words,
    disease_words,
    dose_words,
    doses_are_doses,
    doses_from_words,
    duration_from_words,
    durations_out_of_doses,
    events_from_text,
    follow_up_from_text,
    intent_from_words,
    keywords_from_text,
    measurements_from_text,
    outcome_from_text,
    quote_from_value,
    results_from_text,
    rules_vocabulary,
    same_disease_once,
    same_treatment_once,
    sex_from_text,
    sites_from_words,
    squash,
    time_phrase,
    timeline_from_record,
    timeline_told_earlier,
    times_from_words,
    transplant_attributes,
    values_as_written,
)

_vocab = rules_vocabulary


@lru_cache(maxsize=1)
def _categories() -> tuple[tuple[TreatmentCategory, re.Pattern[str]], ...]:
    return tuple(
        (row["category"], re.compile(row["pattern"], re.IGNORECASE))
        for row in _vocab()["treatment_categories"]
    )


def vocabulary_category(name: str) -> TreatmentCategory | None:
    """The category the vocabulary gives a treatment name, or None when no pattern matches."""
    for category, pattern in _categories():
        if pattern.search(name):
            return category
    return None


@lru_cache(maxsize=1)
def _test_pattern() -> re.Pattern[str]:
    return re.compile(_vocab()["tests"]["pattern"], re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@lru_cache(maxsize=1)
def _sites() -> tuple[frozenset[str], frozenset[str]]:
    sites = _vocab()["sites"]
    return frozenset(" ".join(_words(w)) for w in sites["words"]), frozenset(sites["qualifiers"])


def is_bare_site(name: str) -> bool:
    """True when `name` is only a body part, perhaps with "multiple", "left"... before it."""
    sites, qualifiers = _sites()
    words = _words(name)
    while words and words[0] in qualifiers:
        words = words[1:]
    return bool(words) and " ".join(words) in sites


def is_test(name: str) -> bool:
    return bool(_test_pattern().search(name.strip()))


def _drop(path: str, fact: Any, note: str) -> DroppedFact:
    return DroppedFact(path=path, fact=fact.model_dump(mode="json"), note=note)


def category_vocabulary(record: CaseReport) -> list[DroppedFact]:
    for t in record.treatments:
        category = vocabulary_category(t.name)
        if category is not None:
            t.category = category
    return []


def _leave(
    record: CaseReport, section: str, leaves: Callable[[Any], bool], note: str
) -> list[DroppedFact]:
    """Take the items of list `section` for which `leaves` is true out of it, as dropped facts."""
    out, kept = [], []
    for i, item in enumerate(getattr(record, section)):
        if leaves(item):
            out.append(_drop(f"{section}[{i}]", item, note))
        else:
            kept.append(item)
    setattr(record, section, kept)
    return out


def _names_a_treatment(d: Any) -> bool:
    category = vocabulary_category(d.name)
    names_treatment = category in ("stem_cell_transplant", "cellular_therapy", "chemotherapy")
    return names_treatment and not disease_words().search(d.name)


_NO_TARGET = frozenset({"chemotherapy", "stem_cell_transplant", "radiotherapy", "surgery"})


def targets_by_category(record: CaseReport) -> list[DroppedFact]:
    """A treatment of a category that acts on no named antigen or molecule (chemotherapy, a
    transplant, radiotherapy, surgery) has no target: one the model gave it (often copied from
    a neighbouring CAR-T or antibody) goes to ``dropped``."""
    out = []
    for i, t in enumerate(record.treatments):
        if t.target is not None and t.category in _NO_TARGET:
            fact = {"target": t.target, "evidence": {"quote": t.evidence.quote}}
            note = f"a {t.category.replace('_', ' ')} has no target (rule)"
            out.append(DroppedFact(path=f"treatments[{i}].target", fact=fact, note=note))
            t.target = None
    return out


_TARGETED = frozenset({"cellular_therapy", "immunotherapy", "targeted_therapy"})


@lru_cache(maxsize=1)
def _targeted_names() -> re.Pattern[str]:
    return re.compile(_vocab()["targeted_names"]["pattern"], re.IGNORECASE)


def targets_of_targeted_only(record: CaseReport) -> list[DroppedFact]:
    """Only a cellular therapy, an immunotherapy or a targeted therapy has a target (the antigen
    or molecule it is directed at: CD19, BCMA, BRAF, interleukin-6 receptor), and the agents
    the vocabulary's ``targeted_names`` lists whatever their category (tamoxifen, sirolimus,
    eculizumab, a radioligand, a regimen with an antibody): the target the model gave any other
    treatment (an antibiotic's organism, a beta-blocker's class, "anticoagulant") goes to
    ``dropped``, and so does a target that is the treatment's own name."""
    keeps = _targeted_names()
    out = []
    for i, t in enumerate(record.treatments):
        if t.target is None:
            continue
        if t.category not in _TARGETED and not keeps.search(t.name):
            note = f"a {t.category.replace('_', ' ')} treatment has no target (rule)"
        elif _own_name(t.target, t.name):
            note = "the treatment's own name, not what it acts on (rule)"
        else:
            continue
        fact = {"target": t.target, "evidence": {"quote": t.evidence.quote}}
        out.append(DroppedFact(path=f"treatments[{i}].target", fact=fact, note=note))
        t.target = None
    return out


_GIVEN_HOW = re.compile(
    r"\b(?:intravenous(?:ly)?|iv|oral(?:ly)?|po|subcutaneous(?:ly)?|sc|intramuscular(?:ly)?|im|"
    r"topical|daily|weekly|pulse[sd]?|high-dose|low-dose|high dose|low dose|"
    r"(?:one|two|three|four|five|\d+)\s+(?:pulses|doses|cycles|courses)\s+of)\b",
    re.IGNORECASE,
)


def _own_name(target: str, name: str) -> bool:
    """A target that is the treatment's own name less how it was given ("methylprednisolone"
    of "intravenous methylprednisolone", "plasma exchange" of "daily plasma exchange";
    eighteenth session), not a target named inside the name ("CD19" of "anti-CD19 CAR-T")."""
    bare = " ".join(_GIVEN_HOW.sub(" ", name).split()).lower()
    return bool(bare) and " ".join(target.split()).lower() == bare


def tests_not_treatments(record: CaseReport) -> list[DroppedFact]:
    return _leave(record, "treatments", lambda t: is_test(t.name), "a test, not a treatment (rule)")


def findings_not_sites(record: CaseReport) -> list[DroppedFact]:
    return _leave(
        record, "findings", lambda f: is_bare_site(f.name), "a body site, not a finding (rule)"
    )


def diagnoses_not_treatments(record: CaseReport) -> list[DroppedFact]:
    return _leave(
        record, "diagnoses", _names_a_treatment, "names a treatment, not a diagnosis (rule)"
    )


_NULL_WORDS = frozenset(
    {
        "",
        "-",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "not stated",
        "not reported",
        "not mentioned",
        "not specified",
        "unknown",
        "not available",
        "not applicable",
    }
)


def _is_null_word(value: str) -> bool:
    return value.strip().strip(".").lower() in _NULL_WORDS


def _clear_null_words(model: BaseModel, path: str, out: list[DroppedFact]) -> None:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if isinstance(value, Evidence):
            continue
        if isinstance(value, BaseModel):
            if _null_value(value) and _optional(info.annotation):
                out.append(_drop(here, value, _NULL_NOTE))
                setattr(model, name, None)
            else:
                _clear_null_words(value, here, out)
        elif isinstance(value, str) and _is_null_word(value) and _optional(info.annotation):
            setattr(model, name, None)
        elif isinstance(value, list):
            if value and all(isinstance(v, str) for v in value):
                setattr(model, name, [v for v in value if not _is_null_word(v)])
            elif any(_null_value(v) for v in value):
                out += [
                    _drop(f"{here}[{i}]", v, _NULL_NOTE)
                    for i, v in enumerate(value)
                    if _null_value(v)
                ]
                setattr(model, name, value := [v for v in value if not _null_value(v)])
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _clear_null_words(item, f"{here}[{i}]", out)


_NULL_NOTE = "a word for nothing, not a fact: not reported"


def _null_value(item: object) -> bool:
    """A sourced value (the source's DOI, an author, the cause of death) whose value is a word
    for nothing: the model's way of saying "not printed", not a fact.  "NA" alone is not one
    here: it is a surname (an author "Na")."""
    value = getattr(item, "value", None)
    return (
        isinstance(item, BaseModel)
        and isinstance(value, str)
        and _is_null_word(value)
        and value.strip().lower() != "na"
    )


def _optional(annotation: Any) -> bool:
    return type(None) in get_args(annotation)


def null_words(record: CaseReport) -> list[DroppedFact]:
    out: list[DroppedFact] = []
    _clear_null_words(record, "", out)
    return out


_EVENT_WORDS = re.compile(
    r"\b(relapse[sd]?|recurrence|remission|progression|progressive disease|stable disease)\b",
    re.IGNORECASE,
)


def findings_not_events(record: CaseReport) -> list[DroppedFact]:
    """A "finding" named as a relapse, remission or progression is a disease event (its own
    section), not a sign or symptom."""
    return _leave(
        record,
        "findings",
        lambda f: bool(_EVENT_WORDS.search(f.name)),
        "a disease event, not a finding (rule)",
    )


_GENETIC_CHANGE = re.compile(
    r"\b(?:mutations?|mutated|rearrangements?|rearranged|deletions?|translocations?|"
    r"fusions?|amplifications?|polymorphisms?)$",
    re.IGNORECASE,
)


def _genetic(name: str) -> bool:
    """A genetic change written as such ("ASXL1 mutations", "MYC rearrangement").  A bare
    symbol is not enough: RUNX1 is a gene, but NF1, MEN2A, HHV8 and CKD5 are diseases."""
    return bool(_GENETIC_CHANGE.search(name.strip())) and not disease_words().search(name)


_NEGATED = re.compile(
    r"^(?:no|not|without|denied|denies|absence of|negative for|free of)\s+(?!longer\b)(?=\S)",
    re.IGNORECASE,
)
"""NegEx's pre-negation triggers (Chapman et al., 2001) that can open a finding's name."""
_NOT_A_NAME = frozenset({"the", "a", "an", "patient", "case", "he", "she", "it", "this", "that"})


def _names_nothing(name: str) -> bool:
    """No word of 3+ letters but generic ones ("the", "patient", "14", "12 mg")."""
    words = [w for w in re.findall(r"[^\W\d_]{3,}", name.lower()) if w not in _NOT_A_NAME]
    return not words and not re.search(r"\b[A-Z]{2}\b", name)  # "TB", "MI" are names


_LAB_VALUE = re.compile(
    r"\d\s*(?:g/dl|g/l|mg/dl|mg/l|µg/l|μg/l|ng/ml|ng/l|pg/ml|mmol/l|µmol/l|μmol/l|u/l|iu/l|"
    r"meq/l|×\s*10|x\s*10|°c|mmhg|/mm3|/µl|/μl|cells/)",
    re.IGNORECASE,
)
"""A measured value with a laboratory or vital-sign unit ("IgG 3.1 g/L", "37.8 °C")."""
_THERAPY_WORDS = re.compile(r"\b(?:therapy|treatment|chemotherapy|regimen)\b", re.IGNORECASE)
_EFFECT = re.compile(
    r"\b(?:desaturation|resistance|intolerance|allergy|nausea|vomiting|rash|pain|bleeding|"
    r"overload|dependence|withdrawal|dermatitis|necrosis|reaction)\b",
    re.IGNORECASE,
)
"""Words that make a name with a drug in it a finding ("insulin resistance")."""
_ROUTES = frozenset(
    {"intravenous", "iv", "oral", "subcutaneous", "intramuscular", "topical", "inhaled",
     "intrathecal", "infusion", "injection", "bolus", "dose", "doses", "high", "low"}
)  # fmt: skip
"""Words that may stand with a treatment's name in a finding that is that treatment."""
_RESPONSE = re.compile(r"\bresponse\b", re.IGNORECASE)


def findings_only_findings(record: CaseReport) -> list[DroppedFact]:
    """Findings are signs, symptoms and abnormal results, once each:

    - a name that opens with a negation ("no fever", "without rash": NegEx's pre-negation
      triggers) is the finding it negates, absent ("fever", "rash": still words of the text);
      so is a word that denies a finding by itself, said to be present ("afebrile" is
      "fever", absent: `abstraction.core.denials`; the hand gold's form, which the support
      check reads in the quote "she was afebrile");
    - what belongs elsewhere leaves: a test (the test vocabulary, or a measured value with a
      laboratory unit: "IgG 3.1 g/L"), a treatment (the category
      vocabulary, therapy words, or one of the record's treatments in its words), a response
      to treatment (a disease event), a time ("fourteen months after infusion"), the
      principal diagnosis or a secondary one named as a disease (its disease words: "-itis",
      "-oma", "syndrome"...), unless the finding is absent: "anicteric" beside a principal
      "jaundice" is a fact of its own (and a contradiction a reviewer should see), not the
      diagnosis listed twice;
    - a name of no word ("the", "14", "patient") leaves;
    - the same finding (term, assertion and body site) listed twice is kept once."""
    out: list[DroppedFact] = []
    for i, f in enumerate(record.findings):
        m = _NEGATED.match(f.name)
        if m and f.name[m.end() :].strip():
            note = "read as the negated finding, absent (rule)"
            out.append(_drop(f"findings[{i}]", f, note))  # the model's form, kept
            f.name, f.assertion = f.name[m.end() :].strip(), "absent"
        elif f.assertion == "present" and (denied := denied_by_word(f.name)) is not None:
            note = "read as the finding the word denies, absent (rule)"
            out.append(_drop(f"findings[{i}]", f, note))  # "afebrile", kept
            f.name, f.assertion = denied, "absent"
    treatments = vocabulary("treatments")
    given = {treatments.term(t.name).key for t in record.treatments}
    given_words = [set(treatments.term(t.name).words) for t in record.treatments]

    def a_test(f: Any) -> bool:
        return is_test(f.name) or bool(_LAB_VALUE.search(f.name))

    def a_treatment(f: Any) -> bool:
        if disease_words().search(f.name) or _EFFECT.search(f.name):
            return False  # "heparin-induced thrombocytopenia", "iron deficiency"
        words = set(treatments.term(f.name).words)
        return (
            vocabulary_category(f.name) is not None
            or treatments.term(f.name).key in given
            or bool(_THERAPY_WORDS.search(f.name))
            or any(w and w <= words and words - w <= _ROUTES for w in given_words)
        )

    dx = vocabulary("diagnoses")
    diseases = {
        dx.term(d.name).key
        for d in record.diagnoses
        if d.status == "principal" or (d.status == "secondary" and disease_words().search(d.name))
    }
    out += _leave(record, "findings", a_test, "a test or its value, not a finding (rule)")
    out += _leave(record, "findings", a_treatment, "a treatment, not a finding (rule)")
    out += _leave(
        record,
        "findings",
        lambda f: bool(_RESPONSE.search(f.name)),
        "a response to treatment (a disease event), not a finding (rule)",
    )
    out += _leave(
        record,
        "findings",
        lambda f: bool(time_phrase(f.name)),
        "a time, not a finding (rule)",
    )
    out += _leave(
        record,
        "findings",
        lambda f: f.assertion != "absent" and dx.term(f.name).key in diseases,
        "a diagnosis the record lists, not a finding (rule)",
    )
    out += _leave(record, "findings", lambda f: _names_nothing(f.name), "names nothing (rule)")
    signs = vocabulary("findings")
    seen: set[tuple[str, str, str]] = set()

    def repeated(f: Any) -> bool:
        key = (signs.term(f.name).key, f.assertion, (f.body_site or "").casefold())
        if key in seen:
            return True
        seen.add(key)
        return False

    return out + _leave(record, "findings", repeated, "the same finding again (rule)")


def diagnoses_only_diseases(record: CaseReport) -> list[DroppedFact]:
    """A secondary "diagnosis" that is not a disease of its own leaves the diagnoses: one the
    record also lists as a finding, whatever its assertion (the same term, as the scorer reads
    it: a sign or symptom; "weight loss" beside "weight loss", absent is a sign misfiled, and
    the finding keeps what the text says of it) and not named as a disease (no disease word:
    "-itis", "-oma", "syndrome"...),
    one that names only a gene, a marker or a genetic change ("RUNX1", "MYC rearrangement": a
    feature of a disease, its details), and one named as a relapse, remission or progression
    (a disease event, with its own section)."""
    vocab = vocabulary("findings")
    signs = {vocab.term(f.name).key for f in record.findings}
    out = _leave(
        record,
        "diagnoses",
        lambda d: (
            d.status == "secondary"
            and vocab.term(d.name).key in signs
            and not disease_words().search(d.name)
        ),
        "a sign or symptom the record lists as a finding, not a diagnosis (rule)",
    )
    out += _leave(
        record,
        "diagnoses",
        lambda d: d.status == "secondary" and _genetic(d.name),
        "a gene, marker or genetic change, not a diagnosis (rule)",
    )
    return out + _leave(
        record,
        "diagnoses",
        lambda d: (
            d.status == "secondary"
            and bool(_EVENT_WORDS.search(d.name))
            and not disease_words().search(_EVENT_WORDS.sub(" ", d.name))
        ),
        "a disease event, not a diagnosis (rule)",
    )


def cause_of_death_diagnosis(record: CaseReport) -> list[DroppedFact]:
    """What the patient died of is a condition the patient had: a secondary diagnosis, with
    the cause's own quote, unless a diagnosis already names it (same words)."""
    cause = record.outcome.cause_of_death
    if cause is None or len(cause.value.strip()) < 2:
        return []
    if any(squash(d.name) == squash(cause.value) for d in record.diagnoses):
        return []
    record.diagnoses.append(
        Diagnosis(
            name=cause.value,
            status="secondary",
            details=None,
            evidence=cause.evidence.model_copy(),
        )
    )
    return []


def one_principal(record: CaseReport) -> list[DroppedFact]:
    principal = next((d for d in record.diagnoses if d.status == "principal"), None)
    if principal is None:
        principal = next((d for d in record.diagnoses if d.status != "ruled_out"), None)
        if principal is not None:
            principal.status = "principal"
    for d in record.diagnoses:
        if d.status == "principal" and d is not principal:
            d.status = "secondary"
    return []


Rule = Callable[[CaseReport], list[DroppedFact]]
TextRule = Callable[[CaseReport, str], list[DroppedFact]]

TEXT_RULES: dict[str, TextRule] = {  # in `abstraction.extraction.text_rules`
    "age_from_text": age_from_text,
    "same_disease_once": same_disease_once,
    "sites_from_words": sites_from_words,
    "results_from_text": results_from_text,
    "measurements_from_text": measurements_from_text,
    "dose_words": dose_words,
    "intent_from_words": intent_from_words,
    "doses_are_doses": doses_are_doses,
    "doses_from_words": doses_from_words,
    "same_treatment_once": same_treatment_once,
    "duration_from_words": duration_from_words,
    "follow_up_from_text": follow_up_from_text,
    "times_from_words": times_from_words,
    "events_from_text": events_from_text,
    "timeline_from_record": timeline_from_record,
    "timeline_told_earlier": timeline_told_earlier,
    "transplant_attributes": transplant_attributes,
    "cell_donor_from_words": cell_donor_from_words,
    "quote_from_value": quote_from_value,
    "values_as_written": values_as_written,
    "keywords_from_text": keywords_from_text,
    "sex_from_text": sex_from_text,
    "age_group_from_age": age_group_from_age,
    "outcome_from_text": outcome_from_text,
}
"""Rules that read the document text as well as the record."""

RULES: dict[str, Rule] = {
    "null_words": null_words,
    "findings_not_events": findings_not_events,
    "cause_of_death_diagnosis": cause_of_death_diagnosis,
    "category_vocabulary": category_vocabulary,
    "targets_by_category": targets_by_category,
    "targets_of_targeted_only": targets_of_targeted_only,
    "durations_out_of_doses": durations_out_of_doses,
    "tests_not_treatments": tests_not_treatments,
    "findings_not_sites": findings_not_sites,
    "findings_only_findings": findings_only_findings,
    "diagnoses_not_treatments": diagnoses_not_treatments,
    "diagnoses_only_diseases": diagnoses_only_diseases,
    "one_principal": one_principal,
}
"""Every rule a prompt may name, in the order they run (tests leave the treatments before the
categories are set, and a transplant leaves the diagnoses before the principal is chosen)."""

ORDER = RULE_NAMES
assert set(ORDER) == set(RULES) | set(TEXT_RULES)


def apply_rules(record: CaseReport, names: tuple[str, ...], text: str = "") -> list[DroppedFact]:
    """Run the named rules on `record` (in place, in `ORDER`) for the document `text`; return
    what they took out."""
    out: list[DroppedFact] = []
    for name in ORDER:
        if name in TEXT_RULES and name in names:
            out += TEXT_RULES[name](record, text)
        elif name in names:
            out += RULES[name](record)
    return out
