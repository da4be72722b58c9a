"""Verification page (verifier): reported vs verified figures, a live draft of verified values with evidence,
the resulting index / SPT outcomes / margin, recording in the deal book, issuing the signed statement, and
checking any statement PDF. Computations: :mod:`app_support.verification`."""

import datetime as dt
import json

import pandas as pd
import streamlit as st

from app_support import verification as V
from app_support.cfe import verifier_panel
from app_support.engine import book_facilities, book_source, deal_basis, facility_label
from app_support.i18n import catalogue, current_language, name, t
from app_support.methodology_admin import term
from app_support.pages import require
from app_support.store import actor, app_store
from app_support.tables import show
from common.text import fmt_date
from finance.statement import load_catalogue  # noqa: E402 (the statement catalogue lists the standards)
from index.errors import InputError
from store.errors import ImmutableRecordError, PermissionDenied, StoreError

require("app_pages/verification.py")
DRAFT_KEY = "ver_draft"
FLASH_KEY = "ver_flash"
ISSUED_KEY = "ver_issued"

lang = current_language()
labels = catalogue(lang)  # for format_func callbacks, which may run outside the script run (AppTest)
st.title(t("verification.title"))
st.caption(t("verification.intro"))

store = app_store()
deals = {d: store.load_deal_document(d) for d in store.deal_ids()}
deals = {d: doc for d, doc in deals.items() if V.observation_periods(doc)}
facilities = book_facilities(store)
if not facilities:
    st.info(t("verification.no_facilities"))
    st.stop()
scopes = ("deal", "facility") if deals else ("facility",)
scope = st.radio(t("verification.scope"), scopes, horizontal=True, key="ver_scope",
                 format_func=lambda v: labels["verification.scope_" + v])
c1, c2 = st.columns([3, 1])
if scope == "deal":
    deal_id = c1.selectbox(t("verification.deal"), list(deals), key="ver_deal")
    doc = deals[deal_id]
    period = c2.selectbox(t("verification.period"), V.observation_periods(doc), key="ver_period")
    fid = str(doc["facility"])
    if fid not in facilities:
        st.error(t("verification.no_facility", id=fid))
        st.stop()
    facility = facilities[fid]
    scope_id = deal_id
else:  # a facility period without a deal yet (e.g. a new borrower's baseline years)
    fid = c1.selectbox(t("verification.facility_pick"), list(facilities), key="ver_facility",
                       format_func=lambda i: facility_label(facilities[i], lang))
    facility = facilities[fid]
    plabels = [p.label for p in facility.periods]
    if not plabels:
        st.info(t("verification.no_periods", id=fid))
        st.stop()
    period = c2.selectbox(t("verification.period"), plabels, index=len(plabels) - 1, key="ver_fperiod")
    doc, deal_id, scope_id = None, None, fid
if period not in {p.label for p in facility.periods}:
    st.error(t("verification.no_period", id=fid, period=period))
    st.stop()
st.caption(t("verification.facility", id=fid,
             name=(facility.name_zh or facility.name) if lang == "zh" else facility.name))

rows = V.figure_rows(store, fid, period)
if not rows:
    st.info(t("verification.no_figures", id=fid, period=period))
    st.stop()
by_field = {r.field: r for r in rows}
drafts = st.session_state.setdefault(DRAFT_KEY, {})
draft: dict[str, V.Edit] = drafts.setdefault(f"{scope_id}/{period}", {})


GEN_KEY = "ver_generation"


def _widget_keys(field: str) -> tuple[str, str]:
    """Keys of a figure's value and evidence inputs; a new generation after each record/discard gives fresh
    widgets (the browser would otherwise send the old inputs back)."""
    g = st.session_state.get(GEN_KEY, 0)
    suffix = f"{scope_id}_{period}_{field}" + (f"_{g}" if g else "")
    return f"ver_value_{suffix}", f"ver_evidence_{suffix}"


def _discard() -> None:
    for f in list(draft):
        for k in _widget_keys(f):
            st.session_state.pop(k, None)
    draft.clear()
    st.session_state[GEN_KEY] = st.session_state.get(GEN_KEY, 0) + 1


