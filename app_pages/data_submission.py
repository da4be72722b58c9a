"""Data submission page (operator): validate an uploaded facility file or periods table, or periods entered in
the app's table, list every failure, then save valid data to the deal book as the signed-in user and show what
was saved.

Nothing is written while any failure is listed; the deal book's own refusals (role, facility not assigned,
verified figure, concurrent write, bad record) are shown translated, and the upload stays on the page.
"""

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support.cfe import interval_tab
from app_support.engine import ROOT, methodology
from app_support.i18n import current_language, t
from app_support.pages import require
from app_support.periods_table import (
    columns,
    periods_frame,
    rows_to_periods,
    template_workbook,
)
from app_support.store import actor, app_store
from app_support.tables import show
from app_support.upload_check import (
    PERIOD_STATUSES,
    check_monthly,
    column_label,
    failure_frame,
    reason_text,
    status_label,
    stored_periods_frame,
    validate_upload,
)
from app_support.upload_check import build_facility as build_checked
from common.text import MISSING
from index.engine import score
from index.errors import InputError, InputErrors
from index.forecast import MONTHLY_UNITS, REQUIRED_MONTHLY
from index.models import facility_from_dict
from store.errors import ImmutableRecordError, PermissionDenied, StaleWriteConflict, StoreError

TEMPLATE = ROOT / "app_support" / "templates" / "facility_template.toml"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: session-state key of the last save: (upload digest, FacilitySaveReport)
SAVED_KEY = "upload_saved"
#: session-state flag: a save from the entry table has just happened (its result is shown on the next run)
FRESH_KEY = "enter_saved_fresh"
#: roles that may attach a periods table to any facility of the deal book (others: their assigned facilities)
ALL_FACILITIES_ROLES = frozenset({"admin", "credit_officer"})


def _checklist_ids() -> list[str]:
    m = methodology()
    return [i for i, ind in m.indicators.items() if ind.curve.type in ("checklist", "composite")]


def _indicator_names(lang: str) -> dict[str, str]:
    """Indicator id → its name in ``lang`` (the methodology's), for the checklist columns' headers."""
    return {i: (ind.name_zh if lang == "zh" else ind.name_en) for i, ind in methodology().indicators.items()}


def _entry_config(frame: pd.DataFrame, lang: str) -> dict:
    """``column_config`` of the entry table: every column headed by its label and unit
    (:func:`app_support.upload_check.column_label`), the status picked from the period statuses (shown by their
    catalogue text, kept as ids), numbers as numbers; the column names (field ids) stay what the table returns."""
    names = _indicator_names(lang)
    conf = {}
    for c in frame.columns:
        label = column_label(c, lang, names)
        if c == "status":
            conf[c] = st.column_config.SelectboxColumn(label, options=list(PERIOD_STATUSES),
                                                       format_func=lambda v: status_label(v, lang))
        elif c.startswith("checklists."):
            conf[c] = st.column_config.TextColumn(label, help=t("upload.checklist_help"))
        elif pd.api.types.is_float_dtype(frame[c].dtype):
            conf[c] = st.column_config.NumberColumn(label)
        else:
            conf[c] = st.column_config.TextColumn(label)
    return conf


@st.cache_data(show_spinner=False)
def _workbook() -> bytes:
    return template_workbook(_checklist_ids())


#: name given to periods entered in the app in failure tables and the audit record
ENTERED = "entered in the app"


def _validate(name: str, data: bytes, header: dict | None) -> tuple[object, list[dict]]:
    """(facility or None, failure rows) of an uploaded file. Tables are attached to ``header`` (a stored
    facility without periods); see :func:`app_support.upload_check.validate_upload`."""
    return validate_upload(name, data, header)


def _build(raw: dict, name: str, errors: list[InputError] = ()) -> tuple[object, list[dict]]:
    """(facility or None, failure rows) of a facility mapping (:func:`app_support.upload_check._build`)."""
    return build_checked(raw, name, errors)


