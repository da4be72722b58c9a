"""Scoring a facility on the index: the one step ``dcsll score`` needs, kept apart from :mod:`workflows.pipeline`
so that scoring does not load the finance engines (deal terms, schedules, statements).

Re-exported by :mod:`workflows.pipeline` and :mod:`workflows`.
"""

from __future__ import annotations

import contextlib

from common.errors import InputError, InputErrors
from index.engine import score as _score


@contextlib.contextmanager
def named(origin: str | None):
    """Fill the ``file`` of an :class:`InputError` raised inside the block (when it names none) with
    ``origin``: engines work on objects, the workflow knows where they came from."""
    try:
        yield
    except InputErrors as exc:
        if origin is None or all(e.file for e in exc.errors):
            raise
        raise InputErrors([_with_file(e, origin) for e in exc.errors]) from None
    except InputError as exc:
        if origin is None or exc.file:
            raise
        raise _with_file(exc, origin) from None


def _with_file(e: InputError, origin: str) -> InputError:
    if e.file:
        return e
    out = InputError(e.message, file=origin, field=e.field, row=e.row, unit=e.unit, value=e.value)
    return out


# ----------------------------------------------------------------------------------------- score


def score(facility, methodology, period: str | None = None) -> list:
    """Index results of a facility: every period, or the one labelled ``period``.

    Parameters
    ----------
    facility : index.models.Facility
    methodology : index.methodology.Methodology
    period : str, optional

    Returns
    -------
    list of index.result.IndexResult
        One per period, in the facility's order.

    Raises
    ------
    InputError
        No such period, a facility without periods, or whatever :func:`index.engine.score` refuses.
    """

    periods = [facility.period(period)] if period else list(facility.periods)
    if not periods:
        raise InputError("the facility has no periods to score", field="periods")
    return [_score(facility, p, methodology) for p in periods]