# --- edit -------------------------------------------------------------------------------------------------
st.subheader(t("verification.edit.heading"))
e1, e2, e3 = st.columns([2, 1, 2])
field = e1.selectbox(t("verification.edit.pick"), [r.field for r in rows], key=f"ver_field_{lang}",
                     format_func=lambda f: labels["verification.field." + f])
row = by_field[field]
base = row.recorded if row.recorded is not None else row.reported
vkey, ekey = _widget_keys(field)
fraction = row.unit in ("fraction", "-")
value = e2.number_input(t("verification.edit.value", unit=term(labels, "unit", row.unit)), min_value=0.0,
                        value=float(draft[field].value if field in draft else base or 0.0),
                        step=0.001 if fraction else 1.0, format="%.4f" if fraction else "%.2f", key=vkey)
evidence = e3.text_input(t("verification.edit.evidence"), value=draft[field].evidence if field in draft else "",
                         help=t("verification.edit.evidence_help"), key=ekey)


def _sync() -> None:
    """Put the edited figure's widget values into the draft (a value equal to the current one with no
    evidence is no edit)."""
    v, e = st.session_state.get(vkey, value), st.session_state.get(ekey, evidence)
    if V.same_value(v, base) and not e.strip():
        draft.pop(field, None)
    else:
        draft[field] = V.Edit(value=float(v), evidence=e)


_sync()
if row.recorded is not None:
    st.caption(t("verification.edit.restates", value=V.fmt_value(row.recorded)))

# --- figures table ----------------------------------------------------------------------------------------
st.subheader(t("verification.figures.heading"))
st.caption(t("verification.figures.caption"))
table = pd.DataFrame([{
    t("verification.figures.field"): t("verification.field." + r.field),
    t("verification.figures.unit"): term(labels, "unit", r.unit),
    t("verification.figures.reported"): V.fmt_value(r.reported),
    t("verification.figures.recorded"): V.fmt_value(r.recorded),
    t("verification.figures.draft"): V.fmt_value(draft[r.field].value) if r.field in draft else "",
    t("verification.figures.state"): t("verification.state." + (
        "draft" if r.field in draft else "verified" if r.recorded is not None else "pending")),
    t("verification.figures.evidence"): draft[r.field].evidence if r.field in draft else r.source,
} for r in rows])
show(table, hide_index=True, key="ver_figures")
verifier_panel(store, fid, period)  # interval data behind the CFE figures (issue 15)

# --- the period as a whole ---------------------------------------------------------------------------------
period_status = next(p.status for p in facility.periods if p.label == period)
if period_status == "verified":
    st.caption(t("verification.whole.is_verified", period=period))
else:
    p1, p2 = st.columns([3, 1], vertical_alignment="bottom")
    ref = p1.text_input(t("verification.whole.reference"), key=f"ver_period_ref_{fid}_{period}",
                        help=t("verification.whole.reference_help"))
    if p2.button(t("verification.whole.mark", period=period), key="ver_mark_period",
                 disabled=bool(draft) or not ref.strip()):
        try:
            V.verify_period(store, actor(), fid, period, ref)
        except PermissionDenied as exc:
            st.error(t("verification.error.permission", message=str(exc)))
        except (StoreError, ValueError) as exc:
            st.error(t("verification.error.store", message=str(exc)))
        else:
            st.session_state[FLASH_KEY] = ("success", t("verification.whole.marked", period=period, id=fid))
            st.rerun()
    st.caption(t("verification.whole.pending", period=period, status=t("upload.status." + period_status)))

# --- outcome: reported / recorded / draft ------------------------------------------------------------------
st.subheader(t("verification.outcome.heading"))
rep_facility = V.reported_facility(facility, rows, period)
outcomes, draft_error, outcome_ready, base_period = {}, None, False, None
basis = None
if doc is not None:
    try:  # what the deal is scored with: its pinned methodology version and reference bundle in the deal book
        basis = deal_basis(doc, store)
    except InputError as exc:
        st.error(t("verification.outcome.no_basis", id=deal_id, message=exc.message))
    else:
        st.caption(t("verification.outcome.basis_pinned" if basis.pinned else "verification.outcome.basis_current",
                     version=basis.key, sha=basis.methodology.sha256, ref=basis.reference_sha256))
