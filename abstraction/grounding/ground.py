"""Ground every fact of a record in the source text.

For each fact the quote is aligned (see `align`), then checks decide whether the words found
actually support it (docs/grounding.md):
- a patient fact quoted from page boilerplate (banner, licence, disclaimer) is unsupported;
- a patient fact quoted only from the article's front matter (title, journal line, authors:
  `boilerplate.header_span`) is unsupported; when the quote also occurs in the case text it is
  placed there instead;
- the quote must state the fact's values (`support`): its key value (a name, a method...) and
  each attribute (a dose, a time, a body site...); an age's number must be in its quote, and a
  named target (e.g. "CD19") must occur in the text.
Two prompt settings change what follows a failed check: `relocate` re-anchors a fact whose key
value the case text states to the sentence that states it; ``unstated = "drop"`` takes an
unstated attribute out of a fact whose key is stated (it goes to the extraction's ``dropped``
list).  Otherwise unsupported facts stay in the record, flagged with a note; nothing is dropped
here.

The record may be of any schema (`abstraction.core.schemas`): the checks apply to the toolkit's
fact blocks wherever it uses them, and `metadata` names its sections of source metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel

from abstraction.core.records import DroppedFact, GroundingSummary
from abstraction.core.schema import (
    METADATA_SECTIONS,
    AgeFact,
    Assessment,
    Diagnosis,
    DiseaseEvent,
    Evidence,
    Finding,
    OutcomeStatusFact,
    TimelineEvent,
    Treatment,
    iter_evidence,
)
from abstraction.grounding.align import Aligner, Alignment, Span, normalize
from abstraction.grounding.boilerplate import (
    content_spans,
    header_span,
    is_citation_line,
    line_at,
    prose_spans,
    segment_at,
)
from abstraction.grounding.support import (
    MIN_VALUE_CHARS,
    NOT_STATED,
    YEARS_PER,
    SupportCheck,
    Unstated,
    ages_in,
    doubts,
    is_not_stated,
    key_value,
    said_of_another,
)

R = TypeVar("R", bound=BaseModel)

ValueCheck = Callable[[BaseModel, Evidence, "Aligner"], str | None]
"""Returns a note when the fact's value is not supported, else None."""

HEADER_NOTE = "the quote is the article title or header, not case text"
BOILERPLATE_NOTE = "quote is page boilerplate (banner, licence or disclaimer), not case text"


def _age_check(fact: BaseModel, ev: Evidence, aligner: Aligner) -> str | None:
    assert isinstance(fact, AgeFact)
    value = fact.value
    number = str(int(value)) if float(value).is_integer() else str(value)
    if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", ev.quote):
        return f"the quote does not state the age {number}"
    return None


def _target_check(fact: BaseModel, ev: Evidence, aligner: Aligner) -> str | None:
    assert isinstance(fact, Treatment)
    if fact.target and normalize(fact.target) not in aligner._norm.text:
        return f"target {fact.target!r} is not named in the text"
    return None


VALUE_CHECKS: dict[type[BaseModel], ValueCheck] = {AgeFact: _age_check, Treatment: _target_check}


def _unnamed_target(owner: BaseModel, note: str) -> Unstated:
    return Unstated(field="target", value=str(getattr(owner, "target", "")), key=False, note=note)


@dataclass
class Grounded(Generic[R]):
    """A grounded record, its counts, and the attributes taken out of it (``unstated="drop"``)."""

    record: R
    summary: GroundingSummary
    dropped: list[DroppedFact] = field(default_factory=list)


def _owner_of(record: BaseModel) -> dict[int, BaseModel]:
    """Map id(evidence) -> the fact model holding it."""
    owners: dict[int, BaseModel] = {}

    def walk(m: BaseModel) -> None:
        for name in type(m).model_fields:
            v = getattr(m, name)
            if isinstance(v, Evidence):
                owners[id(v)] = m
            elif isinstance(v, BaseModel):
                walk(v)
            elif isinstance(v, list):
                for item in v:
                    if isinstance(item, BaseModel):
                        walk(item)

    walk(record)
    return owners


