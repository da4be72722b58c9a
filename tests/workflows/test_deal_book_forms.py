"""Every CLI command gives the same ``--json`` on a file and on the deal book (issue 11).

The deal book is a fresh SQLite file filled with ``dcsll db import`` of the shipped files (methodology,
facilities, deals, the demo deal's targets settings with its monthly series, lever preset, verifier, engagement). The file form's figures are the reference: they are
checked against hand calculations and QuantLib in tests/finance, tests/index and tests/targets; here the
deal-book form must reproduce them byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
FACILITIES = sorted((DATA / "facilities").glob("*.toml"))
DEALS = sorted((DATA / "deals").glob("*.toml"))
DEMO_DEAL = "demo-zjk-sll-2025"


#: what `dcsll db import` loads: every shipped methodology, facility and deal, the demo deal's targets settings
#: (with its monthly CSV), the demo lever preset, the sample verifier and the demo deal's 2025 engagement
IMPORTS = [DATA / "methodology" / "gcpi-2024.toml", *FACILITIES, *DEALS, DATA / "targets" / f"{DEMO_DEAL}.toml",
           DATA / "targets" / "demo-levers.toml", DATA / "statements" / "sample_verifier.toml",
           DATA / "statements" / "sample_engagement.toml"]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """URL of a deal book filled by ``dcsll db upgrade`` and ``dcsll db import`` of the shipped files."""
    url = f"sqlite:///{tmp_path_factory.mktemp('book') / 'book.sqlite'}"
    assert main(["db", "--url", url, "upgrade"]) == 0
    # only a verifier makes a figure verified: the shipped files' verified figures are imported on its word
    assert main(["db", "--url", url, "add-user", "verifier", "--role", "verifier", "--as", "admin"]) == 0
    assert main(["db", "--url", url, "import", "--as", "admin", "--verified-by", "verifier", *map(str, IMPORTS)]) == 0
    return url


def cli_json(argv, capsys) -> str:
    assert main(argv) == 0
    out = capsys.readouterr().out
    json.loads(out)  # it is JSON
    return out


def both(file_argv, book_argv, url, monkeypatch, capsys) -> tuple[str, str]:
    monkeypatch.setenv("DCSLL_DATABASE_URL", url)
    return cli_json(file_argv, capsys), cli_json(book_argv, capsys)


@pytest.mark.parametrize("path", FACILITIES, ids=lambda p: p.stem)
def test_score_facility_id_equals_file(path, book, monkeypatch, capsys):
    from index.models import load_facility

    fid = load_facility(path).id
    a, b = both(["score", str(path), "--json"], ["score", "--facility", fid, "--json"], book, monkeypatch, capsys)
    assert a == b


@pytest.mark.parametrize("path", DEALS, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", ["cashflows", "value"])
def test_deal_commands_deal_id_equal_file(command, path, book, monkeypatch, capsys):
    from common.tomlio import read_toml

    did = read_toml(path)["id"]
    a, b = both([command, str(path), "--json"], [command, "--deal", did, "--json"], book, monkeypatch, capsys)
    assert a == b


def test_targets_deal_id_equals_file(book, monkeypatch, capsys):
    opts = ["--paths", "500", "--seed", "1", "--json"]
    a, b = both(["targets", str(DATA / "deals" / f"{DEMO_DEAL}.toml"), *opts], ["targets", "--deal", DEMO_DEAL, *opts],
                book, monkeypatch, capsys)
    assert a == b


def test_simulate_deal_id_equals_file(book, monkeypatch, capsys):
    opts = ["--paths", "500", "--seed", "1", "--json"]
    a, b = both(["simulate", str(DATA / "deals" / f"{DEMO_DEAL}.toml"), *opts], ["simulate", "--deal", DEMO_DEAL, *opts],
                book, monkeypatch, capsys)
    assert a == b
    # with levers too (the levers file applies to either form)
    lev = ["--levers", str(DATA / "targets" / "demo-levers.toml")]
    a, b = both(["simulate", str(DATA / "deals" / f"{DEMO_DEAL}.toml"), *opts, *lev],
                ["simulate", "--deal", DEMO_DEAL, *opts, *lev], book, monkeypatch, capsys)
    assert a == b
    assert json.loads(a)["levers_value"]["expected_pv_saving_gain"] != 0
    # the deal book's lever preset of the same name gives the same run as the file
    monkeypatch.setenv("DCSLL_DATABASE_URL", book)
    c = cli_json(["simulate", "--deal", DEMO_DEAL, *opts, "--lever-preset", "demo-levers"], capsys)
    assert c == a


def test_file_and_id_together_is_refused(book, monkeypatch, capsys):
    monkeypatch.setenv("DCSLL_DATABASE_URL", book)
    assert main(["value", str(DEALS[0]), "--deal", "x", "--json"]) == 2
    assert "give a DEAL_FILE or --deal ID" in capsys.readouterr().err
    assert main(["score", "--json"]) == 2
    assert "give a facility FILE or --facility ID" in capsys.readouterr().err


def test_unknown_deal_id_names_the_deal_book(book, monkeypatch, capsys):
    monkeypatch.setenv("DCSLL_DATABASE_URL", book)
    assert main(["cashflows", "--deal", "no-such-deal", "--json"]) == 2
    assert "no-such-deal" in capsys.readouterr().err


def test_targets_without_settings_in_the_book_names_the_deal(book, monkeypatch, capsys):
    monkeypatch.setenv("DCSLL_DATABASE_URL", book)
    assert main(["targets", "--deal", "sll-horinger-cluster-2024", "--json"]) == 2
    err = capsys.readouterr().err
    assert "no targets settings for deal 'sll-horinger-cluster-2024'" in err and "deal book" in err


def test_statement_deal_id_equals_file(book, monkeypatch, capsys, tmp_path):
    """The signed statement's content (its SHA-256, printed on every page) is the same in both forms."""
    eng_file = DATA / "statements" / "sample_engagement.toml"   # imported into the deal book by the fixture
    monkeypatch.setenv("DCSLL_DATABASE_URL", book)
    monkeypatch.setenv("DCSLL_HOME", str(tmp_path / "home"))
    common = ["--period", "2025", "--verifier", str(DATA / "statements" / "sample_verifier.toml")]
    assert main(["statement", str(DATA / "deals" / f"{DEMO_DEAL}.toml"), *common, "--engagement", str(eng_file),
                 "--out", str(tmp_path / "file.pdf")]) == 0
    a = capsys.readouterr().out
    assert main(["statement", "--deal", DEMO_DEAL, *common, "--out", str(tmp_path / "book.pdf")]) == 0
    b = capsys.readouterr().out

    def sha(out):
        return next(line for line in out.splitlines() if line.startswith("content sha256:"))
    assert sha(a) == sha(b)


