"""The toolkit's version, recorded in every extraction's provenance."""

__version__ = "0.1.0"
