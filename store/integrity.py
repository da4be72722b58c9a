"""``dcsll db verify``: detect rewriting of the record, even by someone who owns the database (issue 13).

Four checks, each reading the whole database once:

* **audit chain** — every audit row's ``prev_hash`` is the ``row_hash`` of the row before it (by id) and its
  ``row_hash`` is the SHA-256 of its content (:mod:`store.auditchain`); a changed, deleted or inserted row breaks
  the chain there;
* **issued statements** — SHA-256 of the stored PDF bytes equals the stored ``sha256`` and the ``sha256`` the
  ``statement.issue`` audit row recorded;
* **verified figures** — each verified figure has an audit row written by its author (``actor`` or the
  ``verified_by`` of an import) for the same record (``<facility>/<period>/<field>`` of ``verify_figure`` /
  ``restate_figure``, ``<facility>/<period>`` of a saved file, ``<facility>`` for facility-level figures)
  whose ``after`` holds the figure's value and the status ``verified``;
* **verified periods** — each verified period names its verifier (``verified_by``, revision ``0007``) and has a
  ``period.create`` / ``period.update`` audit row for ``<facility>/<period>`` whose ``after`` has the status
  ``verified``, written by that verifier (``actor``, or the ``verified_by`` of an import).

Forged rows that extend the chain correctly (someone who knows the algorithm appends a consistent row) are not
detected by the chain: the database triggers and the least-privilege app role (:mod:`store.pgroles`) keep those
out; the chain makes *rewriting* what is already there evident.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from store.auditchain import GENESIS, row_hash
from store.schema import AuditRow, FigureRow, PeriodRow, StatementRow


@dataclass(frozen=True)
class Problem:
    """One finding of :func:`verify`: ``check`` (``audit_chain``, ``statement``, ``figure``, ``period``), the
    row, what."""

    check: str
    row: str
    message: str

    def __str__(self) -> str:
        return f"{self.check} {self.row}: {self.message}"


def _close(a, b) -> bool:
    try:
        return a == b or abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return False


def verify(engine: Engine) -> list[Problem]:
    """All findings (an empty list: the audit chain, the issued statements and the verified figures hold).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The deal book (read only; any role that may SELECT every table).
    """

    problems: list[Problem] = []
    with engine.connect() as conn, Session(bind=conn) as s:
        audits = s.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        prev = GENESIS
        for r in audits:
            content = {"at": r.at, "actor": r.actor, "action": r.action, "entity": r.entity,
                       "entity_key": r.entity_key, "before": r.before, "after": r.after}
            if r.prev_hash != prev:
                problems.append(Problem("audit_chain", f"audit_log id {r.id}",
                                        "prev_hash is not the row_hash of the row before it (a row was deleted, "
                                        "inserted or its hash rewritten)"))
            if r.row_hash != row_hash(r.prev_hash or "", content):
                problems.append(Problem("audit_chain", f"audit_log id {r.id}",
                                        f"content does not match row_hash ({r.action} {r.entity_key} rewritten)"))
            prev = r.row_hash or ""
        by_key: dict[str, list[AuditRow]] = {}
        for r in audits:
            by_key.setdefault(r.entity_key, []).append(r)

        for st in s.scalars(select(StatementRow).order_by(StatementRow.id)):
            if st.status != "issued":
                continue
            digest = hashlib.sha256(bytes(st.pdf)).hexdigest()
            if digest != st.sha256:
                problems.append(Problem("statement", f"statements id {st.id!r}",
                                        f"PDF bytes hash to {digest[:12]}…, stored sha256 is {st.sha256[:12]}…"))
            issued = [a for a in by_key.get(st.id, []) if a.action == "statement.issue"]
            if not any((a.after or {}).get("sha256") == st.sha256 for a in issued):
                problems.append(Problem("statement", f"statements id {st.id!r}",
                                        "no statement.issue audit row records this sha256"))

        labels = dict(s.execute(select(PeriodRow.id, PeriodRow.label)).all())
        for f in s.scalars(select(FigureRow).where(FigureRow.status == "verified").order_by(FigureRow.id)):
            label = labels.get(f.period_id)
            keys = ([f"{f.facility_id}/{label}/{f.field}", f"{f.facility_id}/{label}"] if label is not None
                    else [f.facility_id])
            if not any(_matches(a, f) for k in keys for a in by_key.get(k, [])):
                problems.append(Problem("figure", f"figures id {f.id}",
                                        f"verified {f.facility_id} {label or ''} {f.field} = "
                                        f"{f.value if f.value is not None else f.text!r} by {f.created_by!r} has "
                                        "no matching audit row"))

        for p in s.scalars(select(PeriodRow).where(PeriodRow.status == "verified").order_by(PeriodRow.id)):
            key = f"{p.facility_id}/{p.label}"
            ok = p.verified_by is not None and any(
                a.action in ("period.create", "period.update") and (a.after or {}).get("status") == "verified"
                and p.verified_by in (a.actor, (a.after or {}).get("verified_by")) for a in by_key.get(key, []))
            if not ok:
                problems.append(Problem("period", f"periods id {p.id}",
                                        f"verified period {key} (verified_by {p.verified_by!r}) has no matching "
                                        "audit row by that verifier"))
    return problems


def _matches(a: AuditRow, f: FigureRow) -> bool:
    after = a.after or {}
    if f.created_by not in (a.actor, after.get("verified_by")):
        return False
    spec = after.get("figures", {}).get(f.field) if "figures" in after else (
        after if a.entity == "figure" else after.get(f.field) if a.entity == "facility" else None)
    if a.entity == "facility" and spec is None:
        return False
    if not isinstance(spec, dict) or spec.get("status") != "verified":
        return False
    if f.value is not None:
        return _close(spec.get("value"), f.value)
    return spec.get("text") == f.text and (f.items is None or spec.get("items") == f.items)
