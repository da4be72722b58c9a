"""``seed_demo`` and ``dcsll db import`` against the files shipped in ``data/``, on SQLite and PostgreSQL.

Every expectation is the file itself, read here with ``tomllib`` / ``csv`` / ``index.forecast.load_monthly`` /
``index.models.load_facility``: what the deal book gives back must equal what the file says.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from dcsll.cli import main
from index.forecast import load_monthly
from index.models import load_facility

DATA = Path(__file__).parents[2] / "data"
FIX = Path(__file__).parent / "fixtures"
DEMO_DEAL = "demo-zjk-sll-2025"


def _toml(p: Path) -> dict:
    return tomllib.loads(p.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_book(module_db_url):
    """A deal book seeded from the project's data/ (once per backend)."""
    from finance.deal_book import deal_validator
    from store import open_store
    from store.demo import seed_demo

    st = open_store(module_db_url, migrate=True, deal_validator=deal_validator())
    rep = seed_demo(st, DATA)
    yield st, rep
    st.close()


def test_seed_demo_monthly_equals_the_csv(demo_book):
    st, _ = demo_book
    pd.testing.assert_frame_equal(st.monthly("demo-zjk-hyperscale"),
                                  load_monthly(DATA / "monthly" / "demo-zjk-hyperscale.csv"))


def test_seed_demo_targets_settings_equal_the_file(demo_book):
    st, _ = demo_book
    want = _toml(DATA / "targets" / f"{DEMO_DEAL}.toml")
    assert want.pop("deal") == DEMO_DEAL and want.pop("monthly").endswith("demo-zjk-hyperscale.csv")
    assert st.targets_settings(DEMO_DEAL) == want
    assert st.targets_settings("sll-alibaba-usd-2026") is None


def test_seed_demo_levers_verifier_engagement_equal_the_files(demo_book):
    st, _ = demo_book
    assert st.lever_presets() == {"demo-levers": _toml(DATA / "targets" / "demo-levers.toml")}
    assert st.verifiers() == {"sample_verifier": _toml(DATA / "statements" / "sample_verifier.toml")["verifier"]}
    eng = _toml(DATA / "statements" / "sample_engagement.toml")
    assert eng.pop("period") == "2025"
    assert st.engagement(DEMO_DEAL, "2025") == eng
    assert st.engagement(DEMO_DEAL, "2026") is None


def test_seed_demo_again_changes_nothing(demo_book):
    from store.demo import seed_demo

    st, rep = demo_book
    assert sorted(rep.inputs) == ["engagement:demo-zjk-sll-2025/2025", "levers:demo-levers",
                                  "targets:demo-zjk-sll-2025", "verifier:sample_verifier"]
    n = st.audit_count()
    again = seed_demo(st, DATA)
    assert (again.facilities, again.deals, again.inputs) == ([], [], [])
    assert st.audit_count() == n


# ------------------------------------------------------------------------------------------- dcsll db import

SHIPPED = sorted((DATA / "facilities").glob("*.toml")) + sorted((DATA / "deals").glob("*.toml"))


def test_db_import_of_every_shipped_facility_and_deal_reads_back_equal(db_url, capsys):
    from store import open_store

    assert main(["db", "--url", db_url, "upgrade"]) == 0
    assert main(["db", "--url", db_url, "import", *map(str, SHIPPED)]) == 0
    out = capsys.readouterr().out
    assert out.count(" saved") == len(SHIPPED)
    st = open_store(db_url)
    try:
        for p in sorted((DATA / "facilities").glob("*.toml")):
            f = load_facility(p)
            assert st.load_facility(f.id) == f, p.name
        for p in sorted((DATA / "deals").glob("*.toml")):
            doc = _toml(p)
            assert st.load_deal_document(doc["id"]) == doc, p.name
        n = st.audit_count()
        assert n >= len(SHIPPED)
        # the same files again: nothing changes, no audit rows
        assert main(["db", "--url", db_url, "import", *map(str, SHIPPED)]) == 0
        assert capsys.readouterr().out.count(" unchanged") == len(SHIPPED)
        assert st.audit_count() == n
    finally:
        st.close()


