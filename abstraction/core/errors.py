"""One exception root, split by whose fault it is.

`UserError` means the toolkit was used wrongly (a bad path, an unknown prompt version, an
invalid option); the CLI shows its message and exits 2.  `ModelError` means the model or its
endpoint misbehaved (unparseable, truncated or schema-invalid output after the allowed re-asks,
HTTP failures); it carries what is needed to diagnose it.  The original exception is always kept
as `__cause__`.
"""

from __future__ import annotations

from typing import Any


class AbstractionError(Exception):
    """Root of every error the toolkit raises on purpose."""


class UserError(AbstractionError):
    """The toolkit was used wrongly: the message says what to change."""


class ConfigError(UserError):
    """A configuration value (flag, environment, file) is missing or invalid."""


class ModelError(AbstractionError):
    """The model or its endpoint misbehaved.

    `kind` is a short machine-readable reason (``truncated``, ``unparseable``, ``invalid``,
    ``http``, ``timeout``, ``connection``); `attempts` counts the calls made, including re-asks;
    `usage` sums the tokens they spent; `last_output` is the raw text of the last answer.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        attempts: int = 1,
        usage: dict[str, int] | None = None,
        last_output: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.attempts = attempts
        self.usage = usage or {}
        self.last_output = last_output
        self.details = details or {}


class ModelSetupError(AbstractionError):
    """The embedded model could not be prepared or started (missing extra, bad hash, no port)."""


class EndpointError(AbstractionError):
    """The model cannot be called at all, so no document can succeed: the job stops here.

    `kind`: ``engine_died`` (the embedded server exited or was killed: the message has the
    exit code or signal, its log's path and last lines), ``unreachable`` (nothing answers at
    the base URL), ``auth`` (the API key is missing or was rejected).  Not a `ModelError`:
    per-document code that turns model failures into failed records lets it pass."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
