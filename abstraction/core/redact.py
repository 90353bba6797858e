"""Credentials out of what is written: URLs with ``user:password@`` and messages quoting them.

A ``--base-url`` such as ``https://alice:secret@proxy.example/v1`` is a valid way to reach a
proxy, but the endpoint is written into every output's provenance, the run store and error
messages; everything that writes a URL or an error text passes it through here first.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@")


def redact_url(url: str) -> str:
    """`url` with any user name and password replaced by ``***`` (the host is kept)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def redact_text(text: str) -> str:
    """Every ``scheme://user:pass@`` in a free text (an error message) with ``***`` instead."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