def test_db_import_inputs_and_a_bad_file(db_url, tmp_path, capsys):
    """A bad file exits 2 naming file and field and saves nothing of itself; the good ones are saved."""
    from store import open_store

    d = tmp_path / "in"
    (d / "monthly").mkdir(parents=True)
    (d / "targets").mkdir()
    shutil.copy(DATA / "monthly" / "demo-zjk-hyperscale.csv", d / "monthly")
    shutil.copy(DATA / "targets" / f"{DEMO_DEAL}.toml", d / "targets")
    levers = d / "targets" / "plan-b.toml"
    levers.write_text('[[levers]]\nkind = "onsite_pv"\nstart = 2026-07-01\nkwp = -4000\n', encoding="utf-8")
    files = [DATA / "facilities" / "demo-zjk-hyperscale.toml", DATA / "deals" / f"{DEMO_DEAL}.toml",
             d / "targets" / f"{DEMO_DEAL}.toml", levers]
    assert main(["db", "--url", db_url, "upgrade"]) == 0
    assert main(["db", "--url", db_url, "import", *map(str, files)]) == 2
    err = capsys.readouterr().err
    assert str(levers) in err and "levers[0].kwp" in err and "kWp" in err
    st = open_store(db_url)
    try:
        assert st.lever_presets() == {}
        want = _toml(d / "targets" / f"{DEMO_DEAL}.toml")
        del want["deal"], want["monthly"]
        assert st.targets_settings(DEMO_DEAL) == want
        pd.testing.assert_frame_equal(st.monthly("demo-zjk-hyperscale"),
                                      load_monthly(d / "monthly" / "demo-zjk-hyperscale.csv"))
        # a targets file whose monthly CSV has a negative value: neither the settings nor the months are saved
        csv = (d / "monthly" / "demo-zjk-hyperscale.csv").read_text(encoding="utf-8").splitlines()
        cells = csv[3].split(",")
        cells[2] = "-1"
        csv[3] = ",".join(cells)
        (d / "monthly" / "demo-zjk-hyperscale.csv").write_text("\n".join(csv) + "\n", encoding="utf-8")
        tfile = d / "targets" / f"{DEMO_DEAL}.toml"
        tfile.write_text(tfile.read_text(encoding="utf-8").replace("periods = [\"2024\"]", "periods = [\"2023\"]"),
                         encoding="utf-8")
        n = st.audit_count()
        assert main(["db", "--url", db_url, "import", str(tfile)]) == 2
        err = capsys.readouterr().err
        assert "demo-zjk-hyperscale.csv, row 3, field 'it_energy_kwh', unit [kWh]" in err
        assert st.audit_count() == n and st.targets_settings(DEMO_DEAL) == want
    finally:
        st.close()


def test_db_import_engagement_needs_its_period_and_roles_hold(db_url, tmp_path, capsys):
    from store import open_store

    assert main(["db", "--url", db_url, "upgrade"]) == 0
    assert main(["db", "--url", db_url, "import", str(FIX / "facilities" / "zjk-campus.toml")]) == 0
    st = open_store(db_url)
    try:
        st.add_user("admin", "verifier", ["verifier"])
        st.add_user("admin", "credit", ["credit_officer"])
        eng = tmp_path / "eng.toml"
        eng.write_text('statement_id = "VS-1"\nloan_reference = "zjk-2025-term"\n', encoding="utf-8")
        assert main(["db", "--url", db_url, "import", str(eng)]) == 2
        assert "field 'period'" in capsys.readouterr().err
        # a verifier may not import a deal (credit officer's record): refused, nothing saved
        deal = FIX / "deals" / "zjk-2025-term.toml"
        assert main(["db", "--url", db_url, "import", "--as", "verifier", str(deal)]) == 1
        assert "may not deal.save" in capsys.readouterr().err
        assert st.deal_ids() == []
        assert main(["db", "--url", db_url, "import", "--as", "credit", str(deal)]) == 0
        eng.write_text('statement_id = "VS-1"\nloan_reference = "zjk-2025-term"\nperiod = "2025"\n',
                       encoding="utf-8")
        assert main(["db", "--url", db_url, "import", "--as", "verifier", str(eng)]) == 0
        assert st.engagement("zjk-2025-term", "2025") == {"statement_id": "VS-1", "loan_reference": "zjk-2025-term"}
    finally:
        st.close()


