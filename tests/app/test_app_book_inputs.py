"""Inputs that used to live only in files, entered in the app (issue 11): a facility created by an admin for
an operator; a monthly metered series read from CSV / Excel as a monthly file is read (bad rows named)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from index.errors import InputError
from index.forecast import load_monthly

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = "app_pages/data_submission.py"
MONTHLY = ROOT / "data/monthly/demo-zjk-hyperscale.csv"


def test_admin_creates_a_facility_for_an_operator(run_as):
    from app_support.store import app_store

    at = run_as("admin", UPLOAD)
    at.text_input(key="new_fac_id").input("test-new-borrower")
    at.text_input(key="new_fac_name").input("New Borrower DC")
    at.text_input(key="new_fac_province").input("hebei")
    at.number_input(key="new_fac_power").set_value(20000.0)
    next(b for b in at.button if b.label == "Create the facility").click().run()
    assert not at.exception, at.exception
    assert any("Created facility test-new-borrower" in s.value for s in at.success), [e.value for e in at.error]
    book = app_store()
    fac = book.load_facility("test-new-borrower")
    assert (fac.name, fac.design_it_power_kw.value, len(fac.periods)) == ("New Borrower DC", 20000.0, 0)
    assert "test-new-borrower" in book.user("operator").facilities
    # the operator now sees it on the monthly tab
    at = run_as("operator", UPLOAD)
    assert "test-new-borrower" in at.selectbox(key="monthly_facility_en").options


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_monthly_table_reads_as_the_monthly_file(fmt):
    from app_support.periods_table import read_monthly

    df = pd.read_csv(MONTHLY, dtype={"month": str})
    if fmt == "xlsx":
        buf = io.BytesIO()
        df.to_excel(buf, index=False)
        data = buf.getvalue()
    else:
        data = MONTHLY.read_bytes()
    got = read_monthly(f"m.{fmt}", data)
    expected = load_monthly(MONTHLY)  # the file reader of index.forecast, not the app's
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_monthly_table_names_the_bad_row():
    from app_support.periods_table import read_monthly

    df = pd.read_csv(MONTHLY, dtype={"month": str})
    df.loc[4, "it_energy_kwh"] = df.loc[4, "total_energy_kwh"] + 1  # IT energy above total energy (2021-05)
    with pytest.raises(InputError) as err:
        read_monthly("bad.csv", df.to_csv(index=False).encode())
    row = err.value.as_row()
    assert row["file"] == "bad.csv" and "it_energy" in str(row["field"]) + row["reason"]
    df = pd.read_csv(MONTHLY, dtype={"month": str})
    df.loc[2, "water_m3"] = None  # an empty cell is missing, not zero
    with pytest.raises(InputError):
        read_monthly("gap.csv", df.to_csv(index=False).encode())


def test_verifier_identity_is_saved_to_the_deal_book(run_as):
    from app_support.store import app_store

    at = run_as("verifier", "app_pages/verification.py")
    at.selectbox(key="ver_deal").set_value("demo-zjk-sll-2025").run()
    for key, value in (("vf_id", "acme-assurance"), ("vf_name_en", "Acme Assurance"), ("vf_name_zh", "艾克米鉴证"),
                       ("vf_accreditation", "CNAS V9999"), ("vf_signatory", "Wang Fang"),
                       ("vf_title_en", "Lead Verifier"), ("vf_place_en", "Shanghai"), ("vf_place_zh", "上海")):
        at.text_input(key=key).set_value(value)
    next(b for b in at.button if b.label == "Save the verifier identity").click().run()
    assert not at.exception, at.exception
    doc = app_store().verifiers()["acme-assurance"]
    assert doc["name"] == {"en": "Acme Assurance", "zh": "艾克米鉴证"}
    assert (doc["accreditation"], doc["signatory"], doc["place"]) == ("CNAS V9999", "Wang Fang", {"en": "Shanghai", "zh": "上海"})
    assert "Acme Assurance (acme-assurance)" in at.selectbox(key="ver_verifier").options


def test_a_period_verified_in_the_app_is_a_baseline_in_the_designer(run_as):
    """china-mobile-hohhot 2022 is reported (seed): the designer refuses it as a baseline; the verifier marks it
    verified on the Verification page; the designer then takes it (the book is read, not data/facilities)."""
    from app_support.store import app_store

    at = run_as("credit_officer", "app_pages/deal_designer.py")
    at.radio(key="dz_mode").set_value("new").run()
    at.selectbox(key="dz_new_facility").set_value("china-mobile-hohhot").run()
    assert at.button(key="dz_save").disabled
    at = run_as("verifier", "app_pages/verification.py")
    at.radio(key="ver_scope").set_value("facility").run()
    at.selectbox(key="ver_facility").set_value("china-mobile-hohhot").run()
    at.selectbox(key="ver_fperiod").set_value("2022").run()
    at.text_input(key="ver_period_ref_china-mobile-hohhot_2022").input("VR-2023-11").run()
    at.button(key="ver_mark_period").click().run()
    assert not at.exception, at.exception
    assert [p.status for p in app_store().load_facility("china-mobile-hohhot").periods if p.label == "2022"] == [
        "verified"]
    at = run_as("credit_officer", "app_pages/deal_designer.py")
    at.radio(key="dz_mode").set_value("new").run()
    at.selectbox(key="dz_new_facility").set_value("china-mobile-hohhot").run()
    assert not at.exception
    assert not any("is reported, not verified" in str(d.value.to_dict()) for d in at.dataframe)
    assert not any(w.value.startswith("Cannot save yet: the deal has no baseline") for w in at.warning)
