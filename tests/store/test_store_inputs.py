"""Deal-book inputs (issue 11): monthly series, targets settings, lever presets, verifiers, engagements and the
statements listing — on SQLite and PostgreSQL (the conftest's ``store``/``seeded`` fixtures run on both).

Expected values are written out here (hand-made frames and documents, hand-computed PUE), not read from the
store's code.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from index.errors import InputError
from store.errors import ImmutableRecordError, NotFound, PermissionDenied

FID = "zjk-campus"
DEAL = "zjk-2025-term"


def _frame(months, total, it, water=None, status="reported"):
    """A monthly frame with a ``month`` column, numbers as given [kWh, m³]."""
    d = {"month": months, "total_energy_kwh": total, "it_energy_kwh": it}
    if water is not None:
        d["water_m3"] = water
    d["status"] = [status] * len(months)
    return pd.DataFrame(d)


Q1 = _frame(["2025-01", "2025-02", "2025-03"], [1300.0, 1200.0, 1250.0], [1000.0, 960.0, 1000.0],
            [50.0, 40.0, 45.0])


def _audit(st, entity):
    return st.audit_log("admin", entity=entity)


# ------------------------------------------------------------------------------------------- monthly series


def test_monthly_round_trip_with_derived_columns(seeded):
    assert seeded.monthly(FID) is None
    assert seeded.save_monthly("op", FID, Q1, source="q1.csv") == 3
    got = seeded.monthly(FID)
    assert [str(m) for m in got.index] == ["2025-01", "2025-02", "2025-03"]
    assert list(got["total_energy_kwh"]) == [1300.0, 1200.0, 1250.0]
    assert list(got["status"]) == ["reported"] * 3
    # derived as load_monthly does: PUE = total / IT [-]; hours of February 2025 = 28 × 24
    assert got["pue"].tolist() == pytest.approx([1.3, 1.25, 1.25])
    assert got["hours"].iloc[1] == 672.0
    assert got["wue"].iloc[0] == pytest.approx(50.0 * 1000 / 1000.0)   # [L/kWh]
    (entry,) = _audit(seeded, "monthly")
    assert entry.actor == "op" and entry.action == "monthly.save" and entry.entity_key == FID
    assert sorted(entry.after["months"]) == ["2025-01", "2025-02", "2025-03"] and entry.before is None


def test_monthly_same_frame_again_changes_nothing(seeded):
    seeded.save_monthly("op", FID, Q1)
    n = seeded.audit_count()
    assert seeded.save_monthly("op", FID, Q1) == 0
    # the frame as monthly() returns it (derived columns, month index) is accepted too
    assert seeded.save_monthly("op", FID, seeded.monthly(FID)) == 0
    assert seeded.audit_count() == n


def test_monthly_replaces_the_months_given_and_keeps_the_others(seeded):
    seeded.save_monthly("op", FID, Q1)
    feb = _frame(["2025-02"], [1180.0], [950.0], [41.0])
    apr = _frame(["2025-04"], [1400.0], [1100.0], [60.0])
    assert seeded.save_monthly("op", FID, pd.concat([feb, apr])) == 2
    got = seeded.monthly(FID)
    assert list(got["total_energy_kwh"]) == [1300.0, 1180.0, 1250.0, 1400.0]
    entry = _audit(seeded, "monthly")[-1]
    assert entry.before == {"2025-02": {"month": "2025-02", "total_energy_kwh": 1200.0, "it_energy_kwh": 960.0,
                                        "water_m3": 40.0, "status": "reported"}}
    assert sorted(entry.after["months"]) == ["2025-02", "2025-04"]


@pytest.mark.parametrize(("frame", "field", "row", "unit"), [
    (_frame(["2025-01", "2025-01"], [1.0, 1.0], [1.0, 1.0]), "month", 2, None),           # duplicate month
    (_frame(["2025-01", "2025-13"], [1.0, 1.0], [1.0, 1.0]), "month", 2, None),           # not a month
    (_frame(["2025-01", "2025-03"], [1.0, 1.0], [1.0, 1.0]), "month", 2, None),           # gap
    (_frame(["2025-01", "2025-02"], [1.0, -2.0], [1.0, 1.0]), "total_energy_kwh", 2, "kWh"),
    (_frame(["2025-01", "2025-02"], [1.0, float("inf")], [1.0, 1.0]), "total_energy_kwh", 2, "kWh"),
    (_frame(["2025-01", "2025-02"], [1.0, float("nan")], [1.0, 1.0]), "total_energy_kwh", 2, "kWh"),
    (_frame(["2025-01", "2025-02"], [1.0, 2.0], [1.0, 3.0]), "it_energy_kwh", 2, "kWh"),   # PUE < 1
    (pd.DataFrame({"month": ["2025-01"], "total_energy_kwh": [2.0], "it_energy_kwh": [1.0], "power_mw": [3.0]}),
     "power_mw", None, None),                                                           # unit-less column
])
def test_bad_monthly_frame_names_row_field_unit_and_saves_nothing(seeded, frame, field, row, unit):
    n = seeded.audit_count()
    with pytest.raises(InputError) as exc:
        seeded.save_monthly("op", FID, frame, source="upload.csv")
    e = exc.value
    assert (e.file, e.field, e.row, e.unit) == ("upload.csv", field, row, unit)
    assert seeded.monthly(FID) is None and seeded.audit_count() == n


def test_monthly_merge_that_leaves_a_gap_or_other_columns_is_refused(seeded):
    seeded.save_monthly("op", FID, Q1)
    with pytest.raises(InputError, match="gap"):
        seeded.save_monthly("op", FID, _frame(["2025-05"], [1400.0], [1100.0], [60.0]))
    with pytest.raises(InputError, match="numeric columns differ") as exc:
        seeded.save_monthly("op", FID, _frame(["2025-04"], [1400.0], [1100.0]))   # no water_m3
    assert exc.value.field == "columns"
    assert len(seeded.monthly(FID)) == 3


def test_monthly_roles(seeded):
    with pytest.raises(PermissionDenied, match="not of facility"):
        seeded.save_monthly("op2", FID, Q1)
    for user in ("credit", "verifier"):
        with pytest.raises(PermissionDenied):
            seeded.save_monthly(user, FID, Q1)
    assert seeded.monthly(FID) is None
    assert seeded.save_monthly("admin", FID, Q1) == 3       # admin: import of whole files


def test_monthly_unknown_facility(seeded):
    with pytest.raises(NotFound):
        seeded.monthly("nowhere")
    with pytest.raises(PermissionDenied):           # op is not the operator of an unknown facility
        seeded.save_monthly("op", "nowhere", Q1)
    with pytest.raises(NotFound):
        seeded.save_monthly("admin", "nowhere", Q1)


# ------------------------------------------------------------------------------------------- targets settings

SETTINGS = {"baseline": {"periods": ["2024"]},
            "regulatory_profile": {"new_build": True, "government_procurement": False},
            "proposal": {"pue": {"method": "constant_rate", "target_value": 1.10, "target_year": 2029},
                         "renewable_share": {"method": "trajectory", "trajectory": "renewable_plus10pct"}}}


def test_targets_settings_versions(seeded):
    assert seeded.targets_settings(DEAL) is None
    assert seeded.save_targets_settings("credit", DEAL, SETTINGS) == 1
    assert seeded.targets_settings(DEAL) == SETTINGS
    n = seeded.audit_count()
    assert seeded.save_targets_settings("credit", DEAL, SETTINGS) == 1      # same content: nothing written
    assert seeded.audit_count() == n
    changed = {**SETTINGS, "baseline": {"periods": ["2023", "2024"], "allow_reported": False}}
    assert seeded.save_targets_settings("credit", DEAL, changed) == 2
    assert seeded.targets_settings(DEAL) == changed
    entries = _audit(seeded, "targets_settings")
    assert [(e.before or {}).get("version") for e in entries] == [None, 1]
    assert [e.after["version"] for e in entries] == [1, 2]


@pytest.mark.parametrize(("settings", "field"), [
    ({"deal": DEAL, **SETTINGS}, "deal"),
    ({"monthly": "../monthly/x.csv"}, "monthly"),
    ({"scenarios": {}}, "scenarios"),
    ({"baseline": {"periods": "2024"}}, "baseline.periods"),
    ({"baseline": {"period": ["2024"]}}, "baseline.period"),
    ({"regulatory_profile": {"new_build": "yes"}}, "regulatory_profile.new_build"),
    ({"proposal": {"pue": {"method": "linear", "target_value": float("nan")}}}, "proposal.pue.target_value"),
    ({"proposal": {"pue": {"method": "linear", "target_yr": 2029}}}, "proposal.pue.target_yr"),
])
def test_bad_targets_settings_save_nothing(seeded, settings, field):
    n = seeded.audit_count()
    with pytest.raises(InputError) as exc:
        seeded.save_targets_settings("credit", DEAL, settings)
    assert exc.value.field == field
    assert seeded.targets_settings(DEAL) is None and seeded.audit_count() == n


def test_targets_settings_roles_and_unknown_deal(seeded):
    for user in ("op", "verifier"):
        with pytest.raises(PermissionDenied):
            seeded.save_targets_settings(user, DEAL, SETTINGS)
    with pytest.raises(NotFound):
        seeded.save_targets_settings("credit", "no-deal", SETTINGS)
    assert seeded.targets_settings(DEAL) is None


def test_targets_settings_rows_are_append_only(seeded):
    from sqlalchemy import text

    seeded.save_targets_settings("credit", DEAL, SETTINGS)
    for sql in ("UPDATE targets_settings SET version = 7", "DELETE FROM targets_settings"):
        with pytest.raises(ImmutableRecordError, match="versioned"), seeded._write() as s:
            s.execute(text(sql))
    assert seeded.targets_settings(DEAL) == SETTINGS


# ------------------------------------------------------------------------------------------- lever presets

LEVERS = {"levers": [
    {"kind": "cooling_retrofit", "start": dt.date(2027, 5, 1), "pue_change": -0.03},
    {"kind": "onsite_pv", "start": dt.date(2026, 7, 1), "kwp": 4000, "yield_kwh_per_kwp": 1450},
]}


def test_lever_presets(seeded):
    seeded.save_lever_preset("op", "retrofit", LEVERS, facility_id=FID)
    seeded.save_lever_preset("op2", "generic", {"levers": LEVERS["levers"][:1]})     # any facility
    assert seeded.lever_presets(FID) == {"generic": {"levers": LEVERS["levers"][:1]}, "retrofit": LEVERS}
    assert seeded.lever_presets("other-dc") == {"generic": {"levers": LEVERS["levers"][:1]}}
    assert set(seeded.lever_presets()) == {"generic", "retrofit"}
    n = seeded.audit_count()
    seeded.save_lever_preset("op", "retrofit", LEVERS, facility_id=FID)
    assert seeded.audit_count() == n
    # op2 (not the operator of zjk-campus) may neither write for it nor take over its preset
    with pytest.raises(PermissionDenied):
        seeded.save_lever_preset("op2", "mine", LEVERS, facility_id=FID)
    with pytest.raises(PermissionDenied):
        seeded.save_lever_preset("op2", "retrofit", LEVERS)
    for user in ("credit", "verifier"):
        with pytest.raises(PermissionDenied):
            seeded.save_lever_preset(user, "x", LEVERS)
    assert [e.action for e in _audit(seeded, "lever_preset")] == ["levers.create", "levers.create"]


@pytest.mark.parametrize(("doc", "field", "unit"), [
    ({"levers": [{"kind": "cooling_retrofit", "start": dt.date(2027, 5, 1)}]}, "levers[0].pue_change", "-"),
    ({"levers": [{"kind": "onsite_pv", "start": dt.date(2026, 7, 1), "kwp": -5}]}, "levers[0].kwp", "kWp"),
    ({"levers": [{"kind": "teleport", "start": dt.date(2026, 7, 1)}]}, "levers[0].kind", None),
    ({"levers": [], "notes": "x"}, "notes", None),
])
def test_bad_lever_preset_saves_nothing(seeded, doc, field, unit):
    with pytest.raises(InputError) as exc:
        seeded.save_lever_preset("op", "bad", doc, facility_id=FID)
    assert (exc.value.field, exc.value.unit) == (field, unit)
    assert seeded.lever_presets() == {}


# ------------------------------------------------------------------------------------------- verifiers

VERIFIER = {"name": {"en": "Example Assurance", "zh": "示例鉴证"}, "accreditation": "CNAS V0001",
            "signatory": "Li Ming", "signatory_title": {"en": "Lead Verifier", "zh": "首席核查员"},
            "place": {"en": "Beijing", "zh": "北京"}}


def test_verifiers(seeded):
    seeded.save_verifier("verifier", "ea", VERIFIER)
    seeded.save_verifier("admin", "eb", {**VERIFIER, "accreditation": "CNAS V0002"})
    assert seeded.verifiers() == {"ea": VERIFIER, "eb": {**VERIFIER, "accreditation": "CNAS V0002"}}
    n = seeded.audit_count()
    seeded.save_verifier("verifier", "ea", VERIFIER)
    assert seeded.audit_count() == n
    seeded.save_verifier("verifier", "ea", {**VERIFIER, "signatory": "Wang Fang"})
    last = _audit(seeded, "verifier")[-1]
    assert (last.action, last.before["signatory"], last.after["signatory"]) == ("verifier.update", "Li Ming",
                                                                                  "Wang Fang")
    for user in ("credit", "op"):
        with pytest.raises(PermissionDenied):
            seeded.save_verifier(user, "ec", VERIFIER)


@pytest.mark.parametrize(("doc", "field"), [
    ({**VERIFIER, "signing": {"pkcs12": "/secure/v.p12"}}, "verifier.signing"),
    ({**VERIFIER, "key_pem": "/secure/v.key"}, "verifier.key_pem"),
    ({k: v for k, v in VERIFIER.items() if k != "accreditation"}, "verifier.accreditation"),
    ({**VERIFIER, "accreditation": "  "}, "verifier.accreditation"),
    ({**VERIFIER, "name": "Example"}, "verifier.name"),
    ({**VERIFIER, "place": {"en": "Beijing"}}, "verifier.place"),          # both languages, as on the statement
    ({**VERIFIER, "website": "x"}, "verifier.website"),
])
def test_bad_verifier_saves_nothing(seeded, doc, field):
    with pytest.raises(InputError) as exc:
        seeded.save_verifier("verifier", "ea", doc)
    assert exc.value.field == field
    assert seeded.verifiers() == {}


# ------------------------------------------------------------------------------------------- engagements

ENGAGEMENT = {"statement_id": "VS-ZJK-2025", "issue_date": dt.date(2026, 4, 24),
              "standards": ["ISAE 3000 (Revised)", "ISAE 3410"], "assurance_level": "limited",
              "conclusion": "unmodified", "baseline_period": "2024",
              "verified": {"accept_reported": True, "it_energy_kwh": 351689000},
              "notes": [{"kind": "restatement", "indicator": "pue", "en": "IT energy restated.", "zh": "重述。"}]}


def test_engagement_versions(seeded):
    assert seeded.engagement(DEAL, "2025") is None
    assert seeded.save_engagement("verifier", DEAL, "2025", ENGAGEMENT) == 1
    assert seeded.engagement(DEAL, "2025") == ENGAGEMENT       # dates come back as dates
    assert seeded.engagement(DEAL, "2026") is None
    assert seeded.save_engagement("verifier", DEAL, "2025", ENGAGEMENT) == 1
    assert seeded.save_engagement("verifier", DEAL, "2025", {**ENGAGEMENT, "assurance_level": "reasonable"}) == 2
    assert seeded.engagement(DEAL, "2025")["assurance_level"] == "reasonable"
    assert [e.entity_key for e in _audit(seeded, "engagement")] == [f"{DEAL}/2025"] * 2
    for user in ("credit", "op"):
        with pytest.raises(PermissionDenied):
            seeded.save_engagement(user, DEAL, "2025", ENGAGEMENT)


def test_engagement_checks(seeded, deal_doc):
    with pytest.raises(InputError) as exc:
        seeded.save_engagement("verifier", DEAL, "2025", {**ENGAGEMENT, "auditor": "x"})
    assert exc.value.field == "auditor"
    with pytest.raises(InputError) as exc:
        seeded.save_engagement("verifier", DEAL, "2025", {**ENGAGEMENT, "issue_date": "24 April"})
    assert exc.value.field == "issue_date"
    with pytest.raises(NotFound) as exc:
        seeded.save_engagement("verifier", DEAL, "2025", {**ENGAGEMENT, "verifier_id": "nobody"})
    assert exc.value.field == "verifier_id"
    seeded.save_verifier("verifier", "ea", VERIFIER)
    assert seeded.save_engagement("verifier", DEAL, "2025", {**ENGAGEMENT, "verifier_id": "ea"}) == 1
    # a deal whose observations name their periods: only those periods
    doc = dict(deal_doc)
    doc["observations"] = [{**o, "period": str(o["date"].year)} for o in deal_doc["observations"]]
    seeded.save_deal("credit", doc, expected_version=seeded.deal(DEAL).version)
    with pytest.raises(InputError, match="no observation for period '2030'"):
        seeded.save_engagement("verifier", DEAL, "2030", ENGAGEMENT)
    with pytest.raises(NotFound):
        seeded.save_engagement("verifier", "no-deal", "2025", ENGAGEMENT)


# ------------------------------------------------------------------------------------------- statements listing

PDF = b"%PDF-1.7\n% listing test\n%%EOF\n"


def test_statements_listing(seeded):
    assert seeded.statements() == []
    seeded.save_statement("verifier", "VS-2", facility_id=FID, deal_id=DEAL, pdf=PDF, period_label="2025")
    seeded.save_statement("verifier", "VS-1", facility_id=FID, deal_id=DEAL, pdf=PDF + b"x", issue=True,
                          signature_status="signed", period_label="2025")
    seeded.save_statement("verifier", "VS-X", facility_id=FID, pdf=PDF)      # no deal
    got = seeded.statements(DEAL)
    assert [(i.id, i.status, i.size, i.deal_id) for i in got] == [("VS-1", "issued", len(PDF) + 1, DEAL),
                                                                    ("VS-2", "draft", len(PDF), DEAL)]
    assert got[0] == seeded.statement("VS-1")
    assert [i.id for i in seeded.statements()] == ["VS-1", "VS-2", "VS-X"]
    assert seeded.statements("other-deal") == []


def test_monthly_blank_status_is_stored_as_none(seeded):
    frame = _frame(["2025-01", "2025-02"], [1300.0, 1200.0], [1000.0, 960.0], [50.0, 40.0])
    frame["status"] = ["verified", float("nan")]
    assert seeded.save_monthly("op", FID, frame) == 2
    got = seeded.monthly(FID)
    assert got["status"].iloc[0] == "verified" and pd.isna(got["status"].iloc[1])
    assert "nan" not in str(_audit(seeded, "monthly")[-1].after)


def test_monthly_status_given_later_is_kept(seeded):
    """Months first saved without a status, then one month with it: the series shows the status column."""
    seeded.save_monthly("op", FID, Q1.drop(columns=["status"]))
    apr = _frame(["2025-04"], [1400.0], [1100.0], [60.0], status="verified")
    assert seeded.save_monthly("op", FID, apr) == 1
    got = seeded.monthly(FID)
    assert list(got["status"].iloc[:3].isna()) == [True] * 3 and got["status"].iloc[3] == "verified"
