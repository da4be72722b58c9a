"""Facility files built from published figures (data/facilities/*.toml other than the demo).

Checks that every file loads, that every figure in a real file names its source, and that key values equal
the published figures, typed in from the seed texts (and, where the seeds are present, that the quoted phrase
really occurs in the seed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from index.models import FIGURE_UNITS, Facility, load_facility

ROOT = Path(__file__).resolve().parents[1]
FACILITIES = ROOT / "data" / "facilities"
# <repo>/../shared/seeds as in the project layout (/work/main -> /work/shared); DCSLL_SEEDS overrides it
# (a worktree elsewhere, e.g. /work/wt/<name>, has no sibling shared/).
SEEDS = Path(os.environ.get("DCSLL_SEEDS") or ROOT.parent / "shared" / "seeds")
ALL_FILES = sorted(FACILITIES.glob("*.toml"))
REAL_FILES = [p for p in ALL_FILES if not p.stem.startswith("demo-")]

SEED_FILES = {
    "000": "000_de8f64d81bd52b2f.txt",
    "001": "001_2fe3c1f2d2da0f59.txt",
    "002": "002_a5866b9f8010d14a.txt",
    "004": "004_924159b9bef886c7.txt",
}

# (facility id, period label or None for a facility figure, field, published value, seed, phrase in the seed)
PUBLISHED = [
    ("hohhot-helinger-cluster", "2025", "pue", 1.185, "001", "平均 PUE为 1.185"),
    ("hohhot-helinger-cluster", "2025", "renewable_share", 0.86, "001", "电力供应中 86%为可再生能源"),
    ("hohhot-helinger-cluster", None, "standard_racks", 522000, "001", "数据中心机架总计 52.2万标准机架"),
    ("hohhot-helinger-cluster", "2025", "rack_utilisation", 0.70, "001", "率超 70%，平均 PUE为 1.185"),
    ("baidu-fleet", "2023", "pue", 1.19, "004", "2023年百度数据中心PUE平均值1.19"),
    ("baidu-fleet", "2022", "pue", 1.16, "004", "2022年这一数字是1.16"),
    ("baidu-fleet", "2020", "pue", 1.14, "004", "2020年则为1.14"),
    ("baidu-fleet", "2023", "total_energy_kwh", 1_020_500_000, "004", "百度2023年用电量102.05万兆瓦时"),
    ("alibaba-self-built-fy2024", "FY2024", "pue", 1.20, "004", "其2024财年自建数据中心的PUE降至1.2"),
    ("alibaba-self-built-fy2024", "FY2024", "renewable_share", 0.56, "004",
     "自建数据中心的清洁电力使用比例从2023财年的53.9%提升至2024财年的56%"),
    ("alibaba-leased-fy2024", "FY2024", "pue", 1.269, "004", "租赁数据中心PUE为1.269"),
    ("china-telecom-dongjiang-lake", "2022", "pue", 1.19, "000", "年平均 PUE 值保持在 1.19 左右"),
    ("china-mobile-hohhot", "2019", "renewable_share", 0.41, "000", "绿电比例从 41% 提升至 58%"),
    ("china-mobile-hohhot", "2022", "renewable_share", 0.58, "000", "2022 年数据中心绿电使用比例为 58%"),
    ("heying-huailai-campus", "2024", "renewable_share", 1.0, "002", "建设 100%使用新能源电力的绿色数据中心"),
]

# Phrases behind the facility-level descriptions (no figure field of their own).
DESCRIPTIONS = [
    ("002", "满足合盈数据（怀来）科技产业园 1 吉瓦负荷规模"),
    ("002", "5.53 吉瓦装机容量的新能源电站"),
    ("002", "年新增新能源发电量达 130 亿千瓦时"),
    ("000", "湖水直供制冷"),
    ("001", "百度阳泉数据中心"),
    ("001", "总算力规模约 10.1万 P"),
]


def _squash(text: str) -> str:
    """Remove all whitespace (the seeds are PDF extractions with line breaks inside sentences)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def facilities() -> dict[str, Facility]:
    return {p.stem: load_facility(p) for p in ALL_FILES}


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_every_file_loads(path: Path) -> None:
    f = load_facility(path)
    assert f.id == path.stem
    assert f.periods


def test_expected_real_files_present() -> None:
    stems = {p.stem for p in REAL_FILES}
    assert {"hohhot-helinger-cluster", "baidu-fleet", "alibaba-self-built-fy2024", "china-telecom-dongjiang-lake",
            "china-mobile-hohhot", "heying-huailai-campus"} <= stems


def _figures(f: Facility):
    for name in ("design_it_power_kw", "standard_racks"):
        fig = getattr(f, name)
        if fig is not None:
            yield None, name, fig
    for p in f.periods:
        for name in FIGURE_UNITS:
            fig = getattr(p, name, None)
            if fig is not None:
                yield p.label, name, fig
        for name, cl in p.checklists.items():
            yield p.label, f"checklists.{name}", cl
        if p.availability is not None:
            yield p.label, "availability", p.availability
        for r in p.refrigerants or ():
            yield p.label, f"refrigerants.{r.gas}", r


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.stem)
def test_every_real_figure_has_a_source(path: Path) -> None:
    f = load_facility(path)
    assert f.source and f.source.strip()
    found = list(_figures(f))
    assert found, "a real facility file should carry at least one published figure"
    for label, name, fig in found:
        assert fig.source and fig.source.strip(), f"{path.stem} period {label}: {name} has no source"
        assert fig.status in ("reported", "design"), f"{path.stem} period {label}: {name} status {fig.status}"


@pytest.mark.parametrize("fid,label,field,value,seed,phrase", PUBLISHED,
                         ids=[f"{r[0]}:{r[1]}:{r[2]}" for r in PUBLISHED])
def test_published_value(facilities, fid, label, field, value, seed, phrase) -> None:
    f = facilities[fid]
    fig = getattr(f if label is None else f.period(label), field)
    assert fig is not None, f"{fid} {label}: {field} missing"
    assert fig.value == pytest.approx(value, rel=1e-9)


def _seed_text(seed: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed texts not available ({SEEDS} absent: the shared/ folder is outside this checkout)")
    path = SEEDS / SEED_FILES[seed]
    if not path.is_file():
        pytest.skip(f"seed file {path.name} not available")
    return _squash(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed,phrase", [(r[4], r[5]) for r in PUBLISHED] + DESCRIPTIONS,
                         ids=[f"{r[4]}:{r[5][:12]}" for r in PUBLISHED] + [f"{s}:{p[:12]}" for s, p in DESCRIPTIONS])
def test_phrase_occurs_in_seed(seed: str, phrase: str) -> None:
    assert _squash(phrase) in _seed_text(seed)


def test_baidu_2023_pue_is_the_engine_docstring_example(facilities) -> None:
    from index.engine import score

    assert score(facilities["baidu-fleet"], "2023").indicators["pue"].raw_value == 1.19


def test_alibaba_fiscal_year_dates(facilities) -> None:
    p = facilities["alibaba-self-built-fy2024"].period("FY2024")
    assert (p.start.isoformat(), p.end.isoformat()) == ("2023-04-01", "2024-03-31")


def test_hohhot_rack_utilisation_lower_bound(facilities) -> None:
    p = facilities["hohhot-helinger-cluster"].period("2025")
    assert p.rack_utilisation.value == pytest.approx(0.70)
    assert "lower bound" in p.rack_utilisation.source
