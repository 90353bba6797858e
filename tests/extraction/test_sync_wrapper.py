"""The sync entry points wrap the one async core: same result, and a clear error instead of a
nested event loop when called from async code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from abstraction.client import ChatResult
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import load_prompt
from abstraction.core.records import Usage
from abstraction.core.schema import empty_case_report
from abstraction.extraction import aextract_document, extract_document
from abstraction.extraction.pipeline import aextract, extract
from tests.conftest import ROOT

DOC = Document(id="d", text="A 40-year-old man had fever. He was given aspirin and recovered.")


class SyncOnly:
    """A client with only the sync call: async callers reach it through `Blocking`."""

    def complete(self, *, response_model: Any, **_: Any) -> ChatResult:
        empty = empty_case_report().model_dump()
        value = response_model.model_validate(
            {k: empty[k] for k in response_model.model_fields if k in empty}
        )
        return ChatResult(value=value, raw_text="{}", usage=Usage(calls=1), attempts=1, seconds=0)

    async def acomplete(self, **kwargs: Any) -> ChatResult:
        return self.complete(**kwargs)

    def describe(self) -> dict[str, Any]:
        return {"model": "m", "endpoint": "e", "structured": "json_schema"}


def test_sync_and_async_give_the_same_record() -> None:
    prompt = load_prompt("v1", ROOT / "prompts")
    sync = extract_document(DOC, prompt=prompt, client=SyncOnly())
    async_ = asyncio.run(aextract_document(DOC, prompt=prompt, client=SyncOnly()))
    assert sync.status == async_.status == "ok"
    assert sync.record == async_.record
    whole = extract(DOC, prompt=prompt, client=SyncOnly())
    assert whole.record == asyncio.run(aextract(DOC, prompt=prompt, client=SyncOnly())).record


def test_the_sync_wrapper_refuses_to_nest_an_event_loop() -> None:
    prompt = load_prompt("v1", ROOT / "prompts")

    async def inside() -> None:
        extract_document(DOC, prompt=prompt, client=SyncOnly())

    with pytest.raises(UserError, match="await the async variant"):
        asyncio.run(inside())
