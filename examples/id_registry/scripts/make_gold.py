# ruff: noqa: E501  (the quotes are verbatim sentences of the texts, kept on one line)
"""Write the example's gold files from the hand-written facts below.

The facts were decided before the texts were written, and each quote was chosen by reading the
text; this script only adds what is mechanical: the quote's offsets (it must occur exactly once
in the text, else it stops), the document hash, and the file layout.  Run from the repository
root: ``python -m examples.id_registry.scripts.make_gold``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abstraction.core.documents import Document
from abstraction.core.schemas import gold_type, resolve_schema

HERE = Path(__file__).resolve().parents[1]
SCHEMA = "examples.id_registry.schema:IdRegistry"
ANNOTATOR = "schema example (fictional case written from pre-decided facts; labelled by hand)"


def fact(quote: str, **values: Any) -> dict[str, Any]:
    return {**values, "evidence": quote}


GOLD: dict[str, tuple[dict[str, Any], str]] = {
    "id01_septic_knee": (
        {
            "patient": {
                "age": fact("A 67-year-old man", value=67, unit="years"),
                "sex": fact("A 67-year-old man", value="male"),
            },
            "infection_site": fact(
                "septic arthritis of the right knee joint", value="right knee joint"
            ),
            "pathogens": [
                fact(
                    "culture of the synovial fluid grew methicillin-susceptible Staphylococcus aureus",
                    organism="methicillin-susceptible Staphylococcus aureus",
                    specimen="synovial fluid",
                    method="culture",
                )
            ],
            "antimicrobials": [
                fact(
                    "Intravenous cefazolin 2 g every 8 hours was started after the aspiration and continued for 2 weeks",
                    drug="cefazolin",
                    dose="2 g every 8 hours",
                    route="intravenous",
                    duration="2 weeks",
                ),
                fact(
                    "oral cefalexin 1 g four times daily for a further 4 weeks",
                    drug="cefalexin",
                    dose="1 g four times daily",
                    route="oral",
                    duration="4 weeks",
                ),
            ],
            "source_control": [
                fact(
                    "On the day of admission he underwent arthroscopic washout of the right knee",
                    procedure="arthroscopic washout",
                    time="On the day of admission",
                )
            ],
            "outcome": fact("At review three months later he was well", value="alive"),
        },
        "Traps: the gram-positive cocci of the Gram stain are the same organism, not a second "
        "pathogen; negative blood cultures are not a pathogen; metformin is not an antimicrobial.",
    ),
    "id02_liver_abscess": (
        {
            "patient": {
                "age": fact("A 54-year-old woman", value=54, unit="years"),
                "sex": fact("A 54-year-old woman", value="female"),
            },
            "infection_site": fact(
                "abscess in the right lobe of the liver", value="right lobe of the liver"
            ),
            "pathogens": [
                fact(
                    "Blood cultures taken on admission grew Klebsiella pneumoniae",
                    organism="Klebsiella pneumoniae",
                    specimen="blood",
                    method="culture",
                )
            ],
            "antimicrobials": [
                fact(
                    "Intravenous ceftriaxone 2 g once daily was started on admission",
                    drug="ceftriaxone",
                    dose="2 g once daily",
                    route="intravenous",
                    duration="3 weeks",
                ),
                fact(
                    "oral ciprofloxacin 500 mg twice daily for 3 weeks",
                    drug="ciprofloxacin",
                    dose="500 mg twice daily",
                    route="oral",
                    duration="3 weeks",
                ),
            ],
            "source_control": [
                fact(
                    "On the second hospital day she underwent CT-guided percutaneous drainage of the abscess",
                    procedure="CT-guided percutaneous drainage",
                    time="On the second hospital day",
                )
            ],
            "outcome": fact("was alive and well at follow-up", value="alive"),
        },
        "Traps: Entamoeba histolytica was tested for and not found (serology negative), so it is "
        "not a pathogen; ceftriaxone's duration ('3 weeks in total') is stated apart from its "
        "dose, and the evidence quote is the sentence that starts it.",
    ),
    "id03_listeria_meningitis": (
        {
            "patient": {
                "age": fact("A 78-year-old woman", value=78, unit="years"),
                "sex": fact("A 78-year-old woman", value="female"),
            },
            "infection_site": fact("bacterial meningitis", value="meninges"),
            "pathogens": [
                fact(
                    "A multiplex PCR of the cerebrospinal fluid detected Listeria monocytogenes",
                    organism="Listeria monocytogenes",
                    specimen="cerebrospinal fluid",
                    method="pcr",
                )
            ],
            "antimicrobials": [
                fact(
                    "intravenous ceftriaxone 2 g twice daily",
                    drug="ceftriaxone",
                    dose="2 g twice daily",
                    route="intravenous",
                    duration=None,
                ),
                fact(
                    "intravenous vancomycin 15 mg/kg every 12 hours",
                    drug="vancomycin",
                    dose="15 mg/kg every 12 hours",
                    route="intravenous",
                    duration=None,
                ),
                fact(
                    "intravenous ampicillin 2 g every 4 hours",
                    drug="ampicillin",
                    dose="2 g every 4 hours",
                    route="intravenous",
                    duration=None,
                ),
            ],
            "source_control": [],
            "outcome": fact("She died on day 9 of her admission", value="died"),
        },
        "Traps: the Gram stain showed no organisms and blood cultures were sterile (no second "
        "pathogen); dexamethasone was not given, and prednisolone is not an antimicrobial; "
        "there is no source-control procedure.  Conventions: infection_site is the organ the "
        "diagnosis names ('meningitis': the meninges).",
    ),
}


def ground(node: Any, text: str) -> Any:
    """Replace each quote string by its evidence object with offsets (exactly one occurrence)."""
    if isinstance(node, dict):
        out = {k: ground(v, text) for k, v in node.items() if k != "evidence"}
        if "evidence" in node:
            quote = node["evidence"]
            start = text.find(quote)
            if start < 0 or text.find(quote, start + 1) >= 0:
                raise SystemExit(f"quote not found exactly once: {quote!r}")
            out["evidence"] = {
                "quote": quote,
                "start": start,
                "end": start + len(quote),
                "status": "exact",
                "method": "verbatim",
                "similarity": 100.0,
            }
        return out
    if isinstance(node, list):
        return [ground(v, text) for v in node]
    return node


def main() -> None:
    model = gold_type(resolve_schema(SCHEMA))
    for doc_id, (record, notes) in GOLD.items():
        doc = Document.from_path(HERE / "texts" / f"{doc_id}.txt")
        gold = model.model_validate(
            {
                "schema": SCHEMA,
                "document_id": doc.id,
                "document_sha256": doc.sha256,
                "annotator": ANNOTATOR,
                "annotated_fields": None,
                "notes": notes,
                "record": ground(record, doc.text),
            }
        )
        path = HERE / "gold" / f"{doc_id}.json"
        path.write_text(gold.model_dump_json(indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