def _failure_table(rows: list[dict], key: str) -> None:
    """Every failure in one table: field by label and unit, reason translated from its code
    (:func:`app_support.upload_check.failure_frame`); reasons without a translation listed apart (zh)."""
    table, originals = failure_frame(rows, current_language())
    show(table, hide_index=True, key=key)
    if originals:
        with st.expander(t("upload.reason.originals")):
            st.markdown("\n".join(f"- {o}" for o in originals))


def _refusal(exc: Exception, facility_id: str) -> tuple[str, list[dict]]:
    """The translated message for an error of the deal book, and failure rows when it names a field."""
    if isinstance(exc, PermissionDenied):
        if exc.action == "facility.create":
            return t("upload.err.create", id=facility_id), []
        if exc.action == "figure.verify":
            return t("upload.err.verify", id=facility_id), []
        if exc.action in ("figure.report", "facility.profile"):
            return t("upload.err.not_assigned", id=facility_id), []
        if exc.action == "act":
            return t("upload.err.unknown_user", user=exc.user), []
        return t("upload.err.permission"), []
    if isinstance(exc, StaleWriteConflict):
        return t("upload.err.stale", id=facility_id), []
    if isinstance(exc, ImmutableRecordError):
        return t("upload.err.immutable", id=facility_id), []
    if isinstance(exc, InputErrors):
        return t("upload.err.input"), exc.table()
    if isinstance(exc, InputError):
        return t("upload.err.input"), [exc.as_row()]
    return t("upload.err.store"), []


def _save(fac, file: str, digest: str, seen_version: int | None = None) -> None:
    """Save ``fac`` as the signed-in user; keep the report (or the refusal) in session state for the page.

    ``seen_version`` is the facility's version when the preview was shown: if someone saved the facility since,
    the store refuses with ``StaleWriteConflict`` and nothing is written (optimistic locking, issue 13)."""
    try:
        report = app_store().save_facility(actor(), fac, file=file, expected_version=seen_version)
    except (StoreError, InputError) as exc:
        st.session_state[SAVED_KEY] = (digest, None, exc)
    else:
        st.session_state[SAVED_KEY] = (digest, report, None)
    if file == ENTERED:
        st.session_state[FRESH_KEY] = True


def _show_save(fac, saved) -> None:
    _, report, exc = saved
    if exc is not None:
        msg, rows = _refusal(exc, fac.id)
        sep = "" if current_language() == "zh" else " "
        st.error(f"{msg}{sep}{t('upload.err.nothing_saved')}", icon=":material/block:")
        if rows:
            _failure_table(rows, "store_failure_table")
        with st.expander(t("upload.err.detail")):
            st.code(str(exc), language=None)
        return
    if not report.figures_written and not report.created and not report.periods_changed:
        st.info(t("upload.saved_unchanged", id=report.facility_id))
        return
    st.success(t("upload.saved_created" if report.created else "upload.saved", id=report.facility_id,
                 user=actor(), figures=report.figures_written, changes=report.changes))
    show(pd.DataFrame({
        t("upload.col.periods_created"): [", ".join(report.periods_created) or MISSING],
        t("upload.col.periods_changed"): [", ".join(report.periods_changed) or MISSING],
        t("upload.col.figures_written"): [report.figures_written],
        t("upload.col.changes"): [report.changes],
    }), hide_index=True, key="save_report")


def _facility_choices() -> list[str]:
    """Facilities the signed-in user may add periods to: all for credit officers and admins, else assigned."""
    book = app_store()
    me = book.user(actor())
    return book.facility_ids() if me.roles & ALL_FACILITIES_ROLES else sorted(me.facilities)


