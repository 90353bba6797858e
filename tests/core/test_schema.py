import json

import pytest
from pydantic import ValidationError

from abstraction.core.jsonschema_export import json_schema_text, validate_data, validate_file
from abstraction.core.records import GoldRecord
from abstraction.core.schema import CaseReport, Evidence, Patient, empty_case_report, iter_evidence


def test_extra_keys_are_forbidden():
    data = empty_case_report().model_dump()
    data["patient"]["height"] = "170 cm"
    with pytest.raises(ValidationError, match="height"):
        CaseReport.model_validate(data)


def test_not_reported_is_an_explicit_null_not_a_missing_key():
    with pytest.raises(ValidationError, match="age"):
        Patient.model_validate({"age_group": None, "sex": None})
    assert Patient.model_validate({"age": None, "age_group": None, "sex": None}).age is None


def test_enums_reject_unknown_values():
    data = empty_case_report().model_dump()
    data["patient"]["sex"] = {"value": "F", "evidence": "she"}
    with pytest.raises(ValidationError):
        CaseReport.model_validate(data)


def test_evidence_accepts_a_bare_quote_from_the_model():
    ev = Evidence.model_validate("she relapsed")
    assert ev.quote == "she relapsed" and ev.start is None and ev.status is None


def test_iter_evidence_walks_every_fact_in_schema_order():
    data = empty_case_report().model_dump()
    data["patient"]["sex"] = {"value": "female", "evidence": "she"}
    data["treatments"] = [
        {
            "name": n,
            "category": "other",
            "target": None,
            "donor_type": None,
            "graft_source": None,
            "dose": None,
            "duration": None,
            "intent": None,
            "time": None,
            "evidence": q,
        }
        for n, q in (("a", "qa"), ("b", "qb"))
    ]
    paths = [(p, e.quote) for p, e in iter_evidence(CaseReport.model_validate(data))]
    assert paths == [("patient.sex", "she"), ("treatments[0]", "qa"), ("treatments[1]", "qb")]


@pytest.mark.parametrize("kind", ["extraction", "gold", "record"])
def test_committed_schema_files_are_current(root, kind):
    committed = (root / "schema" / f"{kind}.schema.json").read_text("utf-8")
    assert committed == json_schema_text(kind), (
        f"schema/{kind}.schema.json is stale: run `abstraction schema --kind {kind} "
        f"--out schema/{kind}.schema.json` and commit it (and bump SCHEMA_VERSION if it changed)"
    )


def test_gold_files_validate_against_the_exported_schema(root):
    files = sorted((root / "gold").glob("*.json"))
    assert files
    for f in files:
        assert validate_file(f) == [], f


def test_validation_problems_carry_a_json_path(root):
    data = json.loads((root / "gold" / "000_8682481a1554b25b.json").read_text("utf-8"))
    data["record"]["treatments"][1]["category"] = "magic"
    del data["record"]["patient"]["age"]
    problems = validate_data(data)
    paths = {p.json_path for p in problems}
    assert "$.record.treatments[1].category" in paths
    assert "$.record.patient" in paths  # 'age' is a required property
    assert any("'age' is a required property" in p.message for p in problems)


def test_unknown_kind_is_reported_not_raised():
    assert validate_data({"kind": "something"})[0].json_path == "$.kind"
    assert validate_data([1, 2])[0].json_path == "$"


def test_gold_model_roundtrip(root):
    raw = (root / "gold" / "000_8682481a1554b25b.json").read_text("utf-8")
    g = GoldRecord.model_validate_json(raw)
    assert json.loads(g.model_dump_json()) == json.loads(raw)


def test_validate_names_a_file_it_cannot_read_and_goes_on(tmp_path) -> None:
    """Twelfth session's audit: `validate` on a folder (a run's history/, from `validate
    run/*`) or a symlink loop stopped with a traceback, and the other files went unchecked."""
    from abstraction.core.jsonschema_export import validate_file

    loop = tmp_path / "loop.json"
    loop.symlink_to(tmp_path / "other.json")
    (tmp_path / "other.json").symlink_to(loop)
    for path in (tmp_path, loop):
        [problem] = validate_file(path)
        assert problem.message.startswith("cannot read")
