"""Score one predicted record against its gold record, field by field, driven by the schema.

How each field is compared comes from its `Score` annotation (see `abstraction.evaluation.plan`);
there are no per-field cases here.  The scorer works on plain dicts (``CaseReport.model_dump()``)
and never raises on bad model output: an unexpected value is scored as wrong, and an unexpected
failure inside the scorer marks the document ``scorer_error`` (scored zero, with the reason).

Counting, per field path (list indices dropped, e.g. ``treatments.dose``):

- *slot*: one gold value compared with one predicted value (a blank string counts as null).
  gold null, pred null -> TN (a correct "not reported"); gold null, pred value -> FP and a
  *hallucination*; gold value, pred null -> FN and an *omission*; both values, equal -> TP;
  both values, different -> FP + FN (*wrong*).
- lists of plain values (body sites) are matched one-to-one on equality: equal pairs are TP,
  left-over predictions FP (hallucinations), left-over gold values FN (omissions), and two empty
  lists one TN.
- lists of records (``treatments``): items are paired one-to-one on their key only
  (`abstraction.evaluation.pairing`): two items may pair only when their first key matches
  (clinical terms by `abstraction.core.terms`, enums exactly), further in-scope keys add
  weight, out-of-scope keys take no part.  The list's own row counts items: pairs TP, unpaired
  predictions FP (hallucinations), unpaired gold items FN (omissions), two empty lists one TN.
  The fields of paired items are then scored slot by slot; the fields of an unpaired gold item
  count as omissions (FN) and those of an unpaired predicted item as hallucinations (FP), each
  non-null value once; their nulls count nothing.
- clinical text is equal only as the same clinical term (`terms.py`, no threshold); time
  expressions when their canonical words are the same; bibliographic text (``source.*``) by
  the fuzzy rule of `normalize.text_equal`.
- partial gold markers: ``path=value`` scores a field as the detection of that value;
  ``path?`` scores it only where the gold states a value (see `make_scope`).
- order (``ordered=True`` lists): over all pairs of paired items, the share whose predicted order
  agrees with the gold order (concordant pairs / pairs; Kendall's tau is 2 x share - 1).  A gold
  with a partial order for the list (`GoldRecord.order`, e.g. MACCROBAT's BEFORE / AFTER) judges
  only its pairs [i, j] whose two gold items are both paired: concordant when the prediction
  lists i's partner before j's (pairwise order agreement over the gold-ordered pairs).
- a failed, schema-invalid or missing prediction: every non-null gold value is an omission and
  every gold item an unpaired gold item; gold nulls count nothing (no TN credit).
- grounding, per fact (a model with evidence: ``patient.age``, ``treatments``): a predicted fact
  and a gold fact are *paired* when both are non-null (single facts) or paired by the list
  matching.  A pair *overlaps* when both have offsets and the spans intersect (half-open), or,
  lacking offsets, when the normalised quotes share three consecutive words (or one quote holds
  the other); a prediction marked ``unsupported`` never overlaps.  Grounding precision =
  overlapping pairs / predicted facts; grounding recall = overlapping pairs / gold facts.  Gold
  facts with neither offsets nor a quote cannot be judged and are left out with their pair.

The count slots, result types and scope are in `abstraction.evaluation.counts`; per-slot scoring
in `abstraction.evaluation.slots`; evidence overlap in `abstraction.evaluation.overlap`.  This
module walks the record (models, lists of records) and holds the entry points.

Partial gold (`GoldRecord.annotated_fields`) and a suite's field list limit the paths scored: a
path is in scope when it equals a listed path or lies under one.  Figures (P/R/F1, rates, macro)
are derived from these counts in `abstraction.evaluation.results`.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from abstraction.core.denials import read_denied
from abstraction.core.terms import defined_abbreviations
from abstraction.evaluation.counts import (
    G_GOLD,
    G_PRED,
    GOLD_N,
    ORD_OK,
    ORD_PAIRS,
    PRED_N,
    TN,
    TP,
    DocResult,
    DocStatus,
    make_scope,
)
from abstraction.evaluation.overlap import _gradable, _ground_pair
from abstraction.evaluation.pairing import match_items, opposite_items
from abstraction.evaluation.plan import LeafPlan, ModelPlan, RecordsPlan, compile_plan
from abstraction.evaluation.slots import _EMPTY, _Acc, _bump, _equal, _leaf, _null, _tally


def _model(acc: _Acc, plan: ModelPlan, g: Any, p: Any, loc: str) -> None:
    """Score a model present (or null) on both sides, slot by slot."""
    g = g if isinstance(g, dict) else _EMPTY
    p = p if isinstance(p, dict) else _EMPTY
    score, visit = acc.score, acc.visit
    for name, node in plan.fields:
        gv = g.get(name)
        pv = p.get(name)
        if type(node) is LeafPlan:
            if score is None or node.path in score:
                _leaf(acc, node, acc.row(node.path), gv, pv, g, p, loc)
        elif visit is None or node.path in visit:
            if type(node) is ModelPlan:
                if node.evidence and (score is None or node.path in score):
                    _ground_single(acc, node, gv, pv)
                _model(acc, node, gv, pv, f"{loc}{name}." if acc.details else "")
            else:
                assert isinstance(node, RecordsPlan)
                gl = gv if isinstance(gv, list) else []
                pl = pv if isinstance(pv, list) else []
                _records(acc, node, gl, pl, f"{loc}{name}" if acc.details else "")


def _ground_single(acc: _Acc, node: ModelPlan, gv: Any, pv: Any) -> None:
    ev = node.evidence
    assert ev is not None
    g_has = isinstance(gv, dict)
    p_has = isinstance(pv, dict)
    if not g_has and not p_has:
        return
    r = acc.row(node.path)
    if g_has and p_has:
        _ground_pair(r, gv.get(ev), pv.get(ev))
    elif g_has:
        if _gradable(gv.get(ev)):
            r[G_GOLD] += 1
    else:
        r[G_PRED] += 1


def _records(acc: _Acc, rp: RecordsPlan, gl: list[Any], pl: list[Any], loc: str) -> None:
    gl = _read_denials(acc, rp, [x for x in gl if isinstance(x, dict)])
    pl = _read_denials(acc, rp, [x for x in pl if isinstance(x, dict)])
    pairs = match_items(acc, rp, gl, pl, _equal) if gl and pl else []
    in_scope = acc.score is None or rp.path in acc.score
    if in_scope:
        _count_items(acc, rp, gl, pl, pairs, loc)
    elif rp.path in acc.order and acc.order_scope is not None and rp.path in acc.order_scope:
        # a gold's partial order of a list whose items are paired on a scored key: the order is
        # scored although the list's own row is not (a gold without one: no order, as before)
        _count_order(acc, rp, pairs)
    ev = rp.item.evidence if in_scope else None
    r = acc.row(rp.path) if ev else None
    used_g = {gi for gi, _, _ in pairs}
    used_p = {pj for _, pj, _ in pairs}
    flat = rp.item.flat
    active: list[tuple[str, LeafPlan, list[int], bool]] = []
    if flat is not None and pairs:  # items of plain fields (every list in the schema)
        score = acc.score
        active = [
            (lf.name, lf, acc.row(lf.path), lf.many or lf.score.unit is not None)
            if lf.path not in acc.binary and lf.path not in acc.stated
            else (lf.name, lf, acc.row(lf.path), True)
            for lf in flat
            if score is None or lf.path in score
        ]
    details = acc.details
    values = _getter([a[0] for a in active])
    for gi, pj, _ in pairs:
        g, p = gl[gi], pl[pj]
        if r is not None:
            _ground_pair(r, g.get(ev), p.get(ev))
        if flat is None:
            _model(acc, rp.item, g, p, f"{loc}[gold {gi}, pred {pj}]." if details else "")
            continue
        for (_, lf, row, slow), gv, pv in zip(active, values(g), values(p), strict=True):
            if gv is None and pv is None:
                row[TN] += 1  # the common case: both "not reported"
            elif not slow and gv == pv and (type(gv) is not str or not gv.isspace()) and gv != "":
                row[TP] += 1  # identical non-blank values are equal under every kind
                row[PRED_N] += 1
                row[GOLD_N] += 1
            else:
                sub = f"{loc}[gold {gi}, pred {pj}]." if details else ""
                _leaf(acc, lf, row, gv, pv, g, p, sub)
    if acc.details and rp.polarity is not None and len(used_g) < len(gl) > 0 < len(pl):
        for gi, pj in opposite_items(acc, rp, gl, pl, _equal, used_g, used_p):
            name, side = rp.key[0].name, rp.polarity.name
            acc.error(
                f"{loc}[gold {gi}, pred {pj}].{side}",
                "wrong",
                f"{gl[gi].get(name)}: {gl[gi].get(side)}",
                f"{pl[pj].get(name)}: {pl[pj].get(side)}",
                "opposite facts, not paired: counted as an omission and a hallucination",
            )
    for gi, item in enumerate(gl):
        if gi not in used_g:
            if r is not None and _gradable(item.get(ev)):
                r[G_GOLD] += 1
            _one_sided(acc, rp.item, item, gold=True)
    for pj, item in enumerate(pl):
        if pj not in used_p:
            if r is not None:
                r[G_PRED] += 1
            _one_sided(acc, rp.item, item, gold=False)


def _read_denials(acc: _Acc, rp: RecordsPlan, items: list[Any]) -> list[Any]:
    """Findings named by a word that denies another finding read as that finding, absent:
    "afebrile", present is "fever", absent, and "no fever" is "fever", absent
    (`abstraction.core.denials`), so a record that writes the word and one that writes the
    finding state the same fact, on both sides alike.  Only the findings list (key vocabulary
    "findings"), and only where its assertion is scored: a name alone rewritten would pair
    "afebrile" with "fever, present"."""
    polarity = rp.polarity
    if polarity is None or not rp.key or rp.key[0].score.synonyms != "findings":
        return items
    if acc.score is not None and polarity.path not in acc.score:
        return items
    name, side = rp.key[0].name, polarity.name
    out = []
    for x in items:
        read = read_denied(x.get(name), x.get(side))
        out.append(x if read is None else {**x, name: read[0], side: read[1]})
    return out


def _getter(names: list[str]) -> Any:
    """A function returning the values of `names` from a dict as a tuple (None when missing).

    `operator.itemgetter` fetches them in one C call; a dict lacking a key (output that was
    never validated) falls back to `.get`, so a missing field reads as null, never an error.
    """
    if not names:
        return lambda d: ()
    fetch = itemgetter(*names)
    single = len(names) == 1

    def values(d: dict[str, Any]) -> tuple[Any, ...]:
        try:
            got = fetch(d)
        except KeyError:
            return tuple(d.get(n) for n in names)
        return (got,) if single else got

    return values


def _count_items(
    acc: _Acc,
    rp: RecordsPlan,
    gl: list[dict[str, Any]],
    pl: list[dict[str, Any]],
    pairs: list[tuple[int, int, float]],
    loc: str,
) -> None:
    r = acc.row(rp.path)
    n = len(pairs)
    _tally(r, n, len(pl), len(gl))
    if not gl and not pl:
        r[TN] += 1
    if rp.ordered:
        _count_order(acc, rp, pairs)
    if acc.details:
        _item_details(acc, rp, gl, pl, pairs, loc)


def _count_order(acc: _Acc, rp: RecordsPlan, pairs: list[tuple[int, int, float]]) -> None:
    if len(pairs) < 2:
        return
    before = acc.order.get(rp.path)
    ok, total = _order(pairs) if before is None else _partial_order(pairs, before)
    if total:
        r = acc.row(rp.path)
        r[ORD_OK] += ok
        r[ORD_PAIRS] += total


def _item_details(
    acc: _Acc,
    rp: RecordsPlan,
    gl: list[dict[str, Any]],
    pl: list[dict[str, Any]],
    pairs: list[tuple[int, int, float]],
    loc: str,
) -> None:
    append = acc.matches.append
    if len(rp.key) == 1:
        name = rp.key[0].name
        for gi, pj, sim in pairs:
            gk, pk = gl[gi].get(name), pl[pj].get(name)
            append(
                {
                    "path": loc,
                    "gold_index": gi,
                    "pred_index": pj,
                    "similarity": round(sim, 1),
                    "gold_key": gk if type(gk) is str else str(gk),
                    "pred_key": pk if type(pk) is str else str(pk),
                }
            )
    else:
        for gi, pj, sim in pairs:
            append(
                {
                    "path": loc,
                    "gold_index": gi,
                    "pred_index": pj,
                    "similarity": round(sim, 1),
                    "gold_key": _key_text(rp, gl[gi]),
                    "pred_key": _key_text(rp, pl[pj]),
                }
            )
    if len(pairs) == len(gl) == len(pl):
        return
    paired_g = {gi for gi, _, _ in pairs}
    paired_p = {pj for _, pj, _ in pairs}
    for gi, item in enumerate(gl):
        if gi not in paired_g:
            acc.error(f"{loc}[gold {gi}]", "omission", _key_text(rp, item), None, "unpaired item")
    for pj, item in enumerate(pl):
        if pj not in paired_p:
            acc.error(
                f"{loc}[pred {pj}]", "hallucination", None, _key_text(rp, item), "unpaired item"
            )


def _key_text(rp: RecordsPlan, item: dict[str, Any]) -> str:
    if len(rp.key) == 1:
        v = item.get(rp.key[0].name)
        return v if type(v) is str else ("null" if v is None else str(v))
    return " / ".join([str(item.get(k.name)) for k in rp.key])


def _order(pairs: list[tuple[int, int, float]]) -> tuple[int, int]:
    """Concordant pairs and all pairs of paired items (gold order vs predicted order)."""
    pred = [pj for _, pj, _ in sorted(pairs)]
    k = len(pred)
    if k <= 12:
        ok = sum(pred[i] < pred[j] for i in range(k) for j in range(i + 1, k))
    else:
        a = np.array(pred)
        ok = int(np.triu(a[None, :] > a[:, None], 1).sum())
    return ok, k * (k - 1) // 2


def _partial_order(
    pairs: list[tuple[int, int, float]], before: Sequence[Sequence[int]]
) -> tuple[int, int]:
    """Concordant pairs and judged pairs under a partial gold order: of the gold pairs [i, j]
    (item i before item j) whose two items are both paired, those the prediction lists in that
    order."""
    to_pred = {gi: pj for gi, pj, _ in pairs}
    ok = total = 0
    for i, j in before:
        a, b = to_pred.get(i), to_pred.get(j)
        if a is not None and b is not None:
            total += 1
            ok += a < b
    return ok, total


def _one_sided(acc: _Acc, plan: ModelPlan, value: Any, *, gold: bool) -> None:
    """Count every non-null value under `plan` as an omission (gold) or hallucination (pred)."""
    v = value if isinstance(value, dict) else _EMPTY
    score, visit = acc.score, acc.visit
    for name, node in plan.fields:
        x = v.get(name)
        if type(node) is LeafPlan:
            if score is not None and node.path not in score:
                continue
            n = len([y for y in x if not _null(y)]) if isinstance(x, list) else int(not _null(x))
            if node.path in acc.binary:  # only the detected value counts
                n = int(x == acc.binary[node.path])
            elif not gold and node.path in acc.stated:
                n = 0  # a predicted value where the gold states none is not counted
            if n:
                _bump(acc.row(node.path), n, gold=gold)
        elif visit is not None and node.path not in visit:
            continue
        elif type(node) is ModelPlan:
            if isinstance(x, dict):
                if node.evidence and (score is None or node.path in score):
                    _bump_ground(acc.row(node.path), x.get(node.evidence), gold=gold)
                _one_sided(acc, node, x, gold=gold)
        else:
            assert isinstance(node, RecordsPlan)
            items = [y for y in x if isinstance(y, dict)] if isinstance(x, list) else []
            if not items:
                continue
            if score is None or node.path in score:
                _bump(acc.row(node.path), len(items), gold=gold)
                if node.item.evidence:
                    for y in items:
                        _bump_ground(acc.row(node.path), y.get(node.item.evidence), gold=gold)
            for y in items:
                _one_sided(acc, node.item, y, gold=gold)


def _bump_ground(r: list[int], ev: Any, *, gold: bool) -> None:
    if gold:
        if _gradable(ev):
            r[G_GOLD] += 1
    else:
        r[G_PRED] += 1


# --- entry points -----------------------------------------------------------------------------


def score_document(
    doc_id: str,
    gold: dict[str, Any],
    pred: dict[str, Any] | None,
    *,
    status: DocStatus = "ok",
    error: str | None = None,
    annotated: tuple[str, ...] | None = None,
    fields: tuple[str, ...] | None = None,
    details: bool = True,
    text: str | None = None,
    order: Mapping[str, Sequence[Sequence[int]]] | None = None,
    polar: bool = True,
) -> DocResult:
    """Score one prediction (a `CaseReport` dict, or None when it failed) against gold.

    `status` other than ``ok`` (failed, invalid, missing) or a None `pred` scores the document
    as all gold omitted.  Never raises: a scorer failure is reported as ``scorer_error``.
    Abbreviations the document defines ("unrelated cord blood transplantation (UCBT)") are read
    from `text` when given, and from the gold's evidence quotes.  With `polar` off, items of
    opposite polarity pair as any others (two annotators' records: the agreement on an
    assertion is read on them).
    """
    plan = compile_plan()
    scope = make_scope(annotated, fields)
    if pred is None and status == "ok":
        status, error = "invalid", error or "the prediction has no record"
    try:
        acc = _Acc(scope, details, _abbreviations(gold, text), order, polar)
        if status == "ok":
            _model(acc, plan, gold, pred, "")
        else:
            _one_sided(acc, plan, gold, gold=True)
    except Exception as exc:  # the scorer must not take a whole run down; say what happened
        acc = _Acc(scope, details)
        _one_sided(acc, plan, gold, gold=True)
        status, error = "scorer_error", f"{type(exc).__name__}: {exc}"
    return DocResult(doc_id, status, error, acc.counts, acc.matches, acc.errors)


def _abbreviations(gold: dict[str, Any], text: str | None) -> dict[str, str]:
    found = defined_abbreviations(text) if text else {}
    quotes = [q for q in _quotes(gold) if "(" in q]
    if quotes:
        for k, v in defined_abbreviations("\n".join(quotes)).items():
            found.setdefault(k, v)
    return found


def _quotes(record: dict[str, Any]) -> list[str]:
    """The evidence quotes of a record dict: its facts and list items (two levels deep)."""
    items: list[Any] = []
    for section in record.values():
        if isinstance(section, list):
            items.extend(section)
        elif isinstance(section, dict):
            for v in section.values():
                if isinstance(v, dict):
                    items.append(v)
                elif isinstance(v, list):
                    items.extend(v)
    out = []
    for item in items:
        ev = item.get("evidence") if isinstance(item, dict) else None
        if isinstance(ev, dict) and isinstance(ev.get("quote"), str):
            out.append(ev["quote"])
    return out


@dataclass(frozen=True)
class ScoreTask:
    """One document to score (the arguments of `score_document`)."""

    doc_id: str
    gold: dict[str, Any]
    pred: dict[str, Any] | None
    status: DocStatus = "ok"
    error: str | None = None
    annotated: tuple[str, ...] | None = None
    fields: tuple[str, ...] | None = None
    text: str | None = None
    order: Mapping[str, Sequence[Sequence[int]]] | None = None
    polar: bool = True


_TASKS: Sequence[ScoreTask] = ()
"""The batch a forked worker scores from (inherited at fork, so inputs are never pickled)."""


def _score_range(bounds: tuple[int, int], details: bool) -> list[DocResult]:
    return [_score_task(t, details) for t in _TASKS[bounds[0] : bounds[1]]]


def _score_task(t: ScoreTask, details: bool) -> DocResult:
    return score_document(
        t.doc_id,
        t.gold,
        t.pred,
        status=t.status,
        error=t.error,
        annotated=t.annotated,
        fields=t.fields,
        details=details,
        text=t.text,
        order=t.order,
        polar=t.polar,
    )


def score_many(
    tasks: Sequence[ScoreTask], *, details: bool = True, workers: int = 1
) -> list[DocResult]:
    """Score a batch, in order; with `workers` > 1, in forked processes.

    Documents are independent, so a batch splits into contiguous chunks, one per worker task.
    Workers inherit the inputs at fork and only the (smaller) results travel back.  Where fork
    is unavailable, or the batch is small, it runs in this process.
    """
    global _TASKS
    if workers <= 1 or len(tasks) < 8 * workers or "fork" not in mp.get_all_start_methods():
        return [_score_task(t, details) for t in tasks]
    step = -(-len(tasks) // (workers * 4))
    bounds = [(i, min(i + step, len(tasks))) for i in range(0, len(tasks), step)]
    _TASKS = tasks
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_score_range, [(b, details) for b in bounds])
    finally:
        _TASKS = ()
    return [r for part in parts for r in part]
