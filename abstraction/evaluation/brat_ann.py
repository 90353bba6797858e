"""Read brat standoff files (``ID.txt`` + ``ID.ann``) and reduce them to coreference clusters.

The offsets in ``.ann`` are Unicode code points into the text as decoded from UTF-8 with
newlines left alone (no CRLF translation), i.e. Python string indices.  A leading BOM is dropped
from the text (as `abstraction.core.documents.Document` does) and the offsets are shifted to
match.  Every entity's recorded text is checked against the text; a document whose offsets do
not index its text is rejected (the two files are not a pair), never half-converted.

`_build_graph` reduces the annotation to entities (events become their triggers), coreference
clusters, assertions and MODIFY links.  Mapping the clusters to the schema is
`abstraction.evaluation.brat`; its docstring states the rules (coreference, assertion).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal

from abstraction.core.documents import safe_id
from abstraction.core.errors import UserError
from abstraction.evaluation.brat_time import time_links

Assertion = Literal["present", "absent", "uncertain"]

COREFERENCE_TYPE = "Coreference"
COREFERENCE_RELATIONS = frozenset({"IDENTICAL"})
COREFERENCE_EQUIVALENCES = frozenset({"equiv", "identical", "coreference"})


# ----------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class TextBound:
    """A ``T`` line: a typed span, possibly in several fragments (end exclusive)."""

    id: str
    type: str
    fragments: tuple[tuple[int, int], ...]
    text: str

    @property
    def start(self) -> int:
        return self.fragments[0][0]

    @property
    def end(self) -> int:
        return self.fragments[-1][1]

    @property
    def discontinuous(self) -> bool:
        return len(self.fragments) > 1


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    trigger: str
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Relation:
    id: str
    type: str
    arg1: str
    arg2: str


@dataclass(frozen=True)
class Attribute:
    id: str
    name: str
    target: str
    value: str | None


@dataclass(frozen=True)
class Equivalence:
    type: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Annotations:
    entities: dict[str, TextBound] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    equivalences: tuple[Equivalence, ...] = ()


@dataclass(frozen=True)
class BratDocument:
    id: str
    text: str
    annotations: Annotations
    path: str | None = None


def _parse_textbound(ident: str, fields: list[str], where: str) -> TextBound:
    if len(fields) < 3:
        raise UserError(f"{where}: entity line needs 'type offsets<TAB>text'")
    type_, _, offsets = fields[1].partition(" ")
    try:
        frags = tuple((int(a), int(b)) for a, b in (frag.split() for frag in offsets.split(";")))
    except ValueError as exc:
        raise UserError(f"{where}: bad offsets {offsets!r}") from exc
    if any(a > b for a, b in frags) or any(p[1] > q[0] for p, q in pairwise(frags)):
        raise UserError(f"{where}: offsets {offsets!r} are not ordered")
    return TextBound(ident, type_, frags, "\t".join(fields[2:]))


def _parse_event(ident: str, fields: list[str], where: str) -> Event:
    parts = fields[1].split()
    pairs = [p.split(":", 1) for p in parts]
    if not pairs or any(len(p) != 2 for p in pairs):
        raise UserError(f"{where}: event line needs 'Type:Trigger [Role:Arg ...]'")
    (type_, trigger), *args = pairs
    return Event(ident, type_, trigger, tuple((r, a) for r, a in args))


def _parse_relation(ident: str, fields: list[str], where: str) -> Relation:
    parts = fields[1].split()
    args = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    if len(parts) != 3 or set(args) != {"Arg1", "Arg2"}:
        raise UserError(f"{where}: relation line needs 'TYPE Arg1:X Arg2:Y'")
    return Relation(ident, parts[0], args["Arg1"], args["Arg2"])


def _parse_attribute(ident: str, fields: list[str], where: str) -> Attribute:
    parts = fields[1].split()
    if len(parts) not in (2, 3):
        raise UserError(f"{where}: attribute line needs 'Name Target [Value]'")
    return Attribute(ident, parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def parse_ann(content: str, *, source: str = "<ann>") -> Annotations:
    """Parse the text of a ``.ann`` file; malformed lines raise `UserError` naming the line."""
    entities: dict[str, TextBound] = {}
    events: dict[str, Event] = {}
    relations: list[Relation] = []
    attributes: list[Attribute] = []
    equivalences: list[Equivalence] = []
    for number, raw in enumerate(content.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        where = f"{source}:{number}"
        fields = line.split("\t")
        ident, kind = fields[0], fields[0][:1]
        if len(fields) < 2:
            raise UserError(f"{where}: expected tab-separated fields")
        if kind == "T":
            entities[ident] = _parse_textbound(ident, fields, where)
        elif kind == "E":
            events[ident] = _parse_event(ident, fields, where)
        elif kind == "R":
            relations.append(_parse_relation(ident, fields, where))
        elif kind in ("A", "M"):
            attributes.append(_parse_attribute(ident, fields, where))
        elif kind == "*":
            type_, *members = fields[1].split()
            equivalences.append(Equivalence(type_, tuple(members)))
        elif kind not in ("#", "N"):
            raise UserError(f"{where}: unknown annotation line {ident!r}")
    return Annotations(entities, events, tuple(relations), tuple(attributes), tuple(equivalences))


def _check_spans(text: str, ann: Annotations, *, source: str) -> None:
    """Reject a document whose entity texts are not what their offsets select."""
    for tb in ann.entities.values():
        if tb.end > len(text):
            raise UserError(f"{source}: {tb.id} ends at {tb.end}, past the text ({len(text)})")
        selected = " ".join(text[a:b] for a, b in tb.fragments)
        if selected != tb.text:
            raise UserError(
                f"{source}: {tb.id} offsets select {selected!r}, the annotation says "
                f"{tb.text!r}: the .txt is not the text that was annotated"
            )


def _shifted(ann: Annotations, delta: int) -> Annotations:
    entities = {
        k: replace(tb, fragments=tuple((a + delta, b + delta) for a, b in tb.fragments))
        for k, tb in ann.entities.items()
    }
    return replace(ann, entities=entities)


def read_brat_document(txt_path: Path) -> BratDocument:
    """Read ``ID.txt`` and its ``ID.ann``; offsets are checked against the text.

    The text is decoded as UTF-8 without newline translation (brat counts a CR as a character).
    A leading BOM is dropped, as `Document.from_path` does, and the offsets shifted by one.
    """
    ann_path = txt_path.with_suffix(".ann")
    try:
        text = txt_path.read_bytes().decode("utf-8")
        content = ann_path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except OSError as exc:
        raise UserError(f"{exc.filename}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{txt_path.stem}: not UTF-8 (byte {exc.start})") from exc
    ann = parse_ann(content, source=str(ann_path))
    if text.startswith("\ufeff"):
        text, ann = text[1:], _shifted(ann, -1)
    _check_spans(text, ann, source=str(ann_path))
    return BratDocument(safe_id(txt_path.stem), text, ann, str(txt_path))


def find_brat_documents(folder: Path) -> list[Path]:
    """The ``.txt`` files in `folder` that have a ``.ann`` next to them, sorted."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder (set the path or ABSTRACTION_MACCROBAT_DIR)")
    found = sorted(p for p in folder.glob("*.txt") if p.with_suffix(".ann").is_file())
    if not found:
        raise UserError(f"{folder}: no brat documents (ID.txt with ID.ann) found")
    return found


