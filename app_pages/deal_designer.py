"""Deal designer (credit officer): start point, then one tab per step — baseline, loan terms, ratchet, SPTs with
ambition checks, scenarios / cash flows / value — then save to the deal book (issue 17: a user sees where they
are). Every widget edits the deal document; computations are in ``app_support.designer``; tables go through
``app_support.tables.show``; the long steps (baseline scoring, BAU simulation, pricing) run under a spinner.
A role that may open the page but not save (admin) is told so before editing, and its Save button is disabled
with the reason."""

import copy
import datetime as dt
import json

import altair as alt
import pandas as pd
import streamlit as st

from app_support import designer as D
from app_support.engine import book_facilities, facility_label, indicator_frame
from app_support.evidence import baseline_note
from app_support.i18n import catalogue, current_language, t
from app_support.pages import USER_KEY, require
from app_support.store import actor, app_store
from app_support.tables import show
from common.text import MISSING, fmt_money, fmt_pct
from store.errors import NotFound
from store.roles import is_allowed

require("app_pages/deal_designer.py")
lang = current_language()
st.title(t("designer.title"))
store = app_store()
MONEY = st.column_config.NumberColumn(format="%,.2f")
user = st.session_state.get(USER_KEY)
#: the store checks again on save; this only tells the user before editing (deal.save and target.save)
may_save = user is not None and all(is_allowed([user.role], a) for a in ("deal.save", "target.save"))
if not may_save:
    st.info(t("designer.ui.read_only", role=t(f"role.{user.role}") if user else "—"), icon=":material/visibility:")