def _inside(hit: Alignment | Span, spans: list[Span]) -> bool:
    return any(s.start <= hit.start and hit.end <= s.end for s in spans)


class _Document:
    """What grounding knows about one text: its aligner and where case text is."""

    def __init__(self, text: str, *, front_matter: bool) -> None:
        self.text = text
        self.aligner = Aligner(text)
        self.content = content_spans(text)
        self.header = header_span(text) if front_matter else None
        self.case = _minus(self.content, self.header)
        self.prose = prose_spans(text)
        self.support = SupportCheck(text)

    @cached_property
    def case_section(self) -> tuple[int, int]:
        """Where the case is told (`case_section`), found once per document."""
        return case_section(self.text)

    def in_header(self, hit: Alignment) -> bool:
        h = self.header
        return h is not None and h.start <= hit.start and hit.end <= h.end

    def case_sentences(self) -> list[Span]:
        """Every sentence of the case text (boundaries as `_sentence`), blanks trimmed."""
        spans: list[Span] = []
        for part in self.case:
            start = part.start
            for m in _BOUNDARY.finditer(self.text[: part.end], part.start):
                spans += _trimmed(self.text, start, m.start())
                start = m.end()
            spans += _trimmed(self.text, start, part.end)
        return spans

    def sentences_with(self, value: str) -> Iterator[Span]:
        """The sentences of the case text where `value` occurs (normalised, whole words), in
        the text's order, each once, found as they are asked for."""
        seen: set[Span] = set()
        for a in self.aligner.candidates(value):
            if _inside(a, self.case) and (span := _sentence(self.text, a)) not in seen:
                seen.add(span)
                yield span


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if end > start else []


def _minus(spans: list[Span], cut: Span | None) -> list[Span]:
    if cut is None:
        return spans
    out = []
    for s in spans:
        if s.end <= cut.start or s.start >= cut.end:
            out.append(s)
            continue
        if s.start < cut.start:
            out.append(Span(s.start, cut.start))
        if s.end > cut.end:
            out.append(Span(cut.end, s.end))
    return out


_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n")


def _sentence(text: str, hit: Alignment | Span) -> Span:
    """The sentence (or line) around `hit`: from the last boundary before it to the next."""
    start = 0
    # the look-ahead must see the hit's first characters: a hit that opens a sentence has
    # the boundary right before it (searching only up to hit.start missed it)
    for m in _BOUNDARY.finditer(text, 0, min(len(text), hit.start + 2)):
        if m.end() > hit.start:
            break
        start = m.end()
    nxt = _BOUNDARY.search(text, hit.end)
    end = nxt.start() if nxt else len(text)
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, max(end, hit.end))


LOCATED = "located: "
"""Note prefix of a quote taken from the text, not written by the model (`locate_quotes`)."""


def _apply(ev: Evidence, hit: Alignment | None, doc: _Document, *, is_metadata: bool) -> None:
    located = ev.note if ev.note and ev.note.startswith(LOCATED) else None
    ev.start = ev.end = ev.method = ev.similarity = ev.note = None
    _align_note(ev, hit, doc, is_metadata=is_metadata)
    if located:  # where the quote came from stays said, whatever the checks add
        ev.note = _prefix(located, ev.note) if ev.note else located


def _align_note(ev: Evidence, hit: Alignment | None, doc: _Document, *, is_metadata: bool) -> None:
    if hit is None:
        ev.status = "unsupported"
        ev.note = "quote not found in the source" if ev.quote.strip() else "no quote given"
        return
    ev.start, ev.end, ev.method, ev.similarity = hit.start, hit.end, hit.method, hit.similarity  # type: ignore[assignment]
    ev.status = "fuzzy" if hit.method == "fuzzy" else "exact"
    if hit.occurrences > 1:
        ev.note = f"quote occurs {hit.occurrences} times; the first allowed one is used"
    if is_metadata:
        return
    if not _inside(hit, doc.content):
        ev.status, ev.note = "unsupported", BOILERPLATE_NOTE
    elif doc.in_header(hit):
        ev.status, ev.note = "unsupported", HEADER_NOTE