def assertion_of(attributes: Iterable[Attribute]) -> Assertion:
    """Uncertainty wins over negation (MAYBE_NEG is not a certain absence)."""
    values = {(a.name.lower(), (a.value or "").upper()) for a in attributes}
    if any(n == "modality" or v in {"UNCERTAIN", "MAYBE_NEG", "MAYBE_POS"} for n, v in values):
        return "uncertain"
    if any(n in {"polarity", "negation"} and v in {"NEG", ""} for n, v in values):
        return "absent"
    return "present"


# ----------------------------------------------------------------------------- graph


@dataclass(frozen=True)
class Cluster:
    """Mentions of one thing: `head` is the first mention that has a real type."""

    head: TextBound
    members: tuple[TextBound, ...]
    assertion: Assertion


@dataclass
class _Graph:
    """The annotation reduced to entities: events become their triggers."""

    text: str
    entities: dict[str, TextBound]
    clusters: list[Cluster]
    cluster_of: dict[str, Cluster]
    assertions: dict[str, Assertion]
    modifiers: dict[str, list[TextBound]]
    relations: list[tuple[str, str, str]]
    links: dict[str, set[str]] = field(default_factory=dict)
    """OVERLAP and MODIFY links, both ways (for times and durations)."""


def _resolve(ann: Annotations, ref: str) -> str:
    if ref in ann.events:
        ref = ann.events[ref].trigger
    if ref not in ann.entities:
        raise UserError(f"annotation refers to unknown id {ref!r}")
    return ref


def _coreference_groups(ann: Annotations) -> dict[str, str]:
    """Union-find over coreference links: entity id -> representative id."""
    parent = {k: k for k in ann.entities}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links = [(r.arg1, r.arg2) for r in ann.relations if r.type in COREFERENCE_RELATIONS]
    for eq in ann.equivalences:
        if eq.type.lower() in COREFERENCE_EQUIVALENCES:
            links += list(pairwise(eq.members))
    for a, b in links:
        parent[find(_resolve(ann, a))] = find(_resolve(ann, b))
    return {k: find(k) for k in ann.entities}


def _clusters(ann: Annotations, assertions: dict[str, Assertion]) -> list[Cluster]:
    """Coreference clusters with a typed head, in text order of their heads."""
    groups: dict[str, list[TextBound]] = {}
    for tid, rep in _coreference_groups(ann).items():
        groups.setdefault(rep, []).append(ann.entities[tid])
    clusters = []
    for members in groups.values():
        members.sort(key=lambda t: (t.start, t.end, t.id))
        typed = [t for t in members if t.type != COREFERENCE_TYPE]
        if typed:
            clusters.append(Cluster(typed[0], tuple(members), assertions[typed[0].id]))
    return sorted(clusters, key=lambda c: (c.head.start, c.head.end, c.head.id))


def _build_graph(doc: BratDocument) -> _Graph:
    ann = doc.annotations
    attrs: dict[str, list[Attribute]] = {}
    for a in ann.attributes:
        attrs.setdefault(_resolve(ann, a.target), []).append(a)
    assertions = {tid: assertion_of(attrs.get(tid, [])) for tid in ann.entities}
    clusters = _clusters(ann, assertions)
    relations = [(r.type, _resolve(ann, r.arg1), _resolve(ann, r.arg2)) for r in ann.relations]
    modifiers: dict[str, list[TextBound]] = {}
    for type_, a1, a2 in relations:
        if type_ == "MODIFY":
            modifiers.setdefault(a2, []).append(ann.entities[a1])
    groups = [
        [_resolve(ann, m) for m in eq.members]
        for eq in ann.equivalences
        if eq.type.upper() == "OVERLAP"
    ]
    return _Graph(
        links=time_links(relations, groups),
        text=doc.text,
        entities=dict(ann.entities),
        clusters=clusters,
        cluster_of={t.id: c for c in clusters for t in c.members},
        assertions=assertions,
        modifiers=modifiers,
        relations=relations,
    )
