"""Systems under evaluation: anything that turns a document into an `Extraction`.

``abstraction eval`` is dataset → system → scorer → report (inspect_ai's task, solver, scorer,
log): a suite's documents go to each `System`, every system's extractions are scored by the
same scorer against the same gold, and one `EvalReport` lists the systems side by side.

Every system is given the same instruction text and the same kinds list: those of one prompt
version (its system prompt, its passes' instructions and their kinds of fact).  What differs is
how the model is asked, and `System.describe` says exactly that:

- `OurSystem` (``ours:vN``): the prompt version through the pipeline ``abstraction extract``
  ships (`abstraction.extraction.pipeline`): every pass, its few-shot examples, the bounded
  re-ask of a cut-off list, parts as cut for the model's context.
- `InstructorSystem` (``instructor[:vN]``): the plain instructor recipe, one structured-output
  call per document (per part of a long one) with a response model; the prompt's passes are
  folded into one request (`one_call_prompt`): the same system text, every pass's instructions
  in order, the union of their kinds lists, no examples, and no re-ask of a cut-off answer.
  Its call goes through the same `ModelClient` (instructor's JSON-schema mode, the same
  constrained decoding) with the same retry policy: the prompt's ``max_retries`` re-asks on a
  validation error, the client's HTTP retries.  Its answer is grounded and scored like ours.
- `LangExtractSystem` (``langextract[:vN]``, `abstraction.evaluation.langextract_system`;
  needs the ``peers`` extra): google's ``langextract.extract`` with the same folded prompt: the
  system text, the instructions as its prompt description, the kinds as its extraction classes,
  no examples; its own chunking and alignment, its calls through the same `ModelClient` (same
  constraint mode, retry policy and recordings); evidence from its character intervals.

All are measured the same way by the runner: wall-clock seconds around each document.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from abstraction.client import ModelConfig
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import (
    PassSpec,
    PromptSpec,
    default_prompts_dir,
    load_prompt,
    shares_model,
)
from abstraction.core.records import Extraction
from abstraction.extraction.extractor import Blocking, Completer
from abstraction.extraction.pipeline import aextract, chunk_settings

DEFAULT_PROMPT = "v18"
"""The prompt version whose text a peer is given when none is named (``instructor``,
``langextract``)."""

PEERS = ("ours", "instructor", "langextract")


class System(Protocol):
    """A system under evaluation.  `name` labels it in reports (and baselines); `prompt` is
    the prompt version whose instruction text and kinds it was given."""

    name: str
    prompt: PromptSpec
    given: PromptSpec
    """The prompt version whose text it was given (leakage is checked against its examples)."""

    def describe(self) -> dict[str, Any]:
        """What the system was given and how it asks the model (for the report)."""
        ...

    async def extract(self, document: Document) -> Extraction: ...


class OurSystem:
    """A prompt version through the extraction pipeline, exactly as ``abstraction extract``."""

    def __init__(
        self, prompt: PromptSpec, *, client: Completer, model: ModelConfig | None = None
    ) -> None:
        self.prompt, self.client, self.model = prompt, client, model
        self.given = prompt
        self.name = prompt.version

    def describe(self) -> dict[str, Any]:
        return {
            "system": "ours",
            "prompt": self.prompt.identity,
            "passes": [p.name for p in self.prompt.passes],
            "examples": sum(len(p.examples) for p in self.prompt.passes),
            "calls": "one per pass and part, a cut-off list re-asked once with bounded lists",
            "max_retries": self.prompt.settings.max_retries,
        }

    async def extract(self, document: Document) -> Extraction:
        chunking = chunk_settings(self.prompt, self.model)
        # Blocking: the client's sync calls, as `extractor_for` makes them (same requests)
        return await aextract(
            document, prompt=self.prompt, client=Blocking(self.client), chunking=chunking
        )


def _largest(values: Iterable[int | None]) -> int | None:
    given = [v for v in values if v is not None]
    return max(given) if given else None


def _omitted(passes: tuple[PassSpec, ...], sections: tuple[str, ...]) -> tuple[str, ...]:
    """The fields the folded call leaves out: those that every pass asking for their section
    leaves out.  (A field one pass omits and another pass on its section asks for is asked.)
    A field of a model that another folded section shares is asked too: leaving it out of
    the one call's schema would take it from both sections (`PassSpec`'s own rule)."""
    out: list[str] = []
    for field_path in dict.fromkeys(f for p in passes for f in p.omit):
        section = field_path.split(".")[0]
        if all(field_path in p.omit for p in passes if section in p.sections) and not (
            shares_model(passes[0].schema_ref, field_path, sections)
        ):
            out.append(field_path)
    return tuple(out)


def _one_pass(passes: tuple[PassSpec, ...]) -> PassSpec:
    """`passes` folded into one: instructions in order; kinds, sections and required (`fill`)
    fields united; left out (`omit`) what every pass on its section leaves out; no examples;
    no pass-specific answer limit.  Its lists are bounded by the loosest of the passes'
    bounds (`max_items`), and an answer cut off at its limit is asked once more with lists
    bounded by the loosest of their `truncated_max_items`: the retry policy ours has, never
    tighter than any of our passes."""
    first = passes[0]
    shapes = {p.shape for p in passes}
    if len(shapes) > 1:
        raise UserError("a prompt that mixes sections and mentions passes cannot be one call")
    sections = tuple(dict.fromkeys(s for p in passes for s in p.sections))
    lists = tuple(dict.fromkeys(k for p in passes for k in p.lists))
    return first.model_copy(
        update={
            "name": "one-call",
            "sections": sections,
            "lists": lists,
            "instructions": "\n\n".join(p.instructions.strip() for p in passes),
            "examples": (),
            "optional": False,
            "max_tokens": None,
            "max_items": _largest(p.max_items for p in passes),
            "truncated_max_items": _largest(p.truncated_max_items for p in passes),
            "fill": tuple(dict.fromkeys(f for p in passes for f in p.fill)),
            "omit": _omitted(passes, sections),
            "only_with_header": False,  # the one call asks for everything, header or not
        }
    )


def one_call_prompt(prompt: PromptSpec) -> PromptSpec:
    """`prompt` as one request: the same system text, instructions and kinds of fact, in one
    pass without examples (`InstructorSystem`).  Its hash is of the derived prompt."""
    folded = prompt.model_copy(
        update={"passes": (_one_pass(prompt.passes),), "sha256": "", "version": prompt.version}
    )
    body = json.dumps(folded.model_dump(mode="json"), sort_keys=True)
    return folded.model_copy(update={"sha256": hashlib.sha256(body.encode()).hexdigest()})


def answer_budget(folded: PromptSpec, given: PromptSpec) -> PromptSpec:
    """The one call answers what the passes answered between them, so its answer limit is
    theirs summed (each pass's own ``max_tokens``, else the prompt's): the same answer budget
    as ours, not one pass's.  Its hash is of the derived prompt."""
    total = sum(p.max_tokens or given.settings.max_tokens for p in given.passes)
    (spec,) = folded.passes
    budgeted = folded.model_copy(
        update={"passes": (spec.model_copy(update={"max_tokens": min(total, 32000)}),)}
    )
    body = json.dumps(budgeted.model_dump(mode="json") | {"sha256": ""}, sort_keys=True)
    return budgeted.model_copy(update={"sha256": hashlib.sha256(body.encode()).hexdigest()})


