"""Per-model token prices, from a TOML (or JSON) data file, and the cost of a call.

The file maps model names to ``input`` and ``output`` prices in US dollars per million tokens
(see ``abstraction/data/prices.toml``, the default).  A model missing from the table has an
unknown cost (None), never a made-up one; `--max-cost` refuses to run with an unknown price.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from abstraction.core.errors import ConfigError


@dataclass(frozen=True)
class Price:
    input: float
    output: float


@dataclass(frozen=True)
class PriceTable:
    models: dict[str, Price]
    batch_discount: float = 1.0
    source: str = "built-in"

    def price(self, model: str) -> Price | None:
        if model in self.models:
            return self.models[model]
        prefixes = [k for k in self.models if model.startswith(k)]
        return self.models[max(prefixes, key=len)] if prefixes else None

    def cost(self, model: str | None, prompt_tokens: int, completion_tokens: int) -> float | None:
        """Dollars for the tokens, or None when the model has no price here."""
        price = self.price(model) if model else None
        if price is None:
            return None
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


def load_prices(path: Path | None = None) -> PriceTable:
    """The table in `path` (TOML or JSON), or the built-in one."""
    try:
        if path is None:
            raw = resources.files("abstraction").joinpath("data/prices.toml").read_text("utf-8")
            data, source = tomllib.loads(raw), "built-in"
        else:
            text = path.read_text("utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
            source = str(path)
        models = {
            str(name): Price(input=float(p["input"]), output=float(p["output"]))
            for name, p in data.get("models", {}).items()
        }
        return PriceTable(models, float(data.get("batch_discount", 1.0)), source)
    except (OSError, ValueError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path or 'built-in price table'}: invalid price table: {exc}") from exc
