"""Every page reads well for every role that may open it, in 中文 and English (issue 17).

Each page × role (``app_support.pages.pages_for``) × language is rendered with AppTest on the module's deal
book, seeded with the demo data (``conftest.app_database``), and checked for:

(a) tables — no rendered table shows ``nan`` / ``None`` / ``NaT`` or a float with more than
    :data:`app_support.tables.MAX_DECIMALS` decimals (:func:`app_support.tables.table_problems` on every
    ``st.dataframe`` / ``st.data_editor`` / ``st.table``). A missing cell is allowed only where the table sets
    a ``placeholder`` (Streamlit draws that text instead, e.g. ``—`` in an editor's empty date cell);
(b) language — in 中文, no label is Latin-only: titles, headers, subheaders, captions, markdown, alerts, the
    labels of widgets, buttons, tabs, expanders and metrics, radio choices and table column headers. A label
    with a Chinese character passes; a Latin-only one passes only if each of its words is in
    ``readability_allowlist.toml`` (ids, units, abbreviations, each with why), matches one of its patterns,
    or is a word of a name stored in the deal book (facility, deal and borrower names: proper names).

Failures name the page, role, language and the offending text.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from app_support.pages import PAGES, pages_for
from app_support.tables import table_problems

HERE = Path(__file__).resolve().parent
ALLOWLIST = HERE / "readability_allowlist.toml"
ROLES = ("credit_officer", "operator", "verifier", "admin", "reader")
LANGS = ("zh", "en")
CASES = [(p.path, role, lang) for role in ROLES for p in pages_for(role) for lang in LANGS]
#: element types whose ``value`` is text a reader sees
TEXT_TYPES = {"title", "header", "subheader", "caption", "markdown", "latex", "error", "warning", "info",
              "success", "toast"}
#: CJK ideographs and full-width punctuation: a label with one of them is Chinese
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
#: a Latin word (letters first; digits, ., _, - and ' inside)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.'\-]*[A-Za-z0-9]|[A-Za-z]")


def _ids(case):
    path, role, lang = case
    return f"{Path(path).stem}-{role}-{lang}"


@pytest.fixture(scope="module")
def allowed(seeded):
    """(words, patterns): the allow-list plus every word of the deal book's names and ids (proper names)."""
    data = tomllib.loads(ALLOWLIST.read_text(encoding="utf-8"))
    words = set(data["words"])
    patterns = [re.compile(p["regex"]) for p in data["patterns"].values()]
    names = []
    for fid in seeded.facility_ids():
        f = seeded.load_facility(fid)
        names += [fid, f.name or "", getattr(f, "operator", "") or "", getattr(f, "province", "") or "",
                  getattr(f, "cluster", "") or ""]
    for did in seeded.deal_ids():
        d = seeded.load_deal_document(did)
        names += [did, str(d.get("name", "")), str(d.get("borrower", ""))]
    for n in names:
        words.update(WORD.findall(n))
    return words, patterns


def test_the_allowlist_gives_a_reason_for_every_entry():
    data = tomllib.loads(ALLOWLIST.read_text(encoding="utf-8"))
    assert all(isinstance(v, str) and len(v) > 3 for v in data["words"].values())
    assert all(len(p.get("why", "")) > 5 for p in data["patterns"].values())
    for p in data["patterns"].values():
        re.compile(p["regex"])


def test_every_page_is_covered():
    assert {p.path for p in PAGES} == {c[0] for c in CASES}