GEC_FACILITY = """\
# hand-made: grid-only Hebei site with three GEC lots (one outside the vintage, one also settled in bundled
# green-power trading) and a PV certificate sold
[facility]
id = "hand-gec"
name = "Hand-made GEC site"
province = "hebei"
design_it_power_kw = 12500
lifecycle_stage = "operation"

[[periods]]
label = "2023"
status = "reported"
source = "test meter report"
total_energy_kwh = 1.0e8
it_energy_kwh = 8.0e7
grid_kwh = 1.0e8
diesel_l = { value = 0, source = "fuel log" }
natural_gas_m3 = { value = 0, source = "no gas connection" }
racks_ready = 5000
racks_occupied = 4000
green_trading_certificate_ids = ["GEC-2023-000003"]
onsite_certificate_ids_sold = ["PV-2023-000009"]
gec_certificates = [
  { id = "GEC-2023-000001", mwh = 10000, generation_start = 2023-01-01, generation_end = 2023-12-31, market = "CN", retired_for = "hand-gec", evidence = "cancellation record 1" },
  { id = "GEC-2023-000002", mwh = 5000, generation_start = 2022-06-01, generation_end = 2022-12-31, market = "CN", retired_for = "hand-gec", evidence = "cancellation record 2" },
  { id = "GEC-2023-000003", mwh = 2000, generation_start = 2023-01-01, generation_end = 2023-12-31, market = "CN", retired_for = "hand-gec", evidence = "cancellation record 3" },
]
"""


def test_gec_lots_imported_into_the_deal_book_score_as_the_file(tmp_path, monkeypatch, capsys):
    """`dcsll db import` of a facility file with GEC lots; the deal-book score equals the file's byte for byte."""
    path = tmp_path / "hand-gec.toml"
    path.write_text(GEC_FACILITY, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    assert main(["db", "--url", url, "upgrade"]) == 0
    assert main(["db", "--url", url, "import", "--as", "admin", str(path)]) == 0
    capsys.readouterr()
    m25 = str(DATA / "methodology" / "gcpi-2025.toml")
    a, b = both(["score", str(path), "--methodology", m25, "--json"],
                ["score", "--facility", "hand-gec", "--methodology", m25, "--json"], url, monkeypatch, capsys)
    assert a == b
    d = json.loads(b)
    # lot 1 counts; lot 2 (vintage 2022) and lot 3 (also in a green-power settlement) do not: 7,000 MWh
    assert d["extra"]["gec_qualified_mwh"] == 10000 and d["extra"]["gec_unqualified_mwh"] == 7000