@dataclass
class _Options:
    relocate: bool
    unstated: Literal["flag", "drop"]
    scope: Literal["quote", "sentence"]


_DISCUSSION = re.compile(
    r"^[ \t#*]*(?:(?:\d+(?:\.\d+)*|[ivxlc]+)\.?(?:[ \t]*\|)?[ \t]+)?"
    r"(?:discussion|conclusions?|comments?|literature review|review of (?:the )?literature|"
    r"references|bibliography)"
    r"(?:[ \t]+and[ \t]+(?:conclusions?|literature review|review of (?:the )?literature))?"
    r"[ \t\r]*(?:[:.*][^\n]*)?$",
    re.IGNORECASE | re.MULTILINE,
)
"""A heading after which a report discusses the literature, not this patient ("Discussion",
"4. Discussion", "3 | DISCUSSION", "IV. DISCUSSION", "Discussion and conclusions",
"Discussion: ...", a line ending "\r\n"), or lists it ("References")."""
_CASE_HEADING = re.compile(
    r"^[ \t#*]*(?:(?:\d+(?:\.\d+)*|[ivxlc]+)\.?(?:[ \t]*\|)?[ \t]+)?(?:case "
    r"(?:presentation|report|description|history|summary|\d+)|presentation of (?:the )?case|"
    r"clinical (?:presentation|history|course))[ \t:*\r]*$",
    re.IGNORECASE | re.MULTILINE,
)
"""The heading the case itself starts under: a "Conclusions:" line above it is the abstract's."""


def case_section(text: str) -> tuple[int, int]:
    """Where the case is told: from its (last) heading, or the start, to the discussion."""
    cases = list(_CASE_HEADING.finditer(text))
    return (cases[-1].end() if cases else 0), _discussion_start(text)


def _discussion_start(text: str) -> int:
    """Where the discussion of the literature starts: its heading after the case's own heading
    (the last one: a "CASE REPORT" banner above a structured abstract is not where the case
    starts, and the abstract's "Conclusions:" is not the discussion; twelfth session), or
    anywhere when the text has no case heading; the end of the text if none."""
    cases = list(_CASE_HEADING.finditer(text))
    after = cases[-1].end() if cases else 0
    cut = _DISCUSSION.search(text, after)
    return cut.start() if cut is not None else len(text)


def _relocate(ev: Evidence, owner: BaseModel, doc: _Document, opts: _Options) -> bool:
    """Put the case-text sentence that states the fact's key value in place of its quote: the
    first where the value occurs word for word, else the first the support check finds states
    it (its words in any order and form: "foreign body in the rectum" for "rectal foreign
    body" is not, "adenocarcinoma of the appendix" for "adenocarcinoma of appendix" is).
    An outcome "alive" is the patient's last known state: the last sentence that states it
    before the discussion, of five words or more (a heading "Outcome and follow-up" states
    nothing), and none when a later sentence says the patient died."""
    value = key_value(owner)
    if value is None or len(value.strip()) < MIN_VALUE_CHARS:
        return False
    if isinstance(owner, OutcomeStatusFact) and owner.value == "alive":
        end = _discussion_start(doc.text)
        course = [s for s in doc.case_sentences() if s.end <= end]
        span = None
        for s in reversed(course):
            if len(doc.text[s.start : s.end].split()) < 5:
                continue
            if doc.support.cue_stated("outcome_status", "died", doc.text[s.start : s.end]):
                break  # the patient died after any sentence before this one: not alive
            if _states_key(s, owner, doc, opts):
                span = s
                break
    else:
        span = next(_naming_sentences(value, owner, doc, opts), None)
        if span is None:
            start, end = doc.case_section
            stating = [
                s
                for s in doc.case_sentences()
                if start <= s.start
                and s.end <= end
                and not _LESSON.match(doc.text, s.start)
                and _states_key(s, owner, doc, opts)
            ]
            # a sentence with no word of doubt first: "histology confirmed a mature cystic
            # teratoma" before "a lesion ..., suggestive of a mature teratoma"
            sure = [s for s in stating if not doubts(doc.text[s.start : s.end])]
            span = next(iter(sure or stating), None)
    if span is None:
        return False
    old = ev.quote
    ev.quote = doc.text[span.start : span.end]
    ev.start, ev.end, ev.method, ev.similarity = span.start, span.end, "relocated", 100.0
    ev.status = "exact"
    ev.note = (
        f"relocated: the model's quote {_short(old)!r} did not state the value"
        if old.strip()
        else f"{LOCATED}{_SENTENCE} (the model gave no quote)"
    )
    return True