def _walk(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for c in children.values():
            yield from _walk(c)


def _plain(text: str) -> str:
    """Markdown as read: links keep their text, code/emphasis marks and :material/icons: dropped."""
    text = re.sub(r":material/[a-z_]+:", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", " ", text)  # _emphasis_, not snake_case ids
    return re.sub(r"[*`#>|]", " ", text)


def _config(df_element) -> dict:
    """The table's column_config as sent to the browser (column name → settings), {} when none."""
    raw = getattr(df_element.proto, "columns", "")
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _headers(df_element) -> list[str]:
    """Column headers shown: the column_config label where one is set, else the column name."""
    conf = _config(df_element)
    out = []
    for col in df_element.value.columns:
        c = conf.get(str(col)) or conf.get(f"_pos:{list(df_element.value.columns).index(col)}") or {}
        if c.get("hidden"):
            continue
        out.append(str(c.get("label") or col))
    return out


def _texts(at) -> list[tuple[str, str]]:
    """(kind, text) of every label a reader sees on the page (main area and sidebar)."""
    out = []
    for root in (at.main, at.sidebar):
        for n in _walk(root):
            kind = getattr(n, "type", type(n).__name__)
            label = getattr(n, "label", None)
            if isinstance(label, str) and label.strip():
                out.append((f"{kind} label", label))
            if kind in TEXT_TYPES:
                value = getattr(n, "value", None)
                if isinstance(value, str) and value.strip():
                    out.append((kind, value))
            if kind == "radio":
                out += [("radio choice", str(o)) for o in n.options]
            if kind in ("dataframe", "arrow_data_frame"):
                out += [("column header", h) for h in _headers(n)]
    return out


def latin_only(text: str, words: set[str], patterns) -> list[str]:
    """The words that make ``text`` an untranslated label: [] when it has a Chinese character, or when every
    Latin word in it is allowed (listed, matching a pattern, or part of a stored name)."""
    plain = _plain(text)
    if CJK.search(plain):
        return []
    bad = []
    for w in WORD.findall(plain):
        w = w.strip(".'-")
        if not w or w in words or any(p.fullmatch(w) for p in patterns):
            continue
        bad.append(w)
    return bad


def test_latin_only_finds_an_english_label_and_passes_a_chinese_one():
    words, patterns = {"PUE", "CNY"}, [re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")]
    assert latin_only("SPT index", words, patterns) == ["SPT", "index"]
    assert latin_only("**PUE** [CNY] 1.2", words, patterns) == []
    assert latin_only("目标 index", words, patterns) == []  # mixed: has Chinese, read as Chinese text
    assert latin_only("demo-zjk-sll-2025", words, patterns) == []
    assert latin_only("(accept_reported)", words, patterns) == ["accept_reported"]


#: one line of app_support.tables.table_problems
PROBLEM = re.compile(r"^(?P<where>.*?) row (?P<row>\d+) column (?P<col>.*?): (?P<what>missing cell shown as \S+|"
                     r"unrounded float|text)(?P<example>.*)$")


def summarise(problems: list[str]) -> list[str]:
    """``table_problems`` lines grouped per table, column and kind: ``"<table> column 'c': <kind> in n row(s),
    e.g. <example>"`` (one line per column instead of one per cell)."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    other = []
    for p in problems:
        m = PROBLEM.match(p)
        if m is None:
            other.append(p)
            continue
        groups.setdefault((m["where"], m["col"], m["what"]), []).append(m["example"].strip())
    return [f"{w} column {c}: {what} in {len(ex)} row(s){', e.g. ' + ex[0] if ex[0] else ''}"
            for (w, c, what), ex in groups.items()] + other


def test_summarise_groups_cells_of_a_column():
    lines = ["table key='x' row 0 column 'a': unrounded float 0.30000000000000004",
             "table key='x' row 3 column 'a': unrounded float 1.8333333333333333",
             "table key='x' row 1 column 'b': missing cell shown as None"]
    assert summarise(lines) == [
        "table key='x' column 'a': unrounded float in 2 row(s), e.g. 0.30000000000000004",
        "table key='x' column 'b': missing cell shown as None in 1 row(s)"]


def _tables(at):
    """(name, frame, has a placeholder, {column: number format of its column_config}) of every table."""
    for d in at.dataframe:
        has_placeholder = d.proto.HasField("placeholder") and d.proto.placeholder.strip().lower() not in (
            "none", "nan", "nat", "null")
        formats = {c: (v.get("type_config") or {}).get("format") for c, v in _config(d).items()
                   if isinstance(v, dict) and (v.get("type_config") or {}).get("format")}
        yield f"table key={d.key!r}", d.value, has_placeholder, formats
    for i, tb in enumerate(at.table):
        yield f"st.table #{i}", tb.value, False, {}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_page_reads_well(run_as, seeded, allowed, case):
    path, role, lang = case
    at = run_as(role, path, lang)
    assert not at.exception, (path, role, lang, [e.message for e in at.exception])
    problems = []
    for where, df, has_placeholder, formats in _tables(at):
        found = [p for p in table_problems(df, where)
                 if not (has_placeholder and "missing cell" in p)]  # drawn as the placeholder, not as None
        for line in summarise(found):
            fmt = next((f for c, f in formats.items() if f" column {c!r}:" in line), None)
            # a column_config number format rounds what the browser draws, not the value sent to it
            problems.append(line + (f" [column_config format {fmt!r}]" if fmt else ""))
    if lang == "zh":
        words, patterns = allowed
        for kind, text in _texts(at):
            bad = latin_only(text, words, patterns)
            if bad:
                problems.append(f"{kind}: {text[:160]!r} (untranslated: {', '.join(dict.fromkeys(bad))})")
    assert not problems, f"{path} as {role} in {lang}:\n" + "\n".join(problems)


def test_switching_the_language_keeps_the_demo_identity_and_names_it_uncut(seeded):
    """The demo picker names each identity in the page's language only ("演示运营方", not "Demo operator /
    演示运营方", which the sidebar cut to "演示信贷经…"), and switching the language keeps the identity picked.
    (In a browser the rebuilt picker used to fall back to the credit officer; AppTest keeps widget state either
    way, so that regression is caught by test_browser_screenshots, which signs in before switching language.)"""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=30)
    at.session_state["lang"] = "zh"
    at.run()
    picker = at.sidebar.selectbox[0]
    assert picker.options == ["演示信贷经理", "演示信贷经理（复核）", "演示运营方", "演示核查机构", "演示管理员"]
    picker.set_value("operator").run()
    assert at.session_state["dcsll_user"].role == "operator"
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert at.session_state["dcsll_user"].role == "operator"
    assert at.sidebar.selectbox[0].value == "operator"
    assert at.sidebar.selectbox[0].options == ["Demo credit officer", "Demo credit officer 2", "Demo operator",
                                               "Demo verifier", "Demo administrator"]