def _check_and_save(name: str, fac, failures: list[dict], digest: str) -> None:
    """List the failures, or preview the scores and offer the save button (both tabs)."""
    if failures:
        st.error(t("upload.failures", n=len(failures)))
        _failure_table(failures, "failure_table" if name != ENTERED else "enter_failure_table")
        return
    st.success(t("upload.ok", name=fac.name, n=len(fac.periods)))
    st.subheader(t("upload.preview"))
    rows = []
    for p in fac.periods:
        try:
            r = score(fac, p.label, methodology())
            rows.append({t("score.period"): p.label, t("score.total"): round(r.total, 2),
                         t("score.grade"): r.grade, t("score.completeness"): f"{r.completeness:.0%}"})
        except InputError as exc:
            rows.append({t("score.period"): p.label, t("col.reason"): reason_text(exc.as_row(), current_language())[0]})
    show(pd.DataFrame(rows), hide_index=True, key="preview" if name != ENTERED else "enter_preview")
    book = app_store()
    seen = book.facility_version(fac.id) if fac.id in book.facility_ids() else None  # what this preview is based on
    st.button(t("upload.save", id=fac.id), type="primary", key="upload_save" if name != ENTERED else "enter_save",
              icon=":material/save:", on_click=_save, args=(fac, Path(name).name, digest, seen),
              help=t("upload.save_help"))
    saved = st.session_state.get(SAVED_KEY)
    # entered periods: the saved period becomes the latest stored one, so the starting row (and the digest)
    # change with the save itself; the result is shown once, on the run right after the save
    fresh = name == ENTERED and st.session_state.pop(FRESH_KEY, False)
    if saved is not None and (saved[0] == digest or fresh):
        _show_save(fac, saved)


def _upload_tab() -> None:
    up = st.file_uploader(t("upload.file"), type=["toml", "csv", "xlsx"], key="upload_file")
    if up is None:
        return
    header = None
    if not up.name.lower().endswith(".toml"):
        ids = _facility_choices()
        if not ids:
            st.warning(t("upload.no_facility"))
            return
        fid = st.selectbox(t("upload.attach_to"), ids, key=f"upload_attach_{lang}", help=t("upload.attach_help"))
        header = app_store().load_facility(fid).model_dump(mode="json", exclude_none=True, exclude={"periods"})
    data = up.getvalue()
    with st.spinner(t("upload.checking")):
        checked = _validate(up.name, data, header)
    _check_and_save(up.name, *checked, hashlib.sha256(data + repr(header).encode()).hexdigest())


def _enter_tab() -> None:
    """Periods typed into a table: starts from the latest stored period's values with the label, status and
    source to fill in; the stored periods are shown above it (they stay as stored unless re-entered)."""
    ids = _facility_choices()
    if not ids:
        st.warning(t("upload.no_facility"))
        return
    fid = st.selectbox(t("upload.enter_facility"), ids, key=f"enter_facility_{lang}",
                       help=t("upload.attach_help"))
    stored = app_store().load_facility(fid)
    cols = columns(_checklist_ids())
    dumps = [p.model_dump(mode="json", exclude_none=True) for p in stored.periods]
    if dumps:
        st.caption(t("upload.enter_stored", n=len(dumps)))
        show(stored_periods_frame(dumps, cols, lang, _indicator_names(lang)), hide_index=True,
             key=f"enter_stored_{fid}")
    start = dict(dumps[-1]) if dumps else {}
    for k in ("label", "start", "end", "source", "notes"):
        start.pop(k, None)
    start["status"] = "reported"
    st.markdown(t("upload.enter_help"))
    frame = periods_frame([start], cols)
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, placeholder=MISSING,
                            column_config=_entry_config(frame, lang), key=f"enter_table_{fid}")
    header = stored.model_dump(mode="json", exclude_none=True, exclude={"periods"})
    periods, _lines, errors = rows_to_periods(edited, ENTERED)
    if errors:
        st.error(t("upload.failures", n=len(errors)))
        _failure_table([e.as_row() for e in errors], "enter_failure_table")
        return
    if not any(p.get("label") for p in periods):
        st.caption(t("upload.enter_label"))
        return
    raw = dict(header, periods=periods)
    _check_and_save(ENTERED, *_build(raw, ENTERED), hashlib.sha256(repr(raw).encode()).hexdigest())


