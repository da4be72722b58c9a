"""Named errors of the deal book.

Every message says what went wrong and what to do instead. :class:`~index.errors.InputError` (bad input:
unknown facility, duplicate id, a methodology whose hash does not match its content) is reused from
:mod:`index.errors` so the CLI maps it to exit code 2.
"""

from __future__ import annotations

from index.errors import DcsllError, InputError
from store.roles import roles_allowed

__all__ = ["StoreError", "PermissionDenied", "StaleWriteConflict", "ImmutableRecordError", "NotFound",
           "InputError"]


class StoreError(DcsllError):
    """Base class of the errors the store raises on purpose (other than bad input)."""


class PermissionDenied(StoreError, PermissionError):
    """The acting user's roles do not allow the action (nothing was written).

    Attributes
    ----------
    user : str
    action : str
        The action id of :data:`store.roles.PERMISSIONS`, e.g. ``"deal.save"``.
    """

    def __init__(self, user: str, action: str, message: str | None = None):
        self.user = user
        self.action = action

        allowed = ", ".join(roles_allowed(action)) or "no role"
        super().__init__(message or (
            f"user {user!r} may not {action}: the action needs role {allowed}; "
            f"ask an admin to grant it or have a user with that role do it"))


class StaleWriteConflict(StoreError):
    """An update was based on an old version of a record (optimistic locking); nothing was written.

    Attributes
    ----------
    entity, key : str
    expected, found : int or None
        The version the caller read and the version now stored.
    """

    def __init__(self, entity: str, key: str, expected: int | None, found: int | None):
        self.entity, self.key, self.expected, self.found = entity, key, expected, found
        super().__init__(
            f"{entity} {key!r} was changed by someone else (you edited version {expected}, the store now has "
            f"version {found}); reload it, re-apply your change and save again")


class ImmutableRecordError(StoreError):
    """A write tried to change a verified figure, an issued statement or the audit log; nothing was written.

    Corrections are new records: :meth:`store.Store.restate_figure` for verified figures,
    :meth:`store.Store.save_statement` with ``restates=`` for issued statements.
    """


class NotFound(InputError):
    """A record named in a call does not exist (a kind of bad input: exit code 2 on the CLI)."""