def test_db_import_refuses_files_of_no_known_kind(db_url, capsys):
    assert main(["db", "--url", db_url, "upgrade"]) == 0
    assert main(["db", "--url", db_url, "import", str(DATA / "targets" / "trajectories.toml")]) == 2
    assert "not a deal-book file" in capsys.readouterr().err


def test_db_import_checks_deals_with_the_finance_model(db_url, tmp_path, capsys):
    """The deal check is finance.deal.Deal's (injected by the CLI): a maturity before the start is refused."""
    from store import open_store

    bad = tmp_path / "bad-deal.toml"
    text = (DATA / "deals" / f"{DEMO_DEAL}.toml").read_text(encoding="utf-8")
    assert "maturity_date = 2030-" in text
    bad.write_text(text.replace("maturity_date = 2030-", "maturity_date = 2020-"), encoding="utf-8")
    assert main(["db", "--url", db_url, "upgrade"]) == 0
    assert main(["db", "--url", db_url, "import", str(DATA / "facilities" / "demo-zjk-hyperscale.toml"),
                 str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "loan.maturity_date" in err and "after start_date" in err
    st = open_store(db_url)
    try:
        assert st.deal_ids() == [] and st.facility_ids() == ["demo-zjk-hyperscale"]
    finally:
        st.close()


def test_store_never_imports_finance_or_the_app():
    """Layering (DESIGN.md §2): the store imports index/common and itself, never finance, workflows or the app."""
    import ast

    forbidden = ("finance", "workflows", "app", "app_pages", "app_support", "dcsll")
    root = Path(__file__).parents[2] / "store"
    found = []
    for p in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [f"{p.relative_to(root.parent)}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert found == []


def test_export_of_the_inputs_loads_back_equal(demo_book, tmp_path):
    """seed-demo → db export → seed-demo of the export into a second deal book: the same inputs."""
    from finance.deal_book import deal_validator
    from store import open_store
    from store.demo import seed_demo
    from store.files import export_folder

    st, _ = demo_book
    out = tmp_path / "export"
    counts = export_folder(st, out)
    assert {k: counts[k] for k in ("monthly", "targets_settings", "lever_presets", "verifiers", "engagements")} \
        == {"monthly": 1, "targets_settings": 1, "lever_presets": 1, "verifiers": 1, "engagements": 1}
    # the exported CSV holds the shipped file's numbers
    pd.testing.assert_frame_equal(load_monthly(out / "monthly" / "demo-zjk-hyperscale.csv"),
                                  load_monthly(DATA / "monthly" / "demo-zjk-hyperscale.csv"))
    other = open_store(f"sqlite:///{tmp_path / 'other.sqlite'}", migrate=True, deal_validator=deal_validator())
    try:
        seed_demo(other, out)
        pd.testing.assert_frame_equal(other.monthly("demo-zjk-hyperscale"), st.monthly("demo-zjk-hyperscale"))
        assert other.targets_settings(DEMO_DEAL) == st.targets_settings(DEMO_DEAL)
        assert other.lever_presets() == st.lever_presets()
        assert other.verifiers() == st.verifiers()
        assert other.engagements(DEMO_DEAL) == st.engagements(DEMO_DEAL) == {"2025": st.engagement(DEMO_DEAL, "2025")}
    finally:
        other.close()