if doc is None:
    st.info(t("verification.outcome.no_deal", id=fid, period=period))
elif basis is None:
    pass
else:
    candidates = V.baseline_candidates(facility, period)
    if not candidates:
        st.warning(t("verification.outcome.no_baseline", id=fid, period=period))
    else:
        stored = V.stored_baseline_period(store, deal_id, period)
        base_period = st.selectbox(
            t("verification.outcome.baseline"), candidates, key=f"ver_baseline_{deal_id}_{period}",
            index=candidates.index(stored) if stored in candidates else len(candidates) - 1,
            help=t("verification.outcome.baseline_help"))
        st.caption(t("verification.outcome.caption"))
        fac_json, deal_json = rep_facility.model_dump_json(), json.dumps(doc, default=str, sort_keys=True)
        eng_json = json.dumps({"baseline_period": base_period})
        draft_values = {f: e.value for f, e in draft.items()}
        problems = {}
        for version in V.VERSIONS:
            over = V.overrides(rows, version, draft_values)
            try:
                outcomes[version] = V.outcome(V.cached_build(
                    deal_json, fac_json, period, json.dumps(over, sort_keys=True), eng_json,
                    f"{basis.methodology.sha256}/{basis.reference_sha256}", book_source(store), basis.methodology))
            except Exception as exc:  # noqa: BLE001 - InputError(s) of the engines: named, never a traceback
                problems[version] = getattr(exc, "message", str(exc))
        draft_error = problems.get("draft")
        for version in ("reported", "recorded"):
            if version in problems:
                st.error(t("verification.outcome.cannot_build", version=t("verification.figures." + version),
                           message=problems[version]))
        if draft_error and "recorded" not in problems:
            st.error(t("verification.edit.draft_invalid", message=draft_error))
        outcome_ready = "recorded" in outcomes
if outcome_ready:
    cols = [v for v in V.VERSIONS if v in outcomes]
    head = {"reported": t("verification.figures.reported"), "recorded": t("verification.figures.recorded"),
            "draft": t("verification.figures.draft")}
    def _kpi(k: str) -> str:
        """A ratchet KPI by its label: the index parts from the catalogue, an indicator by its name."""
        if f"verification.kpi.{k}" in labels:
            return labels[f"verification.kpi.{k}"]
        ind = basis.methodology.indicators.get(k)
        return name(ind) if ind is not None else k

    items = [(t("verification.outcome.index"), lambda o: f"{o['total']:.2f}"),
             (t("verification.outcome.grade"), lambda o: term(labels, "grade", o["grade"]))]
    for k, spt in enumerate(outcomes["recorded"]["spts"]):
        items.append((t("verification.outcome.spt", kpi=_kpi(spt["kpi"]), target=f"{spt['target']:g}"),
                      lambda o, k=k: "—" if o["spts"][k]["value"] is None else f"{o['spts'][k]['value']:g}"))
        items.append((t("verification.outcome.spt_outcome", kpi=_kpi(spt["kpi"])),
                      lambda o, k=k: f"{t('verification.result.' + o['spts'][k]['outcome'])} "
                                     f"({o['spts'][k]['effect_bp']:+g})"))
    items += [(t("verification.outcome.adjustment"), lambda o: f"{o['adjustment_bp']:+g}"),
              (t("verification.outcome.margin_before"), lambda o: f"{o['margin_before_bp']:g}"),
              (t("verification.outcome.margin_after"), lambda o: f"{o['margin_after_bp']:g}"),
              (t("verification.outcome.effective"), lambda o: str(o["effective_date"]))]
    show(pd.DataFrame([{t("verification.outcome.item"): label, **{head[v]: fn(outcomes[v]) for v in cols}}
                       for label, fn in items]), hide_index=True, key="ver_outcome")
    if "draft" in outcomes:
        d, r = outcomes["draft"], outcomes["recorded"]
        m1, m2 = st.columns(2)
        di, dm = d["total"] - r["total"], d["adjustment_bp"] - r["adjustment_bp"]
        m1.metric(t("verification.outcome.metric_index"), f"{d['total']:.2f}", f"{di:+.2f}" if round(di, 2) else None)
        m2.metric(t("verification.outcome.metric_margin"), f"{d['adjustment_bp']:+g}", f"{dm:+g}" if dm else None,
                  delta_color="inverse")
        st.caption(t("verification.outcome.delta_caption"))


