"""The annual monitoring loop on the deal book (issue 12): issue → record → prepare → approve → notice.

DESIGN.md §2, "a loan's life is recorded, not recomputed": issuing a verification statement records the
observation (verified KPI values, SPTs met / missed, statement id and SHA-256, certificate delivery date); the
margin change that follows from the deal's ratchet and timing rule (:func:`finance.monitoring.margin_events_from_record`)
is *prepared* by one credit officer and takes effect only when a second one *approves* it
(:meth:`store.Store.approve_margin_change`); the approved change gives the notice for loan operations
(:mod:`finance.notice`). Cash flows and valuation use the approved, recorded margins for the past and the ratchet
for the future (:func:`workflows.evaluate_deal` → :func:`finance.monitoring.recorded_run`); figures that are only
reported give *indicative* changes that never move the margin in force.

Functions
---------
``recorded_observations(store, deal_id)``         the deal book's records as ``RecordedObservation``
``change_key(change)``                             the key a computed change is prepared under (never twice)
``margin_changes(store, deal, as_of)``             computed changes with their deal-book state
``approved_changes(store, deal, as_of)``           ``{(observation_date, kind)}`` of the approved ones
``issue_statement(store, deal_id, period, *, actor, ...)``   build → sign → save → record → prepare
``record_statement(store, actor, deal_id, signed, info)``     record an issued statement's observation
``prepare_changes(store, actor, deal_id, *, as_of)``          prepare what the record gives, not yet prepared
``record_late_certificates(store, actor, as_of)``  "all missed" step-ups of overdue certificates (and cures)
``approve(store, actor, change_id)`` / ``reject(...)``
``notice(store, actor, deal_id, observation_date, *, as_of)`` notices of approved changes, kept in the deal book
``due(store, as_of, days=None)``                    the observation calendar on the deal book
``deal_history(store, actor, deal_id)``             the audit trail of a deal (``.rows``, ``.to_csv()``)
``facility_history(store, actor, facility_id)``     the same for a facility and all its deals
``amend_deal(store, actor, deal_id, event, *, facility_after=None)``   SLLP recalculation → new deal version
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from common.errors import InputError
from finance.conventions import conventions
from finance.monitoring import (
    RecordedObservation,
    due_items,
    margin_events_from_record,
    margin_order,
    observation_calendar,
    recorded_observation_from_statement,
)
from finance.notice import notice_from_change
from finance.notice_pdf import render_notice_pdf
from finance.statement_sign import issue_statement as _sign
from finance.statement_sign import load_identity
from index.ambition import ambition_report
from index.baseline import recalculate
from index.models import FIGURE_UNITS
from index.targets import meets
from workflows.pipeline import build_statement, facility_of, load_target_inputs, targets
from workflows.settings import DEFAULTS
from workflows.sources import StoreSource

#: deal-book states of a computed change
STATES = ("to_prepare", "prepared", "approved", "rejected", "indicative")


def _source(store, source=None):
    return source if source is not None else StoreSource(store)


def recorded_observations(store, deal_id: str) -> list:
    """The deal's recorded observations (:meth:`store.Store.monitoring_records`) as
    :class:`finance.monitoring.RecordedObservation`, oldest first (later records supersede earlier ones)."""

    return [RecordedObservation(deal_id=r.deal_id, observation_date=r.observation_date, status=r.status,
                                kpis=r.kpis, grade=r.grade, outcomes=r.outcomes, statement_id=r.statement_id,
                                statement_sha256=r.statement_sha256, certificate_delivered=r.certificate_delivered,
                                reported_on=r.reported_on, record_id=r.id)
            for r in store.monitoring_records(deal_id)]


def change_key(change) -> str:
    """``deal/observation date/kind[/statement id]``: one computed margin change; preparing the same key again
    writes nothing. A restated statement gives a new key (a new change to approve); a reporting failure is keyed
    on its observation only."""
    key = f"{change.deal_id}/{change.observation_date.isoformat()}/{change.kind}"
    return key + (f"/{change.statement_id}" if change.kind != "reporting_failure" and change.statement_id else "")


@dataclass(frozen=True)
class ChangeView:
    """A computed margin change and where the deal book has it.

    Attributes
    ----------
    change : finance.monitoring.MarginChange
    key : str
    state : {"to_prepare", "prepared", "approved", "rejected", "indicative"}
    record : store.MarginChangeRecord or None
        The latest preparation of this key.
    """

    change: object
    key: str
    state: str
    record: object = None


def margin_changes(store, deal, as_of: dt.date) -> list[ChangeView]:
    """Margin changes of a deal computed from its record on ``as_of``, each with its deal-book state.

    Raises
    ------
    InputError
        A record the deal contradicts (see :func:`finance.monitoring.margin_events_from_record`).
    """

    changes = margin_events_from_record(deal, recorded_observations(store, deal.id), as_of)
    latest = {}
    for r in store.margin_change_records(deal.id):
        latest[r.change_key] = r
    out = []
    for c in changes:
        if c.status == "indicative":
            out.append(ChangeView(c, "", "indicative"))
            continue
        k = change_key(c)
        r = latest.get(k)
        out.append(ChangeView(c, k, "to_prepare" if r is None else r.state, r))
    return out


def approved_changes(store, deal, as_of: dt.date, views: list[ChangeView] | None = None) -> set:
    """``{(observation_date, kind)}`` of the computed changes a second credit officer approved (what
    :func:`finance.monitoring.recorded_run` may put in force)."""
    views = margin_changes(store, deal, as_of) if views is None else views
    return {(v.change.observation_date, v.change.kind) for v in views if v.state == "approved"}


def prepare_changes(store, actor: str, deal_id: str, *, as_of: dt.date, observation_date: dt.date | None = None,
                    source=None) -> list:
    """Prepare (maker, credit officer ``actor``) every recorded change of a deal not yet prepared.

    Parameters
    ----------
    as_of : datetime.date
        Day of the record: a certificate due before it and not delivered gives the "all missed" step-up.
    observation_date : datetime.date, optional
        Only this observation's changes.

    Returns
    -------
    list of store.MarginChangeRecord
        The preparations written now (``created``), in effective-date order.
    """
    src = _source(store, source)
    deal = src.deal(deal_id)
    out = []
    for v in margin_changes(store, deal, as_of):
        if v.state not in ("to_prepare", "rejected"):
            continue
        if observation_date is not None and v.change.observation_date != observation_date:
            continue
        rec = store.prepare_margin_change(actor, deal_id, v.key, v.change.model_dump(mode="json"),
                                          record_id=v.change.record_id)
        if rec.created:
            out.append(rec)
    return out


def record_late_certificates(store, actor: str, as_of: dt.date, deal_ids: list[str] | None = None) -> list:
    """The contractual "all SPTs missed" step-up of every certificate overdue on ``as_of`` (effective by the
    timing rule from its due date) and the cure of those since delivered, prepared by ``actor`` for approval.

    Idempotent: a change already prepared (or approved) is not prepared again. Returns the preparations written.
    """
    out = []
    src = _source(store)
    for did in deal_ids or store.deal_ids():
        deal = src.deal(did)
        for v in margin_changes(store, deal, as_of):
            if v.state == "to_prepare" and v.change.kind in ("reporting_failure", "cure"):
                rec = store.prepare_margin_change(actor, did, v.key, v.change.model_dump(mode="json"),
                                                  record_id=v.change.record_id)
                if rec.created:
                    out.append(rec)
    return out


def approve(store, actor: str, change_id: int, *, note: str | None = None):
    """:meth:`store.Store.approve_margin_change` (a second credit officer; the preparer is refused)."""
    return store.approve_margin_change(actor, change_id, note=note)


def reject(store, actor: str, change_id: int, *, reason: str):
    """:meth:`store.Store.reject_margin_change`."""
    return store.reject_margin_change(actor, change_id, reason=reason)


# ----------------------------------------------------------------------------------------- issuing


@dataclass
class IssuedStatement:
    """What :func:`issue_statement` did: the signed statement and PDF, the stored statement, the recorded
    observation and the margin changes prepared (empty without ``prepared_by``)."""

    statement: object
    pdf: bytes
    info: object
    record: object
    observation: object
    prepared: list = field(default_factory=list)


def issue_statement(store, deal_id: str, period: str, *, actor: str, identity=None, verifier=None,
                    engagement: dict | None = None, certificate_delivered: dt.date | None = None,
                    prepared_by: str | None = None, as_of: dt.date | None = None, lang: str = "both",
                    cjk_font: str = "auto", signature_status: str = "signature_valid",
                    source=None) -> IssuedStatement:
    """Build, sign and issue a verification statement, then record the observation it certifies.

    Steps: :func:`workflows.build_statement` (verified figures) → :func:`finance.statement_sign.issue_statement`
    → :meth:`store.Store.save_statement` (``issue=True``; its SHA-256) →
    :func:`finance.monitoring.recorded_observation_from_statement` → :meth:`store.Store.record_monitoring_observation`
    → (with ``prepared_by``) :func:`prepare_changes` for this observation.

    Parameters
    ----------
    actor : str
        The verifier issuing the statement (also records the observation).
    identity : finance.statement_sign.SigningIdentity, optional
        Default: the demo identity (:func:`finance.statement_sign.load_identity` of nothing).
    verifier : finance.statement.Verifier or mapping, optional
        Default: the deal book's verifier.
    certificate_delivered : datetime.date, optional
        Date the compliance certificate reached the bank; default the statement's issue date.
    prepared_by : str, optional
        Credit officer who prepares the margin change(s) now (the *maker*); another one approves.
    as_of : datetime.date, optional
        Day of the record for the preparation; default the later of the delivery date and today.

    Raises
    ------
    InputError
        The statement cannot be built; store.ImmutableRecordError: the statement id is already issued;
        store.PermissionDenied: ``actor`` is not a verifier or ``prepared_by`` not a credit officer.
    """

    src = _source(store, source)
    deal = src.deal(deal_id)
    st = build_statement(deal, src, str(period), verifier, engagement)
    ident = identity if identity is not None else load_identity(None)
    signed, pdf = _sign(st, ident, lang=lang, cjk_font=cjk_font)
    fac = facility_of(deal, src)
    info = store.save_statement(actor, signed.statement_id, facility_id=fac.id, pdf=pdf,
                                signature_status=signature_status, deal_id=deal.id, period_label=str(period),
                                issue=True)
    rec, obs, prepared = record_statement(store, actor, deal.id, signed, info,
                                          certificate_delivered=certificate_delivered, prepared_by=prepared_by,
                                          as_of=as_of, source=src)
    return IssuedStatement(signed, pdf, info, rec, obs, prepared)


def record_statement(store, actor: str, deal_id: str, signed, info, *, certificate_delivered: dt.date | None = None,
                     prepared_by: str | None = None, as_of: dt.date | None = None, source=None):
    """Record the observation an issued statement certifies (and, with ``prepared_by``, prepare its margin
    change): the step after :meth:`store.Store.save_statement` (``issue=True``), shared by
    :func:`issue_statement` and the app's Verification page.

    Parameters
    ----------
    signed : finance.statement.VerificationStatement
        The statement as signed.
    info : store.StatementInfo
        The stored, issued statement (its SHA-256 is recorded).
    certificate_delivered : datetime.date, optional
        Default the statement's issue date.

    Returns
    -------
    (store.MonitoringRecord, finance.monitoring.RecordedObservation, list of store.MarginChangeRecord)
    """

    delivered = certificate_delivered or signed.issue_date
    obs = recorded_observation_from_statement(signed, deal_id=deal_id, statement_sha256=info.sha256,
                                              certificate_delivered=delivered)
    rec = store.record_monitoring_observation(
        actor, deal_id, obs.observation_date, status="verified", kpis=obs.kpis, outcomes=obs.outcomes,
        grade=obs.grade, statement_id=signed.statement_id, certificate_delivered=delivered)
    prepared = []
    if prepared_by:
        day = as_of or max(delivered, dt.date.today())
        prepared = prepare_changes(store, prepared_by, deal_id, as_of=day, observation_date=obs.observation_date,
                                   source=source)
    return rec, obs.model_copy(update={"record_id": rec.id}), prepared


# ----------------------------------------------------------------------------------------- notices, due


@dataclass
class IssuedNotice:
    """A notice of an approved change: the model, its PDF and the deal-book record."""

    notice: object
    pdf: bytes
    record: object


def notice(store, actor: str, deal_id: str, observation_date: dt.date, *, as_of: dt.date,
           issue_date: dt.date | None = None, lang: str = "both", save: bool = True,
           only_new: bool = False) -> list[IssuedNotice]:
    """Margin-change notice(s) of one observation for loan operations, from the **approved** changes.

    The preparer and the approver come from the deal book (maker-checker), never from the caller. With
    ``save`` the notice (JSON and PDF with its SHA-256) is kept (:meth:`store.Store.save_notice`, ``actor`` a
    credit officer). With ``only_new`` the changes that already have a kept notice are skipped (the app's
    button, so a second click never sends a notice twice).

    Raises
    ------
    InputError
        No approved change for that observation (naming what is pending or approved).
    """

    deal = _source(store).deal(deal_id)
    views = [v for v in margin_changes(store, deal, as_of) if v.change.observation_date == observation_date
             and v.state != "indicative"]
    ok = [v for v in views if v.state == "approved"]
    if not ok:
        states = ", ".join(f"{v.change.kind}: {v.state}" for v in views) or "no recorded change"
        raise InputError(f"no approved margin change for deal {deal_id!r} observation {observation_date} "
                         f"({states}); a second credit officer approves with `dcsll approve`",
                         field="observation", value=str(observation_date))
    if only_new:
        sent = {n.change_id for n in store.notices(deal_id)}
        ok = [v for v in ok if v.record.id not in sent]
    out = []
    for v in sorted(ok, key=lambda v: margin_order(v.change)):
        made = v.record  # the prepared (and approved) change in the deal book
        n = notice_from_change(deal, v.change, prepared_by=made.prepared_by, approved_by=[made.decided_by],
                               issue_date=issue_date or as_of,
                               prepared_on=_day(made.prepared_at, deal.loan.currency),
                               approved_on=_day(made.decided_at, deal.loan.currency))
        pdf = render_notice_pdf(n, lang)
        rec = store.save_notice(actor, v.record.id, n.notice_id, n.model_dump(mode="json", by_alias=True),
                                pdf=pdf) if save else None
        out.append(IssuedNotice(n, pdf, rec))
    return out


def _day(when: dt.datetime | None, currency: str) -> dt.date | None:
    """The date of a deal-book timestamp (stored in UTC; a naive one is read as UTC) in the loan currency's zone
    (``time_zone`` of ``[currency.*]`` in ``data/finance/conventions.toml``), None when there is none."""
    if when is None:
        return None

    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(conventions().currency[currency]["time_zone"])).date()


def _record_only(deal):
    """The deal without the file form's ``certificate_delivered`` dates: on the deal book a certificate counts as
    delivered only with its verified record (an issued statement), as in
    :func:`finance.monitoring.margin_events_from_record`."""
    obs = [o.model_copy(update={"certificate_delivered": None}) for o in deal.observations]
    return deal.model_copy(update={"observations": obs})


def due(store, as_of: dt.date, days: int | None = None, *, deal_ids: list[str] | None = None,
        all_dates: bool = False) -> list:
    """:func:`finance.monitoring.due_items` (or, with ``all_dates``, every date of
    :func:`finance.monitoring.observation_calendar`) over the deal book's deals and their records; a certificate
    counts as delivered only with its verified record."""

    src = _source(store)
    deals = [_record_only(src.deal(d)) for d in (deal_ids or store.deal_ids())]
    recorded = {d.id: recorded_observations(store, d.id) for d in deals}
    if all_dates:
        return [it for d in deals for it in observation_calendar(d, as_of, recorded[d.id])]
    return due_items(deals, as_of, days, recorded)


# ----------------------------------------------------------------------------------------- history


HISTORY_COLUMNS = ("at", "actor", "action", "entity", "key", "summary", "before", "after")


@dataclass
class DealHistory:
    """The audit trail of one deal and its facility, oldest first.

    ``rows``: dicts of :data:`HISTORY_COLUMNS` (``before`` / ``after`` as JSON text; ``summary`` in English)
    plus ``summary_code`` / ``summary_params`` (:func:`summary_code`, not in the CSV); ``versions``: the deal
    versions (:meth:`store.Store.deal_versions`); ``changes``: margin changes with preparer and approver.
    """

    deal_id: str
    facility_id: str
    rows: list
    versions: list
    changes: list

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=HISTORY_COLUMNS, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(self.rows)
        return buf.getvalue()


def summary_code(e) -> tuple[str, dict]:
    """What one audit record says (the ``summary`` of a history row) as a code and its params, for a reader's
    language (the app's catalogue ``history.summary.<code>``).

    Codes: ``period`` (``key``, ``n`` figures, ``action``), ``figure`` (``key``, ``old``, ``new``, ``step``,
    ``reason``, ``source``), ``margin_prepare`` (``kind``, ``before``, ``after`` [bp], ``effective``),
    ``margin_decision`` (``state``, ``note``), ``monitoring_record`` (``status``, ``kpis``, ``statement``),
    ``deal_version`` (``version``, ``reason`` as recorded), ``action`` (``action``: nothing more to say).
    """
    a = e.after or {}
    if e.entity == "period":
        return "period", {"key": e.entity_key, "n": len(a.get("figures") or {}), "action": e.action}
    if e.entity == "figure":
        b = e.before or {}
        return "figure", {"key": e.entity_key, "old": b.get("value") if isinstance(b, dict) else None,
                          "new": a.get("value"), "step": e.action.removeprefix("figure."),
                          "reason": a.get("reason") or None, "source": a.get("source") or None}
    if e.entity == "margin_change":
        if e.action == "margin.prepare":
            return "margin_prepare", {"kind": a.get("kind"), "before": a.get("margin_before_bp"),
                                      "after": a.get("margin_after_bp"), "effective": a.get("effective_date")}
        return "margin_decision", {"state": a.get("state"), "note": a.get("note") or None}
    if e.entity == "monitoring_record":
        return "monitoring_record", {"status": a.get("status"), "kpis": a.get("kpis"),
                                     "statement": a.get("statement_id")}
    if e.entity == "deal" and (a.get("version") is not None or a.get("reason")):
        return "deal_version", {"version": a.get("version"), "reason": a.get("reason") or None}
    return "action", {"action": e.action}


def _summary(e) -> str:
    a = e.after or {}
    if e.entity == "period":
        return f"{e.entity_key}: {len((e.after or {}).get('figures') or {})} figure(s) ({e.action})"
    if e.entity == "figure":
        b = e.before or {}
        old = b.get("value") if isinstance(b, dict) else None
        return f"{e.entity_key}: {old} → {a.get('value')} ({e.action.removeprefix('figure.')})" + (
            f"; {a['reason']}" if a.get("reason") else "") + (f"; source {a['source']}" if a.get("source") else "")
    if e.entity == "margin_change":
        if e.action == "margin.prepare":
            return (f"{a.get('kind')} prepared: {a.get('margin_before_bp')} → {a.get('margin_after_bp')} bp from "
                    f"{a.get('effective_date')}")
        return f"{a.get('state')}" + (f": {a['note']}" if a.get("note") else "")
    if e.entity == "monitoring_record":
        return f"{a.get('status')} KPIs {a.get('kpis')}; statement {a.get('statement_id')}"
    if e.entity == "deal":
        v = f"version {a['version']}" if a.get("version") is not None else ""
        return f"{v} {a.get('reason') or ''}".strip() or e.action
    return e.action


def _coded(e) -> dict:
    code, params = summary_code(e)
    return {"summary_code": code, "summary_params": params}


def deal_history(store, actor: str, deal_id: str) -> DealHistory:
    """Who did what when on a deal and its facility: the deal's versions, statements, recorded observations,
    margin changes (prepared / approved / rejected, by whom), notices, baselines and SPTs, and every figure of
    the facility (reported → verified → restated, with reason and source).

    Raises
    ------
    store.PermissionDenied
        ``actor`` may not read the audit log.
    """
    info = store.deal(deal_id)
    stmts = {s.id for s in store.statements(deal_id)}
    notices = {n.notice_id for n in store.notices(deal_id)}
    fac = info.facility_id

    def mine(e) -> bool:
        k = e.entity_key
        if e.entity in ("deal", "targets_settings", "engagement"):
            return k == deal_id or k.startswith(deal_id + "/") or k.startswith(deal_id + " ")
        if e.entity in ("monitoring_record", "margin_change", "baseline", "spt", "observation"):
            return k.startswith(deal_id + "/")
        if e.entity == "statement":
            return k in stmts
        if e.entity == "margin_notice":
            return k in notices
        if e.entity in ("figure", "period"):
            return k.startswith(fac + "/")
        if e.entity in ("facility", "monthly"):
            return k == fac
        return False

    rows = []
    for e in store.audit_log(actor):
        if mine(e):
            rows.append(dict(at=e.at.isoformat(), actor=e.actor, action=e.action, entity=e.entity, key=e.entity_key,
                             summary=_summary(e), before=json.dumps(e.before, ensure_ascii=False, default=str),
                             after=json.dumps(e.after, ensure_ascii=False, default=str), **_coded(e)))
    return DealHistory(deal_id, fac, rows, store.deal_versions(deal_id), store.margin_change_records(deal_id))


def facility_history(store, actor: str, facility_id: str) -> DealHistory:
    """The audit trail of a facility: its profile, periods and every figure (reported → verified → restated, with
    reason and evidence source), and the trails of its deals (:func:`deal_history`), oldest first."""
    deals = [d for d in store.deal_ids() if store.deal(d).facility_id == facility_id]
    seen, rows, versions, changes = set(), [], [], []
    for d in deals:
        h = deal_history(store, actor, d)
        versions += h.versions
        changes += h.changes
        for r in h.rows:
            key = (r["at"], r["action"], r["key"])
            if key not in seen:
                seen.add(key)
                rows.append(r)
    if not deals:
        for e in store.audit_log(actor):
            if (e.entity in ("figure", "period") and e.entity_key.startswith(facility_id + "/")) or (
                    e.entity in ("facility", "monthly") and e.entity_key == facility_id):
                rows.append(dict(at=e.at.isoformat(), actor=e.actor, action=e.action, entity=e.entity,
                                 key=e.entity_key, summary=_summary(e),
                                 before=json.dumps(e.before, ensure_ascii=False, default=str),
                                 after=json.dumps(e.after, ensure_ascii=False, default=str), **_coded(e)))
    rows.sort(key=lambda r: r["at"])
    return DealHistory(",".join(deals), facility_id, rows, versions, changes)


FIGURE_CHAIN_COLUMNS = ("period", "field", "unit", "step", "stage", "value", "source", "reason", "at", "by")


def figure_chain(store, facility_id: str) -> list[dict]:
    """Every figure of a facility with its chain reported → verified → restated, oldest step first.

    Read from the append-only figure history (:meth:`store.Store.figure_history`) for each figure the facility
    holds (:meth:`store.Store.load_facility`): facility-level figures (``period`` None) and each period's.

    Returns
    -------
    list of dict
        Keys :data:`FIGURE_CHAIN_COLUMNS`: ``field`` the figure's field name, ``unit`` from
        :data:`index.models.FIGURE_UNITS`, ``step`` 1, 2, … along the chain, ``stage`` ``design`` / ``reported``
        / ``verified`` / ``restated`` (a verified value that replaces an earlier verified one), ``value`` [unit],
        ``source`` the evidence named, ``reason`` of a restatement, ``at`` (ISO time) and ``by`` (user).
    """
    fac = store.load_facility(facility_id)
    wanted: list[tuple[str | None, str]] = [(None, f) for f in FIGURE_UNITS
                                            if getattr(fac, f, None) is not None and hasattr(getattr(fac, f), "status")]
    for p in fac.periods:
        wanted += [(p.label, f) for f in FIGURE_UNITS if getattr(p, f, None) is not None]
    rows = []
    for period, fld in wanted:
        seen_verified = False
        for step, r in enumerate(store.figure_history(facility_id, period, fld), start=1):
            stage = r.status
            if r.status == "verified":
                stage = "restated" if seen_verified else "verified"
                seen_verified = True
            rows.append(dict(period=period, field=fld, unit=FIGURE_UNITS[fld], step=step, stage=stage,
                             value=r.value, source=r.source, reason=r.reason, at=r.created_at.isoformat(),
                             by=r.created_by))
    return rows


# ----------------------------------------------------------------------------------------- amendments


@dataclass
class Amendment:
    """An SLLP recalculation of a deal (:func:`amend_deal`).

    Attributes
    ----------
    recalculation : index.baseline.Recalculation
        Threshold test, old and new baseline and SPT plan.
    old_version, new_version : int
        Deal versions (``new_version`` = ``old_version`` when nothing changed).
    spts : dict
        ``{observation date: {kpi: (old, new)}}`` of the observations recalibrated [KPI unit].
    checks : list
        Ambition checks of the new SPT plan (:func:`index.ambition.ambition_report`).
    saved : bool
        A new deal version was written.
    """

    deal_id: str
    recalculation: object
    old_version: int
    new_version: int
    spts: dict
    checks: list
    saved: bool = False

    @property
    def triggered(self) -> bool:
        return bool(self.recalculation.triggered)


def pro_forma_facility(facility, capacity_change_kw: float, hall_pue: float, periods):
    """The facility after acquiring (+) or disposing of (−) ``capacity_change_kw`` of design IT power, pro forma.

    Pro-forma rule (the SLLP "recalculate the baseline as if the perimeter had always been the new one", LMA/APLMA/
    LSTA *Guidance on the SLLP*, "Recalculations"), in its simplest form: the changed capacity ran at the campus's
    IT load. With share = ``capacity_change_kw`` / design IT power before the event [fraction], in each of
    ``periods`` (the baseline periods): IT energy × (1 + share) [kWh]; total energy + share × IT energy ×
    ``hall_pue`` [kWh]; design IT power + ``capacity_change_kw`` [kW]. Every other figure stays as recorded
    (enter a full pro-forma period on the Data submission page when they change too).

    Parameters
    ----------
    facility : index.models.Facility
        The facility as the deal book holds it (before the event).
    capacity_change_kw : float
        [kW]; negative for a disposal.
    hall_pue : float
        PUE of the acquired or disposed capacity [-], ≥ 1.
    periods : iterable of str
        Labels of the periods made pro forma.

    Raises
    ------
    InputError
        No design IT power; a PUE below 1; a disposal of all the capacity or more; an unknown period; a period
        without IT or total energy.
    """
    dp = facility.design_it_power_kw
    if dp is None or dp.value is None or dp.value <= 0:
        raise InputError("design IT power is needed to weigh a capacity change", field="design_it_power_kw",
                         unit="kW")
    if hall_pue is None or not hall_pue >= 1.0:
        raise InputError("the PUE of the acquired or disposed capacity must be 1 or more", field="hall_pue",
                         unit="-", value=hall_pue)
    share = float(capacity_change_kw) / float(dp.value)
    if share <= -1.0:
        raise InputError(f"a disposal of {-capacity_change_kw:g} kW leaves no capacity of the {dp.value:g} kW",
                         field="capacity_change_kw", unit="kW", value=capacity_change_kw)
    want = {str(p) for p in periods}
    labels = {p.label for p in facility.periods}
    missing = sorted(want - labels)
    if missing:
        raise InputError(f"period(s) {', '.join(missing)} not in facility {facility.id!r} "
                         f"(it has {', '.join(sorted(labels))})", field="periods", value=missing)
    out = []
    for p in facility.periods:
        if p.label in want:
            if p.it_energy_kwh is None or p.total_energy_kwh is None:
                raise InputError(f"period {p.label} of facility {facility.id!r} needs IT and total energy for a "
                                 "pro-forma baseline", field="it_energy_kwh", unit="kWh")
            it = p.it_energy_kwh.value * share
            p = p.model_copy(update={
                "it_energy_kwh": p.it_energy_kwh.model_copy(update={"value": p.it_energy_kwh.value + it}),
                "total_energy_kwh": p.total_energy_kwh.model_copy(
                    update={"value": p.total_energy_kwh.value + it * float(hall_pue)})})
        out.append(p)
    return facility.model_copy(update={
        "design_it_power_kw": dp.model_copy(update={"value": dp.value + float(capacity_change_kw)}), "periods": out})


def amend_deal(store, actor: str, deal_id: str, event, *, facility_after=None, hall_pue: float | None = None,
               save: bool = True, paths: int | None = None, seed: int | None = None, source=None) -> Amendment:
    """Recalculate a deal's baseline and SPTs after an SLLP event and save the result as a new deal version.

    Steps: :func:`workflows.targets` (baseline, the deal's SPT plan, BAU) → :func:`index.baseline.recalculate`
    (the capacity threshold test of ``data/targets/recalculation.toml``, 5 % of design IT power) → the SPTs of
    every observation not yet verified and dated on or after the event replaced by the rebased plan's → ambition checked again
    (:func:`index.ambition.ambition_report` with P(BAU meets) of the new values) → :meth:`store.Store.save_deal`
    (``kind="amended"`` with the event's reason; the old version is kept) and the old and new baselines
    (:meth:`store.Store.set_baseline`, the new one with the reason).

    Parameters
    ----------
    event : index.baseline.RecalculationEvent
    facility_after : index.models.Facility, optional
        The facility after the event (pro-forma perimeter, restated data); default the deal book's facility.
    hall_pue : float, optional
        Acquisition / disposal without ``facility_after``: make the deal book's facility pro forma over the
        baseline periods with :func:`pro_forma_facility` (the changed capacity at this PUE [-]).
    save : bool
        False: compute only (the app's preview); nothing is written and ``new_version`` = ``old_version``.

    Returns
    -------
    Amendment
        Nothing is saved when the event is below the threshold (``triggered`` False) or ``save`` is False.

    Raises
    ------
    InputError
        ``hall_pue`` with an event that is not an acquisition or disposal, or with ``facility_after``; see
        :func:`index.baseline.recalculate` and :func:`pro_forma_facility`.
    """

    src = _source(store, source)
    deal = src.deal(deal_id)
    info = store.deal(deal_id)
    inp = load_target_inputs(deal, src)
    rep = targets(deal, src, paths=paths or DEFAULTS.targets_paths, seed=DEFAULTS.seed if seed is None else seed,
                  inputs=inp)
    fac = facility_after if facility_after is not None else inp.facility
    if hall_pue is not None:
        if facility_after is not None or event.kind not in ("acquisition", "disposal"):
            raise InputError("a pro-forma PUE goes with an acquisition or disposal and no facility file",
                             field="hall_pue", unit="-", value=hall_pue)
        if event.capacity_change_kw is None:
            raise InputError(f"a {event.kind} needs the capacity change", field="capacity_change_kw", unit="kW")
        change = event.capacity_change_kw
        fac = pro_forma_facility(inp.facility, change, hall_pue, rep.baseline.periods)
    bcfg = inp.settings.get("baseline", {})
    rc = recalculate(rep.baseline, event, fac, methodology=inp.methodology, plan=rep.plans["deal"],
                     allow_reported=bool(bcfg.get("allow_reported", False)))
    if not rc.triggered:
        return Amendment(deal_id, rc, info.version, info.version, {}, [], saved=False)
    new_plan = rc.new_plan
    verified = {r.observation_date for r in store.monitoring_records(deal_id) if r.status == "verified"}
    doc = store.load_deal_document(deal_id)
    spts: dict = {}
    for o in doc.get("observations", []):
        d = o["date"] if isinstance(o["date"], dt.date) else dt.date.fromisoformat(str(o["date"]))
        # verified: the result stands; dated before the event: that reporting period ended before the change in
        # perimeter or method, so its SPT is not rebased (SLLP recalculation applies from the event onwards)
        if d in verified or d < event.date or not isinstance(o.get("spt"), dict):
            continue
        for kpi, old in list(o["spt"].items()):
            if kpi not in new_plan.paths or isinstance(old, str):
                continue
            try:
                new = round(float(new_plan.spt(kpi, d.year)), 4)
            except InputError:
                continue
            if new != old:
                o["spt"][kpi] = new
                spts.setdefault(d.isoformat(), {})[kpi] = (old, new)
    # ambition again: P(BAU meets) of the new milestones from the same BAU simulation
    bau = {}
    for kpi, path in new_plan.paths.items():
        for ms in path.milestones:
            if (kpi, ms.year) in rep.bau["deal"]:      # TargetsReport.bau: {plan name: {(kpi, year): band}}
                b = dict(rep.bau["deal"][(kpi, ms.year)])
                b["spt"] = ms.value
                b["p_meets"] = float(meets(rep.sim.kpi(kpi)[:, rep.sim.years.index(ms.year)], ms.value,
                                           path.comparator).mean())
                bau[(kpi, ms.year)] = b
    checks = ambition_report(new_plan, fac, bau, **inp.settings.get("regulatory_profile", {}))
    if not save:
        return Amendment(deal_id, rc, info.version, info.version, spts, checks, saved=False)
    reason = f"{event.kind} on {event.date}: {event.reason} ({rc.note})"
    saved = store.save_deal(actor, doc, expected_version=info.version, reason=reason, kind="amended")
    have = {t.kpi for t in store.targets(deal_id) if t.observation_date is None}
    for kpi in new_plan.paths:
        old_b, new_b = rc.old_baseline.value(kpi), rc.new_baseline.value(kpi)
        if kpi not in have:
            store.set_baseline(actor, deal_id, kpi, old_b, period_label=str(rc.old_baseline.base_year))
        store.set_baseline(actor, deal_id, kpi, new_b, period_label=str(rc.new_baseline.base_year), reason=reason)
    return Amendment(deal_id, rc, info.version, saved.version, spts, checks, saved=True)
