"""One catalogue of every label in the app, in 中文 (``zh/*.toml``) and English (``en/*.toml``).

Each language is a folder of TOML files (one per page or theme, e.g. ``core.toml``, ``portfolio.toml``),
merged into one flat catalogue; the same key in two files of a language is an error. :func:`t` looks a
dotted key up in the current language (session state ``lang``); a key missing from the catalogue raises
``KeyError`` so that no label silently falls back to another language.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import streamlit as st

#: languages offered, in the order of the switch
LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
LANG_KEY = "lang"
_DIR = Path(__file__).parent


def _flatten(d: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat catalogue ``{dotted key: label}`` of one language.

    Raises
    ------
    FileNotFoundError
        If there is no folder ``<lang>/`` with at least one ``*.toml``.
    ValueError
        If two files of the language define the same key (the message names both files).
    """
    files = sorted((_DIR / lang).glob("*.toml"))
    if not files:
        raise FileNotFoundError(f"no label catalogue for language {lang!r}: {_DIR / lang}/*.toml")
    out: dict[str, str] = {}
    where: dict[str, str] = {}
    for f in files:
        for k, v in _flatten(tomllib.loads(f.read_text(encoding="utf-8"))).items():
            if k in out:
                raise ValueError(f"label {k!r} is defined twice: {where[k]} and {f.name} ({lang})")
            out[k], where[k] = v, f.name
    return out


def current_language() -> str:
    """The language picked in the sidebar (``zh`` by default)."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **fmt) -> str:
    """The label for ``key`` in the current language, formatted with ``fmt``.

    Raises
    ------
    KeyError
        If the key is not in the catalogue.
    """
    text = catalogue(current_language())[key]
    return text.format(**fmt) if fmt else text


def language_switch() -> str:
    """Draw the 中文/English switch in the sidebar; returns the language code."""
    st.sidebar.radio("语言 / Language", list(LANGUAGES), format_func=LANGUAGES.get, key=LANG_KEY,
                     horizontal=True)
    return current_language()


def name(obj, lang: str | None = None) -> str:
    """``obj.name_zh`` or ``obj.name_en`` (methodology nodes, indicators, results) in ``lang``.

    Pass ``lang`` explicitly inside widget ``format_func`` callbacks: they may run outside the script run
    (e.g. in AppTest), where the session's language is not at hand.
    """
    lang = lang or current_language()
    return obj.name_zh if lang == "zh" else obj.name_en
