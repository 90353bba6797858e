import pytest

from abstraction.core.errors import UserError
from abstraction.review import pointer as jp


def test_split_and_join_escape_per_rfc6901():
    assert jp.split("/a~1b/c~0d/0") == ["a/b", "c~d", "0"]
    assert jp.join(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"
    assert jp.split("") == []
    with pytest.raises(UserError):
        jp.split("a/b")


def test_get_and_set():
    doc = {"a": [{"b": 1}, {"b": None}], "c": None}
    assert jp.get(doc, "/a/1/b") is None
    assert jp.get(doc, "/a/2") is jp.MISSING
    assert jp.get(doc, "/a/01") is jp.MISSING  # no leading zeros
    assert jp.get(doc, "/c/x") is jp.MISSING
    jp.set_value(doc, "/a/0/b", 5)
    assert doc["a"][0]["b"] == 5
    with pytest.raises(KeyError):
        jp.set_value(doc, "/a/0/zz", 1)
    with pytest.raises(KeyError):
        jp.set_value(doc, "/a/5", 1)


def test_is_within():
    assert jp.is_within("/t/1/dose", "/t/1")
    assert jp.is_within("/t/1", "/t/1")
    assert not jp.is_within("/t/10", "/t/1")
