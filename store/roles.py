"""Roles and the permission table.

Four roles (issue 6): ``credit_officer`` (deals, ratchets, targets), ``operator`` (its own facilities'
design/reported data and simulations), ``verifier`` (verified values, statements), ``admin`` (users,
methodologies, bulk import of files, and through it every deal-book input of :data:`IMPORTABLE`). The store checks these on every call, inside the write transaction,
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
    "facility.create": frozenset({"credit_officer", "admin", "operator"}),  # an operator: its own new facility
    "facility.profile": frozenset({"credit_officer", "admin", "operator"}),
    "figure.report": frozenset({"operator"}),          # design / reported figures of its own facilities
    "figure.verify": frozenset({"verifier"}),          # verified values and their restatements
    "deal.save": frozenset({"credit_officer"}),        # loan and ratchet terms
    "target.save": frozenset({"credit_officer"}),      # baselines and SPTs
    "observation.record": frozenset({"credit_officer"}),
    "margin.record": frozenset({"credit_officer"}),
    "monitoring.record": frozenset({"verifier", "credit_officer"}),  # observation recorded from a statement
    "margin.prepare": frozenset({"credit_officer"}),   # maker: prepares a margin change from the record
    "margin.approve": frozenset({"credit_officer"}),   # checker: a second credit officer approves / rejects
    "notice.save": frozenset({"credit_officer"}),      # margin-change notices sent to loan operations
    "simulation.save": frozenset({"operator", "credit_officer"}),
    "statement.save": frozenset({"verifier"}),
    "statement.issue": frozenset({"verifier"}),
    "monthly.save": frozenset({"operator"}),           # monthly metered series of its own facilities
    "intervals.save": frozenset({"operator"}),         # interval meter data of its own facilities (issue 15)
    "levers.save": frozenset({"operator"}),            # lever presets (own facility, or any facility)
    "targets_settings.save": frozenset({"credit_officer"}),  # baseline periods, regulatory profile, proposal
    "verifier.save": frozenset({"verifier", "admin"}),  # verification body identity (no keys)
    "engagement.save": frozenset({"verifier"}),        # the verifier's engagement for an observation
    "portfolio.read": frozenset({"credit_officer", "verifier", "admin"}),
    "audit.read": frozenset({"credit_officer", "verifier", "admin"}),
}

#: actions where an operator may act only on facilities assigned to it
OWN_FACILITY: frozenset[str] = frozenset({"facility.profile", "figure.report", "simulation.save", "monthly.save",
                                         "levers.save", "intervals.save"})

#: actions an admin may also do when importing whole files (``data.import``: seed-demo, ``dcsll db import``)
IMPORTABLE: frozenset[str] = frozenset({"monthly.save", "levers.save", "targets_settings.save", "verifier.save",
                                       "engagement.save", "intervals.save"})


def roles_allowed(action: str) -> list[str]:
    """Roles allowed to do ``action`` (sorted), ``[]`` for an unknown action."""
    extra = PERMISSIONS["data.import"] if action in IMPORTABLE else frozenset()
    return sorted(PERMISSIONS.get(action, frozenset()) | extra)


def is_allowed(roles, action: str, *, facility: str | None = None, own_facilities=()) -> bool:
    """Whether a user with ``roles`` (and operator of ``own_facilities``) may do ``action``.

    Raises
    ------
    KeyError
        For an unknown action id (a programming error, not user input).
    """
    allowed = PERMISSIONS[action]
    if action in IMPORTABLE and any(r in PERMISSIONS["data.import"] for r in roles):
        return True
    for r in roles:
        if r not in allowed:
            continue
        if r == "operator" and action in OWN_FACILITY and facility is not None and facility not in own_facilities:
            continue
        return True
    return False
