"""Verification page through AppTest: roles, the draft's index / SPT / margin against the engines, recording
with evidence, issuing (same content as ``dcsll statement``) and checking (same result as
``dcsll verify-statement``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest

import workflows
from finance.statement import statement_from_json
from finance.statement_sign import dcsll_home, verify_statement
from index.engine import score
from index.models import PeriodData, load_facility

ROOT = Path(__file__).resolve().parents[2]
VER = "app_pages/verification.py"
DEAL_FILE = ROOT / "data/deals/demo-zjk-sll-2025.toml"
FACILITY_FILE = ROOT / "data/facilities/demo-zjk-hyperscale.toml"
FID, DEAL, PERIOD = "demo-zjk-hyperscale", "demo-zjk-sll-2025", "2025"
VALUE_KEY = f"ver_value_{DEAL}_{PERIOD}_it_energy_kwh"
EVIDENCE_KEY = f"ver_evidence_{DEAL}_{PERIOD}_it_energy_kwh"
# The edit tested: IT energy 357,408,000 kWh reported (facility file, 2025) -> 340,000,000 kWh verified.
# PUE = total / IT = 418,167,360 / 340,000,000 = 1.22990 > SPT 1.20 + no-change band 0.02 -> PUE missed;
# as reported 418,167,360 / 357,408,000 = 1.17000 <= 1.20 - 0.02 -> met.
IT_VERIFIED = 340_000_000.0
PUE_REPORTED, PUE_VERIFIED = 418_167_360 / 357_408_000, 418_167_360 / 340_000_000
# Margin (deal file: 30 bp, SPT ratchet -10 / +10 bp, weights index 0.6, PUE 0.4):
# as reported: both met -> 0.6 x -10 + 0.4 x -10 = -10 bp -> 20 bp;
# verified: index met, PUE missed -> 0.6 x -10 + 0.4 x +10 = -2 bp -> 28 bp.
MARGIN_REPORTED, MARGIN_VERIFIED = 20.0, 28.0
# outcome rows of the PUE SPT: the KPI by its indicator name (issue 17: no internal ids on the page)
PUE_VALUE = "SPT Power usage effectiveness (PUE): value (target 1.2)"
PUE_OUTCOME = "SPT Power usage effectiveness (PUE): outcome"


@pytest.fixture
def own_book(tmp_path, monkeypatch):
    """A deal book and a demo signing identity of this test only (the page writes to them)."""
    monkeypatch.setenv("DCSLL_DATABASE_URL", f"sqlite:///{tmp_path / 'book.sqlite'}")
    monkeypatch.setenv("DCSLL_HOME", str(tmp_path / "home"))
    return tmp_path


def _engine_total(it_energy: float | None, methodology) -> float:
    """GCPI total of the facility file's 2025 period, IT energy replaced (index engine, no app code)."""
    fac = load_facility(FACILITY_FILE)
    p = next(p for p in fac.periods if p.label == PERIOD)
    if it_energy is not None:
        d = p.model_dump(exclude_none=True)
        d["it_energy_kwh"] = {"value": it_energy, "status": "verified", "source": "test"}
        p = PeriodData.model_validate(d)
    return score(fac, p, methodology).total


def _outcome_table(at):
    return next(d.value for d in at.dataframe if "Item" in d.value.columns).set_index("Item")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_verifier_page_renders(run_as, lang):
    at = run_as("verifier", VER, lang)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == ("核查" if lang == "zh" else "Verification")


@pytest.mark.parametrize("role", ["credit_officer", "operator", "reader"])
def test_wrong_roles_cannot_reach_verification(run_as, role):
    with pytest.raises(ValueError):  # st.navigation did not register the page for this role
        run_as(role, VER)


def test_draft_edit_moves_index_pue_and_margin_as_the_engines_say(run_as, own_book, methodology):
    at = run_as("verifier", VER)
    at.selectbox(key="ver_field_en").set_value("it_energy_kwh").run()
    at.number_input(key=VALUE_KEY).set_value(IT_VERIFIED).run()
    assert not at.exception and not at.error
    tab = _outcome_table(at)
    rep, draft = tab["Reported"], tab["Verified (draft)"]
    assert float(rep["GCPI index [points]"]) == pytest.approx(_engine_total(None, methodology), abs=0.005)
    assert float(draft["GCPI index [points]"]) == pytest.approx(_engine_total(IT_VERIFIED, methodology), abs=0.005)
    assert float(rep[PUE_VALUE]) == pytest.approx(PUE_REPORTED, abs=0.0005)
    assert float(draft[PUE_VALUE]) == pytest.approx(PUE_VERIFIED, abs=0.0005)
    assert draft[PUE_OUTCOME] == "missed (+4)" and rep[PUE_OUTCOME] == "met (-4)"
    assert float(rep["Margin after [bp]"]) == MARGIN_REPORTED
    assert float(draft["Margin after [bp]"]) == MARGIN_VERIFIED
    assert float(draft["Margin adjustment [bp]"]) == -2.0
    # nothing is written by editing: the recorded column still shows the reported outcome
    assert float(tab["Verified (recorded)"]["Margin after [bp]"]) == MARGIN_REPORTED