def _naming_sentences(
    value: str, owner: BaseModel, doc: _Document, opts: _Options
) -> Iterator[Span]:
    """The sentences of the case's own account (not the abstract's nor the discussion's
    general statements: "Alternatives to CAR-T cells include teclistamab" gave the patient no
    teclistamab; thirteenth session) where `value` occurs and that state the fact (what the
    patient had, one that does not deny it), in the text's order."""
    start, end = doc.case_section
    for span in doc.sentences_with(value):
        if (
            start <= span.start
            and span.end <= end
            and not _LESSON.match(doc.text, span.start)
            and _states_key(span, owner, doc, opts)
        ):
            yield span


_LESSON = re.compile(
    r"\s*(?:(?:this|our|the\s+present)\s+(?:case|report)\s+(?:highlights|illustrates|demonstrates"
    r"|shows|suggests|emphasi[sz]es|underlines|underscores|reminds|indicates|teaches)"
    r"|in\s+(?:conclusion|summary)\b)",
    re.IGNORECASE,
)
"""A sentence that draws the case's lesson ("This case highlights ... that regular biopsy of
the mass is not sufficient"): a general statement, even where the text has no heading that
ends the case's account (reading samples 22 and 23: "biopsy" was kept as the seed's test)."""


def _states_key(span: Span, owner: BaseModel, doc: _Document, opts: _Options) -> bool:
    trial = Evidence(quote=doc.text[span.start : span.end], start=span.start, end=span.end)
    return not any(u.key for u in _check(trial, owner, doc, opts))


def _relocate_to_state_more(
    ev: Evidence, owner: BaseModel, doc: _Document, opts: _Options, missing: list[Unstated]
) -> list[Unstated]:
    """A fact whose quote states its key value but not some attributes: among the case-text
    sentences that state the key value too, take the one that leaves the fewest attributes
    unstated, if it leaves fewer than the quote (ties: the earliest).  Returns what is still
    unstated."""
    value = key_value(owner)
    if value is not None and len(value.strip()) < MIN_VALUE_CHARS:
        return missing
    best: tuple[Span, list[Unstated]] | None = None
    start, end = doc.case_section
    for span in doc.case_sentences():
        if span.start < start:
            continue  # not the abstract's nor the discussion's statements of the patient's facts
        if span.end > end:
            break
        trial = Evidence(quote=doc.text[span.start : span.end], start=span.start, end=span.end)
        left = _check(trial, owner, doc, opts)
        if any(u.key for u in left):
            continue
        if len(left) < len(missing) and (best is None or len(left) < len(best[1])):
            best = (span, left)
    if best is None:
        return missing
    span, left = best
    old = ev.quote
    ev.quote = doc.text[span.start : span.end]
    ev.start, ev.end, ev.method, ev.similarity = span.start, span.end, "relocated", 100.0
    ev.status = "exact"
    ev.note = f"relocated: the model's quote {_short(old)!r} did not state every attribute"
    return left


_DISCUSSION_NOTE = "the case account's sentence that states it (the model quoted the discussion)"


