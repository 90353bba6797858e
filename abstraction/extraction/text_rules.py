"""The rules of `abstraction.extraction.rules` that read the document text as well as the record:
sex, age and death from the case text's words, a value as its own quote, a transplant's donor
and graft from its words, and the timeline from the record.  Each runs only when its prompt
names it (``settings.rules``); what each does is in `abstraction.extraction.rules`."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from abstraction.core.records import DroppedFact
from abstraction.core.schema import (
    AgeFact,
    AgeGroupFact,
    Assessment,
    CaseReport,
    Evidence,
    OutcomeStatusFact,
    SexFact,
    TextFact,
    TimelineEvent,
    TreatmentCategory,
    iter_facts,
)
from abstraction.core.terms import defined_abbreviations, document_abbreviations, vocabulary
from abstraction.core.vocab import first_age_statement, parse_age, rules_vocabulary
from abstraction.grounding.align import Aligner, NormalizedText, word_occurrences
from abstraction.grounding.boilerplate import header_span
from abstraction.grounding.ground import LOCATED, case_section
from abstraction.grounding.support import AGE_GROUPS, YEARS_PER, SupportCheck


@lru_cache(maxsize=1)
def _site_pattern() -> re.Pattern[str]:
    """A run of site qualifiers and parts of the body, as whole words ("right iliac fossa")."""
    anatomy = rules_vocabulary()["anatomy"]
    words = sorted(anatomy["words"], key=len, reverse=True)
    part = "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in words)
    qualifier = "|".join(re.escape(q) for q in anatomy["qualifiers"])
    return re.compile(
        rf"\b(?:(?:{qualifier})[\s-]+(?:and[\s-]+)?)*(?:{part})(?:[\s-]+(?:{part}))*\b",
        re.IGNORECASE,
    )


_AFTER = re.compile(
    r"^[ \t]+(?:in|of|over|at|on|involving|within|around)[ \t]+"
    r"(?:the[ \t]+|both[ \t]+|his[ \t]+|her[ \t]+|their[ \t]+)?",
    re.IGNORECASE,
)


def _find_name(name: str, text: str, start: int = 0) -> int:
    """Where `name` first stands as whole words in `text`, at or after `start` (-1: nowhere;
    "CT" is not found in "tract")."""
    places = _occurrences(name, text, start) if len(name.strip()) >= 2 else []
    return places[0] if places else -1


def _case_start(text: str) -> int:
    """Where the case text starts (after the article's front matter)."""
    header = header_span(text)
    return header.end if header is not None else 0


_BREAK = re.compile(r"[.!?](?=\s+[A-Z(\[])|\n")


def _anchor(quote: str, text: str, start: int, end: int) -> str | None:
    """The quote of a fact to which a rule adds a value written at ``text[start:end]`` (the
    fact's name and the value), so that its quote states both: the model's quote if it already
    covers that span; the model's quote widened to take the span in when both are in one
    sentence; the span when the model's quote is not words of the text (grounding could not
    place it anyway); else None, and the value is not added (the fact keeps the quote that
    states what the model gave it)."""
    q = quote.strip()
    at = _find_name(q, text)
    if at < 0:
        return text[start:end].strip()
    q_end = at + len(q)
    if at <= start and end <= q_end:
        return q
    lo, hi = min(at, start), max(q_end, end)
    if _BREAK.search(text[lo : hi - 1]):
        return None
    return text[lo:hi].strip()


def sites_from_words(record: CaseReport, text: str) -> list[DroppedFact]:
    """A finding with no body site: the site its name names ("right iliac fossa pain": "right
    iliac fossa"; the name stays as written), else the site named right after the name where
    the case text first says it ("pain in the right iliac fossa"), which then becomes the
    finding's quote, so the quote states both.  Parts of the body and their qualifiers come
    from the anatomy vocabulary."""
    pattern = _site_pattern()
    start = _case_start(text)
    for f in record.findings:
        if f.body_site is not None:
            continue
        inside = pattern.search(f.name)
        if inside and inside.group().strip().casefold() != f.name.strip().casefold():
            f.body_site = inside.group().strip()  # words of its name: its quote states them
            continue
        at = _find_name(f.name, text, start) if len(f.name) > 2 else -1
        if at < 0:
            continue
        end = at + len(f.name)
        after = _AFTER.match(text[end : end + 80])
        site = pattern.match(text, end + after.end()) if after else None
        if not site:
            continue
        stop = site.end()
        of = _OF_SITE.match(text, stop)  # "the head of the pancreas"
        more = pattern.match(text, of.end()) if of else None
        if more:
            stop = more.end()
        quote = _anchor(f.evidence.quote, text, at, stop)
        if quote is not None:
            f.body_site = text[site.start() : stop].strip()
            f.evidence = Evidence(quote=quote)
    return []


_OF_SITE = re.compile(r"[ \t]+of[ \t]+(?:the[ \t]+)?", re.IGNORECASE)


_NUMBER = (
    r"[<>≤≥]?\s*\d+(?:[.,]\d+)*(?:/\d+(?:[.,]\d+)*)?"
    r"(?:\s*[×x]\s*10(?:\^?\d+|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?)?"
)
_TIME_UNIT = re.compile(
    r"\b(?:h|hr|hrs|hours?|min|minutes?|days?|weeks?|months?|years?|yrs?)\.?$", re.IGNORECASE
)
_RESULT = re.compile(
    r"[ \t]*(?:"
    # a value: "haemoglobin of 6.8 g/dL", "lactate was 1.3 mmol/L", "ferritin: 7100 µg/L"
    rf"(?:(?:level|levels|count|concentration)[ \t]+)?(?:of|was|were|is|:|=)?[ \t]*"
    rf"(?P<value>{_NUMBER}(?:[ \t]*(?:%|[a-zA-Zµμ/⁹⁰¹²³⁴⁵⁶⁷⁸]+(?:/[a-zA-Zµμ0-9⁹]+)*))?)"
    # or a verdict: "chromogranin was positive", "liver enzymes were unremarkable"
    r"|(?:was|were|is|are|came back|proved)[ \t]+(?:strongly[ \t]+|diffusely[ \t]+)?"
    r"(?P<word>positive|negative|normal|abnormal|unremarkable|elevated|raised|increased|"
    r"decreased|reduced|low|high|stable|deficient|absent|present|inconclusive)"
    # or what it showed: "CT showed a mass", "biopsy revealed granulomas"
    r"|(?:showed|revealed|demonstrated|confirmed|disclosed|grew)[ \t]+(?:that[ \t]+)?"
    r"(?P<shown>(?:[^.;:,()\n]|\.(?=[ \t]+(?-i:[a-z]))){3,80})"
    r")",
    re.IGNORECASE,
)


def results_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """A test with no result: the value, verdict or what it showed, in the words right after
    the test's name where the case text first says it ("haemoglobin of 6.8 g/dL": "6.8 g/dL";
    "chromogranin was positive": "positive"; "CT showed a mass in the liver": "a mass in the
    liver"), which then becomes the test's quote, so the quote states both."""
    start = _case_start(text)
    for a in record.assessments:
        if a.result is not None:
            continue
        at = _find_name(a.method, text, start)
        if at < 0:
            continue
        m = _RESULT.match(text, at + len(a.method))
        if not m:
            continue
        if m.group("value") and _TIME_UNIT.search(m.group("value")):
            continue  # "troponin at 3 hours": a time, not a result
        result = (m.group("value") or m.group("word") or m.group("shown") or "").strip()
        end = m.end()
        if m.group("shown") and (when := _TIME.search(result)):  # "... six weeks after the
            result = result[: when.start()].rstrip(" ,")  # biopsy" is its time, not its result
            end = m.start("shown") + len(result)
        quote = _anchor(a.evidence.quote, text, at, end) if len(result) >= 2 else None
        if quote is not None:
            a.result = result
            a.evidence = Evidence(quote=quote)
    return []


_MEASURE_UNIT = (
    r"(?:%|mm[ \t]?Hg|°[ \t]?[CF]|(?:beats?|breaths?)[ \t]*(?:/|per)[ \t]*min(?:ute)?|bpm|/min\b|"
    r"[×x][ \t]*10(?:\^?\d+|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)[ \t]*/[ \t]*(?:[µμu]?L|l)\b|"
    r"(?:cells|leu[ck]ocytes|white[ \t]+cells)?[ \t]*/[ \t]*(?:[µμu]L|mm3|mm³)|"
    r"mm/h(?:r|our)?\b|mm[ \t]+in[ \t]+the[ \t]+first[ \t]+hour|"
    r"m[lL]/min(?:/1\.73[ \t]*m[2²])?|L/min(?:/m[2²])?|"
    r"[mµμnpkd]?(?:g|mol|L|l|IU|U|Eq|eq|units?)[ \t]*/[ \t]*(?:[mµμnpdk]?[lL]|dL|dl|mmol)\b|"
    r"kg/m[2²]|(?:10E9|G|K)[ \t]*/[ \t]*(?:[µμu]?L|l)\b|/nL\b|fL\b|℃|º[ \t]?C|mOsm/kg|mmol/mol|"
    r"ms\b|mm\b|cm[2²]?\b|kg\b|seconds\b|sec\b|s\b|points?\b)"
)
"""Units of a measured level, a vital sign or a size: a concentration is per volume ("g/dL",
"× 10⁹/L"), never per hour, per kilogram or per day (a rate or a dose given)."""
_MEASURE_NUMBER = r"[<>≤≥]?[ \t]*+\d+(?:[.,]\d+)*+(?:[ \t]*+/[ \t]*+\d+(?:[.,]\d+)*+)?"
_MEASURE_LINK = (
    r"(?:[ \t]*+\((?:[^()]{1,24})\))?[ \t]*+,?[ \t]*+"
    r"(?:(?:level|levels|count|concentration|value|was|were|is|are|had|has|been|of|at|:|=|measured|"
    r"elevated|raised|low|high|markedly|mildly|significantly|(?:reached|rose|risen|increased|"
    r"decreased|fell|fallen|dropped|peaked)[ \t]+(?:to|at))[ \t]*+){0,4}"
)
_SPECIMEN = (
    r"serum|plasma|blood|urine|urinary|fasting|peak|admission|(?:pleural|ascitic|peritoneal|"
    r"synovial|cerebrospinal)[ \t]+fluid|CSF|fetal|foetal|free|"
    r"central[ \t]+venous|mixed[ \t]+venous|venous|arterial|cord[ \t]+blood|stool|faecal|fecal"
)
"""What a level may be measured in, written before its name and kept in it ("pleural fluid
pH", "fetal heart rate"): not the patient's blood unless it says so."""


class _Measures(NamedTuple):
    pattern: re.Pattern[str]  # a name, linking words, a number and its unit
    name: re.Pattern[str]  # a name alone (what it was measured in before it)
    listed_before: re.Pattern[str]  # another name listed right before ("AST/ALT were")
    listed_after: re.Pattern[str]  # another name listed right after ("AST and ALT were")
    unitless: frozenset[str]
    percent: frozenset[str]


@lru_cache(maxsize=1)
def _measurement() -> _Measures:
    """A measurement as case reports write it: a name of the rules' ``measurements``
    vocabulary (what it was measured in before it), a few linking words, a number and its unit
    (a bare number for the ``unitless`` names), with the number and unit as the result."""
    m = rules_vocabulary()["measurements"]
    names = sorted(m["names"], key=len, reverse=True)
    abbrs = sorted(m["abbreviations"], key=len, reverse=True)
    bare = rf"(?i:{'|'.join(re.escape(n) for n in names)})|{'|'.join(re.escape(a) for a in abbrs)}"
    name = rf"(?P<name>(?i:(?:{_SPECIMEN})[ \t]+)?(?P<bare>{bare}))"
    value = rf"(?P<value>{_MEASURE_NUMBER})"
    unit = rf"(?P<unit>[ \t]*+{_MEASURE_UNIT})?"
    return _Measures(
        re.compile(rf"(?<![\w-]){name}(?![\w-]){_MEASURE_LINK}{value}{unit}"),
        re.compile(name),
        re.compile(rf"(?<![\w-])(?:{bare})[ \t]*(?:,|and|/|or)[ \t]*$"),
        re.compile(rf"[ \t]*(?:/|,[ \t]*(?:{bare})|and[ \t]+(?:{bare}))"),
        frozenset(u.casefold() for u in m["unitless"]),
        frozenset(u.casefold() for u in m["percent"]),
    )


_STATED_AS = re.compile(r"\b(?:was|were|is|are|of)\b|[:=]", re.IGNORECASE)
_ENDS_VALUE = re.compile(r"[ \t]*(?:[,;)(]|\.(?:\s|$)|\band\b|$)")
_NOT_A_LEVEL_BEFORE = re.compile(
    r"\b(?:given|gave|infus\w*|administ\w*|started|received|prescribed|supplement\w*|replac\w*|"
    r"bolus|doses?|diet|pulse[ \t]+(?:therapy|steroids?|methylprednisolone|dose)|dialysate|"
    r"solution|normal|reference|range|no|not|without|never|if|"
    r"when|unless|before|prior|ambient|environmental|storage|stored|sample|specimen|irrigation|"
    r"fluid|lifting|lifted|fell|fall|tumou?r|resected|mass)\b",
    re.IGNORECASE,
)
"""Words before a measurement's name, in its clause, that make its number no level measured in
the patient: a dose given ("insulin infusion at ..."), a reference range, a denial ("no
temperature > 38 °C was recorded"), what is not the patient ("the ambient temperature")."""
_NOT_A_LEVEL_IN_CLAUSE = re.compile(
    r"\b(?:target\w*|goal|aim\w*|maintain\w*|keep|kept|threshold|cut-?off|criteri\w*|defined|"
    r"trigger|limit|requir\w*|titrat\w*|programm\w*|setting|set\s+(?:at|to)|paced|expect\w*|"
    r"anticipat\w*|predict\w*)\b",
    re.IGNORECASE,
)
"""Words anywhere in a measurement's clause that make its number a target, a threshold, a
criterion or a setting ("a MAP of 65 mmHg was targeted", "the pacemaker was programmed to a
heart rate of 70 bpm"), not a level measured."""
_NOT_A_LEVEL_AFTER = re.compile(
    r"[ \t]*(?:[–-]|to\b|and[ \t]+\d|lower|higher|less|more|above|below|greater|over|under|"
    r"longer|shorter|"
    r"of[ \t]+baseline|"
    r"from[ \t]+baseline|h\b|hrs?\b|hours?|min\b|minutes?|days?|weeks?|months?|years?)",
    re.IGNORECASE,
)
"""What after a number makes it no level: a range ("12-16 g/dL"), a difference ("2 g/dL lower
than at baseline"), a time ("INR at 24 h"), one of a list of values ("8.2 and 6.1 mg/dL")."""
_RELATIVES = "mother|father|brother|sister|sibling|husband|wife|son|daughter"
_OTHER_PATIENTS = "patients|cases|series|literature|studies"
"""Words of a sentence about someone other than the patient: the measurement rule's
`_SOMEONE_ELSE` and the event rule's `_OTHER_PEOPLE` each add their own."""
_SOMEONE_ELSE = re.compile(
    rf"\b(?:{_RELATIVES}|{_OTHER_PATIENTS}|twin|donor|parents?|relatives?|maternal|paternal|"
    r"et[ \t]+al|previous(?:ly)?[ \t]+(?:reported|described|published|reports?|cases|studies)|"
    r"reports|describe[sd]?|median|our[ \t]+unit)\b",
    re.IGNORECASE,
)
"""Words of a sentence about someone else's values (a relative, a donor, other patients)."""
_CLAUSE_START = re.compile(r"[.;!?]\s|\n")
_SENTENCE_BREAK = re.compile(r"(?<!et al)[.!?]\s|\n")
_PARENTHESES = re.compile(r"\([^()]*\)")


def _bare_value(text: str, m: re.Match[str]) -> bool:
    """A number with no unit is the measurement's value when the text says so ("white blood
    cell count was 14.98 (normal range 4-10)", "hemoglobin: 10.9,") and nothing follows it but
    the end of the clause (not "platelets were 3 days later")."""
    link = text[m.end("name") : m.start("value")]
    return bool(_STATED_AS.search(link)) and _ENDS_VALUE.match(text, m.end()) is not None


def _a_level(text: str, m: re.Match[str], measures: _Measures) -> bool:
    """Whether match `m` is a level measured in the patient (see `measurements_from_text`)."""
    window = max(0, m.start() - 300)
    begin = max((c.end() for c in _CLAUSE_START.finditer(text, window, m.start())), default=window)
    before = _PARENTHESES.sub(" ", text[max(begin, m.start() - 120) : m.start()])
    end = _CLAUSE_START.search(text, m.end(), m.end() + 300)
    stop = end.start() if end else m.end() + 300
    clause = text[begin:stop]
    starts = [c.end() for c in _SENTENCE_BREAK.finditer(text, window, m.start())]
    around = text[max(starts, default=window) : stop]  # the sentence: "Lee et al. had ..."
    name = m.group("name").casefold()
    percent = (m.group("unit") or "").strip() == "%"
    return not (
        _NOT_A_LEVEL_BEFORE.search(before)
        or _NOT_A_LEVEL_IN_CLAUSE.search(clause)
        or _NOT_A_LEVEL_AFTER.match(text, m.end())
        or _SOMEONE_ELSE.search(around)
        or (percent and not {name, name.split()[-1]} & measures.percent)
        or measures.listed_before.search(before)
        or measures.listed_after.match(text, m.end("name"))
    )


def measurements_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """Each measurement the case's own account writes as a name, a value and its unit
    ("haemoglobin 7.9 g/dL", "blood pressure of 88/54 mmHg", "LVEF 30%": the rules'
    ``measurements`` vocabulary) is a test with that result, quoted from the name to the unit,
    unless the record has it already (the same test, as the scorer reads its name, with a
    result that holds the number; or a test named with its name, with that number: "WBC
    count", "12,700"); a test of that name with no result takes it. Not in the
    article's front matter nor in the discussion."""
    measures = _measurement()
    lo, hi = case_section(text)
    header = header_span(text)
    lo = max(lo, header.end if header is not None else 0)
    had = _Had(record)
    for m in measures.pattern.finditer(text, lo, hi):
        name, number, unit = m.group("name"), m.group("value"), m.group("unit")
        bare = m.group("bare").casefold()  # "pleural fluid pH": a pH
        if unit is None and not (bare in measures.unitless or _bare_value(text, m)):
            continue
        if not _a_level(text, m, measures):
            continue
        had.add(name, number, text[m.start("value") : m.end()], m.group())
        then = _THEN.match(text, m.end()) if unit is not None else None
        if then is not None and then.end() <= hi:  # "... and peaked at 688 ng/L"
            value, result = then.group("value", "result")
            had.add(name, value, result, text[m.start() : then.end()])
    return []


_THEN = re.compile(
    r"\s*,?\s*(?:and\s+|then\s+)?(?:later\s+)?(?:peaked|rose|increased|fell|decreased|dropped|"
    rf"climbed)\s+(?:at|to)\s+(?P<result>(?P<value>{_MEASURE_NUMBER})\s*{_MEASURE_UNIT})",
    re.IGNORECASE,
)
"""A second value of the same measurement, right after the first ("troponin was 412 ng/L and
peaked at 688 ng/L")."""


_NUMBERS = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"\s+")


class _Had:
    """The record's tests, indexed once (by the scorer's term of their names; the results of
    those named by a measurement alone), so that adding a measurement costs no pass over them
    all."""

    def __init__(self, record: CaseReport) -> None:
        self.record = record
        self.methods = vocabulary("methods")
        self.by_key: dict[str, list[Assessment]] = {}
        self.by_number: dict[str, list[Assessment]] = {}
        self.results: set[str] = set()
        for a in record.assessments:
            self._index(a)

    def _index(self, a: Assessment) -> None:
        self.by_key.setdefault(self.methods.term(a.method).key, []).append(a)
        for number in _NUMBERS.findall(a.result or ""):
            self.by_number.setdefault(number, []).append(a)
        if a.result and _measurement().name.fullmatch(a.method):
            self.results.add(_SPACES.sub("", a.result).casefold())

    def add(self, name: str, number: str, result: str, quote: str) -> None:
        """Add the test `name` with `result` quoted by `quote`, unless the record has it (see
        `measurements_from_text`); a test of that name with no result takes it."""
        number, result, quote = number.strip(), result.strip(), quote.strip()
        same = self.by_key.get(self.methods.term(name).key, [])
        word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        with_number = self.by_number.get(number, [])
        if (
            any(a in same for a in with_number)
            or _SPACES.sub("", result).casefold() in self.results
            or any(word.search(a.method) for a in with_number)
        ):
            return  # had already, under a longer name ("WBC count" for "WBC") or another ("Hb")
        empty = next((a for a in same if a.result is None), None)
        if empty is not None:
            empty.result, empty.evidence = result, Evidence(quote=quote)
            self.by_key[self.methods.term(empty.method).key].remove(empty)
            self._index(empty)
            return
        added = Assessment(method=name, result=result, time=None, evidence=Evidence(quote=quote))
        self.record.assessments.append(added)
        self._index(added)


_INTENT_CUES: tuple[tuple[str, str], ...] = (
    ("bridging", r"bridg(?:e|es|ed|ing)"),
    ("salvage", r"salvage"),
    ("induction", r"induction|remission[- ]induction"),
    ("consolidation", r"consolidat\w*"),
    ("maintenance", r"maintenance"),
    ("conditioning", r"conditioning"),
    ("palliative", r"palliat\w*"),
    ("prophylaxis", r"prophyla\w*"),
    ("supportive", r"supportive"),
    ("curative", r"curative"),
)
_INTENT = [(intent, re.compile(rf"\b(?:{cue})\b", re.IGNORECASE)) for intent, cue in _INTENT_CUES]


