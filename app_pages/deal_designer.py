"""Deal page (credit officer): a shipped deal's cash flows under a scenario and the PV of its ratchet."""

import pandas as pd
import streamlit as st

from app_support.engine import deal, deal_cash_flows, deal_files, deal_value
from app_support.i18n import t
from app_support.pages import require

require("app_pages/deal_designer.py")
st.title(t("deal.title"))
files = deal_files()
stem = st.selectbox(t("deal.deal"), list(files), key="deal_file")
path = files[stem]
d = deal(path)
st.caption(f"{d.name} · {d.borrower} · {t('score.facility')}: {d.facility}")

scenarios = list(dict.fromkeys([d.default_scenario, *(s.name for s in d.scenarios), "met", "missed"]))
scenario = st.selectbox(t("deal.scenario"), scenarios, key="deal_scenario")
frame, convention, ccy = deal_cash_flows(path, scenario)

v = deal_value(path)
st.subheader(t("deal.valuation", ccy=ccy))
c1, c2, c3 = st.columns(3)
c1.metric(t("deal.expected_pv"), f"{v['expected_pv_saving']:,.2f}" if v["expected_pv_saving"] is not None else "—")
c2.metric(t("deal.pv_verification"), f"{v['pv_verification_cost']:,.2f}"
          if v["pv_verification_cost"] is not None else "—")
c3.metric(t("deal.net_pv"), f"{v['net_pv']:,.2f}" if v["net_pv"] is not None else "—")
st.dataframe(pd.DataFrame(v["scenarios"]).rename(columns={
    "name": t("deal.scenario"), "probability": t("deal.probability"), "pv_saving": t("deal.pv_saving"),
    "pv_interest_delta": t("deal.pv_interest_delta")}), hide_index=True, key="deal_pv_table", column_config={
        t("deal.pv_saving"): st.column_config.NumberColumn(format="%,.2f"),
        t("deal.pv_interest_delta"): st.column_config.NumberColumn(format="%,.2f")})
st.caption(t("deal.discount", discount=v["discount"], date=v["valuation_date"]))

st.subheader(t("deal.cash_flows", scenario=scenario, ccy=ccy))
st.caption(convention)
money = {c: st.column_config.NumberColumn(format="%,.2f") for c in
         ("outstanding", "drawdown", "interest", "principal", "payment")}
money.update({c: st.column_config.DateColumn(format="YYYY-MM-DD") for c in ("start", "end", "payment_date")})
st.dataframe(frame, hide_index=True, column_config=money, key="deal_cash_flows")
st.markdown(t("deal.totals", interest=frame["interest"].sum(), principal=frame["principal"].sum(), ccy=ccy))