# --- record -------------------------------------------------------------------------------------------------
def _record() -> None:
    _sync()  # widget edits that arrive with the click
    empty = V.missing_evidence(draft)
    if empty:
        st.session_state[FLASH_KEY] = ("error", t("verification.edit.evidence_missing", fields=", ".join(
            t("verification.field." + f) for f in empty)))
        return
    if draft_error:
        st.session_state[FLASH_KEY] = ("error", t("verification.edit.draft_invalid", message=draft_error))
        return
    try:
        written = V.record(store, actor(), fid, period, rows, draft)
    except PermissionDenied as exc:
        st.session_state[FLASH_KEY] = ("error", t("verification.error.permission", message=str(exc)))
        return
    except (StoreError, ValueError) as exc:  # ImmutableRecordError, InputError (a ValueError)
        st.session_state[FLASH_KEY] = ("error", t("verification.error.store", message=str(exc)))
        return
    _discard()
    st.session_state[FLASH_KEY] = ("success", t("verification.edit.recorded_ok", n=len(written)) if written
                                   else t("verification.edit.nothing_changed"))


b1, b2, b3 = st.columns([1, 1, 2])
b1.button(t("verification.edit.record"), type="primary", on_click=_record, help=t("verification.edit.record_help"),
          disabled=not draft, key="ver_record")
b2.button(t("verification.edit.discard"), on_click=_discard, disabled=not draft, key="ver_discard")
b3.caption(t("verification.edit.draft_count", n=len(draft)) if draft else t("verification.edit.no_draft"))
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    (st.error if flash[0] == "error" else st.success)(flash[1])

# --- issue --------------------------------------------------------------------------------------------------
def _verifier_form(verifiers: dict) -> None:
    """The verification body's identity in the deal book (``Store.save_verifier``; never a key)."""
    ids = list(verifiers)
    cur = verifiers[ids[0]] if ids else {}
    bi = lambda k, lang: (cur.get(k) or {}).get(lang, "")  # noqa: E731
    with st.form("ver_identity"):
        c1, c2, c3 = st.columns(3)
        vid = c1.text_input(t("verification.verifier.id"), value=ids[0] if ids else "", key="vf_id")
        name_en = c2.text_input(t("verification.verifier.name_en"), value=bi("name", "en"), key="vf_name_en")
        name_zh = c3.text_input(t("verification.verifier.name_zh"), value=bi("name", "zh"), key="vf_name_zh")
        c1, c2, c3 = st.columns(3)
        accreditation = c1.text_input(t("verification.verifier.accreditation"), value=cur.get("accreditation", ""),
                                      key="vf_accreditation", help=t("verification.verifier.accreditation_help"))
        body = c2.text_input(t("verification.verifier.accreditation_body"), value=cur.get("accreditation_body", ""),
                             key="vf_body")
        signatory = c3.text_input(t("verification.verifier.signatory"), value=cur.get("signatory", ""),
                                  key="vf_signatory")
        c1, c2, c3, c4 = st.columns(4)
        title_en = c1.text_input(t("verification.verifier.title_en"), value=bi("signatory_title", "en"), key="vf_title_en")
        title_zh = c2.text_input(t("verification.verifier.title_zh"), value=bi("signatory_title", "zh"), key="vf_title_zh")
        place_en = c3.text_input(t("verification.verifier.place_en"), value=bi("place", "en"), key="vf_place_en")
        place_zh = c4.text_input(t("verification.verifier.place_zh"), value=bi("place", "zh"), key="vf_place_zh")
        go = st.form_submit_button(t("verification.verifier.save"))
    if not go:
        return
    document = {"name": {"en": name_en.strip(), "zh": name_zh.strip() or name_en.strip()},
                "accreditation": accreditation.strip(), "signatory": signatory.strip(),
                "signatory_title": {"en": title_en.strip(), "zh": title_zh.strip() or title_en.strip()},
                "place": {"en": place_en.strip(), "zh": place_zh.strip() or place_en.strip()}}
    if body.strip():
        document["accreditation_body"] = body.strip()
    try:
        store.save_verifier(actor(), vid.strip(), document)
    except PermissionDenied as exc:
        st.error(t("verification.error.permission", message=str(exc)))
    except (StoreError, ValueError) as exc:  # InputError naming the field
        st.error(t("verification.verifier.invalid", message=getattr(exc, "message", str(exc))))
    else:
        st.success(t("verification.verifier.saved", id=vid.strip()))
        st.rerun()


