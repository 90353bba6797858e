"""A hand-labelled record of the seed case report (seeds/000_8682481a1554b25b.txt).

Labelled by reading the text; offsets are found with `str.find` on the seed so they index the
same string a reader gets from the file.  Used until the suite's gold files are merged, and as a
realistic record for perturbation tests and the scoring benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abstraction.core.records import GoldRecord
from abstraction.core.schema import CaseReport

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_8682481a1554b25b.txt"
SEED_ID = "000_8682481a1554b25b"


def _ev(text: str, quote: str) -> dict[str, Any]:
    start = text.find(quote)
    assert start >= 0, quote
    return {
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "status": "exact",
        "method": "verbatim",
        "similarity": 100.0,
    }


def _fact(text: str, value: Any, quote: str, **extra: Any) -> dict[str, Any]:
    return {"value": value, **extra, "evidence": _ev(text, quote)}


def seed_record(text: str) -> CaseReport:
    t = text
    authors = [
        "Huibo  Li",
        "Jie  Liu",
        "Dan  Guo",
        "Yanqiu  Zhao",
        "Qi  Li",
        "Sen  Qi",
        "Jinxiao  Hou",
        "Zhang  Jian-ping",
        "Shengjin  Fan",
    ]
    keywords = [
        "Extramedullary relapse",
        "Acute Lymphoblastic Leukemia",
        "Chimeric antigen receptor T cell",
        "Unrelated cord blood transplantation",
        "PET/CT",
    ]
    title = (
        "Extramedullary Relapse of Acute Lymphoblastic Leukemia Treated with a CAR-T Cell "
        "Therapy Bridge to Unrelated Cord Blood Transplantation: A Case Report and Review of "
        "the Literature"
    )
    data = {
        "source": {
            "title": _fact(t, title, title),
            "journal": _fact(t, "Front. Oncol.", "Front. Oncol."),
            "year": _fact(t, 2025, "Volume 15 - 2025"),
            "doi": _fact(t, "10.3389/fonc.2025.1508676", "10.3389/fonc.2025.1508676"),
            "authors": [_fact(t, a, a) for a in authors],
            "keywords": [_fact(t, k, k) for k in keywords],
        },
        "patient": {
            "age": None,
            "age_group": _fact(t, "adult", "in adult B-ALL patients"),
            "sex": _fact(t, "female", "she went into remission"),
        },
        "diagnoses": [
            {
                "name": "B-cell acute lymphoblastic leukemia",
                "status": "principal",
                "details": "extramedullary relapse",
                "evidence": _ev(t, "we report a B-ALL patient with extramedullary relapse"),
            },
            {
                "name": "severe pneumonia",
                "status": "secondary",
                "details": None,
                "evidence": _ev(t, "eventually died of severe pneumonia"),
            },
        ],
        "findings": [
            {
                "name": "extramedullary relapse",
                "assertion": "present",
                "body_site": site,
                "evidence": _ev(t, quote),
            }
            for site, quote in [
                ("multiple lymph nodes", "multiple lymph nodes"),
                ("breast", "the breast, kidney, uterus and pancreas"),
            ]
        ]
        + [
            {
                "name": "tumor mass",
                "assertion": "uncertain",
                "body_site": None,
                "evidence": _ev(t, "an almost undetectable tumor mass"),
            },
        ],
        "disease_events": [
            {
                "event": "relapse",
                "type": "extramedullary",
                "body_sites": ["lymph nodes", "breast", "kidney", "uterus", "pancreas"],
                "time": None,
                "evidence": _ev(t, "extramedullary relapse involving several organs"),
            },
            {
                "event": "remission",
                "type": None,
                "body_sites": [],
                "time": "after CAR-T cell therapy",
                "evidence": _ev(t, "revealed that she went into remission"),
            },
            {
                "event": "remission",
                "type": "MRD-negative",
                "body_sites": [],
                "time": "after UCBT for 5 months",
                "evidence": _ev(t, "minimal residual disease (MRD)-negative remission after UCBT"),
            },
            {
                "event": "relapse",
                "type": None,
                "body_sites": [],
                "time": "6th month after UCBT",
                "evidence": _ev(t, "she relapsed at the 6th month after UCBT"),
            },
            {
                "event": "remission",
                "type": None,
                "body_sites": [],
                "time": "after interferon-α treatment for two weeks",
                "evidence": _ev(t, "achieved remission after subsequent interferon-α treatment"),
            },
        ],
        "treatments": [
            {
                "name": "CAR-T cell therapy",
                "category": "cellular_therapy",
                "target": None,
                "donor_type": None,
                "graft_source": None,
                "dose": None,
                "duration": None,
                "intent": "bridging",
                "time": "after extramedullary relapse",
                "evidence": _ev(t, "After treatment with CAR-T cell therapy"),
            },
            {
                "name": "unrelated cord blood transplantation",
                "category": "stem_cell_transplant",
                "target": None,
                "donor_type": "unrelated",
                "graft_source": "cord_blood",
                "dose": None,
                "duration": None,
                "intent": "consolidation",
                "time": None,
                "evidence": _ev(
                    t, "She subsequently received unrelated cord blood transplantation"
                ),
            },
            {
                "name": "interferon-α",
                "category": "immunotherapy",
                "target": None,
                "donor_type": None,
                "graft_source": None,
                "dose": None,
                "duration": "two weeks",
                "intent": "salvage",
                "time": "after relapse at the 6th month after UCBT",
                "evidence": _ev(t, "subsequent interferon-α treatment for two weeks"),
            },
        ],
        "assessments": [
            {
                "method": "PET/CT",
                "result": "remission with an almost undetectable tumor mass",
                "time": "after CAR-T cell therapy",
                "evidence": _ev(
                    t,
                    "positron emission tomography/computed tomography (PET/CT) "
                    "revealed that she went into remission",
                ),
            },
            {
                "method": "MRD",
                "result": "negative",
                "time": "after UCBT",
                "evidence": _ev(t, "minimal residual disease (MRD)-negative remission"),
            },
        ],
        "outcome": {
            "status": _fact(t, "died", "eventually died of severe pneumonia"),
            "cause_of_death": _fact(t, "severe pneumonia", "severe pneumonia"),
            "follow_up": None,
        },
        "timeline": [
            {
                "event": "extramedullary relapse of B-ALL",
                "time": None,
                "evidence": _ev(t, "a B-ALL patient with extramedullary relapse"),
            },
            {
                "event": "CAR-T cell therapy",
                "time": None,
                "evidence": _ev(t, "After treatment with CAR-T cell therapy"),
            },
            {
                "event": "unrelated cord blood transplantation",
                "time": None,
                "evidence": _ev(
                    t, "She subsequently received unrelated cord blood transplantation"
                ),
            },
            {
                "event": "MRD-negative remission",
                "time": "5 months after UCBT",
                "evidence": _ev(t, "MRD)-negative remission after UCBT for 5 months"),
            },
            {
                "event": "relapse",
                "time": "6th month after UCBT",
                "evidence": _ev(t, "she relapsed at the 6th month after UCBT"),
            },
            {
                "event": "interferon-α treatment",
                "time": "two weeks",
                "evidence": _ev(t, "interferon-α treatment for two weeks"),
            },
            {
                "event": "death from severe pneumonia",
                "time": None,
                "evidence": _ev(t, "eventually died of severe pneumonia"),
            },
        ],
    }
    return CaseReport.model_validate(data)


def seed_gold() -> GoldRecord:
    text = SEED.read_text(encoding="utf-8")
    return GoldRecord(
        document_id=SEED_ID,
        document_sha256=None,
        annotator="tests (evaluation)",
        annotated_fields=None,
        notes="hand-labelled from the abstract for scorer tests",
        record=seed_record(text),
    )
