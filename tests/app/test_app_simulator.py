"""Target-path simulator page through AppTest: roles, the numbers of ``dcsll simulate`` for the demo deal,
lever changes, A/B compare, saving; and the lever widgets' ranges and presets."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
SIM = "app_pages/simulator.py"
DEAL_ID = "demo-zjk-sll-2025"
DEAL = ROOT / "data/deals/demo-zjk-sll-2025.toml"
FACILITY = ROOT / "data/facilities/demo-zjk-hyperscale.toml"
LEVERS = ROOT / "data/targets/demo-levers.toml"
#: a small run keeps the tests quick; the seed is not the CLI's default on purpose (the page must pass it on)
PATHS, SEED = 1500, 7
#: tables are drawn through app_support.tables.show: floats keep 4 decimals (tables.DEFAULT_DECIMALS)
SHOWN = 0.5e-4 + 1e-12


def _key(s: str, kind: str, field: str) -> str:
    return f"sim_{DEAL_ID}_{s}_{kind}_{field}"


def _cli(capsys, levers: Path | None = None, paths: int = PATHS, seed: int = SEED) -> dict:
    """``dcsll simulate --json`` on the demo deal file: the reference the page must reproduce."""
    args = ["simulate", str(DEAL), "--paths", str(paths), "--seed", str(seed), "--json"]
    if levers is not None:
        args += ["--levers", str(levers)]
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def _setup(at: AppTest, paths: int = PATHS, seed: int = SEED) -> AppTest:
    at.number_input(key="sim_paths").set_value(paths)
    at.number_input(key="sim_seed").set_value(seed)
    return at.run()


def _run(at: AppTest) -> AppTest:
    at.button(key="sim_run_button").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _metrics(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def _prob(at: AppTest, s: str):
    """Probability table of lever set A or B (A is drawn first; AppTest's dataframes carry no key)."""
    tables = [d.value for d in at.dataframe if "P(no change) [%]" in d.value.columns]
    return tables["AB".index(s)]


def _assert_table_matches(table, run: dict) -> None:
    """The page's probability table against one run of the CLI's JSON (per observation and KPI)."""
    cli = {(o["date"], k): o[k] for o in run["per_observation"] for k in ("index", "pue")}
    assert len(table) == len(cli) == 10
    full = "SPT" in table.columns  # the half-width tables of compare mode show probabilities only
    kpis = {"GCPI index [points]": "index", "Index": "index", "Power usage effectiveness (PUE)": "pue", "PUE": "pue"}
    for _, row in table.iterrows():
        ref = cli[(str(row["Observation date"]), kpis[row["KPI"]])]
        if full:
            assert row["SPT"] == ref["spt"]
        assert row["P(met) [%]"] == pytest.approx(100 * ref["p_met"], abs=SHOWN)
        assert row["P(no change) [%]"] == pytest.approx(100 * ref["p_band"], abs=SHOWN)
        assert row["P(missed) [%]"] == pytest.approx(100 * ref["p_missed"], abs=SHOWN)
    if not full:
        return
    margins = {o["date"]: o["margin_bp_expected"] for o in run["per_observation"]}
    for _, row in table.iterrows():
        assert row["Expected margin [bp]"] == pytest.approx(margins[str(row["Observation date"])], abs=SHOWN)


@pytest.mark.parametrize("role", ["operator", "credit_officer", "admin"])
def test_page_renders_and_runs_for_each_allowed_role(run_as, role):
    at = run_as(role, SIM)
    assert not at.exception and not at.error
    assert at.title[0].value == "Target-path simulator"
    assert at.info[0].value == "Set the levers and press “Run simulation”."
    at = _run(_setup(at, paths=300))
    assert _metrics(at, "Expected PV of interest saved [CNY]")


def test_page_in_chinese_runs(run_as):
    at = run_as("operator", SIM, "zh")
    assert at.title[0].value == "目标路径模拟"
    at = _run(_setup(at, paths=300))
    assert _metrics(at, "预期节省利息现值 [CNY]")
    assert any("达成概率 [%]" in d.value.columns for d in at.dataframe)


def test_wrong_role_cannot_reach_the_simulator(run_as):
    with pytest.raises(ValueError):  # st.navigation did not register the page for a verifier
        run_as("verifier", SIM)


def test_simulator_guard_refuses_a_verifier_run_directly():
    from app_support import identity
    from app_support.pages import USER_KEY

    at = AppTest.from_file(str(ROOT / SIM), default_timeout=30)
    at.session_state["lang"] = "en"
    at.session_state[USER_KEY] = identity.User("intruder", "verifier", username="verifier")
    at.run()
    assert [e.value for e in at.error] == ["Your role may not open this page."]
    assert not at.title and not at.button


def test_business_as_usual_and_sample_levers_give_the_cli_numbers(run_as, capsys):
    """Compare mode: A = business as usual, B = data/targets/demo-levers.toml (the defaults), against
    ``dcsll simulate --levers data/targets/demo-levers.toml`` with the same paths and seed."""
    ref = _cli(capsys, LEVERS)
    at = run_as("operator", SIM)
    at.toggle(key="sim_compare").set_value(True).run()
    at = _run(_setup(at))
    pv = _metrics(at, "Expected PV of interest saved [CNY]")
    assert pv == [f"{ref['runs']['bau']['expected_pv_saving']:,.0f}", f"{ref['runs']['levers']['expected_pv_saving']:,.0f}"]
    nets = _metrics(at, "Net of verification costs [CNY]")
    assert nets == [f"{ref['runs'][r]['net_pv']:,.0f}" for r in ("bau", "levers")]
    _assert_table_matches(_prob(at, "A"), ref["runs"]["bau"])
    _assert_table_matches(_prob(at, "B"), ref["runs"]["levers"])
    gain = ref["levers_value"]["expected_pv_saving_gain"]
    assert _metrics(at, "B − A expected PV of interest saved [CNY]") == [f"{gain:+,.0f}"]
    diff = next(d.value for d in at.dataframe if "B − A [pp]" in d.value.columns)
    margins = {(o["date"], r): o["margin_bp_expected"] for r in ("bau", "levers") for o in ref["runs"][r]["per_observation"]}
    for _, row in diff.iterrows():
        assert row["Margin A [bp]"] == pytest.approx(margins[(str(row["Observation date"]), "bau")], abs=SHOWN)
        assert row["Margin B [bp]"] == pytest.approx(margins[(str(row["Observation date"]), "levers")], abs=SHOWN)
    assert diff["B − A [pp]"].to_numpy() == pytest.approx((diff["P(met) B [%]"] - diff["P(met) A [%]"]).to_numpy(),
                                                          abs=3 * SHOWN)
    assert diff["B − A [pp]"].abs().max() > 0  # the levers move at least one probability


def test_cooling_retrofit_in_2027_changes_the_2028_pue_probability_as_the_cli_does(run_as, capsys, tmp_path):
    """The operator's question: liquid cooling from May 2027 (PUE −0.03), do we meet the 2028 PUE SPT?"""
    levers = tmp_path / "cooling.toml"
    levers.write_text('[[levers]]\nkind = "cooling_retrofit"\nstart = 2027-05-01\npue_change = -0.03\n',
                      encoding="utf-8")
    ref = _cli(capsys, levers)
    at = _run(_setup(run_as("operator", SIM)))
    _assert_table_matches(_prob(at, "A"), ref["runs"]["bau"])
    import datetime as dt

    at.number_input(key=_key("A", "cooling_retrofit", "pue_change")).set_value(-0.03)
    at.date_input(key=_key("A", "cooling_retrofit", "start")).set_value(dt.date(2027, 5, 1))
    at.run()
    assert any(i.value.startswith("The inputs have changed since the last run") for i in at.info)
    at = _run(at)
    assert not any(i.value.startswith("The inputs have changed") for i in at.info)
    table = _prob(at, "A")
    _assert_table_matches(table, ref["runs"]["levers"])
    row = table[(table["Observation date"].astype(str) == "2028-12-31") & (table["KPI"] != "GCPI index [points]")]
    bau = next(o["pue"]["p_met"] for o in ref["runs"]["bau"]["per_observation"] if o["date"] == "2028-12-31")
    assert row["P(met) [%]"].iloc[0] > 100 * bau  # the retrofit helps
    assert _metrics(at, "Expected PV of interest saved [CNY]") == [f"{ref['runs']['levers']['expected_pv_saving']:,.0f}"]


def test_defaults_are_the_cli_defaults(run_as):
    """Paths and seed start at ``dcsll simulate``'s defaults (its --help: 10000 paths, seed 0)."""
    at = run_as("operator", SIM)
    assert at.number_input(key="sim_paths").value == 10000
    assert at.number_input(key="sim_seed").value == 0


def test_operator_saves_a_simulation_and_an_admin_is_refused(run_as):
    at = _run(_setup(run_as("operator", SIM), paths=200))
    at.text_input(key="sim_save_name_A").input("test-simulator-save")
    at.button(key="sim_save_A").click().run()
    assert not at.error
    assert at.success[0].value.startswith("Saved as simulation #")
    assert at.success[0].value.endswith("of facility demo-zjk-hyperscale.")
    from app_support.store import app_store

    log = app_store().audit_log("admin", entity="simulation")
    assert any(e.after and e.after.get("name") == "test-simulator-save" for e in log)

    at = _run(_setup(run_as("admin", SIM), paths=200))
    at.button(key="sim_save_A").click().run()
    assert [e.value for e in at.error] == [
        "You may not save simulations of facility demo-zjk-hyperscale: only its operator or a credit officer can."]


def test_operator_saves_a_lever_set_as_a_preset_and_starts_from_it(run_as):
    """The operator enters liquid cooling from 2027-05-01 (PUE −0.03) and saves it as a preset of its facility:
    the deal book holds exactly that lever table, the preset is listed under "Start from", and picking it in set A
    fills the widgets with −0.03 and 2027-05-01 again. A credit officer may not write the operator's presets."""
    import datetime as dt

    from app_support.store import app_store

    name = "test-preset-cooling-2027"
    at = run_as("operator", SIM)
    at.number_input(key=_key("A", "cooling_retrofit", "pue_change")).set_value(-0.03)
    at.date_input(key=_key("A", "cooling_retrofit", "start")).set_value(dt.date(2027, 5, 1))
    at.run()
    at.button(key=f"sim_{DEAL_ID}_A_preset_save").click().run()
    assert "Give the preset a name." in [w.value for w in at.warning]
    at.text_input(key=f"sim_{DEAL_ID}_A_preset_name").input(name).run()
    at.button(key=f"sim_{DEAL_ID}_A_preset_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == (f"Lever preset “{name}” saved for facility demo-zjk-hyperscale (1 lever(s)); "
                                   "pick it under “Start from”.")
    assert app_store().lever_presets("demo-zjk-hyperscale")[name] == {
        "levers": [{"kind": "cooling_retrofit", "start": "2027-05-01", "pue_change": -0.03}]}

    fresh = run_as("operator", SIM)
    box = fresh.selectbox(key=f"sim_{DEAL_ID}_A_preset")
    assert name in box.options
    box.set_value(name).run()
    assert fresh.number_input(key=_key("A", "cooling_retrofit", "pue_change")).value == pytest.approx(-0.03)
    assert fresh.date_input(key=_key("A", "cooling_retrofit", "start")).value == dt.date(2027, 5, 1)

    co = run_as("credit_officer", SIM)
    co.number_input(key=_key("A", "cooling_retrofit", "pue_change")).set_value(-0.02)
    co.text_input(key=f"sim_{DEAL_ID}_A_preset_name").input(name)
    co.run()
    co.button(key=f"sim_{DEAL_ID}_A_preset_save").click().run()
    assert [e.value for e in co.error] == [
        "Only the operator of facility demo-zjk-hyperscale (or an admin) may save its lever presets."]
    assert app_store().lever_presets("demo-zjk-hyperscale")[name]["levers"][0]["pue_change"] == -0.03


# ------------------------------------------------------------------ lever widgets (pure functions)


def _facility_2025() -> dict:
    doc = tomllib.loads(FACILITY.read_text(encoding="utf-8"))
    return next(p for p in doc["periods"] if p["label"] == "2025")


def test_lever_ranges_come_from_the_latest_period_and_the_lever_models():
    from app_support import simulator as S
    from finance.deal import load_deal
    from index.models import load_facility

    specs = {s.kind: s for s in S.lever_specs(load_deal(DEAL), load_facility(FACILITY))}
    assert set(specs) == {"cooling_retrofit", "green_trading", "direct_supply", "gec", "onsite_pv", "rack_growth",
                          "waste_heat", "water_recycling", "ppa", "storage"}
    p = _facility_2025()
    pue = p["total_energy_kwh"] / p["it_energy_kwh"]  # 1.17 from the file's metered energies
    cool = specs["cooling_retrofit"].fields[0]
    assert (cool.unit, cool.max_value, cool.default) == ("-", 0.0, 0.0)
    assert cool.min_value == pytest.approx(-(pue - 1), abs=cool.step)  # PUE cannot go below 1
    green = specs["green_trading"].fields[0]
    assert green.unit == "MWh/yr"
    assert p["total_energy_kwh"] / 1000 <= green.max_value < p["total_energy_kwh"] / 1000 + green.step
    water = specs["water_recycling"].fields[0]
    assert water.unit == "m³/yr" and p["water_m3"] <= water.max_value < p["water_m3"] + water.step
    assert specs["rack_growth"].fields[0].max_value == p["racks_ready"]
    pv_yield = specs["onsite_pv"].fields[1]
    assert pv_yield.unit == "kWh/kWp/yr" and pv_yield.max_value < 3000  # the model's bound (lt=3000)
    hebei = next(r for r in (ROOT / "data/targets/pv_yield.csv").read_text(encoding="utf-8").splitlines()
                 if r.startswith("hebei,"))
    assert pv_yield.default == float(hebei.split(",")[1])
    # hourly levers: PPA up to the capacity delivering the year's energy at the lowest default PV yield of the table;
    # battery up to one day of average consumption [MWh] and the average power [MW]
    lowest = min(float(r.split(",")[1]) for r in (ROOT / "data/targets/pv_yield.csv").read_text(
        encoding="utf-8").splitlines()[1:])
    ppa = specs["ppa"].fields[0]
    mwh = p["total_energy_kwh"] / 1000
    assert ppa.unit == "MW" and mwh / lowest <= ppa.max_value < mwh / lowest + ppa.step
    cf = specs["ppa"].fields[1]
    assert (cf.unit, cf.max_value, cf.default) == ("fraction", 1.0, None)
    assert specs["ppa"].choices["profile"] == ("SUN", "WND", "stored") and specs["ppa"].choices["zone"][0] == "ERCO"
    e, pw, rte = specs["storage"].fields
    assert mwh / 365 <= e.max_value < mwh / 365 + e.step and mwh / 8760 <= pw.max_value < mwh / 8760 + pw.step
    assert (rte.unit, rte.max_value, rte.default) == ("fraction", 1.0, None)
    # start dates: within the loan, default 1 January of the first simulated year (2026: 2025 is observed)
    s = specs["waste_heat"]
    assert (str(s.start_min), str(s.start_max), str(s.start_default)) == ("2025-07-21", "2030-07-22", "2026-01-01")


def test_sample_levers_file_round_trips_through_the_widgets():
    from app_support import simulator as S
    from finance.deal import load_deal
    from index.models import load_facility

    specs = S.lever_specs(load_deal(DEAL), load_facility(FACILITY))
    from index.tomlfile import read_toml

    values, notes = S.preset_values(specs, read_toml(LEVERS))
    assert notes == []
    expected = tomllib.loads(LEVERS.read_text(encoding="utf-8"))["levers"]
    got = S.levers_from_values(values)
    assert [dict(x, start=str(x["start"])) for x in got] == [
        {k: (str(v) if k == "start" else v) for k, v in lv.items()} for lv in expected]
    bau, _ = S.preset_values(specs, None)
    assert S.levers_from_values(bau) == []  # every amount 0: no lever


def test_ppa_and_battery_levers_show_the_hourly_cfe_kpis_as_the_engine_computes_them(run_as):
    """The operator adds a 100 MW solar PPA and a 100 MWh / 25 MW battery from 2027: the 24/7 CFE section
    shows per year the median and 5–95 % of the CFE score, hourly matched and volumetric share, equal to
    workflows.simulate_run with the same levers, paths and seed (deal-book facility without interval data:
    flat load, the notes say so); its table shows no nan / unrounded floats."""
    import datetime as dt

    import workflows
    from app_support.tables import table_problems
    from finance.deal import load_deal
    from index.forecast import load_monthly
    from index.levers import parse_levers
    from index.models import load_facility

    at = _setup(run_as("operator", SIM), paths=400)
    at.number_input(key=_key("A", "ppa", "mw")).set_value(100.0)
    at.date_input(key=_key("A", "ppa", "start")).set_value(dt.date(2027, 1, 1))
    at.number_input(key=_key("A", "storage", "mwh")).set_value(100.0)
    at.number_input(key=_key("A", "storage", "mw")).set_value(25.0)
    at.date_input(key=_key("A", "storage", "start")).set_value(dt.date(2027, 1, 1))
    at = _run(at.run())
    table = next(d.value for d in at.dataframe if "CFE score median [%]" in d.value.columns)
    assert table_problems(table) == []

    lv = parse_levers([{"kind": "ppa", "start": dt.date(2027, 1, 1), "mw": 100.0, "profile": "SUN", "zone": "ERCO"},
                       {"kind": "storage", "start": dt.date(2027, 1, 1), "mwh": 100.0, "mw": 25.0}])
    run = workflows.simulate_run(load_deal(DEAL), load_facility(FACILITY), load_monthly(
        ROOT / "data/monthly/demo-zjk-hyperscale.csv"), None, levers=lv, paths=400, seed=SEED)
    ref = {r["year"]: r for r in run.sim.distribution("cfe_score", (0.05, 0.5, 0.95))}
    for _, row in table.iterrows():
        r = ref[int(row["Year"])]
        assert row["CFE score median [%]"] == pytest.approx(100 * r["p50"], abs=0.05 + 1e-9)  # 1 decimal shown
        assert row["CFE score 5 % [%]"] == pytest.approx(100 * r["p05"], abs=0.05 + 1e-9)
    y27 = table[table["Year"] == 2027].iloc[0]
    y26 = table[table["Year"] == 2026].iloc[0]
    assert y27["Hourly matched median [%]"] > y26["Hourly matched median [%]"]  # the levers act from 2027
    notes = " ".join(m.value for m in at.markdown)
    assert "flat (no interval data)" in notes and "charges from clean surplus only" in notes
