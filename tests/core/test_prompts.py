import hashlib
import json

import pytest

from abstraction.core.errors import UserError
from abstraction.core.prompts import Example, PassSpec, PromptSpec, list_prompts, load_prompt


def test_every_prompt_loads_and_its_identity_is_the_hash_of_its_bytes(root):
    for version in list_prompts(root / "prompts"):
        spec = load_prompt(version, root / "prompts")
        raw = (root / "prompts" / f"{version}.toml").read_bytes()
        assert spec.sha256 == hashlib.sha256(raw).hexdigest()
        assert spec.identity == f"{version}@{spec.sha256[:12]}"
        assert spec.passes


def test_committed_prompts_are_immutable(root):
    """A prompt file never changes once committed: write a new version instead."""
    lock = json.loads((root / "prompts" / "lock.json").read_text())
    versions = list_prompts(root / "prompts")
    assert sorted(lock) == versions, "add new prompt versions to prompts/lock.json"
    for version in versions:
        actual = hashlib.sha256((root / "prompts" / f"{version}.toml").read_bytes()).hexdigest()
        assert actual == lock[version], f"prompts/{version}.toml changed after it was locked"


def _write(tmp_path, name, body):
    (tmp_path / f"{name}.toml").write_text(body, "utf-8")


BASE = (
    'version = "{v}"\ndescription = "d"\nsystem = "s"\n'
    '[[passes]]\nname = "p"\nsections = {s}\ninstructions = "i"\n'
)


def test_unknown_section_is_a_user_error(tmp_path):
    _write(tmp_path, "vx", BASE.format(v="vx", s='["patient", "vital_signs"]'))
    with pytest.raises(UserError, match="vital_signs"):
        load_prompt("vx", tmp_path)


def test_version_must_match_the_file_name(tmp_path):
    _write(tmp_path, "v9", BASE.format(v="v8", s='["patient"]'))
    with pytest.raises(UserError, match="file name"):
        load_prompt("v9", tmp_path)


def test_unknown_version_lists_the_known_ones(tmp_path):
    _write(tmp_path, "v1", BASE.format(v="v1", s='["patient"]'))
    with pytest.raises(UserError, match="known: v1"):
        load_prompt("v2", tmp_path)


def test_example_answers_must_be_compact_json():
    Example(text="t", answer='{"a":1}')
    with pytest.raises(ValueError, match="compact"):
        Example(text="t", answer='{\n  "a": 1\n}')
    with pytest.raises(ValueError):
        Example(text="t", answer="{not json")


def test_what_a_prompt_does_not_extract(root):
    """A sections prompt that covers every section leaves nothing out; a mentions prompt
    leaves out what a phrase cannot say; a pass over some sections leaves out the others."""
    prompts = root / "prompts"
    assert load_prompt("v1", prompts).not_extracted() == []
    v18 = load_prompt("v18", prompts).not_extracted()
    assert v18[:2] == ["source", "patient.age_group"]
    for left_out in ("disease_events", "timeline", "treatments.dose", "outcome.cause_of_death"):
        assert left_out in v18
    for asked in (
        "patient.age",
        "patient.sex",
        "diagnoses.name",
        "findings.assertion",
        "treatments.name",
        "assessments.method",
        "outcome.status",
    ):
        assert asked not in v18 and asked.split(".")[0] not in v18
    one = PassSpec(name="p", sections=("patient", "outcome"), instructions="x")
    spec = PromptSpec(version="x", description="x", system="s", passes=(one,))
    assert spec.not_extracted() == [
        "source",
        "diagnoses",
        "findings",
        "disease_events",
        "treatments",
        "assessments",
        "timeline",
    ]


def test_support_settings_default_to_the_old_behaviour_and_load_from_a_file(root, tmp_path):
    """`relocate` and `unstated` are new settings: a committed prompt (whose bytes, hence hash,
    are unchanged) gets the old behaviour; a new prompt file can turn them on."""
    lock = json.loads((root / "prompts" / "lock.json").read_text())
    older = [v for v in list_prompts(root / "prompts") if int(v[1:]) <= 19]  # before the settings
    assert len(older) == 19
    for version in older:
        spec = load_prompt(version, root / "prompts")
        assert spec.sha256 == lock[version]
        settings = spec.settings
        assert (settings.relocate, settings.unstated, settings.evidence_scope) == (
            False,
            "flag",
            "quote",
        )
    body = BASE.format(v="vx", s='["patient"]').replace(
        "[[passes]]", '[settings]\nrelocate = true\nunstated = "drop"\n[[passes]]'
    )
    _write(tmp_path, "vx", body)
    spec = load_prompt("vx", tmp_path)
    assert (spec.settings.relocate, spec.settings.unstated) == (True, "drop")
    _write(tmp_path, "vy", body.replace('"drop"', '"remove"').replace('"vx"', '"vy"'))
    with pytest.raises(UserError, match="unstated"):
        load_prompt("vy", tmp_path)
