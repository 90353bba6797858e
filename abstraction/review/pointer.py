"""RFC 6901 JSON pointers over plain JSON values, plus one extension for added list items.

Edits address the model's record by pointer (``/treatments/0/dose``), so that an edit still means
the same thing after the file is re-read or the document re-extracted.  Numeric tokens index the
model's original list; a token ``-<id>`` names the item that the `add` edit with that id appended
(RFC 6901 reserves ``-`` for "past the end"; the id makes each appended item addressable).
"""

from __future__ import annotations

from typing import Any

from abstraction.core.errors import UserError

MISSING: Any = object()
"""Returned by `get` when the pointer leads nowhere (distinct from a JSON null)."""


def split(pointer: str) -> list[str]:
    """Tokens of `pointer`, unescaped (``~1`` is ``/``, ``~0`` is ``~``)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise UserError(f"JSON pointer {pointer!r} must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def join(tokens: list[str | int]) -> str:
    """The pointer for `tokens`, escaped."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def parent(pointer: str) -> tuple[str, str]:
    """``(parent pointer, last token)``; the root has no parent."""
    tokens = split(pointer)
    if not tokens:
        raise UserError("the root has no parent")
    return join(list(tokens[:-1])), tokens[-1]


def is_within(pointer: str, ancestor: str) -> bool:
    """True when `pointer` is `ancestor` or lies below it."""
    return pointer == ancestor or pointer.startswith(ancestor + "/")


def list_index(items: list[Any], token: str) -> int | None:
    """The index `token` names in `items` (a plain decimal, no leading zeros), else None."""
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        return None
    i = int(token)
    return i if i < len(items) else None


def get(doc: Any, pointer: str) -> Any:
    """The value at `pointer`, or `MISSING` when it does not exist."""
    node = doc
    for token in split(pointer):
        if isinstance(node, dict):
            if token not in node:
                return MISSING
            node = node[token]
        elif isinstance(node, list):
            i = list_index(node, token)
            if i is None:
                return MISSING
            node = node[i]
        else:
            return MISSING
    return node


def set_value(doc: Any, pointer: str, value: Any) -> None:
    """Replace the existing value at `pointer` in place (the key or index must exist)."""
    parent_ptr, token = parent(pointer)
    container = get(doc, parent_ptr)
    if isinstance(container, dict) and token in container:
        container[token] = value
        return
    if isinstance(container, list):
        i = list_index(container, token)
        if i is not None:
            container[i] = value
            return
    raise KeyError(pointer)
