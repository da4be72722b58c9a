"""Target-path simulator (operator, credit officer, admin): levers → fan chart against the SPTs, P(meet each
SPT), expected margin and interest saved; two lever sets side by side. Computations in app_support.simulator."""

import json
import time

import streamlit as st

from app_support import simulator as S
from app_support.engine import methodology
from app_support.i18n import current_language, name, t
from app_support.pages import USER_KEY, require
from app_support.store import actor, app_store
from app_support.tables import show as show_table
from common.errors import InputError
from store.errors import PermissionDenied

require("app_pages/simulator.py")
lang = current_language()
st.title(t("nav.simulator"))
st.caption(t("sim.intro"))
user = st.session_state[USER_KEY]

# ------------------------------------------------------------------ deal, facility, settings
docs, facilities = {}, {}
store = app_store()
own = None  # credit officers and admins see every deal; an operator the deals of its own facilities
if user.role == "operator":
    from store.errors import PermissionDenied

    try:
        own = store.user(user.username).facilities
    except PermissionDenied:  # not a user of the deal book: no facility of its own
        own = frozenset()
for did in store.deal_ids():
    fid = store.deal(did).facility_id
    if own is None or fid in own:
        docs[did] = lambda did=did: store.load_deal_document(did)
        facilities[did] = lambda fid=fid: store.load_facility(fid)
if not docs:
    st.info(t("sim.no_deals"))
    st.stop()

deal_id = st.selectbox(t("sim.deal"), list(docs), key="sim_deal")
try:
    deal = S.deal_from_document(docs[deal_id]())
    facility = facilities[deal_id]()
    monthly_key = S.monthly_key(store, facility.id)  # the facility's monthly series in the deal book
    specs = S.lever_specs(deal, facility)
    spt_frame = S.spt_table(deal)
    kpis = [c for c in spt_frame.columns if c != "date"]
except Exception as exc:  # engine input errors (InputError/InputErrors) name file, field and unit
    st.error(t("sim.bad_deal", detail=str(exc)))
    st.stop()
if monthly_key is None:  # nothing to fit the business-as-usual model on: say where to put it
    st.warning(t("sim.no_monthly", facility=facility.id))
    st.stop()
years = S.simulated_years(deal)
st.caption(t("sim.deal_caption", name=deal.name or deal.id, facility=facility.id, n_obs=len(deal.observations),
             years=", ".join(map(str, years))))


def kpi_label(k: str) -> str:
    if k == "index":
        return t("sim.kpi_index")
    if k in S.CFE_KPIS:
        return t(f"sim.kpi_{k}")
    ind = methodology().indicators.get(k)
    return name(ind, lang) if ind is not None else k


with st.expander(t("sim.spts")):
    show_table(spt_frame.rename(columns={"date": t("sim.date"), **{k: kpi_label(k) for k in kpis}}),
               hide_index=True, key="sim_spts")

# ------------------------------------------------------------------ settings and levers
defaults = S.cli_defaults()
c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
lo, hi = S.PATHS_RANGE
n_paths = int(c1.number_input(t("sim.paths"), min_value=lo, max_value=hi, value=defaults["paths"], step=1000,
                              key="sim_paths", help=t("sim.paths_help", lo=lo, hi=hi, default=defaults["paths"])))
seed = int(c2.number_input(t("sim.seed"), min_value=0, value=defaults["seed"], step=1, key="sim_seed",
                           help=t("sim.seed_help")))
compare = c3.toggle(t("sim.compare"), key="sim_compare")

files = store.lever_presets(facility.id)  # the deal book's presets for this facility (and for any facility)
PRESETS = ["", *files]  # "" = business as usual
#: default preset per set: A business as usual, B the first preset of the deal book (CLI's "bau" vs "levers")
DEFAULT_PRESET = {"A": "", "B": next(iter(files), "")}


def wkey(s: str, kind: str, fld: str) -> str:
    return f"sim_{deal_id}_{s}_{kind}_{fld}"


def load_preset(s: str) -> None:
    """Write a preset's values into the set's widgets (on_change of the preset box, and on first use)."""
    preset = st.session_state.get(f"sim_{deal_id}_{s}_preset", DEFAULT_PRESET[s])
    values, notes = S.preset_values(specs, files.get(preset))
    for kind, v in values.items():
        for fld, x in v.items():
            st.session_state[wkey(s, kind, fld)] = x
    st.session_state[f"sim_{deal_id}_{s}_notes"] = notes