def _from_the_discussion(
    ev: Evidence, owner: BaseModel, doc: _Document, opts: _Options, missing: list[Unstated]
) -> list[Unstated]:
    """A patient's event, treatment, finding or diagnosis quoted from the discussion (after the
    case account), whose name a sentence of the case's own account also states: its quote
    becomes that sentence, the first one ("relapse" quoted from "Relapse after allogeneic
    transplantation is treated with ..., as in our patient", a general statement, while the
    case says "... consistent with haematological relapse"; the nineteenth session's reading
    samples 19 and 20).  Returns what is still unstated (the new quote is checked again)."""
    _, end = doc.case_section
    value = key_value(owner)
    if (
        ev.start is None
        or ev.start < end
        or value is None
        or len(value.strip()) < MIN_VALUE_CHARS
        or not isinstance(owner, (DiseaseEvent, TimelineEvent, Treatment, Finding, Diagnosis))
    ):
        return missing
    span = next(_naming_sentences(value, owner, doc, opts), None)
    if span is None:
        return missing
    old = (ev.quote, ev.start, ev.end, ev.method, ev.similarity, ev.status, ev.note)
    ev.quote = doc.text[span.start : span.end]
    ev.start, ev.end, ev.method, ev.similarity = span.start, span.end, "relocated", 100.0
    ev.status, ev.note = "exact", LOCATED + _DISCUSSION_NOTE
    left = _check(ev, owner, doc, opts)
    if len(left) > len(missing):  # the case's sentence states fewer of its attributes: keep
        ev.quote, ev.start, ev.end, ev.method, ev.similarity, ev.status, ev.note = old
        return missing
    return left


BARE_NOTE = "the sentence of the case text that names it (the model quoted the name only)"
OUTSIDE_CASE_NOTE = (
    "the quote is the name only, and the text names it only outside the account of the case "
    "(abstract, background or discussion), not as this patient's"
)


def _widen_bare(ev: Evidence, owner: BaseModel, doc: _Document, opts: _Options) -> None:
    """A patient fact whose quote is its name alone ("teclistamab", "double vision") states
    nothing of the patient: the name may stand in the discussion's list of alternatives or in
    "no double vision".  Its quote becomes the sentence of the case's own account (from the
    case heading, or the start, to the discussion) that names it and states the fact (a
    finding present is not denied there, one absent is), one with no word of doubt first, the
    quoted occurrence's own sentence first among equals; the support check then reads that
    sentence.  When no such sentence exists and the name was found only outside the account
    (the abstract above a case heading, the discussion), the fact is unsupported.  An outcome
    "alive" and the age are left to their own rules (an outcome "died" quoted "died" is read
    where the patient died, not in "his brother had died") (thirteenth session's reading audit:
    bare names were most of the output's facts whose quotes did not state them)."""
    if ev.status == "unsupported" or ev.start is None or ev.end is None:
        return
    if isinstance(owner, AgeFact) or (
        isinstance(owner, OutcomeStatusFact) and owner.value == "alive"
    ):
        return
    value = key_value(owner)
    if value is None or len(value.strip()) < MIN_VALUE_CHARS:
        return
    if normalize(doc.text[ev.start : ev.end]) != normalize(value):
        return
    start, end = doc.case_section
    here = _sentence(doc.text, Span(ev.start, ev.end))
    spans = list(_naming_sentences(value, owner, doc, opts))
    if not spans:
        if not (start <= here.start and here.end <= end) or _LESSON.match(doc.text, here.start):
            ev.status, ev.note = "unsupported", OUTSIDE_CASE_NOTE
        return
    span = min(spans, key=lambda s: (doubts(doc.text[s.start : s.end]), s != here, s.start))
    ev.quote = doc.text[span.start : span.end]
    ev.start, ev.end, ev.method, ev.similarity = span.start, span.end, "relocated", 100.0
    ev.status = "exact"
    ev.note = LOCATED + BARE_NOTE


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _support(
    path: str, ev: Evidence, owner: BaseModel, doc: _Document, opts: _Options, *, metadata: bool
) -> list[DroppedFact]:
    """Run the support check on a found quote; flag, relocate or drop as the options say.
    Source metadata is never relocated: its place is the front matter, not the case text."""
    not_found = ev.status == "unsupported"  # not found, boilerplate or front matter
    missing = [] if not_found else _check(ev, owner, doc, opts, whole=not metadata)
    key_missing = any(u.key for u in missing)
    move = opts.relocate and not metadata
    if (not_found or key_missing) and move and _relocate(ev, owner, doc, opts):
        missing = _check(ev, owner, doc, opts)
        key_missing = any(u.key for u in missing)
    elif not_found:
        return []
    elif missing and move:
        missing = _relocate_to_state_more(ev, owner, doc, opts, missing)
    elif move and not key_missing:
        missing = _from_the_discussion(ev, owner, doc, opts, missing)
    if not missing:
        return []
    note = ev.note if ev.method == "relocated" else None
    if key_missing or opts.unstated == "flag":
        ev.status, ev.note = "unsupported", _prefix(note, "; ".join(u.note for u in missing))
        return []
    dropped = [_drop_attribute(path, owner, u, ev) for u in sorted(missing, key=_drop_order)]
    kept = "; ".join(u.note for u in missing)
    ev.note = _prefix(note, f"{kept} (set to null, kept in dropped)")
    return dropped


