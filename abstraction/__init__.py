"""abstraction: grounded extraction of clinical case reports into a validated schema."""

__version__ = "0.1.0"