def _issue_section() -> None:
    """Verifier identity, engagement fields, the issue button and the issued statement (a deal's observation
    with a baseline); the engagement is saved to the deal book when the statement is issued."""
    defaults = V.engagement_defaults(store, deal_id, period)
    verifiers = store.verifiers()
    with st.expander(t("verification.verifier.heading"), expanded=not verifiers):
        _verifier_form(verifiers)
    if not verifiers:
        st.warning(t("verification.verifier.none"))
        return
    vids = list(verifiers)
    vid = st.selectbox(t("verification.verifier.pick"), vids, key="ver_verifier",
                       index=vids.index(defaults["verifier_id"]) if defaults.get("verifier_id") in vids else 0,
                       format_func=lambda v: f"{verifiers[v]['name'].get(lang) or verifiers[v]['name'].get('en')} ({v})")
    i1, i2, i3, i4 = st.columns([2, 2, 1, 1])
    sid = i1.text_input(t("verification.issue.statement_id"),
                        value=defaults.get("statement_id") or f"VS-{deal_id}-{period}".upper(),
                        key=f"ver_sid_{deal_id}_{period}")

    catalogue_standards = list(load_catalogue()["standards"])
    standards = i2.multiselect(t("verification.issue.standards"), catalogue_standards,
                               default=[x for x in defaults.get("standards", []) if x in catalogue_standards],
                               key=f"ver_standards_{deal_id}_{period}")
    levels, kinds = ["limited", "reasonable"], ["unmodified", "qualified"]
    level = i3.selectbox(t("verification.issue.level"), levels, index=levels.index(defaults.get("assurance_level",
                         "limited")), format_func=lambda v: labels["verification.issue.level_" + v], key="ver_level")
    kind = i4.selectbox(t("verification.issue.conclusion"), kinds, index=kinds.index(defaults.get("conclusion",
                        "unmodified")), format_func=lambda v: labels["verification.issue.conclusion_" + v], key="ver_kind")
    notes = V.evidence_notes(rows)
    extra = st.text_area(t("verification.issue.extra_note"), key=f"ver_extra_{deal_id}_{period}",
                         help=t("verification.issue.extra_note_help"))
    if extra.strip():
        notes.append({"kind": "exception", "en": extra.strip(), "zh": extra.strip()})
    if notes:
        st.caption(t("verification.issue.notes", n=len(notes)))
        for n in notes:
            st.markdown(f"- {n['zh'] if lang == 'zh' else n['en']}")
    if not standards:
        st.caption(t("verification.issue.need_standard"))
    accept = st.checkbox(t("verification.issue.accept"), key="ver_accept")
    st.warning(t("verification.issue.demo_identity"), icon=":material/warning:")
    exists = sid.strip() in set(store.statement_ids())
    issued = st.session_state.get(ISSUED_KEY)
    if issued is not None and issued.statement_id != sid.strip():
        issued = None  # the message of a statement issued earlier belongs to that statement id only
    if exists and issued is None:
        # one clear message: that id is taken (statements are immutable); the list below downloads it
        st.info(t("verification.issue.exists", id=sid.strip()))
    elif draft:
        st.info(t("verification.issue.unsaved"))
    elif not accept:
        st.caption(t("verification.issue.need_accept"))
    if st.button(t("verification.issue.button"), type="primary", key="ver_issue",
                 disabled=bool(draft) or not accept or not sid.strip() or not standards or exists):
        engagement = {"statement_id": sid.strip(), "standards": standards, "assurance_level": level,
                      "conclusion": kind, "baseline_period": base_period, "verifier_id": vid, "notes": notes}
        st.session_state.pop(ISSUED_KEY, None)
        issued, failure = None, None
        with st.spinner(t("verification.issue.progress")):
            try:  # the engagement as decided is kept in the deal book; issued on the signing day
                store.save_engagement(actor(), deal_id, period, engagement)
                issued = V.issue(store, actor(), doc, rep_facility, period, V.overrides(rows, "recorded"),
                                 {**engagement, "issue_date": dt.date.today()}, verifiers[vid],
                                 methodology=basis.methodology)
            except ImmutableRecordError:
                failure = t("verification.issue.immutable", id=sid.strip())
            except PermissionDenied as exc:
                failure = t("verification.error.permission", message=str(exc))
            except Exception as exc:  # noqa: BLE001 - InputError from the engines, a failed self-check: named
                failure = t("verification.issue.failed", message=getattr(exc, "message", str(exc)))
        if failure:
            st.error(failure)
        else:
            st.session_state[ISSUED_KEY] = issued
    if issued is not None:
        st.success(t("verification.issue.issued", id=issued.statement_id, sha=issued.content_sha256,
                     build=f"{issued.build_s:.2f}", sign=f"{issued.sign_s:.2f}"))
        st.download_button(t("verification.issue.download"), data=issued.pdf, file_name=f"{issued.statement_id}.pdf",
                           mime="application/pdf", key="ver_download", on_click="ignore")