def _check(
    ev: Evidence, owner: BaseModel, doc: _Document, opts: _Options, *, whole: bool = True
) -> list[Unstated]:
    context = sentence = None
    lead = trail = ""
    # a finding's assertion, whether a diagnosis was had and whether a treatment, event or
    # test was given or done are read in the sentence
    read = isinstance(owner, (Finding, Diagnosis, Treatment, TimelineEvent, Assessment))
    if (read or opts.scope == "sentence") and ev.start is not None and ev.end is not None:
        span = _sentence(doc.text, Span(ev.start, ev.end))
        sentence = doc.text[span.start : span.end]
        lead = doc.text[span.start : max(span.start, ev.start)]
        trail = doc.text[min(span.end, ev.end) : span.end]
        if opts.scope == "sentence":
            context = sentence
    found = _found(ev, doc, whole=whole)
    return doc.support.check(
        owner, found, context=context, sentence=sentence, lead=lead, trail=trail
    )


def _found(ev: Evidence, doc: _Document, *, whole: bool = True) -> str:
    """The source words the quote was aligned to (what the text says, not what the model
    typed: a fuzzy quote may have words the text lacks), whole: a span that starts or ends
    inside a word is read with the rest of it ("ankle dorsif" found in "ankle dorsiflexion"
    states no "dorsif"; thirteenth session's reading audit).  Not for source metadata
    (`whole` False): a scraped author line glues names ("Huibo  LiHuibo Li1Jie  Liu")."""
    if ev.start is None or ev.end is None:
        return ""
    if not whole:
        return doc.text[ev.start : ev.end]
    text, start, end = doc.text, ev.start, ev.end
    while 0 < start < len(text) and text[start - 1].isalpha() and text[start].isalpha():
        start -= 1
    while 0 < end < len(text) and text[end - 1].isalpha() and text[end].isalpha():
        end += 1
    return text[start:end]


def _anothers_cause(ev: Evidence, owner: BaseModel, doc: _Document) -> str | None:
    """Why a cause of death's quote does not state the patient's, or None: its sentence names
    the cause only as another person's ("his brother had died of a myocardial infarction")."""
    value = getattr(owner, "value", None)
    if not isinstance(value, str) or ev.start is None or ev.end is None:
        return None
    span = _sentence(doc.text, Span(ev.start, ev.end))
    if said_of_another(value, doc.text[span.start : span.end]):
        return f"{NOT_STATED} that {value!r} was the patient's cause of death: it is another's"
    return None


def _not_this_source(path: str, ev: Evidence, owner: BaseModel, doc: _Document) -> str | None:
    """Why a title's or a journal's quote does not state it, or None: a title taken from the
    journal's citation line ("Pediatric Rare Disease Reports 2025; 3(1): 45-51"), a journal's
    name cut short in its citation line ("Myeloma" of "Clinical Cases in Myeloma and Related
    Disorders, 2024, Vol. 6"; one word before it is allowed: "The", a publisher's name)."""
    field = path.rsplit(".", 1)[-1]
    value = getattr(owner, "value", None)
    if field not in ("title", "journal") or not isinstance(value, str) or ev.start is None:
        return None
    quoted = doc.text[ev.start : ev.end or ev.start]
    found = re.search(re.escape(value.strip()), quoted, re.IGNORECASE) if value.strip() else None
    if found is None:
        return None
    span = Span(ev.start + found.start(), ev.start + found.end())
    line = line_at(doc.text, span.start)
    if field == "title" and is_citation_line(doc.text[line.start : line.end]):
        return f"{NOT_STATED} {value!r}: the journal's citation line, not the article's title"
    if field != "journal" or not is_citation_line(doc.text[line.start : line.end]):
        return None
    whole = segment_at(doc.text, span).strip(" .")
    short = value.casefold().strip(" .")
    rest = whole.casefold().replace(short, " ", 1) if short in whole.casefold() else ""
    extra = re.findall(r"\w+", rest)  # "Medicine®": the mark is no word
    if len(extra) > 1 or (extra and not whole.casefold().endswith(short)):
        return f"{NOT_STATED} {value!r}: it is cut short (the journal is {whole!r})"
    return None