def intent_from_words(record: CaseReport, text: str) -> list[DroppedFact]:
    """A treatment's intent is the intent word the case text writes with it: in its name, or
    in its sentence within a few words before it ("salvage chemotherapy with FLAG-Ida") or
    right after it ("CAR-T as a bridge to transplant").  No such word: not stated, so null;
    an intent the model gave without one goes to ``dropped``."""
    out: list[DroppedFact] = []
    sentences = _prose_sentences(text)
    for i, t in enumerate(record.treatments):
        found = None
        for _, sentence in sentences:
            at = _find_name(t.name, sentence)
            if at < 0:
                continue
            lo, hi = _clause(sentence, at, at + len(t.name))
            window = sentence[max(lo, at - 40) : min(hi, at + len(t.name) + 30)]
            found = next((intent for intent, cue in _INTENT if cue.search(window)), None)
            break
        if t.intent is not None and found != t.intent:
            fact = {"intent": t.intent, "evidence": {"quote": t.evidence.quote}}
            note = (
                f"the intent word written with it is {found!r} (rule)"
                if found
                else "no intent word is written with it (rule)"
            )
            out.append(DroppedFact(path=f"treatments[{i}].intent", fact=fact, note=note))
        t.intent = found  # type: ignore[assignment]
    return out


_CLAUSE = re.compile(r"[;:]|,?\s*\b(?:but|while|whereas|although)\b", re.IGNORECASE)


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause of `sentence` that holds ``sentence[start:end]``."""
    lo, hi = 0, len(sentence)
    for m in _CLAUSE.finditer(sentence):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return lo, hi


_UNITS = r"one|two|three|four|five|six|seven|eight|nine"
_COUNT = (
    rf"(?:\d+|(?:twenty|thirty|forty|fifty|sixty)(?:-(?:{_UNITS}))?|{_UNITS}|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|several|a few)"
)
_UNIT = r"(?:cycles?|courses?|doses?|days?|weeks?|months?|years?|sessions?|fractions?)"
_SPAN = rf"{_COUNT}[ \t-]+{_UNIT}"
_BEFORE_NAME = re.compile(
    rf"(?P<d>{_SPAN})[ \t]+of[ \t]+(?:(?!(?:follow|after|before)\b)[^\s.;,]+[ \t]+)?$",
    re.IGNORECASE,
)
_AFTER_NAME = re.compile(
    rf"^(?P<between>(?:\([^)]{{0,60}}\)|[^.;,(]){{0,40}}?)\b(?:for|over|x|×)[ \t]+"
    rf"(?:a[ \t]+total[ \t]+of[ \t]+)?"
    rf"(?P<d>{_SPAN})\b",
    re.IGNORECASE,
)


def duration_from_words(record: CaseReport, text: str) -> list[DroppedFact]:
    """A treatment with no duration: the length the case text writes with its name, where it
    first says it, as "six cycles of R-CHOP" or "interferon-α for two weeks" ("six cycles",
    "two weeks"); the words from the one to the other become its quote, so it states both."""
    start = _case_start(text)
    for t in record.treatments:
        if t.duration is not None:
            continue
        at = _find_name(t.name, text, start)
        if at < 0:
            continue
        end = at + len(t.name)
        window = max(start, at - 60)
        before = _BEFORE_NAME.search(text[window:at])
        after = _AFTER_NAME.match(text[end : end + 80])
        if after and _PAUSED.search(after.group("between")):
            after = None  # "stopped for 5 days": a pause, not how long it was given
        span = (
            (window + before.start("d"), end)
            if before
            else (at, end + after.end())
            if after
            else None
        )
        quote = _anchor(t.evidence.quote, text, *span) if span else None
        if quote is not None:
            t.duration = (before or after).group("d")  # type: ignore[union-attr]
            t.evidence = Evidence(quote=quote)
    return []


_LENGTH_UNIT = r"(?:hours?|days?|weeks?|months?|years?)"
_DOSE_THEN_LENGTH = re.compile(
    rf"^(?P<dose>.*?\d.*?)[ \t,;]+for[ \t]+(?:a[ \t]+total[ \t]+of[ \t]+)?"
    rf"(?P<length>(?:\d+\.\d+|{_COUNT})[ \t-]+(?:consecutive[ \t]+)?{_LENGTH_UNIT})[ \t.]*$",
    re.IGNORECASE,
)


def durations_out_of_doses(record: CaseReport) -> list[DroppedFact]:
    """A dose that ends with how long it was given ("70 mg weekly for 2 years", "1 g daily for 5
    days") is the dose before it ("70 mg weekly"), and the length is the treatment's duration
    when it has none ("2 years").  A length that goes on ("for 21 days of each 28-day cycle")
    or counts doses or cycles ("for four doses", "for six cycles") is the schedule and stays in
    the dose.  The model's dose goes to ``dropped`` with the reason."""
    out = []
    for i, t in enumerate(record.treatments):
        m = _DOSE_THEN_LENGTH.match(t.dose or "")
        if m is None:
            continue
        fact = {"dose": t.dose, "evidence": {"quote": t.evidence.quote}}
        note = f"the length {m.group('length')!r} is the duration, not the dose (rule)"
        out.append(DroppedFact(path=f"treatments[{i}].dose", fact=fact, note=note))
        t.dose = m.group("dose").strip(" ,;")
        if t.duration is None:
            t.duration = m.group("length")
    return out


_SP = "[ \t\u00a0\u2009\u200a\u202f]"
"""A space inside a dose (some articles write "23.75\u200amg" with a hair space)."""
_NUMBER = (
    r"(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?=[ \t]+units?\b)|"
    rf"\d+(?:[.,]\d+)*(?:/\d+(?:[.,]\d+)?)?(?:{_SP}?[–-]{_SP}?\d+(?:[.,]\d+)*)?)"
    rf"(?:{_SP}?[×x]{_SP}?10[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?"
)
_AMOUNT_UNIT = (
    r"(?:million[ \t]+(?:international[ \t]+)?units|MIU|mg|g|gm|mcg|µg|μg|ug|ng|IU|U|units?|mL"
    r"|ml|L|mmol|mEq|Gy|cGy|MBq|mCi)"
)
_PER = rf"(?:/|{_SP}per{_SP})(?:kg|m²|m2|day|d|h|hr|hour|min|minute|week|wk|month|mo|dose)(?![\w²])"
_DOSE_UNIT = (
    rf"{_AMOUNT_UNIT}(?:{_PER})*"
    r"(?![\w/·⁻²]|\.[A-Za-z])"  # not a concentration ("mg/mL", "mg.L-1"), not "mg·kg⁻¹"
    rf"(?!{_SP}*(?:per{_SP}+|kg\b|-{_SP}*\d|to{_SP}+\d))"  # nor cut short: "2 mg per kg"
)
_ROUTE = (
    r"(?:subcutaneously|intravenously|orally|intramuscularly|intrathecally|intravitreally|"
    r"topically|sublingually|nebuli[sz]ed|inhaled|intranasally|rectally|transdermally"
    r"|by[ \t]+mouth|IV|PO|SC|IM|i\.v\.|p\.o\.|s\.c\.|i\.m\.)(?!\w)"
)
_FREQUENCY = (
    rf"(?:(?:once|twice|thrice|\d+|one|two|three|four|five|six){_SP}+(?:times{_SP}+)?"
    rf"(?:daily|a{_SP}+day|per{_SP}+day|weekly|a{_SP}+week|per{_SP}+week|monthly|a{_SP}+month)"
    rf"|daily|weekly|monthly|nightly|every{_SP}+other{_SP}+(?:day|week)"
    rf"|every{_SP}+\d+(?:{_SP}?[–-]{_SP}?\d+)?{_SP}*(?:h|hrs?|hours?|days?|weeks?|months?|min"
    rf"|mins|minutes?)|at{_SP}+(?:night|bedtime)|in{_SP}+the{_SP}+(?:morning|evening)"
    rf"|q{_SP}?\d+{_SP}?h|qd|bid|tid|qid|tiw|per{_SP}+day|a{_SP}+day)(?!\w)"
)
_NOT_AN_AMOUNT = rf"(?!{_SP}*{_AMOUNT_UNIT}(?!\w))"
_DAY_NUMBERS = rf"\d+(?:{_SP}?[–-]{_SP}?\d+)?{_NOT_AN_AMOUNT}"
_ON_DAYS = (
    rf"on{_SP}+days?{_SP}+{_DAY_NUMBERS}"
    rf"(?:(?:,{_SP}*|{_SP}+and{_SP}+){_DAY_NUMBERS})*(?!{_SP}+of{_SP}+(?!each|every))"
)
_FRACTIONS = (
    rf"in{_SP}+(?:a{_SP}+single|\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
    rf"{_SP}+fractions?(?!\w)"
)
_CYCLE = rf"(?:of{_SP}+(?:each|every){_SP}+\d+-day{_SP}+cycles?|in{_SP}+\d+-day{_SP}+cycles)"
DOSE = (
    rf"{_NUMBER}{_SP}?{_DOSE_UNIT}(?:{_SP}+{_FRACTIONS})?(?:{_SP}+{_ROUTE})?"
    rf"(?:{_SP}+{_FREQUENCY})?(?:{_SP}+{_ON_DAYS})?(?:{_SP}+{_CYCLE})?"
)
"""A dose as a regimen writes it: an amount with its unit, then the fractions, route, how often
and on which days if written ("400 mg daily on days 1–14 of each 28-day cycle", "135 µg
subcutaneously once weekly", "10 mg/kg every 8 h", "5,000 IU", "20 Gy in 5 fractions").  Not
a concentration or a laboratory value ("12 ng/mL", "3.1 mmol/L"), and not a dose cut short
("2 mg per kg", "1 mg to 2 mg/kg")."""
_DOSE_ENDS = (
    rf"(?!{_SP}+in{_SP}+total)"
    rf"(?=[ \t]*(?:[.,;:)\]\n]|$)|{_SP}+(?:was|were|is|are|had|has|given|administered|started|"
    r"initiated|continued|added|infused|for|from|on|in|at|and|with|as|by|over|via|until|to|x|×|"
    r"then|followed|which|that|but|during|after|before|each|\(|[a-z]{3,}ed\b))"
)
"""What may follow a dose: the end of a clause or a verb, time or linking word; not another
name ("375 mg/m² rituximab", "2 g of methylprednisolone"), nor "trough", "level" (a drug level
is a laboratory value)."""
_ABBREVIATION = r"\((?=(?-i:[^()]*[A-Z]))[A-Za-z0-9αβγ+\-]{1,12}\)"
_STARTED_AT = (
    r"(?:(?:was|were)\s+(?:(?:re)?started|initiated|commenced|begun|given|administered|delivered"
    r"|infused|prescribed|continued|maintained|dosed)\s+)?(?:at|in)\s+a\s+(?:daily\s+|weekly\s+"
    r"|single\s+)?dose\s+of"
    r"|(?:was|were)\s+(?:(?:re)?started|initiated|commenced|begun|given|administered|delivered"
    r"|infused|prescribed|continued|maintained|dosed)\s+(?:at|with)"
    r"|(?:was|were)\s+titrated\s+(?:up\s+)?to"
    r"|(?:infusion|drip|bolus)\s+(?:was\s+(?:started|given|run)\s+)?(?:at|of)"
)
"""Words between the name and its dose that give it ("Vancomycin was started at 15 mg/kg",
"Clozapine was titrated to 300 mg daily"); not "increased to", "reduced to", a change."""
_DOSE_AFTER_NAME = re.compile(
    rf"^(?:{_SP}*{_ABBREVIATION})?(?P<comma>,)?{_SP}+(?:(?:at|of|{_STARTED_AT}){_SP}+)?"
    rf"(?P<d>{DOSE}){_DOSE_ENDS}",
    re.IGNORECASE,
)
_DOSE_IN_NAME = re.compile(
    rf"(?<!\d){_SP}+(?P<d>{DOSE})(?P<rest>(?:{_SP}+for{_SP}+\S+{_SP}+(?:days?|weeks?|months?|cycles?))?)$",
    re.IGNORECASE,
)
_ANY_DOSE = re.compile(rf"\d{_SP}?{_AMOUNT_UNIT}(?!\w)", re.IGNORECASE)
_QUALIFIED = re.compile(
    r"\b(?:up|to|maximum|max|total|cumulative|dose|doses|of|at|from|exceeding|than|tapered|"
    r"increased|reduced|decreased|switched|by|a|an|the|with|not|no)[ \t]*$",
    re.IGNORECASE,
)
"""A name whose words before its dose end with one of these is not a drug and its dose
("gabapentin up to 3600 mg", "methotrexate at a dose of 15 mg"): it is not cut."""
_COMBINATION = re.compile(r",|/|\+|\band\b|\bwith\b|\bplus\b", re.IGNORECASE)
_FIXED_COMBINATION = re.compile(r"[A-Za-z][\w-]*/[A-Za-z][\w-]*")
"""Two drugs of one product, whose dose is written with a slash too ("sacubitril/valsartan
49/51 mg", "carbidopa/levodopa 25/100 mg")."""
_NOT_GIVEN = re.compile(
    r"\b(?:not|no|never|without|planned|plan|considered|recommended|proposed|usually|typically|"
    r"routinely|should|would|could|may|might|will|patients|cases|reported|refused|declined|"
    r"discussed|scheduled|contraindicated|instead|rather|standard|usual|advised|indicated|"
    r"total|cumulative|noted|allowed|permitted|limit|withheld|held|typical|deferred|postponed"
    r"|unavailable)\b"
    r"|\[\d",
    re.IGNORECASE,
)
"""Words that make a dose in the sentence not this patient's given dose: negated, planned,
usual, or other patients' ("aspirin 300 mg was not given", "patients usually receive...")."""
_A_LEVEL = re.compile(
    r"\b(?:measured|level|levels|concentrations?|serum|plasma|trough)\b", re.IGNORECASE
)
"""Words of a drug level or a laboratory value, read only near the name and its number
("Transfusion levels of 6.8 g/dL", "Tacrolimus 12 trough"): not a trough told later in the
sentence ("Vancomycin 1 g every 12 h was given, with a trough of 8 mg/L"; the last dose
audit, out/audit-s21j)."""


def _occurrences(phrase: str, text: str, start: int, edge: str = r"\w") -> list[int]:
    """Where `phrase` stands in `text` from `start` (case ignored), no character of class
    `edge` touching it on either side (default: as whole words)."""
    phrase = phrase.strip()
    if not phrase:
        return []
    pattern = re.compile(rf"(?<![{edge}]){re.escape(phrase)}(?![{edge}])", re.IGNORECASE)
    return [m.start() for m in pattern.finditer(text, start)]


def _mention(name: str, text: str, start: int = 0) -> list[int]:
    """Where `name` stands in `text` (from `start`) as a whole name: not a piece of a hyphenated
    or combined one ("CHOP" is not in "R-CHOP", nor "ATO" in "ATRA+ATO")."""
    return _occurrences(name, text, start, r"\w\-/+") if len(name.strip()) >= 2 else []


def _quoted_mention(quote: str, name: str, text: str, start: int) -> int:
    """The mention of `name` inside `quote`, when the quote stands once in the case text and
    names it once there (else -1: the quote cannot tell one mention)."""
    places = _occurrences(quote, text, start)
    if len(places) != 1:
        return -1
    q_at = places[0]
    inside = [a for a in _mention(name, text, q_at) if a + len(name) <= q_at + len(quote.strip())]
    return inside[0] if len(inside) == 1 else -1


def _this_mention(t: Any, text: str, start: int) -> int:
    """The one mention of treatment `t` in the case text that its quote points at: the name
    inside the model's own quote, when that quote is words of the case text; else the name
    when the case text names it once.  -1 when it cannot be told (a bare name written twice,
    a quote the pipeline located, a quote without the name): no dose is read then."""
    quote = t.evidence.quote.strip()
    located = (t.evidence.note or "").startswith(LOCATED)
    own = quote and not located and squash(quote) != squash(t.name)
    if own and _occurrences(quote, text, start):
        return _quoted_mention(quote, t.name, text, start)
    found = _mention(t.name, text, start)
    return found[0] if len(found) == 1 else -1


def _sentence_bounds(text: str, at: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence that holds ``text[at:end]``."""
    lo = max((m.end() for m in _BREAK.finditer(text, 0, at)), default=0)
    hi = next((m.start() for m in _BREAK.finditer(text, end)), len(text))
    return lo, hi


_ANOTHER_PERSON = re.compile(
    rf"\b(?:{_RELATIVES}|twin|donor|parents?|relatives?|cousin|aunt|uncle|grand\w+|friend"
    r"|partner|colleague|roommate|another\s+patient|other\s+patients?"
    r"|(?:her|his)\s+(?:newborn|baby|infant|child|fetus|foetus))\b",
    re.IGNORECASE,
)
"""Another person before the name in its sentence: the dose is not this patient's ("Her
sister had responded to eculizumab 900 mg weekly"; the second dose audit, out/audit-s21d)."""


_A_DEVICE = re.compile(
    r"\b(?:balloons?|pumps?|catheters?|stents?|valves?|prosthes[ie]s|drains?|tubes?|devices?"
    r"|implants?|pacemakers?|shunts?|sheaths?|cannula[es]?|ports?|clips?|coils?|filters?|mesh"
    r"|plates?|screws?|nails?|wires?|occluders?|expanders?)\b",
    re.IGNORECASE,
)
"""A device by its name: a number with a unit after it is its size or volume ("balloon pump
(40 mL)", the third dose audit, out/audit-s21g), not a dose."""


def _given_here(text: str, at: int, end: int, name: tuple[int, int] | None = None) -> bool:
    """Whether the words around ``text[at:end]`` (a name and its dose; up to 50 characters
    before and 40 after, within the sentence) read as a dose given to this patient; the name's
    own words (`name`, its bounds) are not read ("fresh frozen plasma" is no plasma level)."""
    lo, hi = _sentence_bounds(text, at, end)
    first = name[0] if name else at
    clause = max((m.end() for m in re.finditer(r"[;:]", text[lo:first])), default=0)
    if _ANOTHER_PERSON.search(text, lo + clause, first):
        return False  # "Her twin brother had received 2 units of packed red cells"
    a, b = max(lo, at - 50), min(hi, end + 40)
    window = text[a:b]
    if name is not None:
        n0, n1 = max(name[0], a) - a, max(min(name[1], b) - a, 0)
        window = window[:n0] + " " * max(n1 - n0, 0) + window[n1:]
    near = window[: min(hi, end + 15) - a]  # a level's words only up to 15 after the dose
    return _NOT_GIVEN.search(window) is None and _A_LEVEL.search(near) is None


_DOSE_IN_BRACKETS = re.compile(
    rf"^{_SP}*\({_SP}*(?:(?=(?-i:[^(),]*[A-Z]))[A-Za-z0-9αβγ+\-]{{1,12}},{_SP}*)?(?P<d>{DOSE})"
    rf"(?:{_SP}+(?:for|over|x|×){_SP}+[^()]{{1,24}})?{_SP}*\)",
    re.IGNORECASE,
)
"""A dose alone in brackets right after the name, perhaps after its abbreviation and before
how long ("erlotinib (150 mg daily)", "busulfan (Bu, 3.2 mg/kg/day)", "rituximab (375 mg/m2
weekly for four weeks)")."""
_DOSE_BEFORE_NAME = re.compile(
    rf"(?<![\w.,/+\-–])(?P<d>{DOSE}){_SP}+(?:of{_SP}+)?"
    r"(?:(?:oral|intravenous|IV|i\.v\.|subcutaneous|intramuscular|inhaled|nebuli[sz]ed)[ \t]+)?$",
    re.IGNORECASE,
)
"""A dose written right before the name, "of" perhaps between ("2 mg/kg/month of canakinumab",
"1500 mg weekly erlotinib", "500 mg of oral amoxicillin")."""
_DOSE_OF_BEFORE = re.compile(
    r"\bdoses?\s+of\s+(?:(?:the|oral|intravenous|IV|subcutaneous)\s+)?$", re.IGNORECASE
)
_WAS_DOSE = re.compile(rf"^{_SP}+(?:was|were){_SP}+(?P<d>{DOSE}){_DOSE_ENDS}", re.IGNORECASE)
"""A dose told as what the dose of the drug was ("The dose of methotrexate was 15 mg
weekly")."""
_LEADS_TO_DOSE = re.compile(
    r"(?:^|[(:;,]|\b(?:with|received|receiving|receive|given|gave|administered|started|"
    r"starting|initiated|initiating|commenced|prescribed|took|taking|on|and|plus|then|at|of|to|"
    r"resumed|resuming|using|added|adding|via|by|infused|injected)\b)[ \t]*$",
    re.IGNORECASE,
)
"""What may come before a dose that is the next name's: the start of a clause, a verb of giving
or a linking word, not another drug's name ("cyclophosphamide 750 mg/m² doxorubicin": the
dose is cyclophosphamide's)."""
_AFTER_COMMA_DOSE = re.compile(
    r"[ \t]*(?:for[ \t]+\S+[ \t]+(?:days?|weeks?|months?|cycles?|doses?)[ \t]*)?[,.;)]",
    re.IGNORECASE,
)


def _dose_at(text: str, at: int, name: str) -> tuple[str, int, int] | None:
    """The dose written with the name at `at` (right after it, in brackets right after it, or
    right before it), with the bounds of the words from the one to the other in `text`, if it
    reads as given (else None).  A dose after the name wins over one before it."""
    end = at + len(name)
    after = _DOSE_AFTER_NAME.match(text[end : end + 160]) or _DOSE_IN_BRACKETS.match(
        text[end : end + 160]
    )
    if after is not None:
        comma = "comma" in after.re.groupindex and after.group("comma")
        if comma and not _AFTER_COMMA_DOSE.match(text[end + after.end() :]):
            return None  # "After rituximab, 2 g ..." may be the next drug's; ", 10 mg daily," not
        if not _given_here(text, at, end + after.end(), (at, end)):
            return None
        return after.group("d"), at, end + after.end("d")
    lo = max(_sentence_bounds(text, at, end)[0], at - 120)
    if _DOSE_OF_BEFORE.search(text[lo:at]) and (was := _WAS_DOSE.match(text[end : end + 160])):
        if _given_here(text, at, end + was.end(), (at, end)):
            return was.group("d"), at, end + was.end("d")  # "The dose of X was 15 mg weekly"
        return None
    before = _DOSE_BEFORE_NAME.search(text[lo:at])
    if before is None or not _LEADS_TO_DOSE.search(text[lo : lo + before.start()]):
        return None
    if not _given_here(text, lo + before.start(), end, (at, end)):
        return None
    return before.group("d"), lo + before.start("d"), end


def _fits(t: Any, sentence: str) -> bool:
    """Whether a sentence can be where treatment `t` was given: it speaks of this patient, and
    states the treatment's time if it has one (not an earlier course's dose)."""
    if _THIS_PATIENT.search(sentence) is None:
        return False
    return t.time is None or squash(str(t.time)) in squash(sentence)


def _dose_mention(t: Any, text: str, start: int, named: int) -> tuple[int, str, int] | None:
    """The mention of treatment `t` whose dose the rule reads, with that dose: the one its
    quote points at (`_this_mention`); else, when the name is written more than once, the only
    mention followed by a given dose: the only one whose dose starts with the model's, or, if
    the model gave none and the record lists this name once (`named`), the only one at all.
    Returns where the words of the name and its dose start, the dose, and where they end;
    None when that cannot be told."""
    at = _this_mention(t, text, start)
    if at >= 0:
        found = _dose_at(text, at, t.name)
        return (found[1], found[0], found[2]) if found else None
    quote = t.evidence.quote.strip()
    own = quote and not (t.evidence.note or "").startswith(LOCATED)
    if own and squash(quote) != squash(t.name) and not _occurrences(quote, text, start):
        return None  # the model's quote is not the text's words: nothing tells the mention
    dosed = [
        (d[1], d[0], d[2])
        for a in _mention(t.name, text, start)
        if (d := _dose_at(text, a, t.name)) and _fits(t, text[slice(*_sentence_bounds(text, a, a))])
    ]
    if t.dose is not None:
        dosed = [x for x in dosed if squash(x[1]).startswith(squash(t.dose))]
    elif named != 1:
        return None
    return dosed[0] if len(dosed) == 1 else None


def doses_from_words(record: CaseReport, text: str) -> list[DroppedFact]:
    """A treatment's dose from the words written right after its name.

    - A name that ends with a dose ("oral acyclovir 800 mg 5 times daily", perhaps "for 14
      days" after it) is cut before the dose; the dose is its dose if it had none.  Not a
      combination's name ("fludarabine and cyclophosphamide 500 mg/m²": whose dose?).  The
      model's name goes to ``dropped``.
    - A treatment with no dose gets the dose the case text writes right after its name
      ("filgrastim 5 µg/kg/day", "infliximab 5 mg/kg", "aspirin (ASA) 300 mg", "acyclovir,
      10 mg/kg every 8 h for 14 days,", "erlotinib (150 mg daily)", "busulfan (Bu, 3.2
      mg/kg/day)", "vancomycin was started at 15 mg/kg", "radiotherapy of 45 Gy in 25
      fractions", "at a dose of 15 mg", "infusion at 5 mg/h", "The dose of X was 15 mg";
      not "reduced to 5 mg", a change; a fixed combination only with a slashed dose,
      "sacubitril/valsartan 49/51 mg"), else right before it
      after a verb of giving, a linking word or the start of a clause ("2 mg/kg/month of
      canakinumab", "with 1500 mg weekly erlotinib"; not "cyclophosphamide 750 mg/m²
      doxorubicin"), and the words from the one to the other become its quote, so it states
      both.
    - A dose the text goes on to say how often or on which days to give is completed from the
      text ("400 mg" -> "400 mg daily on days 1–14 of each 28-day cycle"); the model's dose
      goes to ``dropped``.
    Only the mention the treatment's quote points at counts, and only the words right after
    its name: not another drug's dose, a laboratory value or a concentration, nor a dose in a
    sentence that negates, plans or generalises it ("was not given", "usually")."""
    out: list[DroppedFact] = []
    start = _case_start(text)
    for i, t in enumerate(record.treatments):
        inside = _DOSE_IN_NAME.search(t.name)
        before = t.name[: inside.start()].rstrip(" \t") if inside else ""
        before = before.removesuffix(",")  # "intravenous acyclovir, 10 mg/kg every 8 h"
        if (
            inside
            and re.search(r"[A-Za-z]{3}", before)
            and not _COMBINATION.search(before)
            and not _ANY_DOSE.search(before)  # "60 mg daily ... followed by 20 mg": two doses
            and not _QUALIFIED.search(before)
        ):
            name = before.strip(" ,")
            out.append(
                DroppedFact(
                    path=f"treatments[{i}].name",
                    fact={"name": t.name, "evidence": {"quote": t.evidence.quote}},
                    note=f"a dose is not part of the name: {name!r}",
                )
            )
            if t.dose is None:
                t.dose = inside.group("d")
            t.name = name
    names = Counter(squash(t.name) for t in record.treatments)
    for i, t in enumerate(record.treatments):
        fixed = _FIXED_COMBINATION.fullmatch(t.name.strip())
        if _COMBINATION.search(t.name) and not fixed:
            continue  # "rituximab and bendamustine 90 mg/m²": the dose is one drug's
        if _A_DEVICE.search(t.name):
            continue  # "An intra-aortic balloon pump (40 mL)": a device's size, not a dose
        hit = _dose_mention(t, text, start, names[squash(t.name)])
        if hit is None:
            continue
        at, found, end = hit
        if fixed and not re.match(r"\d+(?:[.,]\d+)?/\d", found):
            continue  # "sacubitril/valsartan 49/51 mg"; not "fludarabine/cyclophosphamide 30 mg"
        old = t.dose
        if old is not None and (
            len(found) <= len(old) or not squash(found).startswith(squash(old))
        ):
            continue
        quote = _anchor(t.evidence.quote, text, at, end)
        if quote is None:
            continue
        if old is not None:
            out.append(
                DroppedFact(
                    path=f"treatments[{i}].dose",
                    fact={"dose": old, "evidence": {"quote": t.evidence.quote}},
                    note=f"completed from the text: {found!r}",
                )
            )
        t.dose = found
        t.evidence = Evidence(quote=quote)
    return out


_STRENGTH_BEFORE = re.compile(
    r"\b(?P<d>(?:high|low|standard|full|reduced|double|maximal|maximum|minimal|stress|pulse)"
    r"[- \t]?doses?)[ \t]+(?:of[ \t]+)?(?:(?:oral|intravenous|IV|i\.v\.|subcutaneous|"
    r"intramuscular|inhaled|intrathecal|systemic)[ \t]+)?$",
    re.IGNORECASE,
)
"""A dose word written right before a treatment's name ("high-dose furosemide", "low dose of
oral aspirin")."""
_SIZE_ONLY = re.compile(
    r"\s*\d+(?:[.,]\d+)?(?:\s*[x×]\s*\d+(?:[.,]\d+)?)*\s*(?:mm|cm|(?-i:Fr|F|G)|French|gauge)\.?\s*",
    re.IGNORECASE,
)
"""A size alone ("40 mm", "8 Fr", "22 gauge", "23 × 40 mm"): a device's, not a dose; "F"
and "G" only in capitals ("2 g" is a dose; a helper's review)."""


def dose_words(record: CaseReport, text: str) -> list[DroppedFact]:
    """A treatment's dose word written before its name, and no size as a dose (v54).

    - A treatment with no dose, whose mention its quote points at (`_this_mention`) follows
      a dose word ("high-dose furosemide", "low dose of aspirin", "pulse-dose steroids"), gets
      that word as its dose; its quote is widened to take the word in (`_anchor`), so it
      states both.  Not in a sentence that negates, plans or generalises it (`_given_here`).
    - A dose that is only a size ("40 mm" of a balloon, "8 Fr" of a catheter, "31 mm" of a
      valve prosthesis) is a device's size: the dose is null and the model's value goes to
      ``dropped``."""
    out: list[DroppedFact] = []
    start = _case_start(text)
    for i, t in enumerate(record.treatments):
        if t.dose is not None and _SIZE_ONLY.fullmatch(t.dose):
            out.append(
                DroppedFact(
                    path=f"treatments[{i}].dose",
                    fact={"dose": t.dose, "evidence": {"quote": t.evidence.quote}},
                    note="a size is not a dose (a device's size)",
                )
            )
            t.dose = None
            continue
        if t.dose is not None or _COMBINATION.search(t.name):
            continue
        at = _this_mention(t, text, start)
        if at < 0:
            continue
        lo, _ = _sentence_bounds(text, at, at + len(t.name))
        m = _STRENGTH_BEFORE.search(text, max(lo, at - 60), at)
        if m is None or not _given_here(text, m.start(), at + len(t.name), (at, at + len(t.name))):
            continue
        quote = _anchor(t.evidence.quote, text, m.start(), at + len(t.name))
        if quote is None:
            continue
        t.dose = m.group("d")
        t.evidence = Evidence(quote=quote)
    return out


_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|half|single)"
)
_COUNT_UNIT = (
    rf"(?:{_AMOUNT_UNIT}|kg|MU|GBq|%|ppm|kcal|milligrams?|grams?|micrograms?|millilit(?:er|re)s?|"
    r"puffs?|tabs?|tablets?|caps?|capsules?|drops?|gtts?|ampoules?|vials?|cells?|doses?|boluses|"
    r"bolus|sachets?|patch(?:es)?|sprays?|inhalations?|injections?|infusions?|sessions?|"
    r"exchanges?|cycles?|courses?|fractions?)"
)
"""The dose reader's units (`_AMOUNT_UNIT`) and the counts a dose may be given in."""
_AMOUNT = (
    rf"(?:(?<![\w.])\d+(?:[.,]\d+)*|[½¼¾⅓⅔]|\b{_NUMBER_WORD}(?:[ -]{_NUMBER_WORD})*"
    rf"|\ban?(?={_SP}+(?:drop|tablet|capsule|puff|patch|vial|ampoule|sachet)))"
    rf"(?:{_SP}*[–-]{_SP}*\d+(?:[.,]\d+)*)?{_SP}*(?:(?:a|an|anti-Xa){_SP}+)?"
    rf"(?:[×x]{_SP}*10|{_COUNT_UNIT}(?![A-Za-z]))"
    rf"|\bAUC{_SP}*(?:of{_SP}*)?\d"
)
"""An amount: a number or number words with a unit or a count ("400 mg", "2 × 10⁶", "fifteen
milligrams", "two puffs", "half a tablet", "20 ppm", "AUC 5")."""
_SCHEDULE = (
    rf"(?<![\w.])(?<!within )(?<!within\t){_FREQUENCY}"
    rf"|\bevery{_SP}+(?:day|hour|week|month|morning|night|evening|other|"
    rf"\w+{_SP}+(?:hours?|days?|weeks?|months?))"
    rf"|\bat{_SP}+bedtime\b|\bhourly\b|(?<![\w.])(?:[bt]\.i\.d|q\.d|q\.i\.d)\.?(?!\w)|\bqhs\b"
    rf"|\b(?:sliding|correction(?:al)?){_SP}+scale\b|\b(?:a|per){_SP}+(?:week|month)\b"
    rf"|\bcontinuous(?:ly)?{_SP}+infus|\bdosing\b"
)
_STRENGTH = (
    r"\b(?:high|low|standard|full|reduced|double|half|maximal|maximum|minimal|maintenance|"
    r"loading|stress|pulse|single|split)[- \t]?dos(?:e|es|ed|ing)\b"
    r"|\b(?:therapeutic|prophylactic|reduced-intensity|myeloablative|weight-based)\b"
)
_DOSE_STATED = re.compile(rf"{_AMOUNT}|{_SCHEDULE}|{_STRENGTH}", re.IGNORECASE)
"""What makes words a dose: an amount, a schedule ("daily", "every 8 h", "at bedtime") or a
strength ("high-dose", "prophylactic")."""
_NOT_DOSE_NUMBERS = re.compile(
    rf"\bdays?{_SP}*[+−-]?\d+(?:(?:,|{_SP}and|{_SP}to|{_SP}*[–−-]){_SP}*[+−-]?\d+)*"
    rf"|\bfor{_SP}+\d+{_SP}*(?:days?|weeks?|months?|years?|h|hours?|cycles?|courses?)\b"
    rf"|\b(?:grade|stage|cycle|course|week|month|year){_SP}*\d+|\bC\d+D\d+\b"
    rf"|\b[A-Za-z]+-\d+\b|\b(?:19|20)\d\d\b(?!{_SP}*(?:[A-Za-z%]|anti))"
    rf"|\b\d+(?:[.,]\d+)?(?:{_SP}*[x×]{_SP}*\d+(?:[.,]\d+)?)*{_SP}*(?:mm|cm|Fr|French|inch(?:es)?)\b",
    re.IGNORECASE,
)
"""Numbers that are not amounts: a day (a transplant's "day −6 to −2" too, with its minus
sign), a length, a name ("COVID-19", "IL-6"), a year, a device's size ("a 40 mm balloon",
"a 31 mm prosthesis", "a 14 Fr catheter"; eighteenth session)."""
_HAS_AMOUNT = re.compile(_AMOUNT, re.IGNORECASE)
_AMOUNT_BEFORE = re.compile(
    rf"(?:{_AMOUNT})(?:/[^\s(]+(?=[\s(]|$))?(?:{_SP}+(?:of|{_ROUTE}|intravenous|oral|"
    rf"subcutaneous|intramuscular))*{_SP}*"
    rf"(?:(?:\b(?!(?:in|into|after|before|to|as|with|and|of|the|for|until|during|on|at|over|via|"
    rf"by|while|titrated|added|each|per)\b)[A-Za-z-]+{_SP}+){{1,4}}\({_SP}*)?$",
    re.IGNORECASE,
)
"""An amount written right before a name: "2 g of", "20 mg IV", "2 g/kg intravenous
immunoglobulin (" (the name an abbreviation after the words it stands for)."""
_LINK = re.compile(
    rf"(?:[,;]|\(?{_SP}*\b(?:and|plus|with|then|followed{_SP}+by|switched{_SP}+to|"
    rf"changed{_SP}+to|replaced{_SP}+(?:by|with))\b)"
    rf"(?:{_SP}*(?:and|then|later|subsequently))?"
    rf"(?:{_SP}+[A-Za-z-]+){{0,3}}?{_SP}*$",
    re.IGNORECASE,
)
"""What joins a dose to a next treatment: ", followed by oral", "and later", "(with" """
_PLACED = re.compile(
    rf"\b(?:after|before|following|until|from|replacing|instead{_SP}+of)\b"
    rf"(?:{_SP}+[A-Za-z-]+){{0,2}}?{_SP}*$",
    re.IGNORECASE,
)
"""Words that place a dose against a next treatment; they end the dose only when that
treatment's own amount follows its name ("1 mg/kg/day after methylprednisolone 1 g/day")."""
_DOSE_LEAD = frozenset(
    re.findall(
        r"\w+",
        "approximately about around initially then loading maintenance dose doses oral orally "
        "intravenous intravenously iv po sc im subcutaneous subcutaneously at a an the of up "
        "to single total daily high low standard reduced full starting start given",
    )
)
"""Words that may stand before a dose's amount ("approximately 60 mg/m²", "IV 400 mg")."""
_ITS_OWN_DOSE = re.compile(rf"[\s,:]*(?P<d>{DOSE}(?:{_SP}*[×x]{_SP}*\d+)?)?")
"""The dose written right after a treatment's name inside another's dose ("cytarabine 200
mg/m²/day"), if any."""


