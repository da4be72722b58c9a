"""Data submission page: failures listed before anything is saved, a valid upload saved to the deal book as the
signed-in user, the deal book's refusals shown translated with nothing saved (AppTest).

Tests that write to the app's deal book (``app_database``) use facilities of their own (ids ``test-upload-*``),
created directly in the store as the demo administrator.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from index.engine import score
from index.models import facility_from_dict

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = "app_pages/data_submission.py"
DEMO_FILE = ROOT / "data/facilities/demo-zjk-hyperscale.toml"
TEMPLATE = ROOT / "app_support/templates/facility_template.toml"


def _book():
    from app_support.store import app_store

    return app_store()


def _demo_text(fid: str) -> str:
    """The demo facility file under another id."""
    text = DEMO_FILE.read_text(encoding="utf-8")
    assert 'id = "demo-zjk-hyperscale"' in text
    return text.replace('id = "demo-zjk-hyperscale"', f'id = "{fid}"')


def _own_facility(fid: str, *, assign: bool = True) -> None:
    """Create facility ``fid`` (a copy of the demo facility: 2023/2024 verified, 2025 reported) in the app's deal
    book as admin, assigned to the demo operator unless ``assign`` is False."""
    book = _book()
    if fid not in book.facility_ids():
        book.save_facility("admin", facility_from_dict(tomllib.loads(_demo_text(fid))), file="test",
                           verified_by="verifier")
    if assign:
        book.assign_facility("admin", "operator", fid)


def _upload(at: AppTest, name: str, data: bytes, mime: str = "application/toml") -> AppTest:
    at.file_uploader(key="upload_file").upload(name, data, mime)
    return at.run()


def _save(at: AppTest) -> AppTest:
    return at.button(key="upload_save").click().run()


# --------------------------------------------------------------------------------- failures: nothing saved


def test_bad_upload_shows_failure_table_and_saves_nothing(run_as):
    n = _book().audit_count()
    bad = TEMPLATE.read_text(encoding="utf-8")
    bad = bad.replace("it_energy_kwh = 56000000", "it_energy_kwh = 90000000")  # above total energy
    bad = bad.replace("cpu_utilisation = 0.35", "cpu_utilisation = 35")  # a percentage, not a fraction
    at = _upload(run_as("operator", UPLOAD), "bad.toml", bad.encode())
    assert not at.exception
    assert at.error[0].value.startswith("2 problem(s) found")
    table = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    assert list(table.columns) == ["File", "Row", "Field", "Unit", "Value", "Reason"]
    # fields by their label (catalogue upload.field) and unit, never the internal path periods[0].…
    assert set(zip(table["Field"], table["Unit"], strict=True)) == {("CPU utilisation", "fraction 0–1"),
                                                                    ("IT equipment energy", "kWh")}
    assert set(table["Row"]) == {"period 2024"}
    assert (table["File"] == "bad.toml").all()
    assert not at.success
    assert not [b for b in at.button if b.key == "upload_save"]  # no way to save a file with failures
    assert _book().audit_count() == n


def test_toml_syntax_error_is_one_failure_row(run_as):
    at = _upload(run_as("operator", UPLOAD), "broken.toml", b"[facility\nid = 1")
    table = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    assert len(table) == 1 and table["Reason"][0].startswith("not valid TOML")


def test_bad_csv_row_lists_failures_and_saves_nothing(run_as):
    _own_facility("test-upload-badcsv")
    n = _book().audit_count()
    csv = b"label,status,source,total_energy_kwh,it_energy_kwh\n2026,reported,meter,100000000,120000000\n"
    at = run_as("operator", UPLOAD)
    at = _upload(at, "p.csv", csv, "text/csv")
    at.selectbox(key="upload_attach_en").set_value("test-upload-badcsv").run()
    table = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    assert list(table["Row"]) == ["period 2026 (line 2)"]
    assert list(table["Field"]) == ["IT equipment energy"]
    assert not [b for b in at.button if b.key == "upload_save"]
    assert _book().audit_count() == n


# --------------------------------------------------------------------------------- saving


def test_good_upload_previews_and_waits_for_save(run_as, methodology):
    n = _book().audit_count()
    at = _upload(run_as("operator", UPLOAD), "demo.toml", DEMO_FILE.read_bytes())
    assert not at.exception and not at.error
    assert at.success[0].value.endswith("3 period(s).")
    preview = next(d.value for d in at.dataframe if "Total" in d.value.columns)
    fac = facility_from_dict(tomllib.loads(DEMO_FILE.read_text(encoding="utf-8")))
    assert list(preview["Total"]) == [round(score(fac, p, methodology).total, 2) for p in ("2023", "2024", "2025")]
    assert at.button(key="upload_save").label == "Save to the deal book (demo-zjk-hyperscale)"
    assert _book().audit_count() == n  # nothing saved before the click


def test_unchanged_demo_file_saves_nothing_and_says_so(run_as):
    """The demo file is what the deal book was seeded with: saving writes no figure and no audit row."""
    n = _book().audit_count()
    at = _save(_upload(run_as("operator", UPLOAD), "demo.toml", DEMO_FILE.read_bytes()))
    assert not at.exception and not at.error
    assert at.info[-1].value == "Nothing to save: the deal book already holds exactly these figures for " \
                                "demo-zjk-hyperscale."
    assert _book().audit_count() == n


def test_operator_saves_a_csv_period_to_own_facility(run_as, methodology):
    fid = "test-upload-csv"
    _own_facility(fid)
    book = _book()
    n = book.audit_count()
    csv = (b"label,status,source,total_energy_kwh,it_energy_kwh\n"
           b"2026,reported,meter export 2026,100000000,80000000\n")
    at = _upload(run_as("operator", UPLOAD), "p2026.csv", csv, "text/csv")
    at.selectbox(key="upload_attach_en").set_value(fid).run()
    assert not at.error
    at = _save(at)
    assert not at.exception and not at.error
    # by hand: one new period (one audit row, period.create) with two figures (total and IT energy)
    assert at.success[-1].value == (f"Saved to the deal book as operator: facility {fid}, 2 figure(s) written, "
                                    "1 record(s) changed.")
    report = next(d.value for d in at.dataframe if "Figures written" in d.value.columns)
    assert report.to_dict("records") == [{"Periods created": "2026", "Periods changed": "—", "Figures written": 2,
                                          "Records changed (audit rows)": 1}]
    assert book.audit_count() == n + 1
    stored = book.load_facility(fid)
    assert [p.label for p in stored.periods] == ["2023", "2024", "2025", "2026"]  # others kept as stored
    p2026 = next(p for p in stored.periods if p.label == "2026")
    assert (p2026.total_energy_kwh.value, p2026.it_energy_kwh.value) == (100_000_000, 80_000_000)
    assert p2026.it_energy_kwh.source == "meter export 2026"
    history = book.figure_history(fid, "2026", "it_energy_kwh")
    assert [(h.value, h.created_by, h.status) for h in history] == [(80_000_000, "operator", "reported")]
    # PUE of the saved period from the stored figures: 100,000,000 / 80,000,000 = 1.25
    assert score(stored, "2026", methodology).kpi("pue") == pytest.approx(1.25)
    # the same file again: nothing more to save
    at = _save(at)
    assert at.info[-1].value.startswith("Nothing to save")
    assert book.audit_count() == n + 1


def test_operator_changes_a_reported_figure(run_as):
    fid = "test-upload-restate"
    _own_facility(fid)
    book = _book()
    text = _demo_text(fid).replace("water_m3 = 214445", "water_m3 = 214000")  # 2025, reported
    at = _save(_upload(run_as("operator", UPLOAD), f"{fid}.toml", text.encode()))
    assert not at.error
    assert at.success[-1].value.endswith("1 figure(s) written, 1 record(s) changed.")
    report = next(d.value for d in at.dataframe if "Figures written" in d.value.columns)
    assert report["Periods changed"][0] == "2025" and report["Periods created"][0] == "—"
    history = book.figure_history(fid, "2025", "water_m3")
    assert [h.value for h in history] == [214445, 214000]  # appended, the old value kept
    assert history[-1].restates_id == history[0].id and history[-1].created_by == "operator"


def test_admin_creates_a_new_facility_from_the_template(run_as):
    fid = "test-upload-admin-new"
    text = TEMPLATE.read_text(encoding="utf-8").replace('id = "my-facility"', f'id = "{fid}"')
    at = _save(_upload(run_as("admin", UPLOAD), "new.toml", text.encode()))
    assert not at.exception and not at.error
    assert at.success[-1].value.startswith(f"Created facility {fid} in the deal book as admin:")
    assert fid in _book().facility_ids()


# --------------------------------------------------------------------------------- refusals of the deal book


def _refused(at: AppTest, book, n: int) -> str:
    assert not at.exception
    assert book.audit_count() == n, "the deal book changed"
    assert at.error, "no error shown"
    assert at.file_uploader(key="upload_file").value is not None  # the upload is still on the page
    return at.error[-1].value


def test_operator_uploading_a_new_facility_creates_it_and_reports_for_it(run_as):
    """A borrower's operator onboards its own facility: the store assigns it to the operator in the same
    transaction (who may not create one is in tests/store/test_store_permissions.py)."""
    from app_support.identity import DEMO_USERS

    book = _book()
    assert "my-facility" not in book.facility_ids()
    at = _save(_upload(run_as("operator", UPLOAD), "template.toml", TEMPLATE.read_bytes()))
    assert not at.exception and not at.error
    assert "my-facility" in book.facility_ids()
    assert "my-facility" in book.user(DEMO_USERS["operator"][1]).facilities


def test_operator_not_assigned_to_the_facility_is_refused(run_as):
    fid = "test-upload-other"
    _own_facility(fid, assign=False)
    book = _book()
    n = book.audit_count()
    text = _demo_text(fid).replace("water_m3 = 214445", "water_m3 = 214446")
    at = _save(_upload(run_as("operator", UPLOAD), "other.toml", text.encode()))
    msg = _refused(at, book, n)
    assert msg.startswith(f"You are not the operator of facility {fid}: ask an administrator")
    assert book.load_facility(fid).periods[-1].water_m3.value == 214445


def test_operator_not_assigned_is_refused_in_chinese(run_as):
    fid = "test-upload-other-zh"
    _own_facility(fid, assign=False)
    book = _book()
    n = book.audit_count()
    text = _demo_text(fid).replace("water_m3 = 214445", "water_m3 = 214446")
    at = _save(_upload(run_as("operator", UPLOAD, "zh"), "other.toml", text.encode()))
    msg = _refused(at, book, n)
    assert msg == f"您不是设施 {fid} 的运营方：请联系管理员为您分配。未保存任何数据；您的文件仍保留在页面上。"


def test_changed_verified_figure_is_refused(run_as):
    fid = "test-upload-verified"
    _own_facility(fid)
    book = _book()
    n = book.audit_count()
    text = _demo_text(fid).replace("water_m3 = 294088", "water_m3 = 200000")  # 2024 is verified
    at = _save(_upload(run_as("operator", UPLOAD), "v.toml", text.encode()))
    msg = _refused(at, book, n)
    assert msg.startswith(f"The file changes or removes verified figures of {fid}")
    assert [h.value for h in book.figure_history(fid, "2024", "water_m3")] == [294088]


def test_concurrent_write_is_shown_translated(run_as, monkeypatch):
    """A StaleWriteConflict from the store (another writer got there first) is explained; nothing is written."""
    from store import Store
    from store.errors import StaleWriteConflict

    fid = "test-upload-stale"
    _own_facility(fid)
    book = _book()
    n = book.audit_count()

    def stale(self, actor, facility, **kw):
        raise StaleWriteConflict("facility", facility.id, 1, 2)

    monkeypatch.setattr(Store, "save_facility", stale)
    text = _demo_text(fid).replace("water_m3 = 214445", "water_m3 = 214000")
    at = _save(_upload(run_as("operator", UPLOAD), "s.toml", text.encode()))
    msg = _refused(at, book, n)
    assert msg.startswith(f"Someone else saved facility {fid} at the same time")
    assert [c.value for c in at.code] == [str(StaleWriteConflict("facility", fid, 1, 2))]


def test_a_save_after_someone_else_changed_the_facility_is_refused(run_as):
    """Optimistic locking end to end: the preview is based on one version of the facility; another operator's
    change lands before Save is clicked; the save is refused and the other change is kept (nothing reverted)."""
    fid = "test-upload-really-stale"
    _own_facility(fid)
    book = _book()
    text = _demo_text(fid).replace("water_m3 = 214445", "water_m3 = 214001")
    at = _upload(run_as("operator", UPLOAD), "stale.toml", text.encode())  # preview shown: version read here
    book.report_figure("operator", fid, "2025", "water_m3", 214999.0, source="another session")
    n = book.audit_count()
    msg = _refused(_save(at), book, n)
    assert msg.startswith(f"Someone else saved facility {fid} at the same time")
    assert book.load_facility(fid).periods[-1].water_m3.value == 214999.0


# --------------------------------------------------------------------------------- periods entered in the app


def _enter_tab(at: AppTest, fid: str) -> AppTest:
    at.selectbox(key="enter_facility_en").set_value(fid).run()
    return at


def _edit_first_row(at: AppTest, monkeypatch, **cells) -> AppTest:
    """Change cells of the entry table's first row and rerun. AppTest cannot type into ``st.data_editor``, so
    the editor is replaced by one that returns its starting table with these cells changed (the browser test
    types into the real one)."""
    import streamlit as st

    real = st.data_editor

    def edited(frame, **kw):
        if not str(kw.get("key", "")).startswith("enter_table_"):
            return real(frame, **kw)
        out = frame.copy()
        for c, v in cells.items():
            out.loc[0, c] = v
        return out

    monkeypatch.setattr(st, "data_editor", edited)
    return at.run()


def test_entered_period_is_checked_and_saved_with_the_entered_values(run_as, monkeypatch):
    fid = "test-upload-enter"
    _own_facility(fid)
    at = _enter_tab(run_as("operator", UPLOAD), fid)
    assert not at.exception
    # the first row starts from the latest stored period (2025): its IT energy, with label/source to fill in
    latest = _book().load_facility(fid).periods[-1]
    assert any("Give each period a label" in c.value for c in at.caption)
    at = _edit_first_row(at, monkeypatch, label="2026", start="2026-01-01", end="2026-12-31",
                         source="operator meter export 2026", it_energy_kwh=350_000_000.0)
    assert not at.exception
    assert not at.error
    assert at.button(key="enter_save").label == f"Save to the deal book ({fid})"
    at = at.button(key="enter_save").click().run()
    assert not at.exception
    assert any(s.value.startswith(f"Saved to the deal book as operator: facility {fid}") for s in at.success)
    stored = _book().load_facility(fid)
    p2026 = stored.period("2026")
    assert p2026.it_energy_kwh.value == 350_000_000.0
    # carried over from the starting row (the latest stored period)
    assert p2026.total_energy_kwh.value == latest.total_energy_kwh.value == 418_167_360.0
    assert p2026.water_m3.value == latest.water_m3.value
    # PUE of the saved period = 418,167,360 / 350,000,000 = 1.194764
    from index.methodology import load_methodology

    assert score(stored, "2026", load_methodology()).indicators["pue"].raw_value == pytest.approx(1.194764, abs=1e-6)
    assert [p.label for p in stored.periods][:3] == ["2023", "2024", "2025"]  # stored periods kept


def test_entered_period_with_a_percentage_instead_of_a_fraction_is_refused_and_nothing_saved(run_as, monkeypatch):
    fid = "test-upload-enter-bad"
    _own_facility(fid)
    before = [p.label for p in _book().load_facility(fid).periods]
    at = _enter_tab(run_as("operator", UPLOAD), fid)
    at = _edit_first_row(at, monkeypatch, label="2026", start="2026-01-01", end="2026-12-31", source="typed",
                         cpu_utilisation=35.0)
    assert not at.exception
    assert [e.value for e in at.error][0].endswith("problem(s) found: nothing was saved.")
    table = next(d.value for d in at.dataframe if "Field" in d.value.columns)
    assert list(table["Field"]) == ["CPU utilisation"]
    from app_support.i18n import catalogue

    assert list(table["Reason"]) == [catalogue("en")["upload.reason.fraction_above_one"]]
    assert list(table["Value"]) == ["35"]
    assert not [b for b in at.button if b.key == "enter_save"]
    assert [p.label for p in _book().load_facility(fid).periods] == before


# --------------------------------------------------------------------------------- every failure, in Chinese too


def test_chinese_failure_table_shows_labels_and_translated_reasons(run_as):
    """zh: a facility file with four problems lists all four, each field by its label (catalogue upload.field),
    reasons from their codes — no "Input should be …", no "Extra inputs …", no ``periods[0].…``."""
    from app_support.i18n import catalogue
    from app_support.tables import table_problems

    text = TEMPLATE.read_text(encoding="utf-8")
    for old, new in (('province = "hebei"', "province = 5"), ("it_energy_kwh = 56000000", 'it_energy_kwh = "lots"'),
                     ("cpu_utilisation = 0.35", "cpu_utilisation = [0.35]"), ("[[periods]]", "[[periods]]\nfoo = 1")):
        text = text.replace(old, new, 1)
    n = _book().audit_count()
    at = run_as("operator", UPLOAD, lang="zh")
    at = _upload(at, "bad.toml", text.encode())
    assert not at.exception
    zh = catalogue("zh")
    assert at.error[0].value == zh["upload.failures"].format(n=4)
    table = next(d.value for d in at.dataframe if "原因" in d.value.columns)
    assert table_problems(table) == []
    assert dict(zip(table["字段"], table["原因"], strict=True)) == {
        "省份": zh["upload.reason.string_type"],
        "IT 设备能耗": zh["upload.reason.not_a_number"],
        "CPU 利用率": zh["upload.reason.not_a_number"],
        "foo": zh["upload.reason.extra_forbidden"],
    }
    assert set(table["行"]) == {"—", "报告期 2024"}
    assert not [b for b in at.button if b.key == "upload_save"] and _book().audit_count() == n


def test_monthly_upload_lists_every_bad_row_and_saves_nothing(run_as):
    import pandas as pd

    fid = "test-upload-monthly-bad"
    _own_facility(fid)
    df = pd.read_csv(ROOT / "data/monthly/demo-zjk-hyperscale.csv", dtype=str)
    df.loc[2, "it_energy_kwh"] = "abc"      # 2021-03, line 4
    df.loc[5, "water_m3"] = "-1"            # 2021-06, line 7
    df.loc[8, "total_energy_kwh"] = "inf"   # 2021-09, line 10
    at = run_as("operator", UPLOAD)
    at.selectbox(key="monthly_facility_en").set_value(fid).run()
    at.file_uploader(key="monthly_file").upload("bad.csv", df.to_csv(index=False).encode(), "text/csv")
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("3 problem(s) found")
    table = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    assert list(zip(table["Row"], table["Field"], table["Unit"], table["Value"], strict=True)) == [
        ("2021-03 (line 4)", "IT equipment energy", "kWh", "abc"),
        ("2021-06 (line 7)", "Water use", "m3", "-1"),
        ("2021-09 (line 10)", "Total facility energy", "kWh", "inf")]
    assert not [b for b in at.button if b.key == "monthly_save"]
    assert _book().monthly(fid) is None