def _prefix(note: str | None, text: str) -> str:
    return f"{note}; {text}" if note else text


def _drop_order(u: Unstated) -> tuple[str, int]:
    return (u.field, -(u.index or 0))  # later list items first, so indices stay valid


def _drop_attribute(path: str, owner: BaseModel, u: Unstated, ev: Evidence) -> DroppedFact:
    value = getattr(owner, u.field)
    if isinstance(value, list) and u.index is not None:
        value.pop(u.index)
        where = f"{path}.{u.field}[{u.index}]"
    else:
        setattr(owner, u.field, None)
        where = f"{path}.{u.field}"
    return DroppedFact(
        path=where, fact={u.field: u.value, "evidence": {"quote": ev.quote}}, note=u.note
    )


_ATTRIBUTE_PATH = re.compile(r"\]\.\w+(\[\d+\])?$")


def is_attribute(dropped: DroppedFact) -> bool:
    """Whether a dropped item is an attribute taken out of a fact that stayed
    (``treatments[2].dose``, ``disease_events[0].body_sites[1]``), not a whole fact."""
    return _ATTRIBUTE_PATH.search(dropped.path) is not None


def summarize(record: BaseModel) -> GroundingSummary:
    """The counts of a grounded record, read from its evidence (status, method and note)."""
    counts = {"exact": 0, "fuzzy": 0, "unsupported": 0}
    not_stated = header = relocated = 0
    for _, ev in iter_evidence(record):
        counts[ev.status or "unsupported"] += 1
        not_stated += is_not_stated(ev.note)
        header += ev.note == HEADER_NOTE
        relocated += ev.method == "relocated"
    return GroundingSummary(
        facts=sum(counts.values()),
        **counts,
        not_stated=not_stated,
        header=header,
        relocated=relocated,
    )


def locate_quotes(
    record: BaseModel,
    text: str,
    *,
    front_matter: bool = True,
    metadata: Set[str] = METADATA_SECTIONS,
) -> int:
    """Give each fact of `record` that has no quote one from `text`, in place (prompt setting
    ``quotes = "text"``: the model wrote values only).  Runs before the rules, which read
    quotes as the model's would be read.  A metadata fact (title, journal...) gets its value's
    own words when the text has them; any other fact the case-text sentence that states its
    key value, chosen as `relocate` chooses (the first sentence where the value occurs word
    for word, else the first the support check finds states it).  Each such quote's note
    starts with "located: ", and keeps it through grounding.  A fact whose value the text
    does not state keeps its empty quote: grounding then finds it unsupported.  Returns how
    many quotes were located."""
    doc = _Document(text, front_matter=front_matter)
    opts = _Options(relocate=True, unstated="flag", scope="quote")
    owners = _owner_of(record)
    haystack = normalize(text)
    found = 0
    for path, ev in iter_evidence(record):
        if ev.quote.strip():
            continue
        owner = owners[id(ev)]
        if path.split(".")[0].split("[")[0] in metadata:
            value = key_value(owner)
            if value and len(value.strip()) >= MIN_VALUE_CHARS and normalize(value) in haystack:
                ev.quote, ev.note = value, LOCATED + "the value's own words in the text"
                found += 1
        elif isinstance(owner, AgeFact):
            span = _age_sentence(owner, doc)
            if span is not None:
                ev.quote, ev.note = doc.text[span.start : span.end], LOCATED + _SENTENCE
                found += 1
        elif _relocate(ev, owner, doc, opts):
            ev.note = LOCATED + _SENTENCE
            found += 1
    return found