def test_empty_evidence_is_refused_and_nothing_saved(run_as, own_book):
    from app_support.store import app_store

    at = run_as("verifier", VER, "zh")
    at.selectbox(key="ver_field_zh").set_value("it_energy_kwh").run()
    at.number_input(key=VALUE_KEY).set_value(IT_VERIFIED).run()
    at.text_input(key=EVIDENCE_KEY).input("   ").run()
    at.button(key="ver_record").click().run()
    assert [e.value for e in at.error] == ["每项修改的数据都必须填写证据说明；缺少证据：IT 设备能耗。未保存任何内容。"]
    hist = app_store().figure_history(FID, PERIOD, "it_energy_kwh")
    assert [h.status for h in hist] == ["reported"]


def test_record_issue_download_and_check(run_as, own_book, tmp_path):
    from app_support.store import app_store
    from app_support.verification import check_bytes

    at = run_as("verifier", VER)
    at.selectbox(key="ver_field_en").set_value("it_energy_kwh").run()
    at.number_input(key=VALUE_KEY).set_value(IT_VERIFIED).run()
    at.text_input(key=EVIDENCE_KEY).input("VR-2025-07 meter audit").run()
    at.button(key="ver_record").click().run()
    assert [s.value for s in at.success] == ["Recorded 1 verified figure(s) in the deal book."]
    hist = app_store().figure_history(FID, PERIOD, "it_energy_kwh")
    assert [(h.status, h.value, h.source) for h in hist] == [
        ("reported", 357_408_000.0, hist[0].source), ("verified", IT_VERIFIED, "VR-2025-07 meter audit")]
    assert float(_outcome_table(at)["Verified (recorded)"]["Margin after [bp]"]) == MARGIN_VERIFIED

    # a second edit of a verified figure is a restatement pointing to the first (fresh inputs after recording)
    at.number_input(key=VALUE_KEY + "_1").set_value(341_000_000.0).run()
    at.text_input(key=EVIDENCE_KEY + "_1").input("VR-2025-07 rev 1").run()
    at.button(key="ver_record").click().run()
    hist = app_store().figure_history(FID, PERIOD, "it_energy_kwh")
    assert (hist[-1].value, hist[-1].restates_id, hist[-1].reason) == (341_000_000.0, hist[1].id, "VR-2025-07 rev 1")

    at.checkbox(key="ver_accept").check().run()
    at.button(key="ver_issue").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sid = "VS-DEMO-ZJK-2025"  # the statement id of the deal book's engagement (seeded from sample_engagement.toml)
    pdf = app_store().statement_pdf(sid)
    assert app_store().statement(sid).status == "issued"
    # issuing records the observation in the deal book (issue 12): the verified PUE 418,167,360 / 341,000,000 =
    # 1.2263 (missed), the statement id and the stored PDF's SHA-256
    (rec,) = app_store().monitoring_records("demo-zjk-sll-2025")
    assert (rec.status, rec.statement_id, rec.created_by) == ("verified", sid, "verifier")
    assert rec.kpis["pue"] == pytest.approx(418_167_360 / 341_000_000, abs=5e-4)  # stated to 3 decimals: 1.226
    assert rec.outcomes["pue"] == "missed"
    assert rec.statement_sha256 == hashlib.sha256(pdf).hexdigest()
    download = at.get("download_button")[0]
    assert download.proto.label == "Download statement PDF"

    # the check of dcsll verify-statement, run here on the stored PDF with the demo certificate as --trust
    f = tmp_path / "issued.pdf"
    f.write_bytes(pdf)
    cert = dcsll_home() / "demo-signer" / "demo-signer.cert.pem"
    rep = verify_statement(f, trust=[cert])
    assert rep.status == "intact" and rep.statement_id == sid
    # the content is what `dcsll statement` builds from the deal file with the same verified figure
    from pypdf import PdfReader

    content = PdfReader(io.BytesIO(pdf)).attachments["statement.json"][0]
    issued = statement_from_json(content)
    from index.tomlfile import read_toml

    verifier = read_toml(ROOT / "data/statements/sample_verifier.toml")["verifier"]  # what the seed stored

    # issue date = the signing day; the verifier's evidence note of the verified figure is a note of the statement
    evidence = {"kind": "restatement", "indicator": None,
                "en": "it_energy_kwh verified at 341,000,000 kWh (reported 357,408,000 kWh). Evidence: VR-2025-07 rev 1",
                "zh": "it_energy_kwh 核查值 341,000,000 kWh（报告值 357,408,000 kWh）。证据：VR-2025-07 rev 1"}
    src = workflows.FileSource(deal_file=DEAL_FILE)
    cli = workflows.build_statement(src.deal(), src, PERIOD, verifier, {
        "statement_id": sid, "standards": ["ISAE 3000 (Revised)", "ISAE 3410"], "assurance_level": "limited",
        "conclusion": "unmodified", "verified": {"accept_reported": True, "it_energy_kwh": 341_000_000},
        "issue_date": dt.date.today(), "baseline_period": "2024", "notes": [evidence],
        "verifier_id": "sample_verifier"})
    assert issued.model_dump(mode="json", exclude={"signature"}) == cli.model_dump(mode="json", exclude={"signature"})
    assert issued.issue_date == dt.date.today()
    assert evidence in [n.model_dump(mode="json") for n in issued.notes]
    # the engagement as decided is in the deal book (the signing day is not part of it)
    eng = app_store().engagement(DEAL, PERIOD)
    assert (eng["statement_id"], eng["baseline_period"], eng["verifier_id"]) == (sid, "2024", "sample_verifier")
    assert evidence["en"] in [n["en"] for n in eng["notes"]]
    assert issued.margin.margin_after_bp == MARGIN_VERIFIED  # 418,167,360 / 341,000,000 = 1.2263 > 1.22: missed
    assert issued.signature.demo_identity

    # the same id again: the issue button is disabled and the page shows one message, no error above an old
    # success (issue 17); a fresh session on the same observation sees the id taken
    at.run()
    assert at.button(key="ver_issue").disabled and not at.error
    assert [s.value for s in at.success if sid in s.value]  # this session's own issue message stays
    again_at = run_as("verifier", VER)
    again_at.checkbox(key="ver_accept").check().run()
    assert again_at.button(key="ver_issue").disabled
    assert not again_at.error and not again_at.success, [e.value for e in again_at.error]
    assert [i.value for i in again_at.info if sid in i.value] == [
        f"Statement {sid} is already issued (issued statements never change): download it from the list below, "
        "or give a new statement ID to issue a correction."]
    assert app_store().statement_pdf(sid) == pdf
    # listed among the deal's issued statements, and downloadable again (the same bytes)
    listed = next(d.value for d in at.dataframe if "SHA-256 of the PDF" in d.value.columns)
    assert sid in set(listed["Statement"])
    again = next(b for b in at.get("download_button") if b.proto.label == f"Download {sid} again (PDF)")
    assert again.proto.url

    # the page's checker: the CLI's statuses on an intact, an altered, an unsigned-looking and a non-PDF file
    assert check_bytes(pdf).status == "intact"
    assert check_bytes(pdf, trust_demo=False).status == "untrusted"
    i = pdf.index(b"/Contents") // 2  # one byte changed in the signed part of the file
    altered = pdf[:i] + bytes([pdf[i] ^ 0x01]) + pdf[i + 1:]
    g = tmp_path / "altered.pdf"
    g.write_bytes(altered)
    assert check_bytes(altered).status == verify_statement(g, trust=[cert]).status == "altered"
    assert check_bytes(b"hello").status == "cannot_check"