#: session-state key of the last monthly save: (digest, months written or None, error or None)
MONTHLY_SAVED_KEY = "monthly_saved"
#: roles that may create a facility in the deal book (the store's ``facility.create``)
CREATE_ROLES = frozenset({"admin", "credit_officer", "operator"})  # an operator onboards its own facility


def _save_monthly(fid: str, frame, name: str, digest: str) -> None:
    try:
        n = app_store().save_monthly(actor(), fid, frame, source=name)
    except (StoreError, InputError) as exc:
        st.session_state[MONTHLY_SAVED_KEY] = (digest, None, exc)
    else:
        st.session_state[MONTHLY_SAVED_KEY] = (digest, n, None)


def _monthly_tab() -> None:
    """Monthly metered series (CSV / Excel, one month per row): checked as ``index.forecast`` checks a monthly
    file, previewed, then saved to the deal book (months given replace stored ones, the others stay)."""

    st.markdown(t("upload.monthly_help", columns=", ".join(f"`{c}` [{u}]" for c, u in MONTHLY_UNITS.items())))
    st.download_button(t("upload.monthly_template"), _monthly_template(), file_name="monthly_template.csv",
                       mime="text/csv", key="monthly_template")
    ids = _facility_choices()
    if not ids:
        st.warning(t("upload.no_facility"))
        return
    fid = st.selectbox(t("upload.monthly_facility"), ids, key=f"monthly_facility_{lang}")
    stored = app_store().monthly(fid)
    if stored is not None:
        st.caption(t("upload.monthly_stored", n=len(stored), first=str(stored.index[0]), last=str(stored.index[-1])))
    up = st.file_uploader(t("upload.monthly_file"), type=["csv", "xlsx"], key="monthly_file")
    if up is None:
        return
    data = up.getvalue()
    digest = hashlib.sha256(data + fid.encode()).hexdigest()
    with st.spinner(t("upload.checking")):
        frame, failures = check_monthly(up.name, data)
    if failures:
        st.error(t("upload.failures", n=len(failures)))
        _failure_table(failures, "monthly_failure_table")
        return
    st.success(t("upload.monthly_ok", n=len(frame), first=str(frame.index[0]), last=str(frame.index[-1])))
    chart = frame[list(REQUIRED_MONTHLY)].copy()  # both energies [kWh], always in a checked series
    chart.index = chart.index.astype(str)
    st.line_chart(chart.rename(columns=lambda c: column_label(c, lang)), height=220)
    st.button(t("upload.monthly_save", id=fid), type="primary", key="monthly_save", icon=":material/save:",
              on_click=_save_monthly, args=(fid, frame, up.name, digest))
    saved = st.session_state.get(MONTHLY_SAVED_KEY)
    if saved is not None and saved[0] == digest:
        _, n, exc = saved
        if exc is None:
            st.success(t("upload.monthly_saved", n=n, id=fid, user=actor()))
        else:
            msg, rows = _refusal(exc, fid)
            sep = "" if current_language() == "zh" else " "
            st.error(f"{msg}{sep}{t('upload.err.nothing_saved')}", icon=":material/block:")
            if rows or isinstance(exc, InputError):
                _failure_table(rows or [exc.as_row()], "monthly_store_failure_table")


@st.cache_data(show_spinner=False)
def _monthly_template() -> bytes:
    return (",".join(["month", *MONTHLY_UNITS, "status", "source"]) + "\n").encode()