def lever_set(s: str, box) -> list[dict]:
    """Draw one lever set's widgets in ``box``; returns its lever tables."""
    if wkey(s, specs[0].kind, "start") not in st.session_state:
        load_preset(s)
    bau = t("sim.preset_bau")  # format_func may run outside the script run (AppTest): no t() inside it
    box.selectbox(t("sim.preset"), PRESETS, index=PRESETS.index(DEFAULT_PRESET[s]), key=f"sim_{deal_id}_{s}_preset",
                  format_func=lambda p: p or bau, on_change=load_preset, args=(s,),
                  help=t("sim.preset_help"))
    notes = st.session_state.get(f"sim_{deal_id}_{s}_notes")
    if notes:
        box.caption(t("sim.preset_notes", notes="; ".join(notes)))
    box.caption(t("sim.lever_off"))
    values = {}
    per_row = 1 if compare else 2  # two levers a row on the full width, one in a half column (A / B)
    for i, spec in enumerate(specs):
        if i % per_row == 0:
            row = box.columns(per_row)
        cell = row[i % per_row].container(border=True)
        cell.markdown(f"**{t('sim.lever.' + spec.kind)}**")
        if spec.kind in ("ppa", "storage"):
            cell.caption(t(f"sim.lever_help.{spec.kind}"))
        cols = cell.columns(max(3, len(spec.fields) + 1))
        v = {}
        for j, f in enumerate(spec.fields):
            v[f.name] = cols[j].number_input(
                t(f"sim.field.{f.label or f.name}", unit=f.unit), min_value=f.min_value, max_value=f.max_value,
                step=f.step, key=wkey(s, spec.kind, f.name), format="%.3f" if f.step < 1 else "%.0f",
                help=t(f.basis, **f.basis_args))
        v["start"] = cols[len(cols) - 1].date_input(t("sim.start"), min_value=spec.start_min,
                                                    max_value=spec.start_max, key=wkey(s, spec.kind, "start"),
                                                    help=t("sim.start_help", lo=spec.start_min, hi=spec.start_max))
        if spec.choices:
            ccols = cell.columns(len(spec.choices))
            for j, (c, opts) in enumerate(spec.choices.items()):
                shown = {o: t(f"sim.choice.{c}.{o}") if c == "profile" else o for o in opts}
                v[c] = ccols[j].selectbox(t(f"sim.choice.{c}.label"), opts, key=wkey(s, spec.kind, c),
                                          format_func=shown.get, help=t(f"sim.choice.{c}.help"))
        values[spec.kind] = v
    return S.levers_from_values(values)


def save_preset(s: str, lever_tables: list[dict]) -> None:
    """Save one lever set as a named preset of this facility in the deal book (:meth:`Store.save_lever_preset`;
    the operator of the facility, or an admin). A saved preset is listed under "Start from" from the next run."""
    with st.expander(t("sim.preset_save")):
        nm = st.text_input(t("sim.preset_name"), key=f"sim_{deal_id}_{s}_preset_name",
                           help=t("sim.preset_name_help")).strip()
        if st.button(t("sim.preset_save_button"), key=f"sim_{deal_id}_{s}_preset_save",
                     disabled=not lever_tables):
            if not nm:
                st.warning(t("sim.preset_need_name"))
                return
            try:
                store.save_lever_preset(actor(), nm, {"levers": lever_tables}, facility_id=facility.id)
            except PermissionDenied:
                st.error(t("sim.preset_denied", facility=facility.id))
            except InputError as exc:
                st.error(t("sim.preset_failed", detail=str(exc)))
            else:
                st.session_state["sim_preset_flash"] = t("sim.preset_saved", name=nm, facility=facility.id,
                                                         n=len(lever_tables))
                st.rerun()
        if not lever_tables:
            st.caption(t("sim.preset_empty"))


if "sim_preset_flash" in st.session_state:
    st.success(st.session_state.pop("sim_preset_flash"))