@pytest.mark.parametrize(("reason", "key"), [
    ("signature valid, no change since signing, content hash matches, signer trusted", "intact"),
    ("the PDF carries no digital signature", "no_signature"),
    ("the signed bytes do not match the signature (content changed after signing)", "bytes_changed"),
    ("2 further signature(s) were added after the certification", "extra_signature"),
    ("the SHA-256 printed on the pages does not match the attached content", "hash_mismatch"),
    ("unaltered, but signed with a self-signed certificate (X) that does not chain", "untrusted"),
    ("bytes after the signature container were changed", "container"),
    ("not a PDF file (no %PDF- header)", "not_pdf"),
    ("something new", "other"),
])
def test_reasons_are_translated(reason, key):
    from app_support.i18n import catalogue
    from app_support.verification import reason_key

    assert reason_key(reason) == key
    assert f"verification.reason.{key}" in catalogue("zh") and f"verification.reason.{key}" in catalogue("en")


def test_outcome_headline_from_statement_dict():
    """outcome() reads the statement's own fields (values written by hand)."""
    from app_support.verification import outcome

    st = {"index": {"total": 90.5, "grade": "4A"},
          "margin": {"adjustment_bp": -2.0, "margin_before_bp": 30.0, "margin_after_bp": 28.0,
                     "effective_date": "2026-05-06"},
          "spts": [{"kpi": "pue", "target": 1.2, "verified_value": 1.23, "met": False, "within_band": False,
                    "effect_bp": 4.0}]}
    o = outcome(json.loads(json.dumps(st)))
    assert o["spts"][0]["outcome"] == "missed" and o["margin_after_bp"] == 28.0 and o["total"] == 90.5


def test_zh_outcome_and_issue_labels_have_no_english(run_as, own_book):
    """Issue 17: in zh the outcome rows name the KPIs in Chinese (no "SPT index" / "SPT pue"), the accept box has
    no "(accept_reported)", grades and units come from the catalogue; every table passes table_problems."""
    import re

    from app_support.tables import table_problems

    at = run_as("verifier", VER, "zh")
    assert not at.exception and not at.error, [e.value for e in at.error]
    tab = next(d.value for d in at.dataframe if "项目" in d.value.columns)
    for label in tab["项目"]:
        assert re.search(r"[\u4e00-\u9fff]", label), label
        assert not re.search(r"\b(index|pue|SPT)\b", label), label
    assert all("accept_reported" not in c.label for c in at.checkbox)
    for d in at.dataframe:
        assert not table_problems(d.value), table_problems(d.value)