def _new_facility_tab() -> None:
    """Create a facility (profile only): an admin or credit officer names the operator who reports for it; an
    operator creates its own facility and reports for it."""

    with st.form("new_facility"):
        c1, c2, c3 = st.columns(3)
        fid = c1.text_input(t("upload.new.id"), key="new_fac_id", help=t("upload.new.id_help")).strip()
        nm = c2.text_input(t("upload.new.name"), key="new_fac_name").strip()
        nm_zh = c3.text_input(t("upload.new.name_zh"), key="new_fac_name_zh").strip()
        c1, c2, c3 = st.columns(3)
        operator = c1.text_input(t("upload.new.operator"), key="new_fac_operator").strip()
        province = c2.text_input(t("upload.new.province"), key="new_fac_province", help=t("upload.new.province_help"))
        ctype = c3.selectbox(t("upload.new.computing_type"), ["general", "intelligent", "supercomputing", "mixed"],
                             key="new_fac_ctype")
        c1, c2, c3 = st.columns(3)
        power = c1.number_input(t("upload.new.design_it_power"), min_value=0.0, value=None, step=1000.0,
                                key="new_fac_power")
        stage = c2.selectbox(t("upload.new.stage"), ["operation", "construction", "planning"], key="new_fac_stage")
        commissioned = c3.date_input(t("upload.new.commissioning"), value=None, key="new_fac_commissioning")
        self_reporting = not (app_store().user(actor()).roles & {"admin", "credit_officer"})
        if self_reporting:  # the operator creating it reports for it (store.save_facility assigns it)
            reporter = actor()
            st.caption(t("upload.new.self_reporter", user=reporter))
        else:
            reporter = st.text_input(t("upload.new.reporter"), value="operator", key="new_fac_reporter",
                                     help=t("upload.new.reporter_help"))
        go = st.form_submit_button(t("upload.new.create"), type="primary")
    if not go:
        return
    raw = {"id": fid, "name": nm, "name_zh": nm_zh or None, "operator": operator or None,
           "province": province.strip() or None, "computing_type": ctype, "design_it_power_kw": power,
           "lifecycle_stage": stage, "commissioning_date": commissioned, "source": f"created in the app by {actor()}",
           "periods": []}
    try:
        fac = facility_from_dict({k: v for k, v in raw.items() if v is not None}, file=ENTERED)
    except InputErrors as exc:
        st.error(t("upload.failures", n=len(exc.errors)))
        _failure_table(exc.table(), "new_facility_failures")
        return
    except InputError as exc:
        st.error(t("upload.failures", n=1))
        _failure_table([exc.as_row()], "new_facility_failures")
        return
    book = app_store()
    if fid in book.facility_ids():
        st.error(t("upload.new.exists", id=fid))
        return
    try:
        book.save_facility(actor(), fac, file=ENTERED)
        if reporter.strip() and not self_reporting:
            book.assign_facility(actor(), reporter.strip(), fid)
    except (StoreError, InputError) as exc:
        msg, rows = _refusal(exc, fid)
        st.error(msg)
        if rows:
            _failure_table(rows, "new_facility_store_failures")
        return
    st.success(t("upload.new.created", id=fid, user=reporter.strip() or "—"))


require("app_pages/data_submission.py")
lang = current_language()
st.title(t("upload.title"))
st.markdown(t("upload.intro"))
c1, c2 = st.columns(2)
c1.download_button(t("upload.template"), TEMPLATE.read_bytes(), file_name="facility_template.toml",
                   mime="application/toml")
c2.download_button(t("upload.template_xlsx"), _workbook(), file_name="periods_template.xlsx", mime=XLSX_MIME)
may_create = bool(app_store().user(actor()).roles & CREATE_ROLES)
tabs = st.tabs([t("upload.tab_file"), t("upload.tab_enter"), t("upload.tab_monthly"), t("cfe.tab")]
               + ([t("upload.tab_new")] if may_create else []))
with tabs[0]:
    _upload_tab()
with tabs[1]:
    _enter_tab()
with tabs[2]:
    _monthly_tab()
with tabs[3]:  # interval meter data and hourly CFE (issue 15)
    interval_tab(app_store(), actor(), _facility_choices(), lang)
if may_create:
    with tabs[4]:
        _new_facility_tab()
