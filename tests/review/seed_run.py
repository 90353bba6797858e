"""Hand-built run folders for the review tests, the benchmark and the screenshot.

These records are NOT model output.  They were written by reading the seed text, with a few
deliberate defects a reviewer must catch (a treatment the text never mentions, a misspelt quote
that only grounds fuzzily, a wrong duration); the provenance says so (`model` is
``hand-built-test-record``).  Offsets come from the real grounding code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from abstraction.core.documents import Document
from abstraction.core.records import DocumentInfo, Extraction, Provenance, Usage
from abstraction.core.schema import CaseReport
from abstraction.grounding import ground_record

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_8682481a1554b25b.txt"
SEED_ID = "000_8682481a1554b25b"
FIXTURE_MODEL = "hand-built-test-record"


def fact(value: Any, quote: str, **more: Any) -> dict[str, Any]:
    return {"value": value, **more, "evidence": {"quote": quote}}


def seed_record() -> dict[str, Any]:
    """The seed case, labelled by reading it, plus three planted errors (see module doc)."""
    title = (
        "Extramedullary Relapse of Acute Lymphoblastic Leukemia Treated with a CAR-T Cell "
        "Therapy Bridge to Unrelated Cord Blood Transplantation: A Case Report and Review "
        "of the Literature"
    )
    treatment = {
        "target": None,
        "donor_type": None,
        "graft_source": None,
        "dose": None,
        "duration": None,
        "intent": None,
        "time": None,
    }
    return {
        "source": {
            "title": fact(title, title),
            "journal": fact("Front. Oncol.", "Front. Oncol."),
            "year": fact(2025, "Volume 15 - 2025"),
            "doi": fact("10.3389/fonc.2025.1508676", "doi: 10.3389/fonc.2025.1508676"),
            "authors": [fact("Huibo Li", "Huibo  Li"), fact("Shengjin Fan", "Shengjin  Fan")],
            "keywords": [
                fact("Extramedullary relapse", "Extramedullary relapse"),
                fact("PET/CT", "PET/CT"),
            ],
        },
        "patient": {
            "age": None,
            "age_group": fact("adult", "adult B-ALL patients with extramedullary relapse"),
            "sex": fact("female", "revealed that she went into remission"),
        },
        "diagnoses": [
            {
                "name": "B cell acute lymphoblastic leukemia",
                "status": "principal",
                "details": "extramedullary relapse",
                "evidence": {"quote": "a B-ALL patient with extramedullary relapse"},
            }
        ],
        "findings": [],
        "disease_events": [
            {
                "event": "relapse",
                "type": "extramedullary",
                "body_sites": ["lymph nodes", "breast", "kidney", "uterus", "pancreas"],
                "time": None,
                "evidence": {
                    "quote": "including multiple lymph nodes and the breast, kidney, uterus and "
                    "pancreas"
                },
            },
            {
                "event": "remission",
                "type": None,
                "body_sites": [],
                "time": None,
                # planted: misspelt quote, grounds only fuzzily
                "evidence": {
                    "quote": "PET/CT revealed that she went into remision, with an almost "
                    "undetectable tumour mass"
                },
            },
        ],
        "treatments": [
            {
                **treatment,
                "name": "CAR-T cell therapy",
                "category": "cellular_therapy",
                "evidence": {"quote": "After treatment with CAR-T cell therapy"},
            },
            {
                **treatment,
                "name": "unrelated cord blood transplantation",
                "category": "stem_cell_transplant",
                "donor_type": "unrelated",
                "graft_source": "cord_blood",
                "evidence": {
                    "quote": "She subsequently received unrelated cord blood transplantation (UCBT)"
                },
            },
            # planted: never mentioned in the text
            {
                **treatment,
                "name": "rituximab",
                "category": "immunotherapy",
                "target": "CD20",
                "dose": "375 mg/m2",
                "evidence": {"quote": "rituximab 375 mg/m2 weekly"},
            },
            # planted: wrong duration (the text says two weeks)
            {
                **treatment,
                "name": "interferon-α",
                "category": "immunotherapy",
                "duration": "two months",
                "evidence": {"quote": "interferon-α treatment for two weeks"},
            },
        ],
        "assessments": [],
        "outcome": {
            "status": fact("died", "eventually died of severe pneumonia"),
            "cause_of_death": fact("severe pneumonia", "died of severe pneumonia"),
            "follow_up": None,
        },
        "timeline": [],
    }


def extraction_for(
    doc: Document, record: dict[str, Any], *, prompt: str = "fixture-1"
) -> Extraction:
    """Ground `record` against `doc` with the real grounding code and wrap it as an Extraction."""
    grounded, summary = ground_record(CaseReport.model_validate(record), doc.text)
    return Extraction(
        document=DocumentInfo(id=doc.id, path=doc.path, sha256=doc.sha256, chars=len(doc.text)),
        status="ok",
        record=grounded,
        error=None,
        grounding=summary,
        provenance=Provenance(
            toolkit_version="test",
            prompt_version=prompt,
            prompt_sha256="0" * 64,
            model=FIXTURE_MODEL,
            endpoint="none",
            structured_output="none",
            settings={},
            document_sha256=doc.sha256,
            started_at="2025-01-01T00:00:00+00:00",
            finished_at="2025-01-01T00:00:00+00:00",
            timings={},
            usage=Usage(),
            passes=[],
        ),
    )


def write_extraction(run: Path, extraction: Extraction) -> Path:
    run.mkdir(parents=True, exist_ok=True)
    path = run / f"{extraction.document.id}.json"
    path.write_text(extraction.model_dump_json(indent=2), encoding="utf-8")
    return path


HOSTILE_TEXT = (
    "Case 🧬 report 𝛂-thalassaemia.\n"
    "The patient wrote <script>alert(1)</script> in the form and "
    '<img src=x onerror="alert(2)"> too.\n'
    "A 45-year-old man had fever for 3 days. He recovered.\n"
)


def hostile_record() -> dict[str, Any]:
    """A record whose values and quotes carry markup and astral-plane characters."""
    rec = seed_record()
    rec["source"] = {k: ([] if isinstance(v, list) else None) for k, v in rec["source"].items()}
    rec["source"]["title"] = fact("<script>alert(1)</script>", "<script>alert(1)</script>")
    rec["patient"] = {
        "age": fact(45, "A 45-year-old man", unit="years"),
        "age_group": None,
        "sex": fact("male", "45-year-old man"),
    }
    rec["findings"] = [
        {
            "name": '<img src=x onerror="alert(2)">',
            "assertion": "present",
            "body_site": None,
            "evidence": {"quote": '<img src=x onerror="alert(2)">'},
        },
        {
            "name": "fever",
            "assertion": "present",
            "body_site": None,
            "evidence": {"quote": "had fever for 3 days"},
        },
    ]
    rec["diagnoses"] = [
        {
            "name": "𝛂-thalassaemia",
            "status": "principal",
            "details": None,
            "evidence": {"quote": "𝛂-thalassaemia"},
        }
    ]
    rec["disease_events"], rec["treatments"] = [], []
    rec["outcome"] = {
        "status": fact("alive", "He recovered"),
        "cause_of_death": None,
        "follow_up": None,
    }
    return rec


def make_seed_run(root: Path, *, hostile: bool = True) -> Path:
    """A run folder with the seed record (and, by default, the hostile document).

    Sources are copied under ``<root>/sources`` and recorded by absolute path, as
    `abstraction extract` would record them.
    """
    run = root / "run"
    sources = root / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    seed_copy = sources / SEED.name
    seed_copy.write_bytes(SEED.read_bytes())
    write_extraction(run, extraction_for(Document.from_path(seed_copy), seed_record()))
    if hostile:
        path = sources / "hostile.txt"
        path.write_text(HOSTILE_TEXT, encoding="utf-8")
        write_extraction(run, extraction_for(Document.from_path(path), hostile_record()))
    (run / "manifest.json").write_text(json.dumps({"kind": "run", "documents": 2}))
    return run