def _dose_like(dose: str) -> bool:
    """Whether words state a dose: an amount, a schedule or a strength, or a number that is not
    a day, a length, a year or part of a name."""
    if _DOSE_STATED.search(dose):
        return True
    return bool(re.search(r"\d", _NOT_DOSE_NUMBERS.sub(" ", dose)))


def _whole(inner: str, outer: str) -> bool:
    """Whether `inner` stands in `outer` as whole words."""
    return bool(_occurrences(inner, outer, 0))


def _others_in_dose(t: Any, dose: str, names: list[str]) -> list[tuple[int, int, str]]:
    """Where other treatments of the record are named in `dose`, in order (start, end, name);
    not one whose name holds this one's as whole words or is held by it ("methylprednisolone",
    "bolus methylprednisolone")."""
    own = t.name.strip()
    found = []
    for name in {n.strip() for n in names}:
        if len(name) < 3 or _whole(own, name) or _whole(name, own):
            continue
        found += [(at, at + len(name), name) for at in _occurrences(name, dose, 0, r"\w-")]
    return sorted(found)


def _drug_by_drug(head: str, own: str, names: list[str]) -> bool:
    """Whether `head` (a dose's words up to a next treatment) starts as a regimen's doses are
    written drug by drug: a name, not this treatment's, before the first amount."""
    first = _DOSE_STATED.search(head)
    lead = head[: first.start()] if first else head
    if any(_whole(n, lead) for n in names if len(n.strip()) >= 3 and not _whole(n, own)):
        return True
    words = [w for w in re.findall(r"[A-Za-z][\w-]*", lead) if len(w) >= 4]
    own_words = {w.lower() for w in re.findall(r"[\w-]+", own)}
    return any(w.lower() not in _DOSE_LEAD | own_words for w in words)


_CLASS_NAME = re.compile(
    r"(?:^|\s)(?:therapy|treatment|prophylaxis|fluids?|steroids?|corticosteroids?|antibiotics?|"
    r"transfusions?|infusions?|chemotherapy|radiotherapy|dialysis|oxygen|thrombolysis|drops|"
    r"iron|cells)$",
    re.IGNORECASE,
)
"""A treatment named by its class or form ("corticosteroids", "IV fluids", "pulse therapy"):
an amount next to it may be any drug's of that class, this one's included."""


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z]+", name)).lower()


def _letters(name: str) -> str:
    return re.sub(r"[^A-Za-z]", "", name).lower()


def _owns_amounts(other: tuple[int, int, str], dose: str, own: str) -> bool:
    """Whether another treatment named in a dose can own an amount next to it: a specific
    name, not a class ("corticosteroids"), a reference ("prednisone equivalent") or this
    treatment's abbreviation ("ATRA" for "all-trans retinoic acid")."""
    _start, end, name = other
    short, whole = _letters(name), _letters(own)
    if (len(short) >= 2 and short in (_initials(own), whole)) or _initials(name) == whole:
        return False
    return not _CLASS_NAME.search(name) and not re.match(
        rf"{_SP}*-?equivalents?\b", dose[end:], re.IGNORECASE
    )


def _names_itself(t: Any, dose: str) -> bool:
    """Whether `dose` names treatment `t`, or a part of a combination's name ("CHOP" of
    "R-CHOP")."""
    own = t.name.strip()
    parts = [p for p in re.split(r"[-/+ ]", own) if len(p) >= 3]
    return _whole(own, dose) or any(_whole(p, dose) for p in parts)


def _own_dose(t: Any, dose: str, names: list[str]) -> tuple[str | None, str]:
    """The part of `dose` that is treatment `t`'s own, and why it changed ("" if it did not).
    When in doubt the dose stays as it is."""
    if not _dose_like(dose):
        return None, "not a dose: no amount, schedule or strength"
    others = _others_in_dose(t, dose, names)
    if not others:
        return dose, ""
    if not _HAS_AMOUNT.search(dose) and not re.search(r"\d", dose):
        return None, f"not this treatment's dose: it names {others[0][2]!r} and no amount"
    itself = _names_itself(t, dose)
    owners = [o for o in others if _owns_amounts(o, dose, t.name)]
    direct = [o for o in owners if _AMOUNT_BEFORE.search(dose[: o[0]])]
    before = [o for o in direct if len(_HAS_AMOUNT.findall(dose[: o[0]])) == 1]
    regimen = len({o[2].lower() for o in direct}) > 1  # "30 mg/m² fludarabine and 500 mg/m² ..."
    if before and not regimen and not itself and not _drug_by_drug(dose, t.name, names):
        named = before[0][2]
        head = dose[: before[0][0]]
        link = _LINK.search(head)
        if link is None or not _dose_like(head[: link.start()]):
            return None, f"the dose of {named!r}, written before its name"
    for start, end, name in others:
        head = dose[:start]
        link = _LINK.search(head)
        joined = link is not None  # "and", "with", "then": another drug, not a synonym
        if link is None and _HAS_AMOUNT.match(dose[end:].lstrip(" ,:")):
            link = _PLACED.search(head)
        if link is None:
            continue
        tail = dose[end:]
        its = _ITS_OWN_DOSE.match(tail)
        rest = tail[its.end() :] if its else tail
        if joined and its and its.group("d") and not _HAS_AMOUNT.search(head[: link.start()]):
            return None, f"the dose of {name!r}, written after its name; none before it"
        if _HAS_AMOUNT.search(rest) if its and its.group("d") else _dose_like(rest):
            break  # this one's dose goes on after the other ("..., then 150 mg/m² on days 1–5")
        kept = head[: link.start()].strip(" ,;(")
        if kept and _dose_like(kept) and not _drug_by_drug(kept, t.name, names):
            return kept, f"cut before another treatment, {name!r}"
        break
    return dose, ""


def doses_are_doses(record: CaseReport, text: str) -> list[DroppedFact]:
    """A treatment's dose is words that state a dose, and only its own.

    - Words that state no amount, schedule or strength are not a dose ("started for
      hypotension and later replaced", "IV bolus methylprednisolone treatment", "on day 3"):
      the dose is null.
    - A dose that goes on, through "and", "with", "followed by"..., to another treatment of
      the record is cut before it ("60 mg/m² on days 1–3 and cytarabine 200 mg/m²/day" ->
      "60 mg/m² on days 1–3").  Words that only place it ("30 min before rituximab", "in 100
      mL normal saline", "after each dialysis") are not another treatment's dose, nor is a
      dose whose own schedule goes on after the other's ("75 mg/m² daily with radiotherapy,
      then 150 mg/m² on days 1–5"): it stays.
    - The one amount of a dose written right before another treatment's name ("2 g/kg
      intravenous immunoglobulin (IVIG)" given as valacyclovir's dose) and other treatments'
      names with no amount are that one's, not this one's: the dose is null.  Not a class or
      form ("1 mg/kg/day corticosteroids", "30 mL/kg IV fluids"), a reference ("prednisone
      equivalent"), this treatment's abbreviation ("ATRA") or a part of its name ("CHOP" of
      "R-CHOP"), nor a dose written after another name ("ceftriaxone 2 g daily": a brand or
      a synonym listed apart, "Keytruda" for pembrolizumab, would read the same), unless a
      word that joins two treatments comes before that name and no amount before it ("from
      day −1 with methotrexate 15 mg/m² on day +1" given as ciclosporin's dose: null).
    - A regimen's doses written drug by drug ("fludarabine 30 mg/m² and cyclophosphamide 500
      mg/m²", "30 mg/m² fludarabine and 500 mg/m² cyclophosphamide") stay.
    The model's dose goes to ``dropped`` with the reason."""
    out: list[DroppedFact] = []
    names = [t.name for t in record.treatments]
    for i, t in enumerate(record.treatments):
        dose = t.dose
        if dose is None or len(t.name.strip()) < 2:
            continue
        new, why = _own_dose(t, dose, names)
        if new == dose:
            continue
        out.append(
            DroppedFact(
                path=f"treatments[{i}].dose",
                fact={"dose": dose, "evidence": {"quote": t.evidence.quote}},
                note=why,
            )
        )
        t.dose = new
    return out


