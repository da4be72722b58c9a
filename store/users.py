"""Users and roles of the deal book (admin only, except the first admin of an empty book).
"""

from __future__ import annotations

from sqlalchemy import func, select

from index.errors import InputError
from store.base import StoreBase, _now
from store.errors import NotFound
from store.records import (
    Actor,
)
from store.roles import ROLES
from store.schema import (
    FacilityOperator,
    User,
    UserRole,
)


class UsersMixin(StoreBase):
    """Users, their roles and the facilities operators report for."""

    def bootstrap_admin(self, username: str, display_name: str | None = None) -> bool:
        """Create the first admin of an empty deal book; returns False (and does nothing) if users exist."""
        with self._write() as s:
            if s.scalar(select(func.count()).select_from(User)):
                return False
            s.add(User(username=username, display_name=display_name, active=True, created_at=_now()))
            s.flush()
            s.add(UserRole(username=username, role="admin"))
            self._audit(s, username, "user.bootstrap", "user", username, None,
                        {"username": username, "roles": ["admin"]})
        return True

    def add_user(self, actor: str, username: str, roles, *, display_name: str | None = None,
                 facilities=()) -> Actor:
        """Add a user with ``roles`` (subset of :data:`store.roles.ROLES`); admin only.

        Raises
        ------
        InputError
            Duplicate username, unknown role, unknown facility.
        PermissionDenied
            If ``actor`` is not an admin.
        """
        roles = sorted(set(roles))
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise InputError(f"unknown role(s) {bad}; roles are {', '.join(ROLES)}", field="roles", value=roles)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            if s.get(User, username) is not None:
                raise InputError(f"user {username!r} already exists; use set_roles to change its roles",
                                 field="username", value=username)
            s.add(User(username=username, display_name=display_name, active=True, created_at=_now()))
            s.flush()
            for r in roles:
                s.add(UserRole(username=username, role=r))
            for f in facilities:
                self._facility_row(s, f)
                s.add(FacilityOperator(facility_id=f, username=username))
            self._audit(s, a, "user.add", "user", username, None,
                        {"username": username, "roles": roles, "facilities": sorted(facilities),
                         "display_name": display_name})
        return self.user(username)

    def set_roles(self, actor: str, username: str, roles) -> Actor:
        """Replace a user's roles (admin only)."""
        roles = sorted(set(roles))
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise InputError(f"unknown role(s) {bad}; roles are {', '.join(ROLES)}", field="roles", value=roles)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            if s.get(User, username) is None:
                raise NotFound(f"no user {username!r}", field="username")
            old = sorted(s.scalars(select(UserRole.role).where(UserRole.username == username)))
            if old == roles:
                return self.user(username)
            for r in s.scalars(select(UserRole).where(UserRole.username == username)):
                s.delete(r)
            s.flush()
            for r in roles:
                s.add(UserRole(username=username, role=r))
            self._audit(s, a, "user.roles", "user", username, {"roles": old}, {"roles": roles})
        return self.user(username)

    def assign_facility(self, actor: str, username: str, facility_id: str) -> None:
        """Let operator ``username`` report for ``facility_id`` (admin only)."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            if s.get(User, username) is None:
                raise NotFound(f"no user {username!r}", field="username")
            self._facility_row(s, facility_id)
            if s.get(FacilityOperator, (facility_id, username)) is None:
                s.add(FacilityOperator(facility_id=facility_id, username=username))
                self._audit(s, a, "user.assign_facility", "user", username, None, {"facility": facility_id})

    def deactivate_user(self, actor: str, username: str) -> None:
        """Deactivate a user (kept for the audit trail; admin only)."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            u = s.get(User, username)
            if u is None:
                raise NotFound(f"no user {username!r}", field="username")
            if u.active:
                u.active = False
                self._audit(s, a, "user.deactivate", "user", username, {"active": True}, {"active": False})
