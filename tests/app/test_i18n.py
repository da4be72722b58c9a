"""The zh and en catalogues have the same keys and the same format placeholders."""

from __future__ import annotations

import string

from app_support.i18n import LANGUAGES, catalogue


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_catalogues_have_the_same_keys():
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en)
    assert set(LANGUAGES) == {"zh", "en"}


def test_placeholders_agree():
    zh, en = catalogue("zh"), catalogue("en")
    assert {k: _fields(v) for k, v in zh.items()} == {k: _fields(v) for k, v in en.items()}


def test_zh_labels_are_chinese():
    zh = catalogue("zh")
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in v) for k, v in zh.items() if not k.startswith("app."))
