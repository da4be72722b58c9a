"""The bad-input corpus (tests/badinput/corpus.py): every mutated shipped file is refused with an error naming
the field (or, for a problem with the file itself, the file) — no traceback, no silent acceptance.

The outcome counts per reader are printed; the test asserts at least 300 cases and that every one is refused
clearly (zero vague errors, zero tracebacks, zero silent acceptances).
"""

from __future__ import annotations

import collections
import subprocess
import sys

import corpus
import pytest

CASES = corpus.all_cases()


def test_corpus_has_at_least_300_named_cases():
    assert len(CASES) >= 300
    names = [(c.reader, c.name) for c in CASES]
    assert len(set(names)) == len(names), "every mutation has its own name"
    assert {c.reader for c in CASES} == {"facility", "deal", "levers", "monthly", "upload", "monthly_upload"}


def test_every_bad_input_is_refused_naming_the_field(tmp_path, capsys):
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures = []
    for i, case in enumerate(CASES):
        d = tmp_path / str(i)
        d.mkdir()
        outcome, detail = corpus.run(case, d)
        counts[case.reader][outcome] += 1
        if outcome != "clear":
            failures.append(f"{case.reader} | {case.name} | {outcome} | {detail}")
    with capsys.disabled():
        print("\nbad-input corpus outcomes (clear / vague / traceback / silent):")
        for reader, c in sorted(counts.items()):
            print(f"  {reader:9s} {sum(c.values()):4d} cases: clear {c['clear']}, vague {c['vague']}, "
                  f"traceback {c['traceback']}, silent {c['silent']}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("mutation, field", [
    ("loan.margin_bp = inf", "loan.margin_bp"),
    ("facility = '../../x.toml'", "facility"),
    ("verified grade 9Z", "grade"),
    ("maturity in 2200", "loan.maturity_date"),
])
def test_cli_exits_2_naming_the_field(tmp_path, mutation, field):
    """A sample through the CLI: exit code 2, the field named on stderr, no traceback."""
    case = next(c for c in CASES if c.reader == "deal" and c.name.endswith(mutation))
    path = case.make(tmp_path)
    r = subprocess.run([sys.executable, "-m", "dcsll", "cashflows", str(path)], capture_output=True, text=True,
                       cwd=corpus.ROOT, timeout=120)
    assert r.returncode == 2, r.stderr
    assert field in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("rate", ["nan", "inf", "-inf", "1e9", "abc"])
def test_cli_discount_rate_must_be_finite(rate):
    r = subprocess.run([sys.executable, "-m", "dcsll", "value", str(corpus.DEALS[0]), f"--discount-rate={rate}"],
                       capture_output=True, text=True, cwd=corpus.ROOT, timeout=120)
    assert r.returncode == 2
    assert "--discount-rate" in r.stderr and "% p.a." in r.stderr and "Traceback" not in r.stderr
