"""Write gold/000_8682481a1554b25b.json from facts labelled by hand below.

The facts were decided by reading the seed text (an abstract with page furniture around it);
this script only computes character offsets for the quotes, so a quote that is not verbatim
fails loudly instead of being stored with guessed offsets.  Run: python scripts/make_seed_gold.py
"""

import json
from pathlib import Path

from abstraction.core.documents import sha256_text
from abstraction.core.records import GoldRecord

DOC = "000_8682481a1554b25b"
ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "seeds" / f"{DOC}.txt").read_text("utf-8")


def ev(quote: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(quote, start + 1)
    return {
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "status": "exact",
        "method": "verbatim",
        "similarity": 100.0,
        "page": None,
        "section": None,
        "note": None,
    }


def fact(value, quote: str, nth: int = 0) -> dict:
    return {"value": value, "evidence": ev(quote, nth)}


TITLE = (
    "Extramedullary Relapse of Acute Lymphoblastic Leukemia Treated with a CAR-T Cell Therapy "
    "Bridge to Unrelated Cord Blood Transplantation: A Case Report and Review of the Literature"
)
AUTHORS = [
    "Huibo Li",
    "Jie Liu",
    "Dan Guo",
    "Yanqiu Zhao",
    "Qi Li",
    "Sen Qi",
    "Jinxiao Hou",
    "Zhang Jian-ping",
    "Shengjin Fan",
]
KEYWORDS = [
    "Extramedullary relapse",
    "Acute Lymphoblastic Leukemia",
    "Chimeric antigen receptor T cell",
    "Unrelated cord blood transplantation",
    "PET/CT",
]
KW_LINE = TEXT.index("Keywords:")


def kw(k: str) -> dict:
    start = TEXT.index(k, KW_LINE)
    e = ev(k)
    e.update(start=start, end=start + len(k))
    return {"value": k, "evidence": e}


RELAPSE_1 = (
    "a B-ALL patient with extramedullary relapse involving several organs, including "
    "multiple lymph nodes and the breast, kidney, uterus and pancreas"
)
CART_PET = (
    "After treatment with CAR-T cell therapy, positron emission tomography/computed "
    "tomography (PET/CT) revealed that she went into remission, with an almost "
    "undetectable tumor mass"
)
UCBT = "She subsequently received unrelated cord blood transplantation (UCBT)"
MRD = "she achieved minimal residual disease (MRD)-negative remission after UCBT for 5 months"
RELAPSE_2 = "she relapsed at the 6th month after UCBT"
IFN = "This patient achieved remission after subsequent interferon-α treatment for two weeks"
DEATH = "eventually died of severe pneumonia"
CHEMO = "This case highlights the possibility of unusual relapse sites after chemotherapy"

record = {
    "source": {
        "title": fact(TITLE, TITLE),
        "journal": fact("Front. Oncol.", "Front. Oncol."),
        "year": fact(2025, "Volume 15 - 2025"),
        "doi": fact("10.3389/fonc.2025.1508676", "10.3389/fonc.2025.1508676"),
        "authors": [fact(a, a) for a in AUTHORS],
        "keywords": [kw(k) for k in KEYWORDS],
    },
    "patient": {
        "age": None,  # no age is stated anywhere in the text
        "age_group": fact("adult", "in adult B-ALL patients with extramedullary relapse"),
        "sex": fact("female", "she went into remission"),
    },
    "diagnoses": [
        {
            "name": "B-cell acute lymphoblastic leukemia",
            "status": "principal",
            "details": None,
            "evidence": ev("Here, we report a B-ALL patient"),
        },
        {"name": "severe pneumonia", "status": "secondary", "details": None, "evidence": ev(DEATH)},
    ],
    "findings": [],
    "disease_events": [
        {
            "event": "relapse",
            "type": "extramedullary",
            "body_sites": ["multiple lymph nodes", "breast", "kidney", "uterus", "pancreas"],
            "time": None,
            "evidence": ev(RELAPSE_1),
        },
        {
            "event": "remission",
            "type": None,
            "body_sites": [],
            "time": "After treatment with CAR-T cell therapy",
            "evidence": ev(CART_PET),
        },
        {
            "event": "remission",
            "type": "MRD-negative",
            "body_sites": [],
            "time": "after UCBT for 5 months",
            "evidence": ev(MRD),
        },
        {
            "event": "relapse",
            "type": None,
            "body_sites": [],
            "time": "at the 6th month after UCBT",
            "evidence": ev(RELAPSE_2),
        },
        {
            "event": "remission",
            "type": None,
            "body_sites": [],
            "time": "after subsequent interferon-α treatment for two weeks",
            "evidence": ev(IFN),
        },
    ],
    "treatments": [
        # "This case highlights ... relapse sites after chemotherapy": the patient relapsed after
        # chemotherapy (regimen not named).  The sentence before it about CAR-T followed by
        # allogeneic HSCT is general background, not this patient's treatment.
        {
            "name": "chemotherapy",
            "category": "chemotherapy",
            "target": None,
            "donor_type": None,
            "graft_source": None,
            "dose": None,
            "duration": None,
            "intent": None,
            "time": None,
            "evidence": ev(CHEMO),
        },
        {
            "name": "CAR-T cell therapy",
            "category": "cellular_therapy",
            "target": None,
            "donor_type": None,
            "graft_source": None,
            "dose": None,
            "duration": None,
            "intent": "bridging",
            "time": None,
            "evidence": ev("CAR-T Cell Therapy Bridge to Unrelated Cord Blood Transplantation"),
        },
        {
            "name": "unrelated cord blood transplantation",
            "category": "stem_cell_transplant",
            "target": None,
            "donor_type": "unrelated",
            "graft_source": "cord_blood",
            "dose": None,
            "duration": None,
            "intent": None,
            "time": None,
            "evidence": ev(UCBT),
        },
        {
            "name": "interferon-α",
            "category": "immunotherapy",
            "target": None,
            "donor_type": None,
            "graft_source": None,
            "dose": None,
            "duration": "two weeks",
            "intent": None,
            "time": None,
            "evidence": ev("subsequent interferon-α treatment for two weeks"),
        },
    ],
    "assessments": [
        {
            "method": "PET/CT",
            "result": "remission, with an almost undetectable tumor mass",
            "time": "After treatment with CAR-T cell therapy",
            "evidence": ev(CART_PET),
        },
        {
            "method": "minimal residual disease (MRD)",
            "result": "negative",
            "time": "after UCBT for 5 months",
            "evidence": ev(MRD),
        },
    ],
    "outcome": {
        "status": fact("died", DEATH),
        "cause_of_death": fact("severe pneumonia", DEATH),
        "follow_up": None,
    },
    "timeline": [
        {
            "event": "extramedullary relapse in lymph nodes, breast, kidney, uterus and pancreas",
            "time": None,
            "evidence": ev(RELAPSE_1),
        },
        {
            "event": "CAR-T cell therapy; remission on PET/CT",
            "time": "After treatment with CAR-T cell therapy",
            "evidence": ev(CART_PET),
        },
        {
            "event": "unrelated cord blood transplantation",
            "time": "subsequently",
            "evidence": ev(UCBT),
        },
        {"event": "MRD-negative remission", "time": "after UCBT for 5 months", "evidence": ev(MRD)},
        {"event": "relapse", "time": "at the 6th month after UCBT", "evidence": ev(RELAPSE_2)},
        {"event": "remission on interferon-α", "time": "for two weeks", "evidence": ev(IFN)},
        {"event": "death from severe pneumonia", "time": "eventually", "evidence": ev(DEATH)},
    ],
}

gold = GoldRecord(
    document_id=DOC,
    document_sha256=sha256_text(TEXT),
    annotator="lead engineer (labelled from the seed text alone; read twice)",
    annotated_fields=None,
    notes=(
        "Abstract-only page. Judgement calls: age is not stated (null); the CAR-T antigen target "
        "is not named (null); 'CAR-T ... followed by allogeneic hematopoietic stem cell "
        "transplantation is beneficial' is background, not a treatment; chemotherapy is labelled "
        "because the text says this case relapsed after chemotherapy; CAR-T intent 'bridging' "
        "comes from the title; age_group 'adult' from 'in adult B-ALL patients'; journal is "
        "printed as 'Front. Oncol.'."
    ),
    record=record,
)
out = ROOT / "gold" / f"{DOC}.json"
out.write_text(
    json.dumps(gold.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n", "utf-8"
)
print(f"wrote {out}")