class InstructorSystem:
    """One instructor structured-output call per document (per part), the prompt's text."""

    def __init__(
        self, prompt: PromptSpec, *, client: Completer, model: ModelConfig | None = None
    ) -> None:
        self.given, self.client, self.model = prompt, client, model
        self.prompt = answer_budget(one_call_prompt(prompt), prompt)
        self.name = f"instructor-{prompt.version}"

    def describe(self) -> dict[str, Any]:
        (spec,) = self.prompt.passes
        return {
            "system": "instructor",
            "prompt": f"{self.given.identity} folded into one pass ({self.prompt.identity})",
            "passes": [spec.name],
            "kinds": list(spec.lists) or list(spec.sections),
            "examples": 0,
            "calls": "one per part (a short document is one part); the passes' answer limits "
            f"summed ({spec.max_tokens} tokens); lists bounded at {spec.max_items}; cut off, "
            f"asked once more with lists bounded at {spec.truncated_max_items}, as ours is",
            "max_retries": self.prompt.settings.max_retries,
        }

    async def extract(self, document: Document) -> Extraction:
        chunking = chunk_settings(self.prompt, self.model)
        return await aextract(
            document, prompt=self.prompt, client=Blocking(self.client), chunking=chunking
        )


def parse_system(text: str) -> tuple[str, str | None]:
    """``kind[:version]`` → (kind, version or None); ``vN`` alone is ``ours:vN``."""
    kind, _, version = text.partition(":")
    if kind not in PEERS:
        if not version and kind:  # a bare prompt version
            return "ours", kind
        raise UserError(f"unknown system {text!r} (known: {', '.join(PEERS)}, or a version)")
    return kind, version or None


@dataclass(frozen=True)
class SystemChoice:
    """A system named on the command line, its prompt loaded (before any model starts)."""

    kind: str
    prompt: PromptSpec


def choose_system(text: str, prompts_dir: Path | None = None) -> SystemChoice:
    """The system ``--system TEXT`` names (``ours:v18``, ``instructor``, ``instructor:v14``,
    ``langextract``, ``langextract:v18``)."""
    kind, version = parse_system(text)
    if kind == "langextract" and importlib.util.find_spec("langextract") is None:
        raise UserError("the langextract system needs the 'peers' extra: pip install '.[peers]'")
    prompt = load_prompt(version or DEFAULT_PROMPT, prompts_dir or default_prompts_dir())
    if kind in ("instructor", "langextract"):
        one_call_prompt(prompt)  # a prompt that cannot be one call fails here, not mid-run
    return SystemChoice(kind, prompt)


def make_system(
    choice: SystemChoice, *, client: Completer, model: ModelConfig | None = None
) -> System:
    """The chosen system, asking `client` (opened from `model`)."""
    if choice.kind == "instructor":
        return InstructorSystem(choice.prompt, client=client, model=model)
    if choice.kind == "langextract":
        from abstraction.evaluation.langextract_system import LangExtractSystem  # the extra

        return LangExtractSystem(choice.prompt, client=client, model=model)
    return OurSystem(choice.prompt, client=client, model=model)
