"""Read-only JSON values, for data that is built once and shared by every document of a job.

A pass's JSON Schema is the same for every document.  Shared frozen, it needs no per-document
copy, and the model client can keep its serialised text by identity (an object that cannot
change cannot go stale).  Any attempt to change one raises `TypeError`.
"""

from __future__ import annotations

from typing import Any, NoReturn


class FrozenDict(dict[str, Any]):
    """A dict that refuses changes; its lists are tuples and its dicts are frozen too.

    It is still a `dict`, so `json.dumps` and every reader take it as one; `dict(d)` gives a
    mutable shallow copy."""

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a FrozenDict cannot be changed: copy it with dict(...) first")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (freeze, (_thaw(self),))


def freeze(value: Any) -> Any:
    """`value` with every dict frozen and every list a tuple (JSON writes tuples as arrays)."""
    if isinstance(value, dict):
        frozen = FrozenDict()
        for k, v in value.items():
            dict.__setitem__(frozen, k, freeze(v))
        return frozen
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value
