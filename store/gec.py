"""Green-certificate (GEC) lot evidence of facility periods in the deal book (table ``gec_lots``,
migration ``0008_gec_lots``; issue 14).

A period's evidence is what the GHG Protocol Scope 2 quality criteria (Scope 2 Guidance, 2015, ch. 7.5) need
to count an unbundled certificate (:func:`index.engine.gec_lot_problems`): each lot's registry serial / lot id,
MWh, vintage (generation period), market, beneficiary and cancellation record; the certificate ids settled in
bundled green-power trading; the ids sold from on-site generation. Each save that changes it appends a new
version (rows are never updated or deleted); the current evidence is the highest version. A lot id is a
registry serial: it may be claimed by one facility period of the deal book only (no double claim).

Used by :mod:`store.facilities` (save and load); nothing here imports finance or the app.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from index.errors import InputError
from index.models import PeriodData
from store.schema import GecLotRow, PeriodRow

#: one stored item: (kind, lot_id, mwh, generation_start, generation_end, market, retired_for, evidence,
#: status, source)
Item = tuple[str, str | None, float | None, dt.date | None, dt.date | None, str | None, str | None, str | None,
             str, str | None]
ID_KINDS = {"green_trading_id": "green_trading_certificate_ids", "onsite_sold_id": "onsite_certificate_ids_sold"}


def period_items(p: PeriodData) -> list[Item]:
    """The certificate evidence of a period as stored items, in the file's order (lots, then the id lists)."""
    out: list[Item] = [("lot", lot.id, lot.mwh, lot.generation_start, lot.generation_end, lot.market,
                        lot.retired_for, lot.evidence, lot.status, lot.source) for lot in p.gec_certificates or ()]
    for kind, field in ID_KINDS.items():
        out += [(kind, cid, None, None, None, None, None, None, p.status, None) for cid in getattr(p, field) or ()]
    return out


def _item(r: GecLotRow) -> Item:
    return (r.kind, r.lot_id, r.mwh, r.generation_start, r.generation_end, r.market, r.retired_for, r.evidence,
            r.status, r.source)


def current_items(s: Session, period_ids) -> dict[int, tuple[int, list[Item]]]:
    """``{period_id: (version, items)}`` of the current evidence of these periods (periods without any are
    absent; an ``empty`` version gives ``[]``)."""
    ids = list(period_ids)
    if not ids:
        return {}
    latest = (select(GecLotRow.period_id, func.max(GecLotRow.version).label("v"))
              .where(GecLotRow.period_id.in_(ids)).group_by(GecLotRow.period_id).subquery())
    rows = s.scalars(select(GecLotRow).join(latest, (GecLotRow.period_id == latest.c.period_id)
                                            & (GecLotRow.version == latest.c.v))
                     .order_by(GecLotRow.period_id, GecLotRow.seq))
    out: dict[int, tuple[int, list[Item]]] = {}
    for r in rows:
        v, items = out.setdefault(r.period_id, (r.version, []))
        if r.kind != "empty":
            items.append(_item(r))
    return out


def period_fields(items: list[Item]) -> dict[str, Any]:
    """The :class:`PeriodData` fields (``gec_certificates`` and the two id lists) of stored items."""
    d: dict[str, Any] = {}
    lots = [{"id": i[1], "mwh": i[2], "generation_start": i[3], "generation_end": i[4], "market": i[5],
             "retired_for": i[6], "evidence": i[7], "status": i[8], "source": i[9]} for i in items if i[0] == "lot"]
    if lots:
        d["gec_certificates"] = tuple(lots)
    for kind, field in ID_KINDS.items():
        ids = tuple(i[1] for i in items if i[0] == kind)
        if ids:
            d[field] = ids
    return d


def item_json(items: list[Item]) -> list[dict]:
    """Audit form of items (dates as ISO text, absent values left out)."""
    keys = ("kind", "id", "mwh", "generation_start", "generation_end", "market", "retired_for", "evidence",
            "status", "source")
    return [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in zip(keys, i, strict=True)
             if v is not None} for i in items]


def check_no_double_claim(s: Session, facility_id: str, label: str, period_id: int | None, items: list[Item]) -> None:
    """Refuse lots whose id another facility period of the deal book already claims (current evidence).

    Raises
    ------
    InputError
        Naming the lot id and the facility and period that claim it.
    """
    ids = sorted({i[1] for i in items if i[0] == "lot" and i[1]})
    if not ids:
        return
    latest = (select(GecLotRow.period_id, func.max(GecLotRow.version).label("v"))
              .group_by(GecLotRow.period_id).subquery())
    q = (select(GecLotRow.lot_id, PeriodRow.facility_id, PeriodRow.label)
         .join(latest, (GecLotRow.period_id == latest.c.period_id) & (GecLotRow.version == latest.c.v))
         .join(PeriodRow, PeriodRow.id == GecLotRow.period_id)
         .where(GecLotRow.kind == "lot", GecLotRow.lot_id.in_(ids)))
    if period_id is not None:
        q = q.where(GecLotRow.period_id != period_id)
    hit = s.execute(q.order_by(GecLotRow.lot_id).limit(1)).first()
    if hit is not None:
        lot, fac, per = hit
        raise InputError(f"GEC lot {lot} is already claimed by facility {fac} period {per} in the deal book: a "
                         "certificate counts for one claim only (GHG Protocol Scope 2 Guidance ch. 7.5)",
                         field="gec_certificates", row=f"period {label}", value=lot)


def append_version(s: Session, facility_id: str, period_id: int, version: int, items: list[Item], *,
                   reason: str | None, now: dt.datetime, reporter: str, verifier: str) -> int:
    """Append ``items`` as version ``version`` of the period's evidence (an ``empty`` row when there are none);
    verified items are written in the verifier's name. Returns the number of rows."""
    rows = [dict(facility_id=facility_id, period_id=period_id, version=version, seq=k, kind=i[0], lot_id=i[1],
                 mwh=i[2], generation_start=i[3], generation_end=i[4], market=i[5], retired_for=i[6],
                 evidence=i[7], status=i[8], source=i[9], reason=reason, created_at=now,
                 created_by=verifier if i[8] == "verified" else reporter) for k, i in enumerate(items)]
    if not rows:
        rows = [dict(facility_id=facility_id, period_id=period_id, version=version, seq=0, kind="empty",
                     status="reported", reason=reason, created_at=now, created_by=reporter)]
    s.execute(insert(GecLotRow.__table__), rows)
    return len(rows)