def _filled(t: Any) -> int:
    return sum(v is not None for k, v in t if k not in ("name", "evidence", "category"))


_SAME_WHEN_GIVEN = ("dose", "time", "intent", "duration", "target")


def _agree(a: Any, b: Any) -> bool:
    """No attribute says these are two administrations (a different dose, time...)."""
    for field_name in _SAME_WHEN_GIVEN:
        x, y = getattr(a, field_name), getattr(b, field_name)
        if x is not None and y is not None and squash(str(x)) != squash(str(y)):
            return False
    return True


def same_treatment_once(record: CaseReport, text: str) -> list[DroppedFact]:
    """Two treatments of the same name whose quotes point at the same words of the text (one
    mention, listed twice: by two passes, or twice by one; or the same sentence given to both
    as their quote) are one, unless an attribute differs
    (dose, time, intent, duration, target): the one that gives more attributes stays, in the
    place of the first, with the other's attributes where it has none; the other goes to
    ``dropped`` as it was.  The same drug at two mentions stays twice, and so does a treatment
    whose mention cannot be told (`_this_mention`)."""
    out: list[DroppedFact] = []
    start = _case_start(text)
    kept: list[tuple[str, int, str, int]] = []  # (name, where, quote, index in `items`)
    items: list[Any] = []
    origin: list[int] = []  # each kept item's index in the record as the rule found it
    for i, t in enumerate(record.treatments):
        key = squash(t.name)
        at = _this_mention(t, text, start)
        quote = squash(t.evidence.quote)
        said = (  # a quote that is more than the name, stands once and names it once
            quote
            if quote
            and quote != key
            and _quoted_mention(t.evidence.quote, t.name, text, start) >= 0
            else ""
        )
        twin = next(
            (
                k
                for name, where, q, k in kept
                if name == key
                and ((at >= 0 and where == at) or (said and q == said))
                and _agree(items[k], t)
            ),
            None,
        )
        if twin is None:
            kept.append((key, at, said, len(items)))
            items.append(t)
            origin.append(i)
            continue
        first = items[k := twin]
        if _filled(t) > _filled(first):
            stays, goes, where = t, first, origin[k]
            items[k], origin[k] = t, i
        else:
            stays, goes, where = first, t, i
        out.append(
            _drop(
                f"treatments[{where}]", goes, "the same mention as another treatment, listed twice"
            )
        )
        for field_name in (*_SAME_WHEN_GIVEN, "donor_type", "graft_source"):
            if getattr(stays, field_name) is None and getattr(goes, field_name) is not None:
                setattr(stays, field_name, getattr(goes, field_name))
    record.treatments = items
    return out


_PAUSED = re.compile(
    r"\b(?:stopped|held|withheld|discontinued|interrupted|paused|suspended|off)\b", re.IGNORECASE
)


_FOLLOW_SAID = re.compile(
    r"\b(?:(?:at|on|during|by)[ \t]+(?:the[ \t]+|her[ \t]+|his[ \t]+)?"
    r"(?:(?:last|latest|final|most[ \t]+recent)[ \t]+)?"
    rf"(?:{_COUNT}[ \t-]+(?:days?|weeks?|months?|years?)[ \t-]+)?follow(?:ed)?[- ]up\b|"
    r"(?:after|during|over)[ \t]+(?:an?[ \t]+)?(?:[\w-]+[ \t]+){0,3}?(?:of[ \t]+)?follow[- ]?up\b|"
    r"follow[- ]?up[ \t]+(?:period[ \t]+)?(?:of|over|for|lasting|spanning|throughout"
    r"|extending[ \t]+(?:over|to))\b|\binto[ \t]+(?:the[ \t]+|her[ \t]+|his[ \t]+)?follow[- ]?up\b"
    r"|followed(?:[- ]up)?[ \t]+for\b|"
    rf"at[ \t]+{_COUNT}[ \t-]+(?:days?|weeks?|months?|years?)[ \t]+(?:of[ \t]+)?follow[- ]?up\b|"
    r"(?:total|overall)[ \t]+follow[- ]?up[ \t]+(?:period[ \t]+|duration[ \t]+|time[ \t]+)?"
    r"(?:was|lasted)\b|follow[- ]?up[ \t]+(?:[\w/-]+[ \t]+){0,2}?at(?=[ \t]+\d)|"
    r"lost[ \t]+to[ \t]+follow[- ]?up|at[ \t]+the[ \t]+time[ \t]+of[ \t]+writing|"
    r"(?:remains|remained)[ \t]+(?:excellent|undetectable)\b|"
    r"no[ \t]+(?:evidence[ \t]+of[ \t]+)?(?:recurrence|relapse)[ \t]+(?:at|after)\b|"
    r"(?:last|latest|most[ \t]+recent)[ \t]+(?:clinic[ \t]+)?(?:visit|review|contact|seen))",
    re.IGNORECASE,
)
"""Words that say how long the patient was followed ("At the 18-month follow-up", "After 6
months of follow-up", "During a follow-up period of 24 months", "She was followed for 5
years", "At the time of writing")."""
_STATE_CUE = re.compile(
    r"\b(?:remains|remained|is|was|has[ \t]+(?:been|remained))[ \t]+(?:still[ \t]+)?"
    r"(?:alive|well(?![ \t-]+(?:controlled|tolerated|documented|known|described|defined|"
    r"differentiated|circumscribed|demarcated|established))|asymptomatic|disease[- ]free|"
    r"(?:symptom|disease|recurrence|relapse|seizure|progression|event|pain|tumou?r|"
    r"transfusion|dialysis|treatment|therapy)-free|free[ \t]+of|[\w]+-independent|"
    r"in[ \t]+(?:[\w-]+[ \t]+){0,2}(?:remission|response)|doing[ \t]+well)",
    re.IGNORECASE,
)
"""Words that say how the patient is now ("remains in complete remission", "is symptom-free",
"has remained seizure-free", "is still in remission"): a follow-up only in a sentence about
the patient that tells no death or relapse."""
_NOT_A_FOLLOW_UP = re.compile(
    r"\b(?:will|would|shall|plan(?:ned|s)?|scheduled|recommend\w*|advis\w*|should|needs?|"
    r"required|suggest\w*|usually|typically|generally|had[ \t]+been[ \t]+followed|"
    r"had[ \t]+(?:undergone|had|received)[ \t]+(?:\w+[ \t]+)?follow|"
    r"(?:before|prior[ \t]+to)[ \t]+(?:(?:the|this|his|her)[ \t]+(?:current|present|index)?[ \t]*"
    r"(?:presentation|admission|illness|diagnosis)|(?:admission|presenting)))\b",
    re.IGNORECASE,
)
"""A sentence about follow-up that is a plan or advice ("She will be followed up for 5 years",
"Follow-up of 5 years is recommended")."""
_NOT_THE_STATE = re.compile(
    r"\b(?:died|dies|death|relapsed|recurred|progress(?:ed|ion)|until|after[ \t]+which)\b",
    re.IGNORECASE,
)
"""A sentence that tells an event, not how the patient is ("remained in remission at 9
months, but relapsed at 14 months and died"; the eighteenth session's audits)."""
_BEFORE_NOW = re.compile(r"\s+(?:before|ago|earlier|prior)\b|-?\s*old\b|\s+of\s+age\b", re.I)
_OF_ANOTHER = re.compile(r"\s+of\s+(?!follow)\w+", re.IGNORECASE)
"""After a length: a time before, an age or the length of something else, not a follow-up ("2
years before this admission", "a 4-year-old girl", "18 months of age", "6 months of
chemotherapy"; not "6 months of follow-up")."""
_LENGTH = re.compile(
    rf"(?<![\d.,])\b(?:\d+[.,]\d+|{_COUNT})[ \t-]+(?:days?|weeks?|months?|years?)"
    r"(?:[ \t]+(?:after|post|following|from|since)[ \t]+(?:the[ \t]+)?[\w-]+)?",
    re.IGNORECASE,
)


_A_STAY_FOR = re.compile(
    r"\b(?:(?:intubated|hospitali[sz]ed|admitted)(?:\s+(?:on|in|to)\s+(?:[\w-]+\s+){0,2}[\w-]+)?"
    r"|(?:mechanically\s+)?ventilated\s+(?:in|on)\s+(?:the\s+)?(?:ICU|intensive\s+care(?:\s+unit)?)"
    r"|kept\s+on\s+mechanical\s+ventilation)\s+for\s+"
    r"(?:(?:another|a\s+further|a\s+total\s+of|about|approximately|nearly|over)\s+)?$",
    re.IGNORECASE,
)
"""Words right before a length that make it a stay's ("he was ventilated for 12 days", "kept
on mechanical ventilation for 12 days", "hospitalised for 3 weeks"), not how long the patient
was followed.  A treatment's length is not refused so: "maintained on imatinib for 4 years
and in complete molecular remission" tells the follow-up too (a helper's audit of a wider
first version, out/audit-s19b, found 17 follow-ups it lost)."""


def _not_followed(m: re.Match[str], sentence: str) -> bool:
    """A length that is a time before, an age, or the length of something else (`_BEFORE_NOW`;
    "6 months of chemotherapy", but not "40 months after completion of radiotherapy"; a
    stay's, `_A_STAY_FOR`)."""
    stay = _A_STAY_FOR.search(sentence, 0, m.start())
    if stay and re.search(
        r"\b(?:not|never|no|without)\b", sentence[max(0, stay.start() - 40) : stay.start()]
    ):
        stay = None  # "has not needed to be hospitalised for over 2 years": a follow-up
    if _BEFORE_NOW.match(sentence, m.end()) or stay:
        return True
    bare = re.search(rf"{_LENGTH_UNIT}$", m.group().rstrip(), re.IGNORECASE) is not None
    return bare and bool(_OF_ANOTHER.match(sentence, m.end()))


def follow_up_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """When no follow-up length was extracted: the length in the last case-text sentence that
    speaks of follow-up or of how the patient is now ("At the last follow-up, 18 months after
    transplant, he remains in remission": "18 months after transplant"), with that sentence."""
    if record.outcome.follow_up is not None:
        return []
    case_end = case_section(text)[1]
    for at, sentence in reversed(_prose_sentences(text)):
        if _NOT_A_FOLLOW_UP.search(sentence) or _OTHER_PEOPLE.search(sentence):
            continue
        said = _FOLLOW_SAID.search(sentence)
        if said and not (at < case_end or _about_this_patient(sentence)):
            said = None
        state = _STATE_CUE.search(sentence)
        if state and (not _about_this_patient(sentence) or _NOT_THE_STATE.search(sentence)):
            state = None
        # the later cue: "Follow-up CT at 3 months showed resolution, and she remained well at
        # 1 year" is followed for 1 year (the last outcome audit)
        cue = max((c for c in (said, state) if c), key=lambda c: c.start(), default=None)
        if cue is None:
            continue
        lengths = [m for m in _LENGTH.finditer(sentence) if not _not_followed(m, sentence)]
        # the length nearest the cue: the first after its start, else the last before it
        # ("Over the following 18 months she had four cycles ..., and at the time of writing,
        # 26 months after the diagnosis, she remains ...": 26 months)
        after = [m for m in lengths if m.start() >= cue.start()]
        m = after[0] if after else (lengths[-1] if lengths else None)
        if m:
            value = m.group().strip()
            record.outcome.follow_up = TextFact(
                value=value, evidence=Evidence(quote=sentence.strip())
            )
            break
    return []


_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_TIME = re.compile(
    r"\b(?:(?:from|on|by|until)[ \t]+)?(?:hospital[ \t]+|post-?operative[ \t]+)?day[ \t]+[+\-−]?\d+"
    r"(?:[ \t]+of[ \t]+(?:admission|induction|treatment|therapy|hospitali[sz]ation|life))?"
    r"(?:[ \t]+(?:to|through|until)[ \t]+(?:day[ \t]+)?[+\-−]?\d+)?"
    rf"|\b{_COUNT}[ \t-]+(?:hours?|days?|weeks?|months?|years?)[ \t]+"
    r"(?:later|earlier|(?:after|before|following|post|into)(?:[ \t]+(?:the[ \t]+)?[\w-]+)?)"
    rf"|\bin[ \t]+(?:early[ \t]+|late[ \t]+|mid-?)?{_MONTHS}(?:[ \t]+\d{{4}})?"
    r"|\bthe[ \t]+(?:same|following|next)[ \t]+(?:day|week|month|morning|evening)"
    r"|\b(?:at|in|during|by)[ \t]+the[ \t]+\d+(?:st|nd|rd|th)[ \t]+(?:day|week|month|year)"
    r"(?:[ \t]+(?:after|post|of|following)[ \t]+[\w-]+)?",
    re.IGNORECASE,
)


def time_phrase(text: str) -> bool:
    """Whether `text` is a time phrase and nothing more ("three days later", "on day +2")."""
    m = _TIME.fullmatch(text.strip())
    return m is not None


def _nearest_time(sentence: str, at: int, length: int) -> re.Match[str] | None:
    """The time phrase of `sentence` nearest the name at `at` (ties: the one before it)."""
    best, gap = None, 10**9
    for m in _TIME.finditer(sentence):
        d = at - m.end() if m.end() <= at else m.start() - (at + length)
        if 0 <= d < gap or (d < 0 and gap > 0 and m.start() < at + length and m.end() > at):
            best, gap = m, max(d, 0)
    return best if gap <= 60 else None


class _Time(BaseModel):
    time: str


def times_from_words(record: CaseReport, text: str) -> list[DroppedFact]:
    """A treatment or test with no time, or whose time is not words of the text: the time
    phrase nearest its name (within a few words) in the case-text sentence that names it ("on
    day +2", "from day +7 to day +12", "three days later", "in March 2019", "the same week"),
    not one relative to itself ("two years after HSCT"); the model's time goes to
    ``dropped``.  The quote takes in both, or the time is not added."""
    sentences = _prose_sentences(text)
    facts = [(t, t.name) for t in record.treatments] + [(a, a.method) for a in record.assessments]
    out: list[DroppedFact] = []

    def path(fact: Any) -> str:
        if fact in record.treatments:
            return f"treatments[{record.treatments.index(fact)}]"
        return f"assessments[{record.assessments.index(fact)}]"

    lowered = text.casefold()
    for fact, name in facts:
        had = fact.time
        if had is not None and had.strip().casefold() in lowered:
            continue  # the model's time is words of the text: it stays (grounding checks it)
        quote = fact.evidence.quote.casefold()
        # the sentence the model quoted first, then the others in text order
        ordered = sorted(sentences, key=lambda s: not (quote and quote in s[1].casefold()))
        for offset, sentence in ordered:
            at = _find_name(name, sentence)
            if at < 0:
                continue
            m = _nearest_time(sentence, at, len(name))
            if m is not None and _find_name(name, m.group()) >= 0:
                m = None  # "two years after HSCT" is a time after it, not its time
            span = (
                (offset + min(at, m.start()), offset + max(at + len(name), m.end())) if m else None
            )
            anchored = _anchor(fact.evidence.quote, text, *span) if span else None
            if m is not None and anchored is not None:
                fact.time = m.group().strip()
                fact.evidence = Evidence(quote=anchored)
                if had is not None:
                    note = f"not words of the text; the time written nearest it is {fact.time!r}"
                    out.append(_drop(f"{path(fact)}.time", _Time(time=had), note + " (rule)"))
            break
    return out


def _drop(path: str, fact: Any, note: str) -> DroppedFact:
    return DroppedFact(path=path, fact=fact.model_dump(mode="json"), note=note)


_SENTENCE = re.compile(r"(?:[^.!?\n]|\.(?=\d)|(?<=et al)\.)+[.!?]?")
"""A sentence: up to a full stop, question or exclamation mark or line end (not the point
of a decimal number: "6.8 g/dL", nor the one of "et al.")."""
_SHE = re.compile(r"\b(she|her|hers|herself|woman|female|girl|lady)\b", re.IGNORECASE)
_HE = re.compile(r"\b(he|his|him|himself|man|male|boy|gentleman)\b", re.IGNORECASE)
_DEATH_TIME = (
    r"(?:\s+(?:on\s+)?(?:hospital\s+|post-?operative\s+)?day\s+[+\-−]?\d+"
    r"(?:\s+of\s+(?:(?:her|his|the|their)\s+)?(?:admission|induction|treatment|therapy|"
    r"hospitali[sz]ation|hospital\s+stay|stay|illness|life))?"
    rf"|\s+{_COUNT}[ \t-]+(?:hours?|days?|weeks?|months?|years?)\s+later"
    rf"|\s+in\s+(?:early\s+|late\s+|mid-?)?{_MONTHS}(?:\s+\d{{4}})?"
    r"|\s+the\s+(?:same|following|next)\s+(?:day|week|month|morning|evening|night)"
    rf"|\s+{_COUNT}[ \t-]+(?:hours?|days?|weeks?|months?|years?)\s+after\s+(?:the\s+)?"
    r"(?:admission|surgery|operation|diagnosis|presentation|transplant(?:ation)?|birth|delivery"
    r"|onset(?:\s+of\s+symptoms)?)"
    rf"|\s+at\s+(?:the\s+age\s+of\s+)?{_COUNT}[ \t-]+(?:hours?|days?|weeks?|months?)"
    r"(?:\s+of\s+age|\s+old)?"
    r"|\s+at\s+the\s+age\s+of\s+\d+(?:\s+years)?"
    r"|\s+(?:at|in)\s+(?:our|the|this)\s+(?:hospital|institution|cent(?:re|er)|operating\s+"
    r"(?:room|theatre)|emergency\s+(?:department|room))"
    r"|\s+on\s+the\s+\w+\s+day\s+after\s+(?:admission|surgery|the\s+operation)"
    r"|\s+on\s+the\s+\w+\s+(?:(?:post-?operative|hospital)\s+)?day"
    r"(?:\s+of\s+(?:(?:her|his|the)\s+)?(?:admission|hospitali[sz]ation|hospital\s+stay|stay"
    r"|illness|life|treatment|therapy))?"
    r"|\s+at\s+home|\s+in\s+(?:the\s+)?(?:hospital|hospice|intensive\s+care\s+unit|ICU))"
)
"""A death's time or place between the verb and its cause ("died on day 9 of multiorgan
failure", "died 2 weeks later at home of pneumonia", "died on day 3 of her hospital stay from
aspiration pneumonia"); not "N days after X" (the eighteenth session's audit: "died 2 weeks
after discharge from the hospital" has no cause)."""
_NOT_KNOWN = (
    r"(?!(?:not|never|unknown|unclear|undetermined|uncertain|undefined|indeterminate|obscure|"
    r"difficult|impossible|a\s+matter)\b)"
)
"""Words that say a cause is not known ("The cause of death was not determined")."""
_DIED_END = (
    r"\s+(?:on|at|in|after|within|the|beyond|to|until|despite|because|while|during|whereas|"
    r"but|although|shortly|soon|later|before|by|surrounded|with|\d+)\b|[.,;]|$"
    r"|\s+and\s+(?:was|were|had|has|is|his|her|the|he|she|their)\b"
    rf"|\s+(?:{_COUNT}|an?)[ \t-]+(?:hours?|days?|weeks?|months?|years?)\b"
)
"""Where a death's words end: a time, a place, a clause, the sentence."""
_ADULT = "patient|she|he"
_CHILD = (
    r"patient|she|he|(?:(?<=\bthe )|(?<=\bour )|(?<=\bthis ))"
    r"(?:child|infant|baby|neonate|newborn|boy|girl|toddler)"
)
"""Who the death is said of: the patient, or a pronoun; in a child's case report also "the"
("our", "this") and a word for a child ("The infant died on day 3 of life"; nineteenth
session; not "One child in the cohort", "A 9-year-old boy from the same village"), which in
an adult's (a mother's) is another person's death."""


