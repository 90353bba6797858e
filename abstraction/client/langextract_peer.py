"""LangExtract (google/langextract) as a peer, asking the model through our `ModelClient`.

The only module that imports ``langextract``.  `run_langextract` hands a text to
``langextract.extract`` as its authors ship it (its own chunking at ``max_char_buffer``, its
prompt template, its resolver and its character alignment) with one change: the language model
is `ClientModel`, which sends each prompt LangExtract builds through our `ModelClient`.  So a
LangExtract call is constrained, retried and recorded exactly as ours and instructor's are:

- constraint: the LangExtract output envelope (``{"extractions": [{"<class>": "<text>"}, ...]}``,
  one item schema per class, `envelope_schema`) goes to the client as the request's JSON schema,
  so on the embedded model it is a GBNF grammar (the client's ``--structured`` mode decides, as
  for every system), and the envelope is handed to ``langextract.extract(output_schema=...)``
  so that LangExtract parses raw JSON without fences;
- retries: the client's ``complete`` with the envelope as response model: the prompt's
  ``max_retries`` re-asks on an answer that does not validate, the client's HTTP retries; and,
  as ours gets, a chunk's answer cut off at ``max_tokens`` is asked once more with the
  envelope's list bounded (``bounded_items``: ``maxItems``, so the grammar ends the list);
- recording: the client's transport, keyed by request body (``--record``/``--replay``).

The result is plain data (`LangExtractAnswer`): every extraction with its class, text and
LangExtract's character interval and alignment status, and what the calls cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import langextract
from langextract.core import base_model
from langextract.core import exceptions as lx_exceptions
from langextract.core import schema as lx_schema
from langextract.core import types as lx_types
from langextract.core.output_schema import extraction_item_schema, extractions_schema
from pydantic import BaseModel, ConfigDict, create_model

from abstraction.client.openai_client import ChatResult
from abstraction.core.errors import ModelError
from abstraction.core.prompts import PromptSettings
from abstraction.core.records import Usage

LANGEXTRACT_VERSION = "1.7.1"
"""The version the adapter is written against (pinned in the ``peers`` extra)."""

DEFAULT_CHUNK_CHARS = 1000
"""LangExtract's own default ``max_char_buffer``: it cuts a text into chunks of about this
many characters and asks the model once per chunk."""


class Completes(Protocol):
    """What the adapter needs of a client: `ModelClient.complete`."""

    def complete(self, **request: Any) -> ChatResult: ...


@dataclass(frozen=True)
class Found:
    """One LangExtract extraction: its class and text, and where LangExtract aligned it in the
    source (`start`/`end` None: not aligned) with its alignment status (``match_exact``,
    ``match_fuzzy``, ``match_lesser``, ``match_greater``)."""

    kind: str
    text: str
    start: int | None
    end: int | None
    alignment: str | None


@dataclass
class LangExtractAnswer:
    """What `run_langextract` returns: the extractions in LangExtract's order and the calls'
    cost (`usage.calls` counts every attempt, re-asks included)."""

    found: list[Found]
    usage: Usage = field(default_factory=Usage)
    model_seconds: float = 0.0
    chunks: int = 0


def envelope_schema(kinds: Sequence[str], max_items: int | None = None) -> dict[str, Any]:
    """LangExtract's output envelope with one item schema per kind (no attributes); with
    `max_items`, its list holds at most that many extractions."""
    items = [extraction_item_schema(k) for k in kinds]
    schema = extractions_schema(items[0], *items[1:])
    if max_items is not None:
        schema["properties"]["extractions"]["maxItems"] = max_items
    return schema


@lru_cache(maxsize=16)
def envelope_model(kinds: tuple[str, ...]) -> type[BaseModel]:
    """The pydantic model an answer must validate against (the same envelope)."""
    forbid = ConfigDict(extra="forbid")
    fields: list[dict[str, Any]] = [{k: (str, ...)} for k in kinds]
    items: list[Any] = [
        create_model(f"LX_{k}", __config__=forbid, **f) for k, f in zip(kinds, fields, strict=True)
    ]
    union: Any = items[0]
    for item in items[1:]:
        union = union | item
    return create_model("LangExtractAnswer", __config__=forbid, extractions=(list[union], ...))


class _Envelope(lx_schema.BaseSchema):
    """The envelope as LangExtract's schema object: raw JSON, no fences, no provider kwargs
    (the constraint is the client's, see `ClientModel`)."""

    def __init__(self, schema_dict: dict[str, Any]) -> None:
        self.schema_dict = schema_dict

    @classmethod
    def from_examples(cls, examples_data: Sequence[Any], attribute_suffix: str = "") -> _Envelope:
        raise NotImplementedError("the envelope is given, not derived from examples")

    @classmethod
    def from_schema_dict(cls, output_schema: lx_types.JsonSchema) -> _Envelope:
        return cls(dict(output_schema))

    def to_provider_config(self) -> dict[str, Any]:
        return {}

    @property
    def requires_raw_output(self) -> bool:
        return True


class ClientModel(base_model.BaseLanguageModel):
    """LangExtract's language-model interface over our client: each prompt LangExtract renders
    is the user message after the prompt version's system text, answered with the envelope."""

    def __init__(
        self,
        client: Completes,
        *,
        system: str,
        kinds: tuple[str, ...],
        settings: PromptSettings,
        bounded_items: int | None = None,
    ) -> None:
        super().__init__()
        self.client, self.system, self.kinds, self.settings = client, system, kinds, settings
        self.json_schema = envelope_schema(kinds)
        self.bounded_items = bounded_items
        self.results: list[ChatResult] = []
        self.cut_off = Usage()  # what the answers cut off at max_tokens cost (then re-asked)
        self.cut_off_seconds = 0.0

    def _ask(self, prompt: str, json_schema: dict[str, Any]) -> ChatResult:
        return self.client.complete(
            messages=[
                {"role": "system", "content": self.system.strip()},
                {"role": "user", "content": prompt},
            ],
            response_model=envelope_model(self.kinds),
            json_schema=json_schema,
            settings=self.settings,
        )

    @classmethod
    def get_schema_class(cls) -> type[lx_schema.BaseSchema]:
        return _Envelope

    def infer(
        self, batch_prompts: Sequence[str], **kwargs: Any
    ) -> Iterator[Sequence[lx_types.ScoredOutput]]:
        for prompt in batch_prompts:
            t0 = time.perf_counter()
            try:
                res = self._ask(prompt, self.json_schema)
            except ModelError as err:
                if err.kind != "truncated" or self.bounded_items is None:
                    raise
                self.cut_off_seconds += time.perf_counter() - t0
                self.cut_off = self.cut_off + _spent(err)
                res = self._ask(prompt, envelope_schema(self.kinds, self.bounded_items))
            self.results.append(res)
            yield [lx_types.ScoredOutput(score=1.0, output=res.raw_text)]


def _model_error(exc: BaseException) -> ModelError | None:
    """The client's `ModelError` under LangExtract's wrapping, if that is what failed."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModelError):
            return seen
        original = getattr(seen, "original", None)
        seen = original if isinstance(original, BaseException) else seen.__cause__
    return None


def _spent(err: ModelError) -> Usage:
    """What a failed call cost (its usage, else its attempts)."""
    return Usage.model_validate(err.usage) if err.usage else Usage(calls=err.attempts)


def _with_spent(err: ModelError, model: ClientModel) -> ModelError:
    """`err` with what the whole document cost so far: the chunks answered before it, the
    answers cut off and re-asked, and the failing call's own (`attempts` counts them all)."""
    total = sum((r.usage for r in model.results), model.cut_off + _spent(err))
    err.usage = total.model_dump()
    err.attempts = total.calls
    return err


def run_langextract(
    text: str,
    *,
    client: Completes,
    system: str,
    description: str,
    kinds: tuple[str, ...],
    settings: PromptSettings,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    bounded_items: int | None = None,
) -> LangExtractAnswer:
    """``langextract.extract`` on `text` with `description` as its prompt description, one
    worker, no examples (the envelope schema stands in for them), its own chunking and
    alignment.  Raises the client's `ModelError` when a call fails after its retries."""
    model = ClientModel(
        client, system=system, kinds=kinds, settings=settings, bounded_items=bounded_items
    )
    try:
        annotated = langextract.extract(
            text,
            prompt_description=description.strip(),
            model=model,
            output_schema=model.json_schema,
            use_schema_constraints=False,
            max_char_buffer=chunk_chars,
            max_workers=1,
            batch_length=1,
            show_progress=False,
        )
    except lx_exceptions.LangExtractError as exc:
        cause = _model_error(exc)
        if cause is not None:
            raise _with_spent(cause, model) from exc
        raise ModelError(f"langextract: {exc}", kind="peer", attempts=len(model.results)) from exc
    except ModelError as err:
        raise _with_spent(err, model) from None
    seconds = sum(r.seconds for r in model.results) + model.cut_off_seconds
    usage = sum((r.usage for r in model.results), model.cut_off)
    doc: Any = annotated[0] if isinstance(annotated, list) else annotated
    found = [
        Found(
            kind=str(e.extraction_class),
            text=str(e.extraction_text),
            start=e.char_interval.start_pos if e.char_interval else None,
            end=e.char_interval.end_pos if e.char_interval else None,
            alignment=e.alignment_status.value if e.alignment_status else None,
        )
        for e in doc.extractions or []
    ]
    return LangExtractAnswer(found, usage, seconds, chunks=len(model.results))
