"""Schemas of your own: the resolver, the building-block checks, and the built-in unchanged."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from abstraction.core.errors import UserError
from abstraction.core.prompts import list_prompts, load_prompt
from abstraction.core.records import Extraction, GoldRecord, Provenance
from abstraction.core.schema import FIELD_PATHS, SECTIONS, CaseReport, empty_case_report
from abstraction.core.schemas import (
    DEFAULT_SCHEMA_REF,
    extraction_type,
    gold_type,
    load_gold,
    resolve_schema,
    schema_problems,
)

EXAMPLE = "examples.id_registry.schema:IdRegistry"


def test_the_builtin_schema_is_casereport_with_its_module_level_names():
    s = resolve_schema(None)
    assert s is resolve_schema(DEFAULT_SCHEMA_REF) and s.model is CaseReport and s.builtin
    assert (s.sections, s.field_paths) == (SECTIONS, FIELD_PATHS)
    assert s.empty() == empty_case_report().model_dump()
    assert schema_problems(CaseReport) == []
    assert extraction_type(s) is Extraction and gold_type(s) is GoldRecord


def test_the_example_schema_resolves_with_its_own_paths():
    s = resolve_schema(EXAMPLE)
    assert not s.builtin and s.identity.startswith(EXAMPLE + "@")
    assert s.sections == (
        "patient",
        "infection_site",
        "pathogens",
        "antimicrobials",
        "source_control",
        "outcome",
    )
    assert "antimicrobials.route" in s.field_paths and "infection_site" in s.field_paths
    assert s.empty()["patient"] == {"age": None, "sex": None} and s.empty()["pathogens"] == []
    assert s.collapse(["pathogens.organism", "pathogens.specimen", "pathogens.method"]) == [
        "pathogens"
    ]


def test_a_builtin_provenance_and_gold_write_no_schema_key():
    """Existing outputs keep their bytes: the schema is named only when it is not CaseReport."""
    prov = Provenance.model_validate(
        {
            "toolkit_version": "x",
            "prompt_version": "v1",
            "prompt_sha256": "0",
            "model": "m",
            "endpoint": "local",
            "structured_output": "gbnf",
            "settings": {},
            "document_sha256": "0",
            "started_at": "t",
            "finished_at": "t",
            "timings": {},
            "usage": {},
            "passes": [],
        }
    )
    assert "schema_ref" not in prov.model_dump_json()
    gold = GoldRecord(
        document_id="d",
        document_sha256=None,
        annotator="a",
        annotated_fields=None,
        notes=None,
        record=empty_case_report(),
    )
    assert '"schema"' not in gold.model_dump_json()


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body), "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))


PROMPT = """
version = "vx"
description = "d"
schema = "{ref}"
system = "s"
[[passes]]
name = "p"
sections = {sections}
instructions = "i"
"""


def _prompt(tmp_path: Path, ref: str, sections: str = '["site"]') -> Path:
    folder = tmp_path / "prompts"
    folder.mkdir(exist_ok=True)
    (folder / "vx.toml").write_text(PROMPT.format(ref=ref, sections=sections), "utf-8")
    return folder


def test_a_fact_without_evidence_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    _module(
        tmp_path,
        monkeypatch,
        "no_evidence_schema",
        """
        from typing import Annotated
        from abstraction.core.schema import Strict
        from abstraction.core.scoring import Score

        class Site(Strict):
            value: Annotated[str, Score.text()]

        class Registry(Strict):
            site: Site | None
        """,
    )
    folder = _prompt(tmp_path, "no_evidence_schema:Registry")
    with pytest.raises(UserError) as info:
        load_prompt("vx", folder)
    message = str(info.value)
    assert "no_evidence_schema:Registry" in message and "building blocks" in message
    assert "Registry.site: Site holds values but has no `evidence: Evidence` field" in message


def test_lists_need_record_keys_and_fields_need_scores(tmp_path, monkeypatch):
    _module(
        tmp_path,
        monkeypatch,
        "unscored_schema",
        """
        from typing import Annotated
        from abstraction.core.schema import EvidenceField, Strict
        from abstraction.core.scoring import Score

        class Bug(Strict):
            name: str
            evidence: EvidenceField

        class Registry(Strict):
            bugs: list[Bug]
        """,
    )
    with pytest.raises(UserError) as info:
        resolve_schema("unscored_schema:Registry")
    assert "Registry.bugs: a list of facts needs Score.records(key, ...)" in str(info.value)
    assert "Bug.name has no Score annotation" in str(info.value)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no_such_module_xyz:Thing", "cannot import 'no_such_module_xyz'"),
        ("examples.id_registry.schema:Nope", "has no 'Nope'"),
        ("examples.id_registry.schema", "package.module:ClassName"),
        ("examples.id_registry.schema:Pathogen", "is a fact"),
    ],
)
def test_unusable_references_are_user_errors(ref, message):
    with pytest.raises(UserError, match=message):
        resolve_schema(ref)


def test_a_prompt_names_sections_of_its_own_schema(root, tmp_path):
    prompt = load_prompt("v1", root / "examples" / "id_registry" / "prompts")
    assert prompt.record_schema.ref == EXAMPLE and prompt.not_extracted() == []
    with pytest.raises(UserError, match=r"unknown sections \['treatments'\]"):
        load_prompt("vx", _prompt(tmp_path, EXAMPLE, '["treatments"]'))


def test_rules_and_mentions_passes_are_casereport_only(tmp_path):
    folder = _prompt(tmp_path, EXAMPLE, '["patient"]')
    path = folder / "vx.toml"
    path.write_text(path.read_text() + '[settings]\nrules = ["one_principal"]\n', "utf-8")
    with pytest.raises(UserError, match="rules are written for CaseReport"):
        load_prompt("vx", folder)


def test_example_prompts_are_locked(root):
    """The example's prompts are immutable too: its own lock, like prompts/lock.json."""
    folder = root / "examples" / "id_registry" / "prompts"
    lock = json.loads((folder / "lock.json").read_text())
    assert sorted(lock) == list_prompts(folder)
    for version, digest in lock.items():
        assert hashlib.sha256((folder / f"{version}.toml").read_bytes()).hexdigest() == digest


def test_gold_files_name_their_schema_and_validate_against_it(root):
    for path in sorted((root / "examples" / "id_registry" / "gold").glob("*.json")):
        gold = load_gold(path.read_bytes())
        assert gold.schema_ref == EXAMPLE and type(gold.record).__name__ == "IdRegistry"
        assert json.loads(gold.model_dump_json())["schema"] == EXAMPLE
    with pytest.raises(UserError, match="cannot import"):
        load_gold(b'{"schema": "nowhere_xyz:R", "record": {}}')


def test_validate_and_schema_export_follow_the_named_schema(root):
    from abstraction.core.jsonschema_export import json_schema, validate_data

    gold = json.loads((root / "examples/id_registry/gold/id01_septic_knee.json").read_text())
    assert validate_data(gold) == []
    gold["record"]["pathogens"][0]["method"] = "smell"
    problems = validate_data(gold)
    assert [p.json_path for p in problems] == ["$.record.pathogens[0].method"]
    schema = json_schema("record", EXAMPLE)
    assert schema["title"] == "IdRegistry" and schema["x-record-schema"] == EXAMPLE