def _died(who: str) -> re.Pattern[str]:
    return re.compile(
        r"(?<!another )(?<!other )(?<!first )(?<!second )(?<!third )(?<!previous )(?<!similar )"
        r"(?<!earlier )(?<!prior )(?<!reported )(?<!original )(?<!index )"
        rf"\b(?P<subject>{who})\b(?P<between>[^.;]{{0,120}}?)(?<!nearly )(?<!almost )"
        r"(?<!could have )(?<!might have )(?<!would have )(?<!may have )(?<!could )(?<!might )"
        r"(?<!would )(?<!to have )"
        r"\b(?P<verb>died|passed away|succumbed|expired|did not survive|failed to survive"
        r"|went on to die|(?:is|was) (?:now )?deceased"
        r"|lost (?:her|his) (?:battle|fight)"
        r"|committed suicide|took (?:her|his) own life|(?:was|were) dead on arrival"
        r"|(?:was|were) (?:pronounced|declared|found)"
        r"(?: brain)? dead|could not be resuscitated|(?:was|were) killed)\b"
        r"(?:\s+(?:suddenly|peacefully|unexpectedly|shortly|subsequently|eventually|soon|later))?"
        rf"(?P<when>{_DEATH_TIME}{{0,2}})"
        r"(?:\s+not\s+(?:of|from|due\s+to|because\s+of)\s+[^.;]{1,60}?,?\s+but(?=\s+(?:of|from|due)\b))?"
        r"(?:\s+(?:of|from|due\s+to|owing\s+to|because\s+of|as\s+a\s+result\s+of|secondary\s+to|to|"
        r"(?<=battle\s)(?:with|against)|(?<=fight\s)(?:with|against)|"
        r"by(?=\s+suicide\b))\s+"
        rf"{_NOT_KNOWN}(?P<cause>(?!\d)[^.,;]{{3,80}}?)"
        r"(?<!\bsecondary)(?<!\bdue)(?<!\brelated)(?<!\bowing)(?<!\bof)(?<!\bfrom)(?<!\bwith)"
        r"(?<!\bcaused)(?<!\binduced)(?<!\bcomplicated)(?<!\bacute)(?<!\bwound)(?<!\binjury)"
        r"(?<!\bto)(?<!\bsustained)(?<!\badministered)(?<!\binflicted)(?<!\bgiven)(?<!\bin)"
        r"(?<!\bthe)(?<!\bat)(?<!\bon)(?<!\bprecipitated)(?<!\btriggered)(?<!\baggravated)"
        rf"(?={_DIED_END})"
        rf"|(?={_DIED_END}|\s+(?:of|from)\b))",
        re.IGNORECASE,
    )


_ADVERBS = frozenset(
    {"almost", "certainly", "surely", "probably", "likely", "definitely", "undoubtedly", "well"}
)


def _last_words(between: str) -> list[str]:
    """The last three words before the death's verb, adverbs left out ("would almost
    certainly have died" is "would have"; not five words, which read "could not survive and
    died of ..." as supposed: the last audit, out/audit-s20n)."""
    return [w for w in between.split() if w.lower() not in _ADVERBS][-3:]


_DIED = _died(_ADULT)
_DIED_CHILD = _died(_CHILD)
"""The patient's death in a sentence, with its cause when the sentence names it right after
the verb or after its time or place; not a death only supposed ("could have died") nor
another patient's ("Another patient treated with the same regimen died of ...")."""
_SUBJECT = re.compile(rf"\b(?:{_ADULT})\b", re.IGNORECASE)
_SUBJECT_CHILD = re.compile(rf"\b(?:{_CHILD})\b", re.IGNORECASE)
_CHILD_GROUPS = frozenset({"neonate", "infant", "child", "adolescent"})
_SUPPOSED = re.compile(r"\b(?:could|would|might|may|must)\b", re.IGNORECASE)
"""A modal in the last words before the verb: a death only supposed ("would likely have
died", "could easily have died"; the third audit)."""
_ANOTHER_BETWEEN = re.compile(
    r"\b(?:who|whom|whose|which|that|where|others?|patients|people|residents|donor|roommate|friend"
    r"|neighbou?r\w*|colleague|"
    r"relatives?|partner|wife|husband|brother|sister|mother|father|son|daughter|sibling|"
    r"cousin|uncle|aunt|twin|baby|infant|f(?:o)?etus|newborn|neonates?|drops|graft)\b",
    re.IGNORECASE,
)
"""Words between the patient's last mention (`_SUBJECT`) and the verb that make the death
another's or not a person's ("his roommate died of tuberculosis", "an organ donor who had died
of ...", "eye drops that had expired")."""
_CAUSE_OF_DEATH = re.compile(
    r"(?<!common )(?<!frequent )(?<!leading )(?<!usual )(?<!typical )(?<!main )"
    r"(?<!likely )(?<!probable )(?<!possible )(?<!presumed )(?<!suspected )(?<!presumptive )"
    r"\bcause\s+of\s+(?:(?:his|her|the\s+patient's)\s+)?death(?:\s+was\s+|\s*:\s*)"
    r"(?:(?:considered|thought|believed|presumed|judged|determined|found)"
    r"(?:\s+(?:at|on|by)\s+(?:the\s+)?(?:autopsy|post-?mortem(?:\s+examination)?|necropsy))?"
    r"\s+to\s+be\s+"
    r"|(?:attributed|ascribed)\s+to\s+|(?:listed|recorded|certified|given)\s+as\s+)?"
    rf"{_NOT_KNOWN}(?P<cause>[^.;()]{{3,160}}?)(?=\s*[.;(]|$)"
    r"|(?:\b(?:his|her|the\s+patient's)\s+|^\s*)death(?:\s*,[^,;.]{1,60},"
    r"|\s+(?:on|at|in|after)\s+[^,;.]{1,40}?)?\s+was\s+"
    r"(?:(?:considered|thought|believed|presumed|judged)\s+to\s+(?:be\s+|have\s+been\s+)?)?"
    r"(?:due\s+to|caused\s+by|attributed\s+to|secondary\s+to|the\s+result\s+of|"
    r"a\s+result\s+of|related\s+to|due\s+not\s+to\s+[^.;]{1,60}?,?\s+but\s+to)\s+"
    rf"{_NOT_KNOWN}(?P<cause2>[^.;()]{{3,160}}?)(?=\s*[.;(]|$)"
    r"|(?:\b(?:his|her|the\s+patient's|maternal)\s+|^\s*)death\s+(?:resulted|followed)\s+from\s+"
    rf"{_NOT_KNOWN}(?P<cause3>[^.;()]{{3,160}}?)(?=\s*[.;(]|$)"
    r"|\b(?:attributed|ascribed)\s+(?:his|her|the\s+patient's)\s+death\s+to\s+"
    rf"{_NOT_KNOWN}(?P<cause4>[^.;()]{{3,160}}?)(?=\s*[.;(]|$)"
    r"|\b(?:revealed|showed|confirmed|demonstrated|identified|established|disclosed)\s+"
    r"(?P<cause5>[^.;()]{3,120}?)\s+as\s+the\s+(?:(?:immediate|direct|underlying|final)\s+)?"
    r"cause\s+of\s+(?:(?:his|her|the\s+patient's)\s+)?death\b"
    r"|(?:\b(?:his|her|the\s+patient's|maternal)\s+|^\s*)death\s+(?:occurred|ensued)"
    r"(?:\s+(?!due\b)\w+){0,6}?\s+(?:due\s+to|from|as\s+a\s+result\s+of|secondary\s+to)\s+"
    rf"{_NOT_KNOWN}(?P<cause7>[^.;()]{{3,160}}?)(?=\s*[.;(]|$)"
    r"|^\s*death\s+(?:from|due\s+to)\s+(?P<cause8>[^.;()]{3,120}?)\s+(?:occurred|ensued)\b"
    r"|^\s*(?P<cause9>[^.;:()]{3,120}?)\s+(?:was|proved\s+to\s+be)\s+the\s+(?:(?:immediate|direct"
    r"|underlying|final)\s+)?cause\s+of\s+(?:(?:his|her|the\s+patient's)\s+)?death\b"
    r"|^\s*(?P<cause10>[^.;:()]{3,120}?)\s+killed\s+(?:him|her|the\s+patient)\b"
    r"|\bfatal\s+outcome\s+(?:due\s+to|from|secondary\s+to|caused\s+by)\s+"
    rf"{_NOT_KNOWN}(?P<cause11>[^.;()]{{3,160}}?)(?=\s*[.;(]|$)"
    r"|(?:\b(?:his|her|the(?:\s+patient's)?)\s+(?:(?:clinical|final|ultimate)\s+)?|^\s*)outcome"
    r"(?:\s+was|\s*:)\s+death\s+(?:due\s+to|from|secondary\s+to|caused\s+by|as\s+a\s+result\s+of)\s+"
    rf"{_NOT_KNOWN}(?P<cause12>[^.;()]{{3,160}}?)(?=\s*[.;(]|$)"
    r"|^\s*(?P<cause14>[^.;:()]{3,120}?)\s+(?:(?:ultimately|eventually|finally)\s+)?(?:proved"
    r"|turned\s+out\s+to\s+be)\s+fatal\b"
    r"|^\s*(?P<cause15>[^.;:()]{3,120}?)\s+(?:(?:ultimately|eventually|finally)\s+)?claimed\s+"
    r"(?:her|his|the\s+patient's)\s+life\b"
    r"|\bwe\s+(?:(?:unfortunately|sadly|eventually|ultimately|finally)\s+)?lost\s+(?:the\s+patient"
    r"|him|her|our\s+patient)\s+to\s+(?!(?:further\s+)?follow)"
    rf"{_NOT_KNOWN}(?P<cause13>[^.;,()]{{3,120}}?)"
    r"(?=\s*[.;,(]|\s+(?:on|at|in|after|within|during|despite)\b|\s+\d|$)"
    r"|\b(?P<who>he|she|the\s+patient)\s+(?:(?:then|subsequently|eventually|later)\s+)?"
    r"(?:developed|suffered|sustained|had)\s+(?:an?\s+)?fatal\s+(?!outcome\b|course\b)"
    r"(?P<cause6>[^.;,()]{3,80}?)"
    r"(?=\s*[.;,(]|\s+(?:on|at|in|after|within|during|while|and|\d+)\b|$)",
    re.IGNORECASE,
)
"""A sentence that names the cause of this patient's death ("The cause of death was
respiratory failure due to progressive invasive pulmonary aspergillosis", "Her death was
attributed to sepsis"), not one that says it was unknown or speaks of the usual cause."""
_LED_TO_DEATH = re.compile(
    r"(?:^\s*|:\s*)(?P<cause>[^.;:()]{3,160}?)\s+"
    r"(?:(?:ultimately|eventually|finally|rapidly|quickly|subsequently|then)\s+)?"
    r"(?:led\s+to|resulted\s+in|caused)\s+(?P<whose>his|her|the\s+patient's)\s+death\b",
    re.IGNORECASE,
)
"""A cause written before the death ("Sepsis led to his death", "Despite maximal support,
multiorgan failure resulted in her death"): read only when its words name what a patient dies
of (`_names_a_cause`)."""
_WHICH_LED = re.compile(
    r"\b(?:developed|suffered|had|sustained|progressed\s+to|went\s+into)\s+"
    r"(?:(?:an?|the)\s+)?(?P<cause>(?:(?!\b(?:developed|suffered|had|sustained|progressed|went|"
    r"undergone|underwent|and)\b)[^.;,:()]){3,80}?),?\s+which\s+"
    r"(?:(?:ultimately|eventually|finally|rapidly|quickly|subsequently|then)\s+)?"
    r"(?:led\s+to|resulted\s+in|caused)\s+(?P<whose>his|her|the\s+patient's)\s+death\b",
    re.IGNORECASE,
)
"""The same, told as what the patient developed ("He developed septic shock, which led to his
death on day 5"); not when another person stands before it ("His father had a stroke, which
led to his death")."""
_NOT_A_CAUSE_FIRST = re.compile(
    r"(?:delay\w*|late|missed|failure\s+to|lack\s+of|refusal|non-?compliance|withdrawal"
    r"|poor\s+(?:adherence|compliance)|non-?adherence|inadequate|insufficient)\b",
    re.IGNORECASE,
)
"""A cause before "led to his death" that is a failing, not a disease ("Delayed recognition
of the bowel ischaemia"); and a clause before ", which led to ..." is no cause's name ("The
tumour infiltrated the brainstem, which led to his death"; the fourth audit)."""
_MISSED = re.compile(
    r"^(?:(?:the\s+)?(?:delayed|late|missed)\s+(?:recognition|diagnosis|detection|treatment)"
    r"|(?:a\s+|the\s+)?(?:delay|failure)\s+(?:in|to)\s+(?:recogni[sz]e|recogni[sz]ing|diagnose"
    r"|diagnosing|detect|detecting|identify|identifying|treat|treating))"
    r"\s+(?:of\s+)?(?:the\s+|her\s+|his\s+|an?\s+)?(?=\w)",
    re.IGNORECASE,
)
"""A failing told before its disease ("Failure to recognize the tamponade resulted in her
death"): the disease is the cause (twentieth session, the last outcome audit's miss); a
failing alone ("A delay in diagnosis") stays no cause (`_NOT_A_CAUSE_FIRST`)."""
_NOT_A_DISEASE = re.compile(r"\b(?:diagnos|prognos|complication)\w*", re.IGNORECASE)
"""Words that end like a disease and are none ("a delay in diagnosis")."""
_SUPPOSED_CAUSE = re.compile(
    r"\b(?:would|could|might|(?-i:may)|must|can|will|if|nearly|almost|always|invariably|usually"
    r"|often|typically|commonly|frequently|generally|historically|era)\b",
    re.IGNORECASE,
)
"""Words before "led to ... death" that only suppose a death or tell what usually happens
("the infection would have led to her death", "Anaphylaxis nearly caused her death", "In the
pre-antibiotic era this complication always led to death"; the audit, out/audit-s19b)."""
_GUESSED = re.compile(
    r"\b(?:probably|likely|possibl[ey]|presum\w+|perhaps|speculat\w*|hypothe\w*|suspect\w*"
    r"|believed?|thought|conceivabl\w*|may\s+have|might\s+have)\b",
    re.IGNORECASE,
)
"""Words before "died of" that make its cause a guess ("He probably died of sepsis"); not
every word of `_UNSURE_CAUSE` ("Patient could not survive and died of acute respiratory
failure": the last audit, out/audit-s20n)."""
_UNSURE_CAUSE = re.compile(
    r"\b(?:probably|likely|possibl[ey]|presum\w+|perhaps|not|never|neither|nor|ruled|unclear"
    r"|whether|uncertain|unknown|thought|believed|suspect\w*|no\s+evidence|proposed|suggested"
    r"|speculat\w*|conceivabl\w*|hypothe\w*|exclude[ds]?|indication|proof|cannot|unlikely)\b",
    re.IGNORECASE,
)
"""Words that leave the cause unsure or deny it, though the death is told ("Sepsis probably
led to his death", "Neither the tumour nor its treatment caused his death"): no cause."""
_ANOTHER_NEAR = re.compile(
    rf"\b(?:{_RELATIVES}|relatives?|partner|wife|husband|sibling|cousin|uncle|aunt|twin|donor|"
    r"roommate|friend|neighbou?r\w*|colleague|grand\w+|patients|published|literature|et\s+al"
    r"|second\s+patient|first\s+patient|other\s+patient|described\s+by|reported\s+by"
    r"|procured|harvested|donated|f(?:o)?etus|stillborn|cohort|registry|village|description"
    r"|reports?|proposed|(?:that|earlier|previous|comparable|similar|another|other|first|second"
    r"|index)\s+(?:case|report|patient)s?|another|driver|passengers?|pedestrians?|companions?"
    r"|co-?workers?|workers?|classmates?|schoolmates?|fianc[eé]e?|boyfriend|girlfriend|nephews?"
    r"|nieces?|cousins?|residents?|victims?|step\w+|half-\w+|survivors?|members?|contacts?"
    r"|case\s+(?:from|of|by|in|reported|described|series)|(?:a|an|one)\s+(?:\d{4}\s+)?case)\b",
    re.IGNORECASE,
)
"""Another person in the three sentences before the cause or in its own ("Her husband was
diagnosed with lung cancer. Metastatic disease led to his death", "In the case described by
Smith, sepsis caused her death", "In that case, ..."): a pronoun's death there may be theirs
(the second audit, out/audit-s19c: a relative described over two sentences)."""
_A_BABY = re.compile(
    r"\b(?:bab(?:y|ies)|infants?|newborns?|neonates?|son|daughter|boy|girl|in\s+utero|delivered"
    r"|caesarean|cesarean|pregnancy)\b",
    re.IGNORECASE,
)
"""In an adult's case report, a child near a death told by a pronoun: the death may be the
child's ("a boy weighing 1200 g was delivered ... Necrotising enterocolitis led to his death";
the second audit)."""
_TIME_FIRST = re.compile(
    rf"^(?:(?:{_COUNT}|a|several|few)[ \t-]+(?:hours?|days?|weeks?|months?|years?)[ \t]+later"
    r"|on\s+(?:hospital\s+)?day\s+\d+|subsequently|eventually|finally|ultimately|then"
    rf"|in\s+(?:early\s+|late\s+|mid-?)?{_MONTHS}(?:\s+\d{{4}})?|in\s+\d{{4}}"
    r"|unfortunately|sadly)\s*,?\s+",
    re.IGNORECASE,
)
_FATAL = re.compile(
    r"\b(?:(?:her|his|the(?:\s+patient's)?)\s+(?:clinical\s+|final\s+)?(?:outcome|course)\s+was\s+"
    r"(?:fatal|lethal|death)|(?:she|he|the\s+patient)\s+had\s+a\s+(?:fatal|lethal)\s+outcome"
    r"|we\s+(?:(?:unfortunately|sadly|eventually|ultimately|finally)\s+)?lost\s+(?:the\s+patient"
    r"|him|her|our\s+patient)\b(?!\s+to\s+(?:further\s+)?follow))"
    r"|^\s*(?:clinical\s+|final\s+)?outcome\s*:\s*(?:death|died|fatal)\b",
    re.IGNORECASE,
)
"""A death told as the outcome ("The outcome was fatal", "Her clinical course was fatal"):
read in the case account only, with nobody else near (twentieth session)."""
_THEN_DIED = re.compile(
    r"\s+(?:(?:then|subsequently|rapidly|eventually)\s+)?(?:developed|suffered|sustained)\s+"
    r"(?:an?\s+)?(?P<cause>(?:(?!\b(?:and|after|with|but|who|which)\b)[^,;]){3,60}?)\s+and\s+"
    r"(?:(?:subsequently|eventually|later|then|soon)\s+)?",
    re.IGNORECASE,
)
"""What the patient developed, right before "and died" ("she developed massive haemorrhage
and died"): the cause, when it names one (the last outcome audit)."""
_AUTOPSY = re.compile(
    r"\s*(?:(?:an?|the)\s+)?(?:autopsy|necropsy|post-?mortem(?:\s+examination)?)\s+"
    r"(?:examination\s+)?(?:revealed|showed|demonstrated|confirmed|found|disclosed)\b",
    re.IGNORECASE,
)
"""A sentence that opens with what the patient's autopsy showed ("Postmortem examination
revealed disseminated aspergillosis"): the patient died (the last outcome audit)."""
_BRAIN_DEATH = re.compile(
    r"\s*(?:(?:his|her|the\s+patient's)\s+)?brain\s+death\s+was\s+(?:confirmed|declared"
    r"|diagnosed|established)\b",
    re.IGNORECASE,
)
"""Brain death told as confirmed ("Brain death was confirmed on day 4"): a death."""
_NOT_RESUSCITATED = re.compile(
    r"\s*(?:(?:all|further)\s+)?(?:resuscitation|resuscitative\s+efforts|attempts\s+at\s+"
    r"resuscitation|efforts\s+to\s+resuscitate\s+(?:him|her|the\s+patient))(?:\s+attempts?)?\s+"
    r"(?:was|were)\s+(?:unsuccessful|futile|in\s+vain)|\s*resuscitation\s+failed\b",
    re.IGNORECASE,
)
"""Resuscitation told as failed ("Resuscitation attempts were unsuccessful"): a death."""
_LED_ENDS = re.compile(r"\s+(?:despite|in\s+spite\s+of)\b", re.IGNORECASE)


def _led_cause(words: str) -> str:
    """The cause in the words before "led to his death": the last comma's part, or the list of
    causes that ends there ("Sepsis, acute kidney injury and gastrointestinal bleeding"),
    without a time before it ("Two days later sepsis") or "despite ..." after it."""
    parts = [_TIME_FIRST.sub("", p.strip()) for p in re.split(r",\s*", words)]
    kept: list[str] = []
    for part in reversed(parts):
        part = re.sub(r"^(?:and|or)\s+", "", part)
        part = re.sub(r"^(?:the|this|a|an)\s+", "", part, flags=re.IGNORECASE)
        if kept and not (_names_a_cause(part) and len(part.split()) <= 6):
            break
        kept.insert(0, part)
    cause = re.sub(r"\s+(?:had|has|have)$", "", ", ".join(kept))  # "had caused his death"
    cause = re.split(r"\bthat\s+", cause)[-1]  # "The pathologist concluded that myocarditis"
    # "Autopsy demonstrated diffuse alveolar haemorrhage, which ...": what it showed
    cause = re.split(r"\b(?:showed|demonstrated|revealed|confirmed)\s+", cause)[-1]
    end = _LED_ENDS.search(cause)
    return cause[: end.start()] if end else cause


_CAUSE_ENDS = re.compile(
    r",\s*(?:with|which|who|whom|when|where|while|despite|after|before|but|as|following|"
    r"although|though|in|on|at|and\s+(?:she|he|the|his|her|an?)\b)\b"
    r"|\s+(?:on|at|in|after|before|within|despite|while|when|following|on\s+the)\s+"
    r"(?:day|the\s+death|the\s+age|autopsy|post-?mortem)\b",
    re.IGNORECASE,
)
"""Where a cause read from a cause-of-death sentence ends: a clause or a time after it
(", with refractory AML as the underlying disease", " on the death certificate")."""
_CAUSE_HEADS = re.compile(
    r"(?i:shock|sepsis|septic|arrest|ha?emorrhage|bleed|embolism|infarct|progression|tamponade|"
    r"rupture|obstruction|hypoxi|asphyxi|overdose|injur|illness|covid|stroke|arrhythmi|"
    r"fibrillation|tachycardia|metasta|herniation|o?edema|anaphyla|epilepticus|cachexia|"
    r"suicide|trauma|accident|coagul|iasis)|"
    r"\b(?:ARDS|DIC|AIDS|MODS|MOF|GV?HD|GvHD|HLH|TTP|VOD|SOS|PML|ICH|SAH|AMI|AKI|ARF)\b",
)
"""A cause's words that name what a patient dies of, beside the diagnosis words (`disease_words`:
"failure", "pneumonia", "-itis", "-oma", ...): asked of a cause after a time ("died on day 9 of
multiorgan failure", not "died on day 12 of chemotherapy") and of what a patient "succumbed"
to; a cause right after "died of" or in a cause-of-death sentence is the text's word for one."""
_NOT_A_CAUSE_EDGE = frozenset(
    {"of", "to", "from", "secondary", "due", "a", "an", "the", "with", "and", "or", "by",
     "in", "on", "at", "for", "as", "what", "which", "that", "her", "his", "their", "its",
     "who", "this", "these", "following", "after", "before", "despite", "than", "because",
     "unrelated", "unknown"}
)  # fmt: skip
_CAUSE_WORDS = 20
"""At most this many words in a cause read from the text: more is a clause, not a name."""
_A_LENGTH_IN = re.compile(rf"\b{_COUNT}[ \t-]+(?:hours?|days?|weeks?|months?|years?)\b", re.I)