st.subheader(t("verification.issue.heading"))
if outcome_ready:
    _issue_section()
elif doc is not None:
    st.info(t("verification.issue.not_ready"))
else:
    st.info(t("verification.outcome.no_deal", id=fid, period=period))

# --- issued statements --------------------------------------------------------------------------------------
st.subheader(t("verification.list.heading"))
listed = V.issued_statements(store, deal_id=deal_id, facility_id=fid)
if not listed:
    st.caption(t("verification.list.none"))
else:
    show(pd.DataFrame([{t("verification.list.id"): i.id, t("verification.list.deal"): i.deal_id or "—",
                        t("verification.list.period"): i.period_label or "—",
                        t("verification.list.issued_at"): fmt_date(i.issued_at) if i.issued_at else "—",
                        t("verification.list.status"): labels.get(f"verification.list.status_{i.status}", i.status),
                        t("verification.list.sha"): i.sha256} for i in listed]),
         hide_index=True, key="ver_statements")
    again = st.selectbox(t("verification.list.pick"), [i.id for i in listed], key="ver_list_pick")
    st.download_button(t("verification.list.download", id=again), data=store.statement_pdf(again),
                       file_name=f"{again}.pdf", mime="application/pdf", key="ver_list_download", on_click="ignore")

# --- check --------------------------------------------------------------------------------------------------
st.subheader(t("verification.check.heading"))
st.caption(t("verification.check.caption"))
k1, k2 = st.columns([3, 2])
upload = k1.file_uploader(t("verification.check.upload"), type=["pdf"], key="ver_upload")
trust_demo = k2.checkbox(t("verification.check.trust_demo"), value=True, key="ver_trust_demo")
trust_files = k2.file_uploader(t("verification.check.trust_upload"), type=["pem", "crt", "cer", "der"],
                               accept_multiple_files=True, key="ver_trust")
if upload is not None:
    res = V.check_bytes(upload.getvalue(), [f.getvalue() for f in trust_files or []], trust_demo)
    show = {"intact": st.success, "untrusted": st.warning}.get(res.status, st.error)
    show(t("verification.check.status", status=t("verification.status." + res.status)))
    for reason in res.reasons:
        st.markdown(f"- {t('verification.reason.' + V.reason_key(reason))}")
        st.caption(t("verification.check.original", text=reason))
    for key, val in (("statement", res.statement_id), ("sha", res.content_sha256), ("signer", res.signer),
                     ("signing_time", res.signing_time)):
        if val:
            st.caption(t("verification.check." + key, **{{"statement": "id", "sha": "sha", "signer": "signer",
                                                           "signing_time": "time"}[key]: val}))
