"""``dcsll db`` commands, end to end, on both databases."""

from __future__ import annotations

import shutil
from pathlib import Path

from dcsll.cli import main

FIX = Path(__file__).parent / "fixtures"
METHODOLOGY = Path(__file__).parents[2] / "data" / "methodology" / "gcpi-2024.toml"


def _seed_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(FIX / "facilities", d / "facilities")
    shutil.copytree(FIX / "deals", d / "deals")
    (d / "methodology").mkdir()
    shutil.copy(METHODOLOGY, d / "methodology")
    return d


def test_upgrade_seed_export(db_url, tmp_path, capsys):
    assert main(["db", "--url", db_url, "upgrade"]) == 0
    assert "0007_verified_guard" in capsys.readouterr().out
    data = _seed_dir(tmp_path)
    assert main(["db", "--url", db_url, "seed-demo", "--data", str(data)]) == 0
    assert "2 facilities, 2 deals, 1 methodologies, 0 inputs written" in capsys.readouterr().out
    assert main(["db", "--url", db_url, "seed-demo", "--data", str(data)]) == 0
    assert "0 facilities, 0 deals, 0 methodologies, 0 inputs written; 5 unchanged" in capsys.readouterr().out
    out = tmp_path / "export"
    assert main(["db", "--url", db_url, "export", str(out)]) == 0
    assert (out / "facilities" / "zjk-campus.toml").read_bytes() == \
        (FIX / "facilities" / "zjk-campus.toml").read_bytes()
    assert (out / "methodology" / "gcpi-2024-2024.1.toml").read_bytes() == METHODOLOGY.read_bytes()
    assert sorted(p.name for p in (out / "deals").iterdir()) == ["gy-2026-construction.toml", "zjk-2025-term.toml"]
    lines = (out / "audit_log.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 0 and '"actor": "admin"' in lines[0]


def test_seed_with_bad_deal_exits_2_naming_the_file(db_url, tmp_path, capsys):
    data = _seed_dir(tmp_path)
    shutil.copy(FIX / "bad" / "deal-unknown-facility.toml", data / "deals")
    assert main(["db", "--url", db_url, "seed-demo", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "deal-unknown-facility.toml" in err and "facility" in err and "no-such-facility" in err


def test_export_refuses_an_unmigrated_database(db_url, tmp_path, capsys):
    assert main(["db", "--url", db_url, "export", str(tmp_path / "x")]) == 1
    assert "dcsll db upgrade" in capsys.readouterr().err


def test_backup_and_restore_commands(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    monkeypatch.setenv("DCSLL_DATABASE_URL", url)
    assert main(["db", "seed-demo", "--data", str(_seed_dir(tmp_path))]) == 0
    assert main(["db", "backup", str(tmp_path / "b.sqlite")]) == 0
    assert main(["db", "restore", str(tmp_path / "b.sqlite")]) == 0
    assert "previous content kept in" in capsys.readouterr().out
    assert main(["db", "restore", str(tmp_path / "missing.sqlite")]) == 2
    assert main(["db", "--url", "postgresql://u@127.0.0.1/x", "backup", str(tmp_path / "c.sqlite")]) == 2


def test_help_does_not_import_the_database_stack():
    import subprocess
    import sys

    code = ("import sys; from dcsll.cli import build_parser; build_parser().format_help(); "
            "print(sorted(m for m in ('sqlalchemy', 'alembic', 'psycopg', 'store') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2]).stdout.strip()
    assert out == "[]"


def test_seed_validates_deals_with_the_finance_engine(db_url, tmp_path, capsys):
    """A deal whose SPT ratchet weights add up to 0.9 (0.6 + 0.3) is refused by finance.deal; nothing is seeded."""
    data = _seed_dir(tmp_path)
    text = (data / "deals" / "zjk-2025-term.toml").read_text(encoding="utf-8")
    bad = text.replace('{ kpi = "pue", weight = 0.4', '{ kpi = "pue", weight = 0.3')
    assert bad != text
    (data / "deals" / "zjk-2025-term.toml").write_text(bad, encoding="utf-8")
    assert main(["db", "--url", db_url, "seed-demo", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "zjk-2025-term.toml" in err and "weight" in err
    from store import open_store

    st = open_store(db_url)
    assert st.deal_ids() == [] and st.facility_ids() == []
    st.close()


def test_add_user_bootstraps_the_first_admin_and_refuses_a_non_admin(db_url, capsys):
    assert main(["db", "--url", db_url, "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "--url", db_url, "add-user", "vera", "--role", "verifier", "--as", "root"]) == 0
    out = capsys.readouterr().out
    assert "root created as its first admin" in out and "user vera added: verifier" in out
    # vera is a verifier, not an admin: she cannot add users (the store's role check, exit 1)
    assert main(["db", "--url", db_url, "add-user", "olga", "--role", "operator", "--as", "vera"]) == 1
    assert "vera" in capsys.readouterr().err


def test_seed_demo_defaults_to_the_shipped_data_from_any_folder(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no ./data here: the shipped data folder is used, not "0 facilities"
    assert main(["db", "--url", db_url, "seed-demo"]) == 0
    out = capsys.readouterr().out
    n_facilities = len(list((Path(__file__).parents[2] / "data" / "facilities").glob("*.toml")))
    assert f"{n_facilities} facilities" in out