def _prose_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) for the sentences of the case text: after the article's front matter
    (title, journal line, authors: grounding's `header_span`), whatever the line lengths (a
    corpus may put one sentence per line)."""
    header = header_span(text)
    start = header.end if header is not None else 0
    return [(start + m.start(), m.group()) for m in _SENTENCE.finditer(text[start:])]


def sex_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """The words the case text uses for a person, if they all (at least three, none of the
    other sex) name one sex: the patient's sex when none was extracted, and instead of an
    extracted sex that contradicts them (which goes to ``dropped``).  The evidence is the
    first sentence with such a word.  A text with words of both sexes (a child and a parent)
    decides nothing."""
    sentences = _prose_sentences(text)
    she = sum(len(_SHE.findall(s)) for _, s in sentences)
    he = sum(len(_HE.findall(s)) for _, s in sentences)
    if not ((she >= 3 and he == 0) or (he >= 3 and she == 0)):
        return []
    value = "female" if she else "male"
    had = record.patient.sex
    if had is not None and had.value == value:
        return []
    cue = _SHE if she else _HE
    quote = next(s.strip() for _, s in sentences if cue.search(s))
    record.patient.sex = SexFact(value=value, evidence=Evidence(quote=quote))
    if had is None:
        return []
    note = f"the case text's words for the patient are all {value} ({max(she, he)})"
    return [_drop("patient.sex", had, note)]


_RELATIONS = frozenset(
    {"from", "with", "to", "after", "due", "secondary", "and", "or", "without", "non", "not",
     "no", "anti", "associated", "related", "induced"}
)  # fmt: skip


@lru_cache(maxsize=1)
def disease_words() -> re.Pattern[str]:
    """Words that name a disease of their own ("lymphoma", "-itis", "syndrome"): the rules'
    ``diagnosis_words`` vocabulary."""
    return re.compile(rules_vocabulary()["diagnosis_words"]["pattern"], re.IGNORECASE)


def _narrower(general: set[str], specific: set[str]) -> bool:
    """`specific` is `general` with at most two more words, none a relation ("liver metastasis
    from rectal adenocarcinoma" is not a kind of "rectal adenocarcinoma")."""
    extra = specific - general
    if not (general < specific and len(extra) <= 2) or extra & _RELATIONS:
        return False
    words = " ".join(sorted(extra))
    return not disease_words().search(words) and "metasta" not in words


def same_disease_once(record: CaseReport, text: str) -> list[DroppedFact]:
    """Two diagnoses (not ruled out) that name one disease, one more specifically: the words of
    one, as the scorer reads them (synonyms and the document's own abbreviations: "ALL" is
    "acute lymphoblastic leukemia", "B-ALL" is "B-cell acute lymphoblastic leukemia"), are all
    words of the other, which has at most two more (a subtype, a stage) and no relation word
    ("from", "with"...).  The record keeps the more specific one, principal if either was; the
    other goes to ``dropped``.  The same name twice is kept once."""
    vocab = vocabulary("diagnoses")
    abbreviations = document_abbreviations(vocab, defined_abbreviations(text))
    words = [set(vocab.expand(vocab.term(d.name), abbreviations).words) for d in record.diagnoses]
    out: list[DroppedFact] = []
    gone: set[int] = set()
    for i, d in enumerate(record.diagnoses):
        if d.status == "ruled_out" or not words[i]:
            continue
        into = next(
            (
                j
                for j, e in enumerate(record.diagnoses)
                if j != i
                and j not in gone
                and e.status != "ruled_out"
                and (_narrower(words[i], words[j]) or (words[i] == words[j] and j < i))
            ),
            None,
        )
        if into is None:
            continue
        gone.add(i)
        kept = record.diagnoses[into]
        if d.status == "principal":
            kept.status = "principal"
        out.append(_drop(f"diagnoses[{i}]", d, f"the same disease as {kept.name!r} (rule)"))
    record.diagnoses = [d for i, d in enumerate(record.diagnoses) if i not in gone]
    return out


def age_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """When no age was extracted: the first age the case text states ("a 45-year-old woman",
    "aged 45"; not a duration), with its sentence as the evidence."""
    if record.patient.age is not None:
        return []
    for _, sentence in _prose_sentences(text):
        phrase = first_age_statement(sentence)
        parsed = parse_age(phrase) if phrase else None
        if parsed is not None:
            value, unit = parsed
            evidence = Evidence(quote=sentence.strip())
            record.patient.age = AgeFact(value=value, unit=unit, evidence=evidence)
            break
    return []


_GROUP_WORD = re.compile(
    r"\b(?:an?|the|this|our)\s+(?:"
    r"(?P<word>newborn|neonatal|infant|adolescent|teenage|middle[- ]aged|elderly|adult)"
    r"\s+(?:\w+[- ])?(?:man|woman|male|female|patient|boy|girl|baby)"
    r"|(?P<noun>newborn|neonate|infant|adolescent|teenager)\s+(?:was|had|presented|developed|"
    r"underwent|received|is))\b",
    re.IGNORECASE,
)
_DONOR_WORDS = re.compile(r"\b(?:donors?|recipients?|population|group)\b", re.IGNORECASE)
_WORD_GROUP = {
    "newborn": "neonate", "neonate": "neonate", "neonatal": "neonate", "infant": "infant",
    "adolescent": "adolescent", "teenage": "adolescent", "teenager": "adolescent",
    "middle aged": "adult", "middle-aged": "adult", "elderly": "older_adult", "adult": "adult",
}  # fmt: skip


def _age_group(value: float, unit: str) -> Any:
    """The MeSH group (`AGE_GROUPS`) an age of `value` `unit`s ("months") falls in, or None."""
    years = value * YEARS_PER[unit.rstrip("s")]
    return next((g for g, (low, high) in AGE_GROUPS.items() if low <= years < high), None)


def age_group_from_age(record: CaseReport, text: str) -> list[DroppedFact]:
    """When no age group was extracted: the group the patient's stated age falls in (MeSH's
    ranges, `AGE_GROUPS`: infant 1-23 months, child 2-12 years, adolescent 13-18, adult 19-64,
    older adult 65 and over), with the age's quote; with no age extracted, the first age a
    case-text sentence states, with that sentence; only when the text states no age at all, a
    sentence that calls the patient by an age-group word ("a middle-aged man", "an elderly
    woman", "the infant") and speaks of no one else (relatives, donors, other patients, the
    literature).  Nothing is inferred from a sex word ("woman", "girl")."""
    patient = record.patient
    if patient.age_group is not None:
        return []
    if patient.age is not None:
        group = _age_group(patient.age.value, patient.age.unit)
        if group is not None:
            quote = Evidence(quote=patient.age.evidence.quote)
            patient.age_group = AgeGroupFact(value=group, evidence=quote)
        return []
    sentences = _prose_sentences(text)
    for _, sentence in sentences:  # an age the passes missed: its group, never a word's
        phrase = first_age_statement(sentence)
        parsed = parse_age(phrase) if phrase else None
        if parsed is not None:
            group = _age_group(*parsed)
            if group is not None:
                evidence = Evidence(quote=sentence.strip())
                patient.age_group = AgeGroupFact(value=group, evidence=evidence)
            return []
    for _, sentence in sentences:  # no age anywhere: a word for this patient
        m = _GROUP_WORD.search(sentence)
        if m is None or _OTHER_PEOPLE.search(sentence) or _DONOR_WORDS.search(sentence):
            continue
        group = _WORD_GROUP[(m.group("word") or m.group("noun")).casefold()]
        evidence = Evidence(quote=sentence.strip())
        patient.age_group = AgeGroupFact(value=group, evidence=evidence)
        break
    return []


def outcome_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """When no outcome status (or cause of death) was extracted: a case-text sentence saying
    the patient (or she/he) died, and what of ("died of severe pneumonia"); a death said of
    another person ("his brother had died of a myocardial infarction", "his roommate died of
    tuberculosis") or only supposed ("could have died") is passed over.  A death's cause not
    in that sentence comes from a sentence that names it ("The cause of death was ...").  A
    cause is read only when its words name what a patient dies of (a disease, a failure, a
    shock, ...: not "chemotherapy" in "died on day 12 of chemotherapy") and read whole (not
    "complications of", "septic shock secondary")."""
    check = SupportCheck(text)
    sentences = _prose_sentences(text)
    sex: str | None = record.patient.sex.value if record.patient.sex is not None else None
    child = _a_child(record, sentences)
    intro = next((i for i, (_, s) in enumerate(sentences) if first_age_statement(s)), -1)
    sex = sex or (_sex_of_sentence(sentences[intro][1]) if intro >= 0 else None)
    died, subject = (_DIED_CHILD, _SUBJECT_CHILD) if child else (_DIED, _SUBJECT)
    case_lo, case_hi = case_section(text)
    for k, (at, sentence) in enumerate(sentences):
        m = next(
            (
                d
                for d in died.finditer(sentence)
                if not _ANOTHER_BETWEEN.search(subject.split(d.group("between"))[-1])
                and not _SUPPOSED.search(" ".join(_last_words(d.group("between"))))
                and not _other_sex(d, sex)
                and not (  # "The boy's classmate died"; not "the patient's condition ...
                    re.match(r"['’]s\b", d.group("between"))  # and he died"
                    and not subject.search(d.group("between"))
                )
                and (
                    d.group("subject").lower() in ("patient", "she", "he")
                    or (
                        case_lo <= at < case_hi
                        and not _someone_else_near(
                            sentences, k, sentence[: d.start()], child, intro
                        )
                    )
                )
            ),
            None,
        )
        if m is None or not check.cue_stated("outcome_status", "died", sentence):
            continue
        if _ELSEWHERE.search(sentence[: m.end("subject")]):
            continue  # "In the case described by Smith et al., the patient died of ..."
        if _ONLY_SAID.search(sentence[: m.start("subject")]):
            continue  # "The family asked whether he had died", "erroneously reported that"
        cause = _with_the_list(m.group("cause") or "", sentence, m.end("cause")).strip()
        cause = _FAILING_AFTER.split(cause)[0].strip()  # "septic shock due to a delay in ..."
        if re.match(r"committed", m.group("verb"), re.IGNORECASE):
            cause = "suicide"
        elif re.match(r"took", m.group("verb"), re.IGNORECASE):
            cause = ""  # "took his own life": the quote does not say "suicide"
        elif not cause and (then := _THEN_DIED.fullmatch(m.group("between"))):
            cause = then["cause"] if _names_a_cause(then["cause"]) else ""
        if _GUESSED.search(sentence[: m.start("verb")]):
            cause = ""  # "He probably died of sepsis", "We speculate that she died of ..."
        if (
            m.group("verb").lower() == "succumbed"
            and re.match(r"\s+to\b", sentence[m.end("verb") :])
            and not _names_a_cause(re.split(r"[.,;]", sentence[m.end("verb") :])[0])
        ):
            continue  # "he succumbed to temptation"
        evidence = Evidence(quote=sentence.strip())
        if record.outcome.status is None:
            record.outcome.status = OutcomeStatusFact(value="died", evidence=evidence)
        if record.outcome.cause_of_death is None and _a_cause(
            cause, named=bool(m.group("when").strip())
        ):
            record.outcome.cause_of_death = TextFact(value=cause, evidence=evidence.model_copy())
        break
    if record.outcome.status is None:
        for k, (at, sentence) in enumerate(sentences):
            f = (
                _FATAL.search(sentence)
                or _AUTOPSY.match(sentence)
                or _BRAIN_DEATH.match(sentence)
                or _NOT_RESUSCITATED.match(sentence)
            )
            lost = re.search(r"\b(?:him|her)\b", f.group()) if f is not None else None
            if (
                f is not None
                and case_lo <= at < case_hi
                and not (
                    lost
                    and _others_pronoun(
                        lost.group().lower().replace("him", "his"), sex or _sex_of_text(sentences)
                    )
                )
                and not _SUPPOSED_CAUSE.search(sentence[: f.start()])
                and not _someone_else_near(sentences, k, sentence[: f.end()], child, intro)
                and check.cue_stated("outcome_status", "died", sentence)
            ):
                evidence = Evidence(quote=sentence.strip())
                record.outcome.status = OutcomeStatusFact(value="died", evidence=evidence)
                break
    status = record.outcome.status.value if record.outcome.status is not None else None
    if status in ("died", None) and record.outcome.cause_of_death is None:
        # a sentence that names the cause of death first, then one that says what led to it
        tries: list[tuple[int, re.Match[str] | None, re.Match[str] | None]] = [
            (k, _CAUSE_OF_DEATH.search(s), None) for k, (_, s) in enumerate(sentences)
        ]
        tries += [
            (k, None, _WHICH_LED.search(s) or _LED_TO_DEATH.search(s))
            for k, (_, s) in enumerate(sentences)
        ]
        for k, m, led in tries:
            at, sentence = sentences[k]
            before = sentences[k - 1][1] if k else ""
            if led is not None and (
                _ANOTHER_BETWEEN.search(_the_child(sentence[: led.start("cause")], child))
                or _someone_else_near(
                    sentences, k, sentence[: led.end("cause")], child, intro, led["whose"]
                )
                or _SUPPOSED_CAUSE.search(sentence[: led.start("whose")])
                or not case_lo <= at < case_hi
                or _others_pronoun(led["whose"], sex or _sex_of_text(sentences))
            ):
                continue  # "His father had a stroke, which led to his death"; "would have led"
            if (m is None and led is None) or _OTHER_PEOPLE.search(sentence):
                continue
            if child and re.search(r"\bmaternal\b", sentence, re.IGNORECASE):
                continue  # "Maternal death occurred ..." in a child's report: the mother's
            if _anothers_death(before, check):
                continue  # "Her father died at 50. The cause of death was ...": his
            if status is None and not check.cue_stated("outcome_status", "died", sentence):
                continue
            if led is not None:
                cause = _MISSED.sub("", _led_cause(led["cause"]))
                if (
                    not _names_a_cause(_NOT_A_DISEASE.sub(" ", cause))
                    or _UNSURE_CAUSE.search(sentence[: led.start("whose")])
                    or _NOT_A_CAUSE_FIRST.match(cause)
                    or re.search(r",\s*which$", led["cause"].strip())
                ):
                    cause = ""  # "This led to his death", "A delay in diagnosis led to ..."
            else:
                assert m is not None
                if m["who"] and _others_pronoun(
                    {"he": "his", "she": "her"}.get(m["who"].lower(), ""),
                    sex or _sex_of_text(sentences),
                ):
                    continue  # "he developed a fatal ..." in a woman's case report
                names = [f"cause{n}" for n in ("", *range(2, 16))]
                cause = next((m[n] for n in names if m[n]), "")
                if m["cause14"] or m["cause15"]:  # "The pulmonary embolism proved fatal"
                    cause = re.sub(
                        r"(?i)^(?:the|a|an|her|his|this)\s+", "", _TIME_FIRST.sub("", cause)
                    )
                    cause = cause if _names_a_cause(cause) else ""  # not "Her course"
                if _UNCONFIRMED.search(sentence):
                    cause = ""  # "Death was thought to be due to X, although this could not
                    # be confirmed" (the last outcome audit)
            end = _CAUSE_ENDS.search(cause)
            cause = (cause[: end.start()] if end else cause).strip()
            evidence = Evidence(quote=sentence.strip())
            if status is None:  # "The cause of death was ..." says the patient died
                record.outcome.status = OutcomeStatusFact(value="died", evidence=evidence)
            if _a_cause(cause):
                record.outcome.cause_of_death = TextFact(
                    value=cause, evidence=evidence.model_copy()
                )
            break
    return []


_A_DEATH = re.compile(r"\b(?:died|dies|death|passed\s+away|succumbed|expired)\b", re.I)


def _anothers_death(sentence: str, check: SupportCheck) -> bool:
    """A sentence that tells a death, not the patient's ("His father died at 50")."""
    return bool(_A_DEATH.search(sentence)) and not check.cue_stated(
        "outcome_status", "died", sentence
    )


_ONLY_SAID = re.compile(
    r"\b(?:whether|if)\s+(?:the\s+)?$"
    r"|\b(?:erroneously|falsely|wrongly|mistakenly|incorrectly)\b"
    r"|\b(?:feared|believed|thought|assumed|rumou?red|suspected|wondered)\s+(?:that\s+)?"
    r"(?:the\s+)?$",
    re.IGNORECASE,
)
"""Words before the death's subject that make it asked, feared or wrongly told, not told ("The
family asked whether he had died"; "A newspaper erroneously reported that he had died"; the
last outcome audit, out/audit-s21l)."""


def _other_sex(m: re.Match[str], sex: str | None) -> bool:
    """The death's subject is a pronoun of the other sex than the patient's ("Her husband was
    admitted the same week, and he died of pneumonia", of a woman)."""
    subject = [m.group("subject"), *_SUBJECT.findall(m.group("between"))][-1].lower()
    return (subject == "he" and sex == "female") or (subject == "she" and sex == "male")


_LIST_TAIL = re.compile(
    r"[^.;]*?(?=\s*(?:[.;]|$)|\s+(?:on|at|in|after|within|during|while|despite|following)\b)"
)
_LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")


_NOT_AN_ITEM = re.compile(
    r"^(?:a|an|the)\b|\b(?:complications?|feared|probably|possibly|likely|presumably|such|"
    r"including|which|who|showed|revealed|confirmed|was|were|is|are|had|has)\b",
    re.IGNORECASE,
)
"""An item that describes the cause before it, not another cause ("septic shock, a
complication of neutropenia and mucositis", "pneumonia, probably aspiration pneumonia or
Legionella infection"; the second audit)."""


def _with_the_list(cause: str, sentence: str, end: int) -> str:
    """A cause after "died of" that the sentence goes on listing ("septic shock, acute kidney
    injury and multiorgan failure"): the whole list, when every item names what a patient dies
    of and the list ends with "and" / "or" one; else the cause as read (nineteenth session:
    the list was cut at its first comma)."""
    if not cause or not sentence[end:].lstrip().startswith(","):
        return cause
    tail = _LIST_TAIL.match(sentence, end)
    rest = tail.group() if tail else ""
    items = [i for i in _LIST_SPLIT.split(rest.strip().lstrip(",").strip()) if i]
    if (
        not items
        or not re.search(r"\b(?:and|or)\s+[^,]+$", rest)
        or not all(_a_cause(i, named=True) and not _NOT_AN_ITEM.search(i) for i in items)
    ):
        return cause
    return cause + rest.rstrip()


def _a_child(record: CaseReport, sentences: list[tuple[int, str]]) -> bool:
    """Whether the patient is a child: by the record's age or age group, else by the first age
    the case text states, else by a word for the patient's age group ("A newborn boy")."""
    patient = record.patient
    if patient.age is not None:
        return _age_group(patient.age.value, patient.age.unit) in _CHILD_GROUPS
    if patient.age_group is not None:
        return patient.age_group.value in _CHILD_GROUPS
    for _, sentence in sentences:
        phrase = first_age_statement(sentence)
        parsed = parse_age(phrase) if phrase else None
        if parsed is not None:
            return _age_group(*parsed) in _CHILD_GROUPS
    word = next((m for _, s in sentences if (m := _GROUP_WORD.search(s))), None)
    group = _WORD_GROUP[(word.group("word") or word.group("noun")).casefold()] if word else None
    return group in _CHILD_GROUPS  # "A newborn boy was admitted"


_SOMEONE_NEW = re.compile(
    r"\b(?:a|an|one)\s+(?:\d+|[a-z]+)[- ](?:year|month|week|day)s?[- ]old\b", re.IGNORECASE
)
"""Another person brought in by an age ("A 45-year-old man from Texas ..."): after the case's
own first sentence, not the patient."""


_FEMALE_OTHER = re.compile(
    r"(?:wife|mother|sister|daughter|girlfriend|fianc[eé]e|aunt|niece)s?$", re.IGNORECASE
)
_MALE_OTHER = re.compile(
    r"(?:husband|father|brother|son|boyfriend|fianc[eé]|uncle|nephew)s?$", re.IGNORECASE
)


_THE_CHILD = re.compile(
    r"\b(?:the|our|this)\s+(?:child|infant|baby|neonate|newborn|boy|girl|toddler)\b", re.I
)


def _the_child(words: str, child: bool) -> str:
    """In a child's case report, `words` without "the infant" ("The infant developed
    necrotising enterocolitis, which led to his death": the patient, not another person)."""
    return _THE_CHILD.sub(" ", words) if child else words


def _all_of_other_sex(near: str, whose: str | None) -> bool:
    """Every person `_ANOTHER_NEAR` finds in `near` is of the other sex than the pronoun of
    the death ("His wife found him unresponsive at home. ... led to his death"; the last
    outcome audit): the death is not theirs."""
    other = {"his": _FEMALE_OTHER, "her": _MALE_OTHER}.get((whose or "").lower())
    people = [m.group() for m in _ANOTHER_NEAR.finditer(near)]
    return other is not None and bool(people) and all(other.search(p) for p in people)


def _someone_else_near(
    sentences: list[tuple[int, str]],
    k: int,
    upto: str,
    child: bool,
    first: int,
    whose: str | None = None,
) -> bool:
    """Whether the three sentences before sentence `k`, or its own words `upto` the death,
    bring in someone else (`_ANOTHER_NEAR`, a new person by age, a baby in an adult's case
    report): a pronoun's or "the child"'s death there may be theirs (three blind audits,
    out/audit-s19b, -s19c, -s19e).  `first` is the sentence that first states an age (the
    patient's own introduction, not someone new)."""
    window = [
        s for i, (_, s) in enumerate(sentences[max(0, k - 3) : k], max(0, k - 3)) if i != first
    ]
    near = " ".join([*window, upto])
    return bool(
        (_ANOTHER_NEAR.search(near) and not _all_of_other_sex(near, whose))
        or _SOMEONE_NEW.search(near)
        or (not child and _A_BABY.search(" ".join([*window, sentences[k][1]])))
    )


def _sex_of_sentence(sentence: str) -> str | None:
    """The sex one sentence gives a person, when its words are all of one sex ("A 60-year-old
    woman was admitted": the case's first sentence; the last outcome audit, out/audit-s21l)."""
    she, he = _SHE.search(sentence), _HE.search(sentence)
    return "female" if she and not he else "male" if he and not she else None


def _sex_of_text(sentences: list[tuple[int, str]]) -> str | None:
    """The patient's sex by the case text's words for a person, as `sex_from_text` reads them
    (at least three, none of the other sex), or None."""
    she = sum(len(_SHE.findall(s)) for _, s in sentences)
    he = sum(len(_HE.findall(s)) for _, s in sentences)
    if she >= 3 and he == 0:
        return "female"
    return "male" if he >= 3 and she == 0 else None


def _others_pronoun(whose: str, sex: str | None) -> bool:
    """A possessive of the other sex than the patient's ("led to his death", of a woman)."""
    whose = whose.lower()
    return (whose == "his" and sex == "female") or (whose == "her" and sex == "male")


def _names_a_cause(words: str) -> bool:
    return bool(disease_words().search(words) or _CAUSE_HEADS.search(words))


_FAILING_AFTER = re.compile(
    r"\s+(?:due\s+to|because\s+of|secondary\s+to|after|following)\s+(?:an?\s+|the\s+)?"
    r"(?:delay\w*|late|missed|failure\s+to|lack\s+of|poor|refusal|non-?compliance)\b",
    re.IGNORECASE,
)
_ELSEWHERE = re.compile(
    r"\b(?:et\s+al|described\s+by|reported\s+by|published|literature|(?:original|previous"
    r"|earlier|first|similar|other|index|that|their)\s+(?:case|report|series|study|description)s?"
    r"|(?:first|originally|previously|initially)\s+(?:described|reported)\s+(?:patient|case)"
    r"|in\s+one\s+of\s+(?:them|these|those)"
    r"|in\s+(?:a|an|their)\s+(?:case|report|series|study)|previous(?:ly)?\s+\w*\s*patient"
    r"|similar\s+patient|reported\s+patient|first\s+reported|previous\s+patient)\b",
    re.IGNORECASE,
)
"""Another report's patient named before the death ("In the case described by Smith et al.,
the patient died of hepatic failure", "A previous patient treated at our center ... died";
the twentieth session's audit)."""
_UNCONFIRMED = re.compile(
    r"\b(?:could\s+not\s+be|was\s+not|were\s+not|never|not\s+been)\s+(?:confirmed|proven|proved"
    r"|verified|established)\b|\bunconfirmed\b|\buncertain\b",
    re.IGNORECASE,
)
_HEDGED_CAUSE = re.compile(
    r"\b(?:presumed|presumptive|suspected|possible|possibly|probable|probably|likely|"
    r"putative|or)\b",
    re.IGNORECASE,
)
"""A cause written as only supposed, or as one of two ("presumed sepsis", "sepsis or
pulmonary embolism"; the twentieth session's audit, out/audit-s20a)."""
_NO_NAME = re.compile(
    r"(?:(?:her|his|the|their|its|an?)\s+)?(?:underlying\s+|primary\s+|original\s+)?"
    r"(?:disease|illness|condition|problems?|failure|(?:(?:multiple|several|various|post-?operative"
    r"|many|its)\s+)?complications?(?:\s+of\s+(?:the|his|her|its)\s+(?:disease|illness"
    r"|condition))?)",
    re.IGNORECASE,
)
"""A cause that names nothing ("died of disease", "succumbed to her disease"; the last
outcome audit, twentieth session): the death without a cause."""


def _a_cause(cause: str, *, named: bool = False) -> bool:
    """Words that name a cause of death whole: not a clause (at most `_CAUSE_WORDS`), not cut
    at either end, with no length of time in them; with `named`, also a disease's or a
    failure's words (`_names_a_cause`)."""
    words = cause.lower().split()
    return (
        0 < len(words) <= _CAUSE_WORDS
        and not _NO_NAME.fullmatch(cause.strip())
        and not _NOT_A_CAUSE_FIRST.match(re.sub(r"(?i)^(?:an?|the)\s+", "", cause.strip()))
        and not _HEDGED_CAUSE.search(cause)
        and words[0] not in _NOT_A_CAUSE_EDGE - {"a", "an", "her", "his", "their"}
        and words[-1] not in _NOT_A_CAUSE_EDGE
        and not _A_LENGTH_IN.search(cause)
        and not re.search(r"\bcauses?\b", cause, re.IGNORECASE)  # "an unknown cause"
        and (not named or _names_a_cause(cause))
    )


def squash(text: str) -> str:
    return " ".join(text.lower().split())


_KEYS = {
    "TextFact": "value",
    "YearFact": "value",
    "Diagnosis": "name",
    "Finding": "name",
    "Treatment": "name",
    "Assessment": "method",
    "TimelineEvent": "event",
}


def _facts(model: BaseModel) -> list[BaseModel]:
    out: list[BaseModel] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, BaseModel) and not isinstance(item, Evidence):
                if "evidence" in type(item).model_fields:
                    out.append(item)
                out += _facts(item)
    return out


