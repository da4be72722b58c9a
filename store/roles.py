"""Roles and the permission table.

Four roles (issue 6): ``credit_officer`` (deals, ratchets, targets), ``operator`` (its own facilities'
design/reported data and simulations), ``verifier`` (verified values, statements), ``admin`` (users,
methodologies, bulk import of files). The store checks these on every call, inside the write transaction,
from the roles stored for the user (never from what the caller claims).

:data:`PERMISSIONS` maps an action id to the roles allowed; ``OWN_FACILITY`` actions additionally need an
operator to be assigned to the facility concerned (credit officers and admins are not so limited).
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("credit_officer", "operator", "verifier", "admin")

#: action id -> roles allowed
PERMISSIONS: dict[str, frozenset[str]] = {
    "user.manage": frozenset({"admin"}),
    "methodology.save": frozenset({"admin"}),
    "data.import": frozenset({"admin"}),               # whole facility files with mixed statuses, seed-demo
    "facility.create": frozenset({"credit_officer", "admin"}),
    "facility.profile": frozenset({"credit_officer", "admin", "operator"}),
    "figure.report": frozenset({"operator"}),          # design / reported figures of its own facilities
    "figure.verify": frozenset({"verifier"}),          # verified values and their restatements
    "deal.save": frozenset({"credit_officer"}),        # loan and ratchet terms
    "target.save": frozenset({"credit_officer"}),      # baselines and SPTs
    "observation.record": frozenset({"credit_officer"}),
    "margin.record": frozenset({"credit_officer"}),
    "simulation.save": frozenset({"operator", "credit_officer"}),
    "statement.save": frozenset({"verifier"}),
    "statement.issue": frozenset({"verifier"}),
    "portfolio.read": frozenset({"credit_officer", "verifier", "admin"}),
    "audit.read": frozenset({"credit_officer", "verifier", "admin"}),
}

#: actions where an operator may act only on facilities assigned to it
OWN_FACILITY: frozenset[str] = frozenset({"facility.profile", "figure.report", "simulation.save"})


def roles_allowed(action: str) -> list[str]:
    """Roles allowed to do ``action`` (sorted), ``[]`` for an unknown action."""
    return sorted(PERMISSIONS.get(action, ()))


def is_allowed(roles, action: str, *, facility: str | None = None, own_facilities=()) -> bool:
    """Whether a user with ``roles`` (and operator of ``own_facilities``) may do ``action``.

    Raises
    ------
    KeyError
        For an unknown action id (a programming error, not user input).
    """
    allowed = PERMISSIONS[action]
    for r in roles:
        if r not in allowed:
            continue
        if r == "operator" and action in OWN_FACILITY and facility is not None and facility not in own_facilities:
            continue
        return True
    return False
