"""Re-export of :mod:`common.errors` (kept for imports written before ``common`` existed)."""

from common.errors import DcsllError, InputError, InputErrors, from_validation_error

__all__ = ["DcsllError", "InputError", "InputErrors", "from_validation_error"]
