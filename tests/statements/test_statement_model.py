"""Statement model: canonical content, conclusion wording, and refusal of bad input."""

from __future__ import annotations

import hashlib
import json

import pytest

from finance.statement import (
    canonical_json,
    check_methodology,
    content_sha256,
    load_statement_data,
    load_verifier,
    statement_from_json,
    statement_from_mapping,
)
from index.errors import InputError
from tests.statements.conftest import statement_dict, write_verifier


def test_canonical_json_is_sorted_compact_utf8(statement):
    raw = canonical_json(statement)
    text = raw.decode("utf-8")
    assert "电能利用效率" in text  # non-ASCII kept, not \u-escaped
    assert "\": " not in text and "\", \"" not in text and "\n" not in text
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["index"]["total"] == 69.75
    assert data["schema"] == "dcsll.statement/1"


def test_hash_is_sha256_of_the_canonical_bytes(statement):
    assert content_sha256(statement) == hashlib.sha256(canonical_json(statement)).hexdigest()
    assert len(content_sha256(statement)) == 64


def test_hash_changes_with_any_figure(statement):
    d = statement_dict()
    d["indicators"][0]["reported_value"] = 1.20  # a reported (not verified) figure
    other = statement_from_mapping(d)
    assert content_sha256(other) != content_sha256(statement)


def test_round_trip_through_canonical_json(statement):
    back = statement_from_json(canonical_json(statement))
    assert back == statement
    assert canonical_json(back) == canonical_json(statement)


@pytest.mark.parametrize("level, en, zh", [
    # ISAE 3000 (Revised) para. 69(l)(ii): limited -> negative form, reasonable -> positive form
    ("limited", "nothing has come to our attention that causes us to believe", "我们没有注意到任何事项使我们相信"),
    ("reasonable", "In our opinion,", "我们认为，"),
])
def test_conclusion_form_follows_assurance_level(level, en, zh):
    st = statement_from_mapping(statement_dict(assurance_level=level))
    assert en in st.conclusion.en
    assert zh in st.conclusion.zh
    assert "Test Campus" in st.conclusion.en and "测试园区" in st.conclusion.zh
    other = "In our opinion" if level == "limited" else "nothing has come to our attention"
    assert other not in st.conclusion.en


def test_qualified_conclusion_mentions_exceptions():
    st = statement_from_mapping(statement_dict(conclusion={"type": "qualified"}))
    assert "except for the effects of the matters described" in st.conclusion.en
    assert "除上文例外事项所述事项的影响外" in st.conclusion.zh


def test_period_without_verified_data_is_refused():
    d = statement_dict()
    for row in d["indicators"]:
        row["status"] = "reported"
        row.pop("verified_value", None)
    with pytest.raises(InputError, match="no verified figures for reporting period 2025"):
        statement_from_mapping(d, file="x.toml")


def test_verified_row_without_value_names_the_row():
    d = statement_dict()
    del d["indicators"][1]["verified_value"]
    with pytest.raises(InputError) as exc:
        statement_from_mapping(d, file="x.toml")
    assert exc.value.field == "indicators[1]"
    assert "verified_value is empty" in str(exc.value)


@pytest.mark.parametrize("accreditation", ["", "   "])
def test_verifier_without_accreditation_is_refused(tmp_path, accreditation):
    path = write_verifier(tmp_path, accreditation=accreditation)
    with pytest.raises(InputError) as exc:
        load_verifier(path)
    assert exc.value.field == "verifier.accreditation"
    assert str(path) in str(exc.value)


def test_verifier_file_missing_accreditation_key(tmp_path):
    p = tmp_path / "v.toml"
    p.write_text('[verifier]\nname = { en = "X", zh = "X" }\nsignatory = "A"\n'
                 'signatory_title = { en = "B", zh = "B" }\nplace = { en = "C", zh = "C" }\n')
    with pytest.raises(InputError, match="no accreditation"):
        load_verifier(p)


def test_statement_data_without_accreditation_is_refused():
    d = statement_dict()
    d["verifier"] = dict(d["verifier"], accreditation=" ")
    with pytest.raises(InputError) as exc:
        statement_from_mapping(d)
    assert exc.value.field == "verifier.accreditation"


def test_methodology_hash_must_match_the_deal(statement):
    check_methodology(statement, "AB" * 32)  # same hash, any case
    with pytest.raises(InputError) as exc:
        check_methodology(statement, "cd" * 32, file="deal.toml")
    assert exc.value.field == "methodology.sha256"
    assert "does not match the deal's methodology" in str(exc.value)


def test_sample_data_file_checks_methodology(tmp_path):
    with pytest.raises(InputError, match="does not match"):
        load_statement_data("data/statements/sample_statement.toml", expected_methodology_sha256="0" * 64)


def test_spt_outcome_must_agree_with_its_figures():
    d = statement_dict()
    d["spts"][1]["met"] = False  # 1.22 <= 1.25 is met
    with pytest.raises(InputError, match="SPT outcome is inconsistent"):
        statement_from_mapping(d)


def test_contributions_must_add_up_to_the_index():
    d = statement_dict()
    d["indicators"][0]["contribution"] = 17.0  # core would be 65.75, not 64.75
    with pytest.raises(InputError, match="contributions of the core indicators add up to 65.750"):
        statement_from_mapping(d)


def test_margin_after_must_follow_the_adjustment():
    d = statement_dict()
    d["margin"] = dict(d["margin"], margin_after_bp=95.0)
    with pytest.raises(InputError, match="margin_after_bp"):
        statement_from_mapping(d)


def test_several_errors_are_all_reported():
    d = statement_dict(issue_date="not a date", loan_reference="")
    with pytest.raises(InputError) as exc:
        statement_from_mapping(d, file="bad.toml")
    fields = {row["field"] for row in exc.value.table()}
    assert {"issue_date", "loan_reference"} <= fields