sets = ("A", "B") if compare else ("A",)
boxes = st.columns(2) if compare else [st.container()]
levers = {}
for s, box in zip(sets, boxes, strict=True):
    with box.container(border=True):
        st.subheader(t("sim.set_a") if compare and s == "A" else t("sim.set_b") if s == "B" else t("sim.set_single"))
        levers[s] = lever_set(s, st)
        save_preset(s, levers[s])

model = defaults["model"]
deal_json, facility_json = deal.model_dump_json(), facility.model_dump_json()


def run_args(s: str) -> tuple:
    return (deal_json, facility_json, monthly_key, json.dumps(levers[s], sort_keys=True), n_paths, seed, model)


current = {s: run_args(s) for s in sets}
if st.button(t("sim.run"), type="primary", key="sim_run_button"):
    t0 = time.perf_counter()
    with st.status(t("sim.running", paths=n_paths, set=sets[0]), expanded=False) as status:
        try:
            for s in sets:
                status.update(label=t("sim.running", paths=n_paths, set=s))
                with st.spinner(t("sim.running", paths=n_paths, set=s)):
                    S.cached_simulation(*current[s])
        except Exception as exc:  # engine input errors name the lever, field and unit
            status.update(label=t("sim.failed", detail=str(exc)), state="error")
            st.session_state.pop("sim_last", None)
        else:
            status.update(label=t("sim.done", paths=n_paths, seconds=time.perf_counter() - t0), state="complete")
            st.session_state["sim_last"] = current

# ------------------------------------------------------------------ results
last = st.session_state.get("sim_last")
if not last or any(a[0] != deal_json for a in last.values()):
    st.info(t("sim.not_run"))
    st.stop()
if last != current:
    st.info(t("sim.stale"))
results = {s: S.cached_simulation(*args) for s, args in last.items()}
st.header(t("sim.results"))
first = next(iter(results.values()))
ccy = first["currency"]


def short_label(k: str) -> str:
    """Short KPI name for the half-width tables: 'Index', a CFE KPI's short name, or the indicator id in capitals
    (PUE, WUE)."""
    if k == "index" or k in S.CFE_KPIS:
        return t(f"sim.kpi_short_{k}")
    return k.upper()


labels = {k: kpi_label(k) for k in first["kpis"]}  # format_func may run outside the script run (AppTest)
chart_kpi = st.radio(t("sim.chart_kpi"), first["kpis"], format_func=labels.get, horizontal=True, key="sim_chart_kpi")
PCT = ("p_met", "p_band", "p_missed")


CFE_CHART = {k: kpi_label(k) for k in S.CFE_KPIS}  # format_func may run outside the script run (AppTest)


def show_cfe(s: str, r: dict, box) -> None:
    """24/7 CFE KPIs of one lever set, simulated hour by hour: fan chart of the chosen KPI and the yearly table."""
    box.markdown(f"**{t('sim.cfe_title')}**")
    box.caption(t("sim.cfe_caption"))
    k = box.radio(t("sim.cfe_chart_kpi"), list(S.CFE_KPIS), format_func=CFE_CHART.get, horizontal=True,
                  key=f"sim_cfe_kpi_{s}")
    box.altair_chart(S.fan_chart(r, k, {"year": t("sim.year"), "value": kpi_label(k)}))
    df = S.cfe_frame(r)
    cols = {"year": t("sim.year")}
    for kk in S.CFE_KPIS:
        for q in ("p50", "p05", "p95"):
            cols[f"{kk}_{q}"] = t(f"sim.cfe_col.{q}", kpi=t(f"sim.kpi_short_{kk}"))
    show_table(df.rename(columns=cols), decimals=1, hide_index=True, key=f"sim_cfe_table_{s}")


