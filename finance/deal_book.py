"""The deal book's check of deal documents: the finance deal model (:class:`finance.deal.Deal`) is the one
deal schema; the app and the CLI inject it into the store (``open_store(url, deal_validator=deal_validator())``),
which never imports finance.
"""

from __future__ import annotations

from collections.abc import Mapping

from finance.deal import parse_deal


def check_deal_document(document: Mapping, file: str | None = None) -> None:
    """Check a deal document with the finance deal model and its business rules.

    Raises
    ------
    index.errors.InputErrors
        Every structural and business-rule failure, naming file, field, row and unit
        (:func:`finance.deal.parse_deal`).
    """
    parse_deal(dict(document), file=file)


def deal_validator():
    """The check :class:`store.Store` calls on every deal before saving it (:func:`check_deal_document`)."""
    return check_deal_document
