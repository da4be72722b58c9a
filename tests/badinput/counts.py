"""Print the bad-input figures of issue 13's closing note: the corpus size and its outcomes per reader, and the
hypothesis fuzzing examples per reader and outcome.

    .venv/bin/python tests/badinput/counts.py            # ~2-4 min on 2 cores

Corpus (tests/badinput/corpus.py): every case is bad; outcomes ``clear`` (refused naming the expected field, or
the file for a file-level problem), ``vague`` (refused without naming it), ``traceback``, ``silent`` (accepted).
Fuzzing (tests/badinput/test_fuzz.py): each generated example is ``refused`` (an error naming the field/file) or
``accepted`` (and within the data/validation bounds); a traceback or an out-of-bounds acceptance makes the
property fail, counted here as ``failed`` with its message.
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import corpus  # noqa: E402 - after the path set-up
import test_fuzz  # noqa: E402


def corpus_counts() -> dict[str, collections.Counter]:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(corpus.all_cases()):
            d = Path(tmp) / str(i)
            d.mkdir()
            outcome, _ = corpus.run(case, d)
            counts[case.reader][outcome] += 1
    return counts


def fuzz_counts() -> tuple[collections.Counter, list[str]]:
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(n for n in dir(test_fuzz) if n.startswith("test_")):
            fn = getattr(test_fuzz, name)
            try:
                if name == "test_toml_text_never_traceback":
                    class _Factory:  # stands in for pytest's tmp_path_factory
                        n = 0

                        def mktemp(self, stem):
                            _Factory.n += 1
                            p = Path(tmp) / f"{stem}{_Factory.n}"
                            p.mkdir()
                            return p
                    fn(tmp_path_factory=_Factory())
                else:
                    fn()
            except Exception as exc:  # noqa: BLE001 - a failing property is a figure to report
                failed.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
    return test_fuzz.OUTCOMES, failed


def main() -> None:
    counts = corpus_counts()
    total = collections.Counter()
    print("| reader | cases | clear error naming the field | vague | traceback | silent |")
    print("|---|---|---|---|---|---|")
    for reader, c in sorted(counts.items()):
        total.update(c)
        print(f"| {reader} | {sum(c.values())} | {c['clear']} | {c['vague']} | {c['traceback']} | {c['silent']} |")
    print(f"| **all** | **{sum(total.values())}** | {total['clear']} | {total['vague']} | {total['traceback']} | "
          f"{total['silent']} |")
    outcomes, failed = fuzz_counts()
    print("\n| fuzzed reader (hypothesis) | examples | refused naming the field | accepted within bounds | "
          "skipped (cell openpyxl cannot write) |")
    print("|---|---|---|---|---|")
    tot = collections.Counter()
    for r in sorted({r for r, _ in outcomes}):
        c = {o: outcomes[(r, o)] for o in ("refused", "accepted", "skipped")}
        tot.update(c)
        print(f"| {r} | {c['refused'] + c['accepted']} | {c['refused']} | {c['accepted']} | {c['skipped']} |")
    print(f"| **all** | **{tot['refused'] + tot['accepted']}** | {tot['refused']} | {tot['accepted']} | "
          f"{tot['skipped']} |")
    print(f"\nfailed properties (traceback or silent out-of-bounds acceptance): {len(failed)}")
    for f in failed:
        print(f"  {f}")


if __name__ == "__main__":
    main()