_SENTENCE = "the case-text sentence that states the value"


def _age_sentence(fact: AgeFact, doc: _Document) -> Span | None:
    """The first case-text sentence that states this age as an age ("a 45-year-old woman",
    "aged 45 years"), not merely the number."""
    years = fact.value * YEARS_PER[fact.unit.removesuffix("s")]
    for span in doc.case_sentences():
        if any(abs(a - years) < 1e-6 for a in ages_in(doc.text[span.start : span.end])):
            return span
    return None


def ground(
    record: R,
    text: str,
    *,
    in_place: bool = False,
    relocate: bool = False,
    unstated: Literal["flag", "drop"] = "flag",
    evidence_scope: Literal["quote", "sentence"] = "quote",
    front_matter: bool = True,
    metadata: Set[str] = METADATA_SECTIONS,
) -> Grounded[R]:
    """Ground a copy of `record` (or `record` itself, `in_place`) in `text`.

    `record` is a `CaseReport` or a record of another schema (`abstraction.core.schemas`).
    `relocate`, `unstated` and `evidence_scope` are the prompt settings of the same names
    (`PromptSettings`).
    `front_matter`: whether `text` starts where the article starts (False for a later part of
    a split document: its first lines are not the title).
    `metadata`: the record's sections of source metadata (title, journal...), whose quotes
    come from the front matter and are never relocated (`RecordSchema.metadata_sections`)."""
    grounded = record if in_place else record.model_copy(deep=True)
    doc = _Document(text, front_matter=front_matter)
    opts = _Options(relocate=relocate, unstated=unstated, scope=evidence_scope)
    owners = _owner_of(grounded)
    dropped: list[DroppedFact] = []
    for path, ev in iter_evidence(grounded):
        is_metadata = path.split(".")[0].split("[")[0] in metadata
        hit = (
            doc.aligner.align(ev.quote)
            if is_metadata
            else doc.aligner.align(ev.quote, allowed=doc.case, preferred=doc.prose)
        )
        _apply(ev, hit, doc, is_metadata=is_metadata)
        owner = owners[id(ev)]
        if not is_metadata:
            _widen_bare(ev, owner, doc, opts)
        dropped += _support(path, ev, owner, doc, opts, metadata=is_metadata)
        if (
            path.endswith("cause_of_death")
            and ev.status != "unsupported"
            and (why := _anothers_cause(ev, owner, doc))
        ):
            ev.status, ev.note = "unsupported", _prefix(ev.note, why)
        if (
            is_metadata
            and ev.status != "unsupported"
            and (why := _not_this_source(path, ev, owner, doc))
        ):
            ev.status, ev.note = "unsupported", _prefix(ev.note, why)
        check = VALUE_CHECKS.get(type(owner))
        if check and ev.status != "unsupported":
            problem = check(owner, ev, doc.aligner)
            if problem and opts.unstated == "drop" and isinstance(owner, Treatment):
                # the target is an attribute: it goes, the treatment stays
                dropped.append(_drop_attribute(path, owner, _unnamed_target(owner, problem), ev))
                ev.note = _prefix(ev.note, f"{problem} (set to null, kept in dropped)")
            elif problem:
                ev.status, ev.note = "unsupported", problem
    return Grounded(grounded, summarize(grounded), dropped)


def ground_record(
    record: R, text: str, *, in_place: bool = False, metadata: Set[str] = METADATA_SECTIONS
) -> tuple[R, GroundingSummary]:
    """Return a grounded copy of `record` and its counts (`ground` with the default settings:
    unsupported facts flagged, none relocated, nothing dropped).

    `in_place` grounds `record` itself, for a caller that owns it (for a short record the deep
    copy is a third of the time).  `metadata` as in `ground`."""
    out = ground(record, text, in_place=in_place, metadata=metadata)
    return out.record, out.summary