def quote_from_value(record: CaseReport, text: str) -> list[DroppedFact]:
    """A fact whose quote is not in the text (a small model writes "null", or paraphrases)
    but whose own value is, word for word: the value's words become the quote.  The quote
    then states the value by construction; grounding still locates and checks it."""
    haystack = squash(text)
    for fact in _facts(record):
        key = _KEYS.get(type(fact).__name__)
        evidence = getattr(fact, "evidence", None)
        if key is None or not isinstance(evidence, Evidence):
            continue
        value = str(getattr(fact, key))
        quote = squash(evidence.quote)
        missing = not quote or quote not in haystack
        if missing and len(value.strip()) >= 2 and squash(value) in haystack:
            evidence.quote = value
    return []


def _as_written(value: str, aligner: Aligner, folded: Callable[[], NormalizedText]) -> str | None:
    """The text's own words for `value` when the text writes them with accents on Latin letters
    the value lacks ("Tomas Ferreira" for "Tomás Ferreira"); None unless every place reads the
    same."""
    needle = NormalizedText(value, accents=False).text.strip()
    if len(needle) < 3 or aligner.candidates(value):
        return None
    view = folded()
    written = set()
    for i in word_occurrences(view.text, needle):
        span = view.to_source(i, i + len(needle))
        written.add(aligner.text[span.start : span.end])
    if len({w.casefold() for w in written}) != 1:
        return None
    form = written.pop()
    return form if _accented(value, form) else None


def _accented(value: str, form: str) -> bool:
    """`form` is `value` with accents on some of its plain Latin letters, nothing else."""
    if len(value) != len(form):
        return False
    for v, t in zip(value, form, strict=True):
        if v.casefold() == t.casefold():
            continue
        if not (v.isascii() and v.isalpha() and "LATIN" in unicodedata.name(t, "")):
            return False
        if unicodedata.normalize("NFKD", t)[0].casefold() != v.casefold():
            return False
    return True


def values_as_written(record: CaseReport, text: str) -> list[DroppedFact]:
    """A fact's key value that is the text's words but for accents on Latin letters ("Tomas
    Ferreira" where the text writes "Tomás Ferreira") becomes the text's own words, and so does
    its quote when the quote is not in the text; only when every place the text has it reads
    the same.  The model's value goes to dropped with the reason."""
    aligner = Aligner(text)
    folded = lru_cache(maxsize=1)(lambda: NormalizedText(text, accents=False))  # when needed
    out: list[DroppedFact] = []
    for path, fact, evidence in iter_facts(record):
        key = _KEYS.get(type(fact).__name__)
        value = getattr(fact, key) if key else None
        if key is None or not isinstance(value, str) or not value.strip():
            continue
        written = _as_written(value.strip(), aligner, folded)
        if written is None or written == value:
            continue
        note = f"written as the text writes it: {written!r}"
        out.append(DroppedFact(path=f"{path}.{key}", fact=fact.model_dump(mode="json"), note=note))
        setattr(fact, key, written)
        if not aligner.candidates(evidence.quote):
            evidence.quote = written
    return out


DonorType = Literal["autologous", "related", "unrelated", "haploidentical", "syngeneic"]
GraftSource = Literal["bone_marrow", "peripheral_blood", "cord_blood"]

_DONOR: tuple[tuple[DonorType, re.Pattern[str]], ...] = (
    ("haploidentical", re.compile(r"\bhaplo(?:-?identical)?\b", re.I)),
    ("unrelated", re.compile(r"\bunrelated\b|\bMUD\b|\bURD\b|\bUCB", re.I)),
    ("autologous", re.compile(r"\bautologous\b|\bauto-?(?:SCT|HSCT|PBSCT)\b|\bASCT\b", re.I)),
    ("syngeneic", re.compile(r"\bsyngeneic\b|\bidentical twin\b", re.I)),
    ("related", re.compile(r"(?<!un)\brelated\b|\bsibling\b|\bbrother\b|\bsister\b", re.I)),
)
_GRAFT: tuple[tuple[GraftSource, re.Pattern[str]], ...] = (
    ("cord_blood", re.compile(r"\bcord[- ]blood\b|\bUCB", re.I)),
    ("bone_marrow", re.compile(r"\bbone marrow transplant|\bmarrow graft|\bBMT\b", re.I)),
    ("peripheral_blood", re.compile(r"\bperipheral blood\b|\bPBSC", re.I)),
)


def _spelled_out(name: str, text: str) -> str:
    """The words before "(NAME)" in the text, when `name` is an abbreviation defined there."""
    if not re.fullmatch(r"[A-Za-z-]{2,10}", name.strip()):
        return ""
    m = re.search(r"([^()\n]{0,80})\(\s*" + re.escape(name.strip()) + r"\s*\)", text)
    return m.group(1) if m else ""


_BARE_TRANSPLANT = re.compile(  # a transplant named without what was transplanted
    r"(?:(?:the|a|an|first|second|allogeneic|allo|autologous|auto|haplo(?:-?identical)?"
    r"|(?:HLA-?)?(?:matched|mismatched|identical)|sibling|related|unrelated|donor)[\s-]+)*"
    r"transplant(?:ation)?s?",
    re.IGNORECASE,
)
_STEM_CELL_WORDS = re.compile(
    r"\bstem[- ]cells?\b|\bcord[- ]blood\b|\bmarrow[- ](?:transplant\w*|grafts?|harvest)"
    r"|\bh(?:a)?ematopoietic (?:stem|progenitor)\b"
    r"|\b(?:allo-?|auto-?|haplo-?)?(?:HSCT|SCT|BMT|PBSCT|UCBT|ASCT)\b"
    r"|\bconditioning\b|\bgraft[- ]versus[- ]host\b|\bGVHD\b|\bengraft\w*|\bchimerism\b",
    re.IGNORECASE,
)
_ORGAN = (
    r"kidney|renal|liver|hepatic|heart|cardiac|lungs?|pulmonary|pancreas|pancreatic|islets?"
    r"|cornea|corneal|intestinal|intestine|bowel|uterus|uterine|face|facial|hand|limb"
    r"|(?:solid[- ])?organ"
)
_ORGAN_TRANSPLANT = re.compile(
    rf"\b(?:{_ORGAN})[\s-]+(?:allo-?)?(?:transplant\w*|graft\w*|recipient)"
    rf"|\btransplant\w*\s+of\s+(?:a|an|the|his|her)\s+(?:\w+\s+)?(?:{_ORGAN})\b",
    re.IGNORECASE,
)


def _transplant_kind(text: str) -> TreatmentCategory | None:
    """What a transplant named without its graft ("transplantation", "allogeneic transplant")
    is in this text: a stem-cell transplant when the text speaks of stem cells, cord blood,
    conditioning, GVHD, engraftment or chimerism and of no organ transplant; surgery when it
    speaks of an organ transplant ("renal transplantation", "a liver graft") and of none of
    those; else None (both or neither: the text does not tell)."""
    stem = _STEM_CELL_WORDS.search(text) is not None
    organ = _ORGAN_TRANSPLANT.search(text) is not None
    if stem != organ:
        return "stem_cell_transplant" if stem else "surgery"
    return None


def _find_name_or_plural(name: str, text: str) -> int:
    """Where `name` stands in `text` as whole words, or with a plural "s" ("donor lymphocyte
    infusions" for "donor lymphocyte infusion"); -1 when nowhere."""
    at = _find_name(name, text)
    if at < 0 and not name.strip().endswith("s"):
        at = _find_name(name.strip() + "s", text)
    return at


def transplant_attributes(record: CaseReport, text: str) -> list[DroppedFact]:
    """A stem-cell transplant's category, donor type and graft source from the text's words.

    - A transplant named without what was transplanted ("transplantation", "allogeneic
      transplant"), which the keyword vocabulary files as surgery, is a stem-cell transplant
      when the text speaks of one and of no organ transplant, and surgery when it speaks of an
      organ transplant only (`_transplant_kind`); else it keeps its category.
    - Donor type and graft source come from the words of its name, its quote and, for an
      abbreviation, the words the text spells it out with ("unrelated cord blood
      transplantation (UCBT)"): set when those words state them, cleared to null when the
      model gave one they do not state.  When they state neither and the record has this one
      stem-cell transplant, the first other case-text sentence that names it with a donor or
      graft word written with it (before the name in its clause, or after it from "from" on,
      for a graft also "with" or "using"; not past a word that starts another treatment:
      "allogeneic transplantation from her HLA-matched brother", not "after transplantation
      her brother gave lymphocytes" nor "with her sister as caregiver") gives them, and becomes
      the quote (it names the transplant and states them).  A negated donor word ("no
      unrelated donor was found") states no donor."""
    bare = [
        t
        for t in record.treatments
        if t.category != "stem_cell_transplant" and _BARE_TRANSPLANT.fullmatch(t.name.strip())
    ]
    kind = _transplant_kind(text) if bare else None
    for t in bare:
        t.category = kind or t.category
    transplants = [t for t in record.treatments if t.category == "stem_cell_transplant"]
    sentences = [sentence.strip() for _, sentence in _prose_sentences(text)]
    for t in transplants:
        words = " ".join((t.name, t.evidence.quote, _spelled_out(t.name, text)))
        words = _NEGATED.sub(" ", words)  # "no unrelated donor was found"
        t.donor_type = next((v for v, p in _DONOR if p.search(words)), None)
        t.graft_source = next((v for v, p in _GRAFT if p.search(words)), None)
        if t.donor_type or t.graft_source or len(transplants) > 1:
            continue
        for sentence in sentences:
            if sentence == t.evidence.quote.strip() or _find_name_or_plural(t.name, sentence) < 0:
                continue
            near = _NEGATED.sub(" ", _cell_words(t.name, sentence, ("from",)))
            near_graft = _NEGATED.sub(" ", _cell_words(t.name, sentence, _GRAFT_LINKS))
            donor = [v for v, p in _DONOR if p.search(near)]
            graft = [v for v, p in _GRAFT if p.search(near_graft)]
            if len(donor) > 1 or len(graft) > 1 or not (donor or graft):
                continue
            t.donor_type = donor[0] if donor else None
            t.graft_source = graft[0] if graft else None
            t.evidence.quote = sentence
            break
    return []


_CELL_DONOR: tuple[tuple[DonorType, re.Pattern[str]], ...] = (
    ("haploidentical", re.compile(r"\bhaplo(?:-?identical)?\b", re.I)),
    ("unrelated", re.compile(r"\bunrelated donors?\b|\bMUD\b", re.I)),
    ("autologous", re.compile(r"\bautologous\b|\bauto-CAR", re.I)),
    ("syngeneic", re.compile(r"\bsyngeneic\b|\bidentical twin\b", re.I)),
    (
        "related",
        re.compile(r"(?<![-\w])related donors?\b|\bsibling\b|\bbrother\b|\bsister\b", re.I),
    ),
)
_FROM_A_DONOR = re.compile(
    r"\ballo(?:geneic|-)|\bdonor[- ]derived\b|\bthird[- ]party\b|\boff[- ]the[- ]shelf\b", re.I
)
_NEGATED = re.compile(r"\b(?:non-?|not\s+|no\s+|without\s+)[\w-]+", re.I)
_OTHER_TREATMENT = re.compile(
    r"\b(?:and|after|before|following|followed by|then|prior to|as (?:a )?bridg\w*(?: to)?)\b",
    re.I,
)


_GRAFT_LINKS = ("from", "with", "using")
"""Words after a transplant's name that lead to its graft ("transplantation with cord blood");
its donor only after "from" ("with her sister as caregiver" names no donor)."""


def _cell_words(name: str, quote: str, links: tuple[str, ...] = ()) -> str:
    """The words written with a cellular therapy's name in its quote: the name's clause, at most
    40 characters before and after it, and not past a word that starts another treatment
    ("and", "after", "as a bridge to"...).  With `links`, the words after the name only when
    they start with one of them ("transplantation from her brother", not "transplantation her
    brother gave..."; a closing bracket may come first: "(BMT) from a matched unrelated
    donor")."""
    at = _find_name_or_plural(name, quote)
    if at < 0:
        return name
    lo, hi = _clause(quote, at, at + len(name))
    before = quote[max(lo, at - 40) : at]
    after = quote[at + len(name) : min(hi, at + len(name) + 40)]
    cuts = list(_OTHER_TREATMENT.finditer(before))
    before = before[cuts[-1].end() :] if cuts else before
    stop = _OTHER_TREATMENT.search(after)
    after = after[: stop.start()] if stop else after
    if links and not re.match(rf"s?\)?\s*(?:\([^)]*\)\s*)?(?:{'|'.join(links)})\b", after, re.I):
        after = ""
    return f"{before} {quote[at : at + len(name)]} {after}"


def cell_donor_from_words(record: CaseReport, text: str) -> list[DroppedFact]:
    """A cellular therapy's donor type (an autologous CAR-T product, donor lymphocytes from a
    sibling) from the words written with its name: in its quote, else in the first other
    case-text sentence that names it with a donor word (which then becomes its quote: it names
    the treatment and states the donor type), else, for an abbreviation, the words of the same
    sentence that spell it out.  A negated word ("non-autologous", "not autologous") states
    nothing; "autologous" beside an allogeneic word ("allogeneic", "donor-derived",
    "third-party") or beside another donor kind is ambiguous, so nothing is set; a donor type
    already given is kept.  For a prompt that does not ask the model for donor types
    (`PassSpec.omit`)."""
    sentences = [sentence.strip() for _, sentence in _prose_sentences(text)]
    for t in record.treatments:
        if t.category != "cellular_therapy" or t.donor_type is not None:
            continue
        quote = t.evidence.quote
        others = [x for x in sentences if x != quote and _find_name_or_plural(t.name, x) >= 0]
        spelled = re.split(r"[.!?]\s", _spelled_out(t.name, text))[-1]
        places = [(quote, _cell_words(t.name, quote))]
        places += [(x, _cell_words(t.name, x)) for x in others] + [(quote, spelled)]
        for place, words in places:
            words = _NEGATED.sub(" ", words)
            kinds = [v for v, p in _CELL_DONOR if p.search(words)]
            if not kinds and not _FROM_A_DONOR.search(words):
                continue
            if kinds and not (
                "autologous" in kinds and (len(kinds) > 1 or _FROM_A_DONOR.search(words))
            ):
                t.donor_type = kinds[0]
                t.evidence.quote = place
            break
    return []


_AFTER_TREATMENT = re.compile(
    r"\bafter\s+(?:(?:subsequent|the|further|treatment\s+with|receiving)\s+)*(.{2,80})",
    re.IGNORECASE,
)


def _position(quote: str, text: str, case: int = 0) -> int | None:
    """Where `quote` first stands in `text` (both squashed), from `case` (the case account's
    start, squashed) if it stands there, else anywhere: a bare "died" is the case's death, not
    the abstract's "... and died of a postoperative complication" (nineteenth session's new
    case report put the death first in the timeline)."""
    if not quote.strip():
        return None
    flat, q = squash(text), squash(quote)
    at = flat.find(q, case)
    at = flat.find(q) if at < 0 else at
    return at if at >= 0 else None


def _death_told(text: str, case: int) -> int | None:
    """Where the case account (from `case`, squashed) last tells the patient's death, or None
    ("... led to his death on postoperative day 21" when the model quoted the abstract's
    "died")."""
    check = SupportCheck(text)
    lo, hi = case_section(text)
    told = [
        at
        for at, sentence in _prose_sentences(text)
        if lo <= at < hi and check.cue_stated("outcome_status", "died", sentence)
    ]
    return len(squash(text[: told[-1]])) if told else None


_EVENT_CUES = {
    "relapse": re.compile(r"\b(relapse[sd]?|recurrence|recurred)\b", re.IGNORECASE),
    "remission": re.compile(r"\bremission\b", re.IGNORECASE),
    "progression": re.compile(r"\b(progression|progressed|progressive disease)\b", re.IGNORECASE),
    "stable_disease": re.compile(r"\bstable disease\b", re.IGNORECASE),
}

_DEATH_WORDS = re.compile(
    r"\b(died|death|passed away|succumbed|expired)\b(?:\s+(?:of|from|due to)\s+[^.,;]{3,60})?",
    re.IGNORECASE,
)


_THIS_PATIENT = re.compile(
    r"\b(?:she|he|her|his|him|patient|(?:the|this|our) (?:woman|man|girl|boy|child|infant))\b",
    re.IGNORECASE,
)
_EVENT_TYPE = re.compile(
    r"(?P<type>(?:(?:[\w()]+[- ])?(?:negative|positive)|extramedullary|medullary|complete|"
    r"partial|stringent complete|very good partial|haematological|hematological|molecular|"
    r"cytogenetic|metabolic|radiological|radiographic|isolated|local|distant|"
    r"biochemical|clinical|early|late|second|first|CNS|testicular|skin|nodal)"
    r"(?:[ -](?:complete|partial|haematological|hematological|molecular|metabolic))?)[ \t-]+$",
    re.IGNORECASE,
)