def show(s: str, r: dict, box, narrow: bool) -> None:
    """Metrics, fan chart, probability table and save button of one lever set."""
    m1, m2 = (box, box) if narrow else box.columns(2)  # half width: the long figures one under the other
    m1.metric(t("sim.pv_saving", ccy=ccy), f"{r['expected_pv_saving']:,.0f}",
              help=t("sim.pv_saving_help", discount=r["discount"]))
    m2.metric(t("sim.pv_range", ccy=ccy), f"{r['pv_saving_p05']:,.0f} – {r['pv_saving_p95']:,.0f}")
    m3, m4 = box.columns(2)
    m3.metric(t("sim.net_pv", ccy=ccy), f"{r['net_pv']:,.0f}" if r["net_pv"] is not None else "—")
    last_obs = r["per_observation"][-1]
    m4.metric(t("sim.margin_last", date=last_obs["date"]), f"{last_obs['margin_bp_expected']:.2f}")
    box.altair_chart(S.fan_chart(r, chart_kpi, {"year": t("sim.year"), "value": kpi_label(chart_kpi)}))
    box.caption(t("sim.chart_legend"))
    box.markdown(f"**{t('sim.prob_table')}**")
    df = S.probability_frame(r)
    df[list(PCT)] = df[list(PCT)] * 100
    df["kpi"] = df["kpi"].map(short_label if narrow else kpi_label)
    df["source"] = [t(f"sim.src.{k}", period=p, paths=r["paths"]) for k, p in zip(df["source"], df["period"], strict=True)]
    df = df.drop(columns=["period", "adjustment_bp"])  # the adjustment is the margin minus the loan's margin
    if narrow:  # half width: SPTs and margins are in the comparison table below
        df = df[["date", "kpi", *PCT]]
    show_table(df.rename(columns={"date": t("sim.date"), **{c: t(f"sim.col.{c}") for c in (
        "kpi", "spt", *PCT, "source")}, "margin_bp": t("sim.col.margin")}),
        hide_index=True, key=f"sim_prob_{s}", column_config={
            **{t(f"sim.col.{c}"): st.column_config.NumberColumn(format="%.1f") for c in PCT},
            t("sim.col.margin"): st.column_config.NumberColumn(format="%.2f")})
    if r.get("cfe"):
        show_cfe(s, r, box)
    with box.expander(t("sim.notes")):
        for n in r["notes"]:
            st.markdown(f"- {n}")
    label = box.text_input(t("sim.save_name"), value=f"{deal.id} {s} {r['paths']} paths seed {r['seed']}",
                           key=f"sim_save_name_{s}")
    if box.button(t("sim.save"), key=f"sim_save_{s}"):
        inputs = {"deal": deal.id, "levers": r["levers"], "paths": r["paths"], "seed": r["seed"], "model": r["model"]}
        try:
            sid = app_store().save_simulation(actor(), facility.id, label, inputs, r, deal_id=deal.id)
        except PermissionDenied:
            box.error(t("sim.save_denied", facility=facility.id))
        except Exception as exc:  # store errors (StoreError, NotFound) name what failed
            box.error(t("sim.save_failed", detail=str(exc)))
        else:
            box.success(t("sim.saved", id=sid, facility=facility.id))


if len(results) == 1:
    show("A", results["A"], st, False)
else:
    cols = st.columns(2)
    for (s, r), box in zip(results.items(), cols, strict=True):
        box.subheader(t("sim.set_a") if s == "A" else t("sim.set_b"))
        show(s, r, box, True)
    st.subheader(t("sim.diff"))
    st.metric(t("sim.diff_pv", ccy=ccy), f"{results['B']['expected_pv_saving'] - results['A']['expected_pv_saving']:+,.0f}")
    cf = S.compare_frame(results["A"], results["B"])
    for c in ("p_met_a", "p_met_b", "p_met_diff"):
        cf[c] = cf[c] * 100
    cf["kpi"] = cf["kpi"].map(kpi_label)
    show_table(cf.rename(columns={"date": t("sim.date"), **{c: t(f"sim.col.{c}") for c in (
        "kpi", "spt", "p_met_a", "p_met_b", "p_met_diff", "margin_a", "margin_b", "margin_diff")}}),
        hide_index=True, key="sim_compare_table", column_config={
            **{t(f"sim.col.{c}"): st.column_config.NumberColumn(format="%.1f") for c in ("p_met_a", "p_met_b")},
            t("sim.col.p_met_diff"): st.column_config.NumberColumn(format="%+.1f"),
            **{t(f"sim.col.{c}"): st.column_config.NumberColumn(format="%.2f") for c in ("margin_a", "margin_b")},
            t("sim.col.margin_diff"): st.column_config.NumberColumn(format="%+.2f")})
