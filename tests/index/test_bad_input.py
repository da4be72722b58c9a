"""Bad facility input is refused with a message naming the file, period, field and unit."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from index.engine import score
from index.errors import InputError
from index.models import facility_from_dict, load_facility

ROOT = Path(__file__).resolve().parents[2]

GOOD = {
    "facility": {"id": "bad-1", "name": "Bad input test", "province": "hebei", "design_it_power_kw": 10_000},
    "periods": [{"label": "2023", "status": "reported", "source": "test",
                 "total_energy_kwh": 30_000_000, "it_energy_kwh": 24_000_000, "grid_kwh": 20_000_000,
                 "green_trading_kwh": 10_000_000, "water_m3": 20_000, "racks_ready": 3000, "racks_occupied": 2000}],
}


def per(**kw):
    d = copy.deepcopy(GOOD)
    d["periods"][0].update(kw)
    return d


def fac(**kw):
    d = copy.deepcopy(GOOD)
    d["facility"].update(kw)
    return d


CASES = [
    ("PUE below 1 (IT energy above total)", per(it_energy_kwh=31_000_000), "it_energy_kwh", "PUE would be below 1"),
    ("negative energy", per(total_energy_kwh=-5), "total_energy_kwh", "must not be negative"),
    ("negative water", per(water_m3=-1), "water_m3", "must not be negative"),
    ("renewable power above total", per(green_trading_kwh=40_000_000, grid_kwh=None), "",
     "renewable supply"),
    ("rack occupancy above 100 %", per(racks_occupied=3500), "racks_occupied", "above 100 %"),
    ("unknown province", fac(province="Atlantis"), "province", "unknown province"),
    ("MWh where kWh is expected, unsaid", per(it_energy_kwh=24_000, total_energy_kwh=30_000, grid_kwh=20_000,
                                               green_trading_kwh=10_000), "", "given in MWh"),
    ("a period with no IT energy (zero)", per(it_energy_kwh=0), "it_energy_kwh", "IT energy is zero"),
    ("share given as per cent without saying so", per(renewable_share=86), "renewable_share",
     "cannot exceed 1"),
    ("CPU utilisation above 1", per(cpu_utilisation=1.5), "cpu_utilisation", "cannot exceed 1"),
    ("unit of the wrong dimension", per(water_m3={"value": 3, "unit": "kWh"}), "water_m3", "cannot be converted"),
    ("unknown unit", per(total_energy_kwh={"value": 3, "unit": "furlongs"}), "total_energy_kwh",
     "cannot be converted"),
    ("text where a number is expected", per(total_energy_kwh="lots"), "total_energy_kwh", "expected a number"),
    ("unknown field (typo)", per(total_energy_kw=5), "total_energy_kw", "Extra inputs"),
    ("supply channels that do not add up", per(grid_kwh=5_000_000), "", "add up to"),
    ("end before start", per(label="x", start="2023-12-31", end="2023-01-01"), "", "before start"),
    ("bad status", per(status="approved"), "status", "design"),
    ("compute without precision", per(compute_capacity_tflops=1000), "", "compute_precision"),
    ("unknown precision", per(compute_capacity_tflops=1000, compute_precision="FP12"), "compute_precision", ""),
    ("published PUE disagreeing with meters", per(pue=1.10), "", "disagrees"),
    ("PUE implausibly high (meters in different units)", per(total_energy_kwh=30_000_000_000,
                                                            grid_kwh=None, green_trading_kwh=None), "",
     "plausible PUE"),
    ("duplicate period labels", None, "", "appears twice"),
    ("bad facility id", fac(id="Bad ID!"), "id", "pattern"),
    ("negative refrigerant", per(refrigerants=[{"gas": "R134a", "kg": -3}]), "refrigerants", "greater than"),
    ("year out of range", per(label=None, year=1800), "", "year"),
]


@pytest.mark.parametrize("what, data, field, message", CASES, ids=[c[0] for c in CASES])
def test_bad_facility_input_is_refused(what, data, field, message):
    if data is None:
        data = copy.deepcopy(GOOD)
        data["periods"].append(copy.deepcopy(data["periods"][0]))
    if data["periods"][0].get("label") is None:
        data["periods"][0].pop("label")
    with pytest.raises(InputError) as exc:
        facility_from_dict(data, file="bad.toml")
    errs = getattr(exc.value, "errors", [exc.value])
    assert any(e.file == "bad.toml" for e in errs)
    text = str(exc.value)
    assert message in text, text
    if field:
        assert any(field in (e.field or "") for e in errs), text
    # period-level problems name the period
    if data is not None and any(k in str(data["periods"][0]) for k in (field,)) and field and field != "province" \
            and field != "id":
        assert "period" in text


def test_at_least_twenty_bad_inputs():
    assert len(CASES) >= 20


def test_unit_slip_message_names_field_and_unit():
    with pytest.raises(InputError) as exc:
        facility_from_dict(per(it_energy_kwh=24_000, total_energy_kwh=30_000, grid_kwh=20_000,
                               green_trading_kwh=10_000), file="slip.toml")
    e = exc.value.errors[0]
    assert e.unit == "kWh" or "[kWh]" in str(exc.value)
    assert "MWh" in str(exc.value)


def test_unit_given_explicitly_is_converted():
    f = facility_from_dict(per(it_energy_kwh={"value": 24_000, "unit": "MWh"},
                               total_energy_kwh={"value": 30, "unit": "GWh"}))
    assert f.periods[0].it_energy_kwh.value == 24_000_000
    assert f.periods[0].total_energy_kwh.value == 30_000_000


def test_unknown_checklist_capability_is_refused():
    f = facility_from_dict(per(checklists={"smart_energy_management": ["data_display", "telepathy"]}))
    with pytest.raises(InputError, match="telepathy"):
        score(f, "2023")


def test_unknown_refrigerant_is_refused():
    f = facility_from_dict(per(refrigerants=[{"gas": "R999", "kg": 3}]))
    with pytest.raises(InputError, match="R999"):
        score(f, "2023")


def test_unknown_availability_class_is_refused():
    f = facility_from_dict(per(availability="Z"))
    with pytest.raises(InputError, match="unknown category"):
        score(f, "2023")


def test_syntax_error_names_the_file(tmp_path):
    p = tmp_path / "broken.toml"
    p.write_text("[facility\nid = 1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_facility(p)
    assert str(p) in str(exc.value) and "TOML" in str(exc.value)


def test_cli_exits_2_naming_file_field_and_unit(tmp_path):
    p = tmp_path / "neg.toml"
    p.write_text('[facility]\nid = "neg"\nname = "n"\nprovince = "hebei"\n\n[[periods]]\nlabel = "2023"\n'
                 "total_energy_kwh = -5\nit_energy_kwh = 1\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dcsll", "score", str(p)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert str(p) in r.stderr and "total_energy_kwh" in r.stderr and "kWh" in r.stderr and "period 2023" in r.stderr
    r = subprocess.run([sys.executable, "-m", "dcsll", "score", str(tmp_path / "nope.toml")], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 2 and "not found" in r.stderr