def _same_place(quote: str, sentence: str) -> bool:
    """Whether a quote (the model's, perhaps not verbatim) is from this sentence: in it, or
    most of its words are."""
    if not quote:
        return False
    if quote in sentence or sentence in quote:
        return True
    words = re.findall(r"\w{3,}", quote)
    return bool(words) and sum(w in sentence for w in words) >= 0.6 * len(words)


def _site_words(places: list[str]) -> set[str]:
    words = {w for p in places for w in re.findall(r"\w{3,}", p.casefold())}
    return words - {"and", "the", "both", "with", "including", "multiple", "several"}


def _same_sites(record: CaseReport, event: str, places: list[str], when: str | None) -> Any:
    """The record's event of this kind at the same parts of the body (the same site words, two
    at least) and not at another time, if any."""
    words = _site_words(places)
    for e in record.disease_events:
        theirs = _site_words(e.body_sites)
        other_time = e.time is not None and when is not None and e.time != when
        if e.event == event and len(theirs) >= 2 and theirs == words and not other_time:
            return e
    return None


_NOT_STATED = re.compile(
    r"\b(?:no|not|without|never|free of|absence of|negative for|denied|denies|prevent\w*|"
    r"risk|avoid\w*|possible|possibly|potential|suspected|suspicion|may|might|could|would|"
    r"likelihood|probability|rates?|incidence|predict\w*)\b[^.;]{0,40}$",
    re.IGNORECASE,
)
"""Words before an event word that say it did not happen, or might ("no evidence of relapse",
"to prevent relapse", "at high risk of progression"): NegEx's pre-negation triggers and
hedges."""
_NOT_AFTER = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:not|never)\b", re.IGNORECASE)
"""Words after it that deny it ("remission was not achieved")."""
_OTHER_PEOPLE = re.compile(
    rf"\b(?:{_RELATIVES}|{_OTHER_PATIENTS}|et al|aunt|uncle|grand\w+|cousin|family"
    r"|previously\s+reported|(?:have|has|had)\s+been\s+reported|reported\s+(?:by|in|elsewhere)"
    r"|(?:was|were|is|are)\s+reported\s+(?:to|as|that)|(?:first|also)\s+reported)\b",
    re.IGNORECASE,
)
"""Another person, or the literature, in a sentence ("her mother", "similar patients", "et al",
"has been reported"); not the patient's own report ("At the 9-month follow-up visit she
reported no dysphagia": the twenty-first session's last outcome audit, out/audit-s21i)."""
_BACK_REFERENCE = re.compile(r"\b(?:her|his|the|this|that|its|their|such)[ \t]+$", re.IGNORECASE)
_TEXT_EVENTS = {
    "relapse": re.compile(r"\b(?:relapse[sd]?|recurrence)\b(?![ \t]+of\b)", re.IGNORECASE),
    "remission": re.compile(r"\bremission\b", re.IGNORECASE),
    "progression": re.compile(
        r"\b(?:progression|progressed|progressive disease)\b(?![ \t]+of\b)", re.IGNORECASE
    ),
    "stable_disease": re.compile(r"\bstable disease\b", re.IGNORECASE),
}
"""The event words of `events_from_text`: "recurrence of infection" and "her fever recurred"
are not a relapse of the disease."""


def _about_this_patient(sentence: str) -> bool:
    """A sentence that speaks of this patient ("she", "the patient"), not of patients, the
    literature or a relative."""
    return bool(_THIS_PATIENT.search(sentence)) and not _OTHER_PEOPLE.search(sentence)


def events_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """Relapses, remissions and progressions the case text states of this patient, that the
    record does not have yet: each event word in a case-text sentence that speaks of the
    patient ("she", "the patient"...; not "patients", not the literature), with its type
    when a type word stands before it ("extramedullary relapse", "MRD-negative remission"),
    the parts of the body the sentence names after it (anatomy vocabulary), and the time
    phrase nearest it ("at the 6th month after UCBT", "three months later").  Its quote is
    the sentence.  Not added: an event the sentence denies or hedges ("no evidence of
    relapse", "remission was not achieved", "to prevent relapse"), one it refers back to ("her
    relapse"), and one the record has in the same sentence.  The record's own event, quoted
    from a sentence not about the patient, gets this sentence's quote, type and each of its
    sites on its own."""
    from abstraction.core.schema import DiseaseEvent

    sites = _site_pattern()
    had: list[tuple[str, str]] = [
        (e.event, e.evidence.quote.casefold()) for e in record.disease_events
    ]
    for _, sentence in _prose_sentences(text):
        if not _about_this_patient(sentence):
            continue
        low = sentence.casefold()
        found = sorted(
            (m.start(), m.end(), event)
            for event, cue in _TEXT_EVENTS.items()
            for m in cue.finditer(sentence)
        )
        for start, end, event in found:
            if any(ev == event and _same_place(q, low) for ev, q in had):
                continue
            before = sentence[max(0, start - 60) : start]
            if _NOT_STATED.search(before) or _NOT_AFTER.match(sentence[end : end + 40]):
                continue
            typed = _EVENT_TYPE.search(before)
            if _BACK_REFERENCE.search(before[: typed.start()] if typed else before):
                continue
            places = [x.group().strip() for x in sites.finditer(sentence, end)]
            time = _nearest_time(sentence, start, end - start)
            if time is not None and _nearest_event(found, time) != start:
                time = None  # a time nearer another event of the sentence is that one's
            when = time.group().strip() if time else None
            same = _same_sites(record, event, places, when)
            if same is not None:  # the model's event, perhaps quoted from elsewhere
                if same.type is None and typed:
                    same.type = typed.group("type")
                same.body_sites = places  # each site on its own ("kidney and uterus")
                if not _quoted_about_patient(same.evidence.quote, text):
                    same.evidence = Evidence(quote=sentence.strip())
                had.append((event, low))
                continue
            record.disease_events.append(
                DiseaseEvent(
                    event=event,
                    type=typed.group("type") if typed else None,
                    body_sites=places if event in ("relapse", "progression") else [],
                    time=when,
                    evidence=Evidence(quote=sentence.strip()),
                )
            )
            had.append((event, low))
    return []


def _quoted_about_patient(quote: str, text: str) -> bool:
    """Whether a quote is words of the text in a sentence about this patient."""
    q = quote.strip().casefold()
    return bool(q) and any(
        q in sentence.casefold() and _about_this_patient(sentence)
        for _, sentence in _prose_sentences(text)
    )


def _nearest_event(found: list[tuple[int, int, str]], when: re.Match[str]) -> int:
    """The start of the event word of `found` nearest the time phrase `when`."""

    def gap(item: tuple[int, int, str]) -> int:
        start, end, _ = item
        return max(when.start() - end, start - when.end(), 0)

    return min(found, key=gap)[0]


def timeline_from_record(record: CaseReport, text: str) -> list[DroppedFact]:
    """The timeline as the record's own course: each treatment, disease event and the death,
    each named in the words of its quote ("relapsed", "died of severe pneumonia"), in the
    order their quotes come in the text (a case report tells its course in order), each
    with its time as extracted; an event whose quote says it came after a treatment of the
    record ("remission after subsequent interferon-α treatment") comes after that treatment.
    The model's timeline (a second, unanchored account of the same events) goes to
    ``dropped``.  Items whose quote is not in the text are left out."""
    items: list[tuple[float, TimelineEvent]] = []
    given: list[tuple[str, int]] = []  # each treatment's name and place
    case = len(squash(text[: case_section(text)[0]]))
    for t in record.treatments:
        at = _position(t.evidence.quote, text, case)
        if at is not None:
            evidence = t.evidence.model_copy()
            items.append((at, TimelineEvent(event=t.name, time=t.time, evidence=evidence)))
            given.append((t.name.casefold(), at))
    for e in record.disease_events:
        found = _position(e.evidence.quote, text, case)
        said = _EVENT_CUES[e.event].search(e.evidence.quote)
        after = _AFTER_TREATMENT.search(e.evidence.quote)
        place = None if found is None else float(found)
        if place is not None and after is not None:  # "remission after interferon-α": after it
            named = after.group(1).casefold()
            follows = [
                p
                for name, p in given
                if named.startswith(name) and not named[len(name) : len(name) + 1].isalnum()
            ]
            if follows:  # the course of it given last before the event, else the first
                before = [p for p in follows if p <= place]
                place = max(place, (max(before) if before else min(follows)) + 0.5)
        if place is not None and said is not None:  # the event in the quote's own word
            name = f"{e.type} {said.group()}" if e.type else said.group()
            evidence = e.evidence.model_copy()
            items.append((place, TimelineEvent(event=name, time=e.time, evidence=evidence)))
    death = record.outcome.status
    if death is not None and death.value == "died":
        at = _position(death.evidence.quote, text, case)
        if at is not None and at < case:  # the quote is only the abstract's: where the case
            at = _death_told(text, case) or at  # account tells a death, if it does
        words = _DEATH_WORDS.search(death.evidence.quote)
        if at is not None and words is not None:  # the event in the quote's own words
            evidence = death.evidence.model_copy()
            name = words.group().strip()
            items.append((at, TimelineEvent(event=name, time=None, evidence=evidence)))
    dropped = [
        _drop(f"timeline[{i}]", ev, "replaced by the record's own course (rule)")
        for i, ev in enumerate(record.timeline)
    ]
    record.timeline = [ev for _, ev in sorted(items, key=lambda pair: pair[0])]
    return dropped


_TIME_AGO = (
    rf"(?: (?:\d+(?:\.\d+)?|an?|several|many|a few|{_NUMBER_WORD})[ -]?"
    r"(?:days?|d|weeks?|wks?|mo|mos|months?|years?|yrs?|y) (?:earlier|ago|previously|before))?"
)
_NOT_SAID = r"(?<!\bnot )(?<!\bnever )(?<!\bnot been )(?<!\bnever been )(?<!\bcases )" + (
    r"(?<!\bpatients )(?<!\bthose )(?<!\bothers )"
)
_TOLD_EARLIER = re.compile(
    rf"\b(?:which|that|who) had (?:previously |already |earlier )?been (?:treated|managed)"
    rf"{_TIME_AGO} (?:with|by)\b"
    rf"|{_NOT_SAID}\b(?:had |having |been )?(?:previously|formerly) (?:been )?(?:treated|managed)"
    rf"{_TIME_AGO} (?:with|by)\b"
    rf"|{_NOT_SAID}\b(?:had |having )?(?:previously|formerly) (?:received|undergone|underwent"
    r"|been given)\b"
    r"|\bhaving (?:already )?(?:been treated with|received|undergone)\b"
    r"|(?<!\bfamily )\bhistory of\b"
    r"|(?<!\bno )(?<!\bwithout )(?<!\babsence of )\bprior (?:treatment|therapy) with\b"
    r"|\b(?:her|his|their) (?:earlier|previous|prior) (?:treatment|therapy) with\b"
    rf"|\b(?:treated|managed){_TIME_AGO.removesuffix('?')} with\b"
)
"""Words that tell what is named right after them happened before the time of the entry
they are said of, on `squash`ed text: a relative clause of the disease ("..., which had been
treated 18 mo before with"), "previously treated with", "having received", "a history of",
"prior therapy with".  Few and plain, because a wrong move is worse than a missed one: not a
bare past perfect ("Following LAR, she had received CAPOX" tells CAPOX after LAR), "had been
on X ... when", "before X" or "prior to X" (X is the later one), "previously treated segment"
(no "with"), "had not been previously treated", "in the absence of prior therapy with",
"family history of", "cases previously treated with" (other patients)."""
_FILLER = (
    r"(?:the|a|an|\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|cycles?|courses?"
    r"|doses?|sessions?|fractions?|of|adjuvant|neoadjuvant|concurrent|concomitant|salvage"
    r"|maintenance|consolidation|induction|high-dose|low-dose|oral|intravenous|i\.v\.|topical"
    r"|systemic|local|first-line|second-line|combined|combination)"
)
_TOLD_UP_TO = re.compile(rf"(?: {_FILLER}){{0,4}} ?")
"""Between a cue and the first entry it tells: only words of number, course and kind ("four
cycles of", "adjuvant"), no verb, no punctuation."""
_TOLD_AND = re.compile(
    rf"(?:, | and |, and | or | followed by | plus | and then )(?:{_FILLER} ){{0,4}}"
)
"""Between two entries of one told-earlier list ("chemoradiotherapy and anterior resection",
"cisplatin followed by radiotherapy")."""
_NAME_ENDS = re.compile(
    r"(?:[,.;:)]|$| \(| (?:and|or|for|in|at|on|from|with|followed|then|plus|until|since|during"
    r"|before|after|x|×|to|which|that|had|has|was|were|is|are|\d)\b)"
)
"""What may follow a told entry's name: the end of its noun phrase, not another noun ("a
history of carboplatin hypersensitivity" tells no carboplatin)."""
_PASSIVE_AFTER = re.compile(
    r"(?: (?!and\b|but\b|or\b|previously\b)[\w-]+){0,4} (?:was|were|is|are|had been|has been)"
    r" (?:then |subsequently |therefore |also )?(?:treated|given|started|performed|administered"
    r"|planned|scheduled|added|switched|initiated|commenced|introduced|instituted|resumed"
    r"|restarted|continued|delivered|used|applied|prescribed|carried out|readministered"
    r"|re-administered|required|offered)\b"
)
"""A main verb written right after the name ("three cycles of BEP were administered",
"ruxolitinib 10 mg twice daily was commenced"): the entry is the sentence's own time."""
_ABBREVIATED = (
    r"(?<!\b[Ff]ig)(?<!\b[Ff]igs)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\b[Aa]pprox)(?<!\b[Nn]o)"
    r"(?<!\bSt)(?<!\bDr)(?<!\bcf)(?<!\bca)(?<!\bi\.v)(?<!\bi\.m)(?<!\bs\.c)(?<!\bp\.o)"
)
_SENTENCE_STOP = re.compile(
    rf"{_ABBREVIATED}[.!?](?=\s+(?![a-z])|\s*$)"  # "2015. She", "¹⁷⁷Lu", "α-Interferon"
    r"|[.!?](?=\d{1,3}(?:[,\u2013-]\d{1,3})*\s+[A-Z])"  # a citation glued to it: "cancer.3 Four"
    r"|\n"  # every line: a wrapped sentence only misses a move, two merged ones may make one
)
"""Where a sentence ends, for this rule: when in doubt, it ends (a sentence cut in two misses
a move; two sentences read as one may make a wrong one)."""
_CLAUSE_JOIN = re.compile(r", (?:and|but) ")
"""Where a new clause starts: an entry before it is not the time a cue after it is told from
("..., and ceftriaxone was started").  Not ";": "She underwent surgery; she had previously
received radiotherapy" tells the radiotherapy as earlier."""
_TOLD_FROM = re.compile(
    r"\b(?:after|following|within|since|by|until|when|once|post|despite|while|during)\b"
)
"""Words before an entry that make it the time the clause is told from ("Following LAR, she
had previously received ..."): nothing told earlier moves before it."""


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
"""A year between the entry and the cue ("a cochlear implant in 2015 and in the left ear in
2021, having previously received ... in 2019"): which time the cue is told from is not
known, so nothing moves."""


def _sentence_starts(text: str) -> list[int]:
    """Where sentences start (`_SENTENCE_STOP`), as offsets in `squash(text)`: the start of
    the first word after each stop, in one pass over the words."""
    stops = [m.end() for m in _SENTENCE_STOP.finditer(text)]
    starts, k, flat = {0}, 0, -1  # flat: where the last word read ends in squash(text)
    for word in re.finditer(r"\S+", text):
        at = flat + 1  # this word's start: after one space (none before the first)
        while k < len(stops) and stops[k] <= word.start():
            starts.add(at)
            k += 1
        flat = at + len(word.group())
    return sorted(starts)


def _start_of(starts: list[int], at: int) -> int:
    return max((s for s in starts if s <= at), default=0)


def _name_spans(timeline: list[TimelineEvent], flat: str) -> list[tuple[int, int] | None]:
    """Where (in `flat`) each entry's name is written in its quote (its last word, when the
    name is not written whole: "extramedullary relapse"), else None; the quote is found as
    whole words ("RT" is not in "heart"); two entries never share one mention (longer names
    choose first: "trastuzumab deruxtecan" before "trastuzumab")."""
    found: list[list[tuple[int, int]]] = []
    partial: list[bool] = []
    for ev in timeline:
        quote = squash(ev.evidence.quote)
        where = re.search(rf"(?<!\w){re.escape(quote)}(?!\w)", flat) if quote else None
        words = squash(ev.event).split()
        spans: list[tuple[int, int]] = []
        part = False
        for k, name in enumerate((" ".join(words), words[-1] if words else "")):
            if where is None or not name:
                break
            spans = [
                (where.start() + m.start(), where.start() + m.end())
                for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", quote)
            ]
            if spans:
                part = k == 1
                break
        found.append(spans)
        partial.append(part)
    taken: list[tuple[int, int]] = []
    chosen: list[tuple[int, int] | None] = [None] * len(timeline)
    by_length = sorted(
        range(len(timeline)), key=lambda i: (partial[i], -len(squash(timeline[i].event)), i)
    )
    for i in by_length:
        free = [(s, e) for s, e in found[i] if not any(s < te and ts < e for ts, te in taken)]
        chosen[i] = free[0] if free else (found[i][0] if found[i] else None)
        if free:
            taken.append(free[0])
    return chosen


def _told_earlier(
    flat: str, spans: list[tuple[int, int] | None], given: set[int]
) -> dict[int, int]:
    """The treatments (`given`: their timeline indices) a cue tells as earlier, each with where
    its cue starts: the one named right after the cue (`_TOLD_UP_TO`) and those listed with it
    (`_TOLD_AND`), each name ending its noun phrase and with no main verb of its own after
    it."""
    named = sorted((s[0], s[1], i) for i, s in enumerate(spans) if s is not None)
    told: dict[int, int] = {}
    for cue in _TOLD_EARLIER.finditer(flat):
        end, gap = cue.end(), _TOLD_UP_TO
        for start, stop, i in named:
            if start < end:
                continue
            if (
                i not in given
                or not gap.fullmatch(flat, end, start)
                or not _NAME_ENDS.match(flat, stop)
                or _PASSIVE_AFTER.match(flat, stop)
            ):
                break
            told.setdefault(i, cue.start())
            end, gap = stop, _TOLD_AND
    return told


def timeline_told_earlier(record: CaseReport, text: str) -> list[DroppedFact]:
    """v55: a treatment of the timeline its sentence tells as earlier than an entry it names
    before comes right before that entry.  "A 72-year-old woman underwent RF ablation for a
    liver metastasis from rectal adenocarcinoma, which had been treated 18 mo before with
    preoperative chemoradiotherapy and anterior resection": the chemoradiotherapy and the
    resection come right before the ablation (``timeline_from_record`` orders by quote, and
    the three share one).  Only the treatments named right after a plain cue
    (`_TOLD_EARLIER`, and those listed with them), each moved before the nearest entry of
    another name that the same sentence names before the cue, in the same clause (not before
    a ", and" or ", but" ahead of the cue); not when a word before that entry makes it the
    clause's own time ("Following LAR, ...") or a year written between them leaves unknown
    which time the cue is told from.  Entries keep their order otherwise (and among
    themselves).  A treatment whose name the timeline has twice is left where it is (which
    mention is whose is not known).  Drops nothing."""
    flat = squash(text)
    starts = _sentence_starts(text)
    spans = _name_spans(record.timeline, flat)
    names = [squash(ev.event) for ev in record.timeline]
    treatments = {squash(t.name) for t in record.treatments}
    given = {i for i, name in enumerate(names) if name in treatments}
    told = _told_earlier(flat, spans, given)
    order = list(range(len(record.timeline)))  # indices into the timeline, as it will be
    for i, cue in sorted(told.items()):
        span = spans[i]
        if span is None or names.count(names[i]) > 1:  # a span: every told entry has one
            continue
        start = _start_of(starts, span[0])
        start += max((m.end() for m in _CLAUSE_JOIN.finditer(flat[start:cue])), default=0)
        said_of = [
            (other[0], j)
            for j, other in enumerate(spans)
            if j not in told and other is not None and start <= other[0] < cue
        ]
        if not said_of:
            continue
        at, j = max(said_of)  # the entry the cue is said of: the nearest before it
        if _TOLD_FROM.search(flat, start, at) or _YEAR.search(flat, at, cue):
            continue
        if order.index(j) < order.index(i):
            order.remove(i)
            order.insert(order.index(j), i)
    record.timeline = [record.timeline[j] for j in order]
    return []


_KEYWORDS_LINE = re.compile(
    r"^[ \t]*(?:key[ -]?words|index terms)[ \t]*[:\uff1a.\u2013\u2014-][ \t]*(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)
KEYWORDS_NOTE = "not a term of the text's keywords line (keywords_from_text)"


def keywords_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """The article's keywords are the terms of its "Keywords:" (or "Key words", "Index
    terms") line, as written, split at semicolons (else commas), each quoted by its own
    words, whatever the model gave; a keyword the model gave that is not one of them goes to
    ``dropped``.  A text without such a line keeps the model's keywords."""
    m = _KEYWORDS_LINE.search(text)
    if m is None:
        return []
    line = m.group(1).strip()
    parts = line.split(";") if ";" in line else line.split(",")
    terms = [t.strip().rstrip(".").strip() for t in parts]
    terms = [t for t in terms if len(t) >= 2][:10]
    if not terms:
        return []
    kept = {squash(t) for t in terms}
    dropped = [
        DroppedFact(path=f"source.keywords[{i}]", fact=k.model_dump(), note=KEYWORDS_NOTE)
        for i, k in enumerate(record.source.keywords)
        if squash(k.value) not in kept
    ]
    record.source.keywords = [TextFact(value=t, evidence=Evidence(quote=t)) for t in terms]
    return dropped