def _date(v):
    """A date from an editor cell (date, Timestamp, ISO text), None when empty."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def _editor(df, **kwargs):
    """``st.data_editor`` drawing an empty cell as ``—`` (not ``None``)."""
    return st.data_editor(df, placeholder=MISSING, **kwargs)


def _num(v):
    return None if v is None or pd.isna(v) else float(v)


def _error_table(rows, key, message="designer.errors"):
    cols = {"file": t("col.file"), "row": t("col.row"), "field": t("col.field"), "unit": t("col.unit"),
            "value": t("col.value"), "reason": t("col.reason")}
    st.error(t(message, n=len(rows)))
    show(pd.DataFrame(rows, columns=list(cols)).rename(columns=cols), hide_index=True, key=key)


# ------------------------------------------------------------------ 1. start from a deal, a template or a facility
st.subheader(t("designer.start"))
modes = ("book", "template", "new")
c1, c2 = st.columns([1, 2])
mode = c1.radio(t("designer.source"), modes, format_func=lambda m, lang=lang: D.label(f"designer.mode.{m}", lang),
                key="dz_mode")
loaded = st.session_state.setdefault("dz_loaded", {})
if mode == "book":
    ids = store.deal_ids()
    if not ids:
        st.info(t("designer.book_empty"))
        st.stop()
    deal_id = c2.selectbox(t("designer.book_deal"), ids, key="dz_book_id")
    token = f"book:{deal_id}"
    if token not in loaded:
        loaded[token] = (store.load_deal_document(deal_id), store.deal(deal_id).version)
elif mode == "template":
    ids = store.deal_ids()
    if not ids:
        st.info(t("designer.book_empty"))
        st.stop()
    tid = c2.selectbox(t("designer.template"), ids, key="dz_template")
    token = f"template:{tid}"
    if token not in loaded:
        doc0 = store.load_deal_document(tid)
        doc0["id"] = f"{doc0['id']}-copy"
        loaded[token] = (doc0, None)
else:
    facilities = book_facilities(store)  # the deal book's facilities, as stored (periods verified in the app too)
    if not facilities:
        st.info(t("designer.no_facilities"))
        st.stop()
    fnew = c2.selectbox(t("designer.facility"), list(facilities), key="dz_new_facility",
                        format_func=lambda i: facility_label(facilities[i], lang))
    token = f"new:{fnew}"
    if token not in loaded:
        f0 = facilities[fnew]
        loaded[token] = (D.blank_deal(f0, f"{f0.id}-sll", dt.date.today()), None)
base_doc, version = loaded[token]
#: deal whose targets settings (baseline periods, regulatory profile) apply: the loaded deal's, else the new id's
source_id = token.split(":", 1)[1] if mode == "book" else base_doc["id"]


def k(name: str) -> str:
    """Widget key of this start point (a new deal or template gets fresh widgets)."""
    return D.wkey(name, token)


doc = copy.deepcopy(base_doc)
c1, c2, c3 = st.columns(3)
doc["id"] = c1.text_input(t("designer.deal_id"), base_doc["id"], key=k("id"), disabled=mode == "book").strip()
doc["name"] = c2.text_input(t("designer.name"), base_doc.get("name", ""), key=k("name"))
doc["borrower"] = c3.text_input(t("designer.borrower"), base_doc.get("borrower", ""), key=k("borrower"))
if version is not None:
    st.caption(t("designer.version", version=version))
st.caption(t("designer.ui.steps_caption"))
tab_base, tab_loan, tab_ratchet, tab_spts, tab_value = st.tabs(
    [t("designer.baseline"), t("designer.loan"), t("designer.ratchet"), t("designer.spts"), t("designer.value")])

# ------------------------------------------------------------------ 2. baseline
with tab_base:
    fid = doc["facility"] if isinstance(doc.get("facility"), str) else None
    try:
        fac = store.load_facility(fid)  # as stored now: a period verified in the app is verified here
    except NotFound:
        st.error(t("designer.no_facility", facility=str(doc.get("facility"))))
        st.stop()
    fac_json = fac.model_dump_json()
    labels = [p.label for p in fac.periods]
    settings = D.targets_settings(store, source_id)
    default_periods = D.default_baseline_periods(store if mode == "book" else None, source_id, fac, settings)
    periods = st.multiselect(t("designer.baseline_periods"), labels, default=default_periods,
                             key=k("baseline_periods"), max_selections=3, help=t("designer.baseline_help"))
    base = results = None
    if not labels:
        st.warning(t("designer.no_periods", facility=fid))
    elif not periods:
        st.warning(t("designer.pick_baseline"))
    else:
        from index.errors import InputError

        try:
            with st.spinner(t("designer.ui.spin_baseline")):
                base, results = D.baseline(fac_json, tuple(periods))
        except InputError as exc:  # e.g. a period not verified yet: shown with what to do, the page still works
            _error_table([exc.as_row()], key="dz_baseline_errors", message="designer.baseline_invalid")
            st.info(t("designer.baseline_fix"))
    if base is not None:
        last = results[base.periods[-1]]
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("designer.baseline_index"), f"{base.kpis['index']:.2f}")
        m2.metric(t("score.grade"), base.grade or "—")
        m3.metric(t("designer.baseline_status"), D.label(f"designer.status.{base.status}", lang))
        m4.metric(t("score.completeness"), f"{last.completeness:.0%}")
        st.caption(t("designer.baseline_caption", periods=", ".join(base.periods),
                     method=D.label(f"designer.method.{base.method}", lang),
                     methodology=base.methodology_id, as_of=base.as_of))
        for n in base.note_codes:  # the engine's notes as codes, worded in the reader's language
            st.caption(f"· {baseline_note(n, t)}")
        df = indicator_frame(last, lang)
        b1, b2 = st.columns([3, 2])
        with b1:
            st.markdown(f"**{t('designer.by_indicator', period=last.period)}**")
            st.altair_chart(alt.Chart(df).mark_bar().encode(
                x=alt.X("contribution:Q", title=t("col.contribution")),
                y=alt.Y("indicator:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
                color=alt.Color("pillar:N", title=t("col.pillar"),
                                legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),  # names uncut
                tooltip=["indicator", "pillar", "raw_value", "unit", "score", "weight", "contribution"]),
                key="dz_chart_indicators")
        with b2:
            st.markdown(f"**{t('designer.by_pillar')}**")
            pf = D.pillar_frame(last, lang)
            st.altair_chart(alt.Chart(pf).mark_bar().encode(
                x=alt.X("score:Q", title=t("designer.pillar_score"), scale=alt.Scale(domain=[0, 100])),
                y=alt.Y("pillar:N", title=None, sort=None, axis=alt.Axis(labelLimit=200)),
                color=alt.Color("group:N", title=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
                tooltip=["pillar", "score", "weight", "contribution"]), key="dz_chart_pillars")
        with st.expander(t("score.breakdown")):
            cols = {"pillar": t("col.pillar"), "criterion": t("col.criterion"), "indicator": t("col.indicator"),
                    "raw_value": t("col.raw_value"), "unit": t("col.unit"), "score": t("col.score"),
                    "weight": t("col.weight"), "contribution": t("col.contribution"), "status": t("col.status"),
                    "source": t("col.source")}
            bd = df.drop(columns="id").assign(status=df["status"].map(
                lambda v, lang=lang: catalogue(lang).get(f"designer.status.{v}", v)))
            show(bd.rename(columns=cols), hide_index=True, key="dz_breakdown")

# ------------------------------------------------------------------ 3. loan terms
with tab_loan:
    loan = doc["loan"]
    c1, c2, c3, c4 = st.columns(4)
    loan["amount"] = c1.number_input(t("designer.amount", ccy=loan["currency"]), min_value=0.0,
                                     value=float(base_doc["loan"]["amount"]), step=10_000_000.0, format="%.0f",
                                     key=k("amount"))
    c1.caption(fmt_money(loan["amount"], loan["currency"]))  # the input box cannot group thousands
    loan["margin_bp"] = c2.number_input(t("designer.margin"), min_value=0.0, value=float(base_doc["loan"]["margin_bp"]),
                                        step=1.0, key=k("margin"))
    loan["start_date"] = c3.date_input(t("designer.start_date"), _date(base_doc["loan"]["start_date"]), key=k("start"))
    loan["maturity_date"] = c4.date_input(t("designer.maturity"), _date(base_doc["loan"]["maturity_date"]),
                                          key=k("maturity"))
    c1, c2, c3, c4 = st.columns(4)
    reps = ("bullet", "equal_principal", "annuity", "custom")
    loan["repayment"] = c1.selectbox(t("designer.repayment"), reps, index=reps.index(base_doc["loan"]["repayment"]),
                                     format_func=lambda r, lang=lang: D.label(f"designer.repay.{r}", lang),
                                     key=k("repayment"))
    ips = ("monthly", "quarterly", "semi_annual")
    loan["interest_period"] = c2.selectbox(
        t("designer.interest_period"), ips, index=ips.index(base_doc["loan"].get("interest_period", "quarterly")),
        format_func=lambda r, lang=lang: D.label(f"designer.period.{r}", lang), key=k("interest_period"))
    grace = c3.date_input(t("designer.grace_end"), _date(base_doc["loan"].get("grace_end")), key=k("grace"))
    if grace is None:
        loan.pop("grace_end", None)
    else:
        loan["grace_end"] = grace
    vc = c4.number_input(t("designer.verification_cost", ccy=loan["currency"]), min_value=0.0,
                         value=float(base_doc.get("verification_cost_per_year") or 0.0), step=10_000.0, format="%.0f",
                         key=k("verification_cost"))
    doc["verification_cost_per_year"] = vc
    c4.caption(fmt_money(vc, loan["currency"]))
    with st.expander(t("designer.drawdowns")):
        dd0 = pd.DataFrame([{"date": _date(d["date"]), "amount": float(d["amount"])}
                            for d in base_doc["loan"].get("drawdowns", [])], columns=["date", "amount"])
        dd = _editor(dd0, num_rows="dynamic", hide_index=True, key=k("drawdowns"), column_config={
            "date": st.column_config.DateColumn(t("designer.date"), format="YYYY-MM-DD"),
            "amount": st.column_config.NumberColumn(t("designer.amount", ccy=loan["currency"]), format="%,.0f")})
        loan["drawdowns"] = [{"date": _date(r["date"]), "amount": _num(r["amount"])} for r in dd.to_dict("records")
                             if _date(r["date"]) is not None or _num(r["amount"]) is not None]
        if not loan["drawdowns"]:
            loan.pop("drawdowns")

# ------------------------------------------------------------------ 4. ratchet design
with tab_ratchet:
    r0 = base_doc["ratchet"]
    design = st.radio(t("designer.design"), D.DESIGNS, index=D.DESIGNS.index(r0["design"]), horizontal=True,
                      format_func=lambda d, lang=lang: D.label(f"designer.design_name.{d}", lang), key=k("design"))
    final_index = next((float(o["spt"]["index"]) for o in reversed(base_doc["observations"])
                        if isinstance(o.get("spt", {}).get("index"), int | float)), None)
    r0 = D.switch_design(r0, design, margin_bp=float(loan["margin_bp"]),
                         baseline_index=base.kpis["index"] if base else None, final_index_spt=final_index)
    r = copy.deepcopy(r0)
    st.caption(t(f"designer.design_help.{design}"))
    c1, c2, c3, c4 = st.columns(4)
    cap = c1.number_input(t("designer.cap"), min_value=0.0, value=float(r0.get("cap_bp") or 0.0), step=1.0,
                          key=k(f"{design}.cap"), help=t("designer.cap_help"))
    r["cap_bp"] = cap if cap > 0 else None
    if r["cap_bp"] is None:
        r.pop("cap_bp")
    timing0 = r0.get("timing", {"rule": "next_period"})
    rules = ("next_period", "business_days")
    rule = c2.selectbox(t("designer.timing"), rules, index=rules.index(timing0.get("rule", "next_period")),
                        format_func=lambda x, lang=lang: D.label(f"designer.timing_rule.{x}", lang), key=k("timing"))
    r["timing"] = {"rule": rule}
    if rule == "business_days":
        r["timing"]["business_days"] = int(c3.number_input(t("designer.business_days"), min_value=0,
                                                           value=int(timing0.get("business_days", 0)), step=1,
                                                           key=k("business_days")))
    if design == "spt":
        c1, c2, c3 = st.columns(3)
        r["step_down_bp"] = c1.number_input(t("designer.step_down"), max_value=0.0, value=float(r0["step_down_bp"]),
                                            step=1.0, key=k("spt.down"))
        r["step_up_bp"] = c2.number_input(t("designer.step_up"), min_value=0.0, value=float(r0.get("step_up_bp", 0.0)),
                                          step=1.0, key=k("spt.up"))
        r["cumulative"] = c3.checkbox(t("designer.cumulative"), bool(r0.get("cumulative", False)), key=k("spt.cum"))
        kp0 = pd.DataFrame([{"kpi": x["kpi"], "weight": float(x.get("weight", 1.0)),
                             "no_change_band": float(x.get("no_change_band", 0.0))} for x in r0["kpis"]])
        kp = _editor(kp0, num_rows="dynamic", hide_index=True, key=k("spt.kpis"), column_config={
            "kpi": st.column_config.SelectboxColumn(t("designer.kpi"), options=D.kpi_options(), required=True,
                                                   format_func=lambda x, lang=lang: D.kpi_label(x, lang)),
            "weight": st.column_config.NumberColumn(t("col.weight"), min_value=0.0, max_value=1.0, format="%.2f"),
            "no_change_band": st.column_config.NumberColumn(t("designer.band"), min_value=0.0, format="%.3f")})
        r["kpis"] = [{"kpi": x["kpi"], "weight": _num(x["weight"]) or 0.0,
                      "no_change_band": _num(x["no_change_band"]) or 0.0}
                     for x in kp.to_dict("records") if isinstance(x["kpi"], str) and x["kpi"]]
    elif design == "score_grid":
        r["not_reported_bp"] = c3.number_input(t("designer.not_reported"), value=float(r0["not_reported_bp"]), step=1.0,
                                               key=k("grid.nr"))
        bands0 = pd.DataFrame(r0["bands"])
        bands = _editor(bands0, hide_index=True, key=k("grid.bands"), column_config={
            "grade": st.column_config.TextColumn(t("score.grade")),
            "min_score": st.column_config.NumberColumn(t("designer.min_score")),
            "adjustment_bp": st.column_config.NumberColumn(t("designer.adjustment"), format="%+.1f")})
        r["bands"] = [{kk: (v if kk == "grade" else _num(v)) for kk, v in b.items()
                       if not (v is None or (not isinstance(v, str) and pd.isna(v)))} for b in bands.to_dict("records")]
    else:
        c1, c2, c3, c4 = st.columns(4)
        r["score_low"] = c1.number_input(t("designer.score_low"), value=float(r0["score_low"]), step=0.5,
                                         key=k("int.lo"))
        r["score_high"] = c2.number_input(t("designer.score_high"), value=float(r0["score_high"]), step=0.5,
                                          key=k("int.hi"))
        r["margin_low_bp"] = c3.number_input(t("designer.margin_low"), min_value=0.0, value=float(r0["margin_low_bp"]),
                                             step=1.0, key=k("int.mlo"))
        r["margin_high_bp"] = c4.number_input(t("designer.margin_high"), min_value=0.0,
                                              value=float(r0["margin_high_bp"]), step=1.0, key=k("int.mhi"))
    doc["ratchet"] = r
    kpis = D.ratchet_kpis(doc)

# ------------------------------------------------------------------ 5. SPTs per observation and ambition checks
with tab_spts:
    ob0 = D.observation_frame(base_doc["observations"], kpis, base.kpis if base else {})
    obs = _editor(ob0, num_rows="dynamic", hide_index=True, key=k("obs." + ",".join(kpis)), column_config={
        "date": st.column_config.DateColumn(t("designer.obs_date"), format="YYYY-MM-DD"),
        "certificate_due": st.column_config.DateColumn(t("designer.cert_due"), format="YYYY-MM-DD"),
        "certificate_delivered": st.column_config.DateColumn(t("designer.cert_delivered"), format="YYYY-MM-DD"),
        "period": st.column_config.SelectboxColumn(t("designer.obs_period"), options=labels),
        **{kpi: st.column_config.NumberColumn(t("designer.spt_of", kpi=D.kpi_label(kpi, lang)), format="%.4g")
           for kpi in kpis}})
    doc["observations"] = D.observations_from_frame(obs, base_doc["observations"], kpis)

    profile0 = settings.get("regulatory_profile", {})
    c1, c2 = st.columns(2)
    profile = {"new_build": c1.checkbox(t("designer.new_build"), bool(profile0.get("new_build", False)),
                                        key=k("new_build")),
               "government_procurement": c2.checkbox(t("designer.gov_procurement"),
                                                     bool(profile0.get("government_procurement", False)),
                                                     key=k("gov"))}
    st.caption(t("designer.settings_caption"))
    spt_rows = [[kpi, _date(o["date"]).year, float(o["spt"][kpi])] for o in doc["observations"]
                for kpi in kpis if _date(o.get("date")) is not None
                and isinstance(o.get("spt", {}).get(kpi), int | float)]
    if base is not None and spt_rows:
        from index.errors import InputError

        try:
            with st.spinner(t("designer.ui.spin_ambition")):
                amb = D.ambition(fac_json, tuple(base.periods), json.dumps(spt_rows),
                                 json.dumps(profile, sort_keys=True), D.monthly_frame(store, fac.id))
        except InputError as exc:
            _error_table([exc.as_row()], key="dz_ambition_errors", message="designer.ambition_invalid")
            amb = None
        if amb is not None:
            summary = D.ambition_summary(amb, spt_rows, base, lang)
            st.markdown(f"**{t('designer.ambition')}**")
            no_bau, no_rule = t("designer.ui.cell_no_bau"), t("designer.ui.cell_no_rule")
            summary["p_bau_meets"] = summary["p_bau_meets"].map(lambda v, m=no_bau: fmt_pct(v, 1, missing=m))
            summary["bau_mean"] = D.text_if_missing(summary["bau_mean"].astype(float), no_bau)
            summary["regulation"] = D.text_if_missing(summary["regulation"].astype(float), no_rule)
            heads = {c: t(f"designer.amb.{c}") for c in summary.columns}
            show(summary.rename(columns=heads), hide_index=True, key="dz_ambition",
                 column_config={heads["year"]: st.column_config.NumberColumn(format="%d")})
            note = (t("designer.ui.bau_model", **amb["bau_model"]) if amb.get("bau_model")
                    else amb["bau_note"] or t("designer.no_bau"))
            st.caption(t("designer.bau_note", note=note))
            with st.expander(t("designer.evidence")):
                ev = D.evidence_frame(amb["checks"], lang)
                heads = {**{c: t(f"designer.amb.{c}") for c in ev.columns if c not in ("summary", "evidence")},
                         "summary": t("designer.ev.summary"), "evidence": t("designer.ev.source")}
                show(ev.rename(columns=heads), hide_index=True, key="dz_evidence")

# ------------------------------------------------------------------ 6. scenarios, cash flows and value
with tab_value:
    st.markdown(f"**{t('designer.scenarios')}**")
    sc0 = pd.DataFrame([{"name": D.scenario_label(s["name"], lang), "probability": float(s["probability"]),
                         "outcomes": " · ".join(D.outcome_label(o, lang) for o in s["outcomes"])}
                        for s in base_doc.get("scenarios", [])], columns=["name", "probability", "outcomes"])
    if len(sc0):
        sc = _editor(sc0, hide_index=True, key=k("scenarios"), disabled=["name", "outcomes"], column_config={
            "name": st.column_config.TextColumn(t("designer.scenario")),
            "probability": st.column_config.NumberColumn(t("designer.probability"), min_value=0.0, max_value=1.0,
                                                         format="%.2f"),
            "outcomes": st.column_config.TextColumn(t("designer.outcomes"))})
        for s, p in zip(doc["scenarios"], sc["probability"], strict=True):
            s["probability"] = _num(p) or 0.0
    else:
        st.caption(t("designer.no_scenarios"))

    with st.spinner(t("designer.ui.spin_value")):
        res = D.evaluate(D.doc_key(doc), fac_json)  # priced on the deal book's figures
    if res["errors"]:
        _error_table(res["errors"], key="dz_deal_errors")
    else:
        v, ccy = res["valuation"], res["currency"]
        m1, m2, m3, m4 = st.columns(4)
        fmt = lambda x: "—" if x is None else f"{x:,.2f}"  # noqa: E731
        m1.metric(t("designer.expected_pv", ccy=ccy), fmt(v["expected_pv_saving"]))
        m2.metric(t("designer.pv_verification", ccy=ccy), fmt(v["pv_verification_cost"]))
        m3.metric(t("designer.break_even", ccy=ccy), fmt(v["break_even_cost_per_year"]))
        m4.metric(t("designer.net_pv", ccy=ccy), fmt(v["net_pv"]))
        if v["break_even_cost_per_year"] is not None and v["verification_cost_per_year"] is not None:
            st.caption(t("designer.break_even_pays" if v["break_even_cost_per_year"] >= v["verification_cost_per_year"]
                         else "designer.break_even_short", cost=v["verification_cost_per_year"],
                         be=v["break_even_cost_per_year"], ccy=ccy))
        pv = pd.DataFrame(v["scenarios"])[["name", "probability", "pv_saving", "pv_interest_delta"]]
        pv["name"] = pv["name"].map(lambda n, lang=lang: D.scenario_label(n, lang))
        pv_heads = {"name": t("designer.scenario"), "probability": t("designer.probability"),
                    "pv_saving": t("designer.pv_saving", ccy=ccy),
                    "pv_interest_delta": t("designer.pv_interest_delta", ccy=ccy)}
        show(pv.rename(columns=pv_heads), hide_index=True, key="dz_pv", decimals=2,
             column_config={pv_heads["pv_saving"]: MONEY, pv_heads["pv_interest_delta"]: MONEY})
        st.caption(t("designer.discount", discount=D.discount_text(res["discount_rate_pct"], lang),
                     date=v["valuation_date"]))
        mi = D.margin_interest_frame(res["schedules"])
        mi["scenario"] = mi["scenario"].map(lambda n, lang=lang: D.scenario_label(n, lang))
        g1, g2 = st.columns(2)
        with g1:
            st.markdown(f"**{t('designer.margin_chart')}**")
            st.altair_chart(alt.Chart(mi).mark_line(interpolate="step-before", point=True).encode(
                x=alt.X("payment_date:T", title=t("designer.payment_date"), axis=alt.Axis(format="%Y-%m")),
                y=alt.Y("margin_bp:Q", title=None, scale=alt.Scale(zero=False)),
                color=alt.Color("scenario:N", title=t("designer.scenario"), legend=None),
                tooltip=["scenario", "payment_date:T", "margin_bp", "interest"]).properties(height=70, width=320).facet(
                row=alt.Row("scenario:N", title=t("designer.margin_axis"), header=alt.Header(labelAngle=0,
                                                                                               labelAlign="left"))),
                key="dz_chart_margin")
        with g2:
            st.markdown(f"**{t('designer.interest_chart', ccy=ccy)}**")
            st.altair_chart(alt.Chart(mi).mark_line(point=True).encode(
                x=alt.X("payment_date:T", title=t("designer.payment_date"), axis=alt.Axis(format="%Y-%m")),
                y=alt.Y("interest:Q", title=t("designer.interest_axis", ccy=ccy)),
                color=alt.Color("scenario:N", title=t("designer.scenario"),
                                    legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
                tooltip=["scenario", "payment_date:T", "margin_bp", "interest"]).properties(height=300),
                key="dz_chart_interest")
        st.markdown(f"**{t('designer.ui.cash_flows')}**")
        scen = st.selectbox(t("designer.schedule_of"), res["scenarios"], key="dz_schedule_scenario",
                            format_func=lambda n, lang=lang: D.scenario_label(n, lang))
        frame = res["schedules"][scen]
        st.caption(t("designer.ui.convention", text=D.convention_text(res["convention_parts"], lang)))
        heads = D.cash_flow_headers(ccy, lang)
        regimes = D.margin_regimes_view(frame, res["why"][scen], lang)
        show(regimes.rename(columns=heads), hide_index=True, key="dz_margin_regimes", column_config={
            heads["from"]: st.column_config.DateColumn(format="YYYY-MM-DD", width="small"),
            heads["margin_total_bp"]: st.column_config.NumberColumn(width="small")})
        view = D.cash_flow_view(frame, lang).rename(columns=heads)
        cc = {heads[c]: st.column_config.NumberColumn(format="%,.0f") for c in D.MONEY_WHOLE}
        cc.update({heads[c]: MONEY for c in D.MONEY_CENTS})
        cc.update({heads[c]: st.column_config.DateColumn(format="YYYY-MM-DD") for c in D.DATE_COLUMNS})
        cc.update({heads[c]: st.column_config.NumberColumn(width="small") for c in ("period", "days")})
        show(view, hide_index=True, column_config=cc, key="dz_cash_flows", decimals=4)
        st.markdown(t("designer.totals", interest=frame["interest"].sum(), principal=frame["principal"].sum(), ccy=ccy))
        st.download_button(t("designer.ui.download"), frame.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8"),
                           file_name=f"{doc['id'] or 'deal'}-{scen}-schedule.csv", mime="text/csv", key="dz_download")

# ------------------------------------------------------------------ 7. save to the deal book
st.subheader(t("designer.save_title"))
why_not = ([t("designer.save_needs_baseline")] if base is None else []) + \
    ([t("designer.save_needs_valid")] if res["errors"] else []) + \
    ([t("designer.save_needs_id")] if not doc["id"] else [])
for reason in why_not:
    st.warning(reason, icon=":material/block:")
role_reason = None if may_save else t("designer.ui.save_disabled_role", role=t(f"role.{user.role}") if user else "—")
if role_reason:
    st.caption(role_reason)
if st.button(t("designer.save"), type="primary", key="dz_save", disabled=bool(why_not) or not may_save,
             help=role_reason):
    from index.errors import InputError
    from store.errors import PermissionDenied, StaleWriteConflict

    try:
        targets_doc = {**{k: v for k, v in settings.items() if k in ("proposal", "facility")},
                       "baseline": {**settings.get("baseline", {}), "periods": list(base.periods)},
                       "regulatory_profile": {**profile0, **profile}}
        out = D.save(store, actor(), doc, version, base, kpis, targets_doc)
    except StaleWriteConflict as exc:
        st.error(t("designer.stale", expected=exc.expected, found=exc.found))
    except PermissionDenied:
        st.error(t("designer.denied"))
    except InputError as exc:
        _error_table(exc.table() if hasattr(exc, "table") else [exc.as_row()], key="dz_save_errors")
    else:
        loaded.pop(token, None)
        loaded[f"book:{doc['id']}"] = (store.load_deal_document(doc["id"]), out["version"])
        st.success(t("designer.saved", id=doc["id"], version=out["version"], baselines=out["baselines"],
                     spts=out["spts"]))
