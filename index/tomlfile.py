"""Re-export of :mod:`common.tomlio` (kept for imports written before ``common`` existed)."""

from common.tomlio import read_toml

__all__ = ["read_toml"]
