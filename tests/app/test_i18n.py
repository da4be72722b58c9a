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


def test_a_key_defined_twice_in_a_language_is_refused(tmp_path, monkeypatch):
    import app_support.i18n as i18n

    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "a.toml").write_text('[nav]\nportfolio = "P"\n', encoding="utf-8")
    (tmp_path / "xx" / "b.toml").write_text('[nav]\nportfolio = "Q"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        import pytest

        with pytest.raises(ValueError, match="'nav.portfolio' is defined twice: a.toml and b.toml"):
            i18n.catalogue("xx")
    finally:
        i18n.catalogue.cache_clear()
