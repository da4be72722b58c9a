"""Tampered statements (issue 13): dcsll's verdict, poppler's ``pdfsig`` and pyHanko's own validation.

The statement is certified with DocMDP P=1 (no changes permitted, ISO 32000-2 §12.8.2.2), so *any* byte
after the signed range, and any incremental update at all, must make it ``altered``; so must a later
revision that removes the signature. The corpus (``tests/statements/tamper.py``) is built from a freshly
issued statement signed by the throwaway test CA.

The expected verdicts of the two outside checkers follow from what each one checks:

* ``pdfsig -nocert`` (poppler; certificate checks off, integrity only) verifies the digest over the
  ``/ByteRange`` and says "Total document signed" only when the range reaches the end of the file; it does
  not check the unsigned parts of the CMS container, nor what a later revision changed. The verdict is
  for the statement's own signature (field ``dcsll-statement``) when pdfsig lists several.
* pyHanko's ``validate_pdf_signature`` with its default difference policy whitelists updates of the
  document information dictionary and of the XMP metadata (``DocInfoRule``, ``MetadataUpdateRule``) and
  empty updates at level ``LTA_UPDATES``, and bytes past the signed revision as ``NONE``, and judges them
  compatible with P=1 (``ACCEPTABLE_MODIFICATIONS``); dcsll does not (it wants full-file coverage).

Every row of :data:`EXPECTED` is also the table in ``docs/statements.md`` (checked below).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dcsll.cli import main
from finance.statement_sign import ALTERED, INTACT, UNSIGNED, verify_statement
from tests.statements.tamper import pdfsig_path, pdfsig_verdict, pyhanko_verdict, tamper_corpus

DOC = Path(__file__).resolve().parents[2] / "docs" / "statements.md"

_LTA_OK = "INTACT:TRUSTED,EXTENDED_WITH_LTA_UPDATES,ACCEPTABLE_MODIFICATIONS"
_TAIL_OK = "INTACT:TRUSTED,EXTENDED_WITH_NONE,ACCEPTABLE_MODIFICATIONS"
_OTHER_BAD = "INTACT:TRUSTED,EXTENDED_WITH_OTHER,ILLEGAL_MODIFICATIONS"

# case: (dcsll status, words the dcsll reasons must contain, pdfsig verdict, pyHanko verdict)
EXPECTED = {
    "untouched": (INTACT, "signature valid", "valid+total", "INTACT:TRUSTED,UNTOUCHED"),
    "info-title": (ALTERED, "/Title changed", "valid+partial", _LTA_OK),
    "info-author": (ALTERED, "/Author changed", "valid+partial", _LTA_OK),
    "xmp-rewritten": (ALTERED, "changed the XMP metadata stream", "valid+partial", _LTA_OK),
    "empty-update": (ALTERED, "an empty incremental update", "valid+partial", _LTA_OK),
    "append-whitespace": (ALTERED, "appended after the end of the signed file", "valid+partial", _TAIL_OK),
    "append-garbage": (ALTERED, "appended after the end of the signed file", "valid+partial", _TAIL_OK),
    "append-second-eof": (ALTERED, "follow the end of the signed byte range", "valid+partial",
                          "ERROR:PdfReadError"),
    "strip-perms": (ALTERED, "/Perms removed", "valid+partial", _OTHER_BAD),
    "strip-acroform": (ALTERED, "signature removed", "valid+partial", "NO_SIGNATURE"),
    "strip-sig-field": (ALTERED, "signature removed", "valid+partial", "NO_SIGNATURE"),
    "byte-in-signed-range": (ALTERED, "signed bytes do not match", "invalid", "INVALID"),
    "byte-in-signature-cert": (ALTERED, "embedded certificate", "valid+total", "INTACT:TRUSTED,UNTOUCHED"),
    "byte-in-signature-value": (ALTERED, "signed bytes do not match", "invalid", "INVALID"),
    "truncated-tail": (ALTERED, "truncated", "unsigned", "ERROR:PdfReadError"),
    "truncated-to-first-revision": (UNSIGNED, "no digital signature", "unsigned", "NO_SIGNATURE"),
    "second-signature": (ALTERED, "further signature", "valid+partial (+1 other)",
                         "INTACT:TRUSTED,EXTENDED_WITH_FORM_FILLING,ILLEGAL_MODIFICATIONS"),
    # pyHanko validates the only signature left (the new one, which covers the whole file)
    "strip-and-resign": (ALTERED, "signature removed", "valid+partial (+1 other)", "INTACT:TRUSTED,UNTOUCHED"),
    "annotation-added": (ALTERED, "added a Text annotation", "valid+partial", _OTHER_BAD),
}

# Where an outside checker accepts what dcsll calls altered (see the module docstring for why).
PDFSIG_MISSES = {"byte-in-signature-cert"}
PYHANKO_ACCEPTS = {"info-title", "info-author", "xmp-rewritten", "empty-update", "append-whitespace",
                   "append-garbage", "byte-in-signature-cert", "strip-and-resign"}


@pytest.fixture(scope="module")
def corpus(signed_pdf, ca_identity, tmp_path_factory):
    """name -> path of each tampered copy."""
    folder = tmp_path_factory.mktemp("tamper")
    out = {}
    for case in tamper_corpus(signed_pdf[0].read_bytes(), ca_identity.signer):
        out[case.name] = folder / f"{case.name}.pdf"
        out[case.name].write_bytes(case.data)
    return out


@pytest.fixture(scope="module")
def dcsll_reports(corpus, test_ca):
    return {name: verify_statement(path, trust=[test_ca["ca"]]) for name, path in corpus.items()}


def test_corpus_has_every_case_of_the_issue(corpus):
    assert set(corpus) == set(EXPECTED)


def test_attacks_did_what_they_say(corpus, signed_pdf):
    """The hand-written updates are well-formed: pyHanko reads one more revision, pypdf sees the change."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pypdf import PdfReader

    signed = signed_pdf[0].read_bytes()
    revisions = {n: PdfFileReader(io.BytesIO(corpus[n].read_bytes()), strict=False).total_revisions
                 for n in ("untouched", "info-title", "empty-update", "strip-acroform", "annotation-added")}
    assert revisions["untouched"] == 2  # the rendered PDF + the signing update
    assert all(revisions[n] == 3 for n in revisions if n != "untouched")
    assert PdfReader(corpus["info-title"]).metadata.title == "Revised"
    assert PdfReader(corpus["info-author"]).metadata.author == "Someone Else"
    assert "/AcroForm" not in PdfReader(corpus["strip-acroform"]).trailer["/Root"]
    assert corpus["append-second-eof"].read_bytes() == signed + b"%%EOF\n"
    assert len(corpus["truncated-tail"].read_bytes()) == len(signed) - 200


@pytest.mark.parametrize("name", list(EXPECTED))
def test_dcsll_verdict(name, dcsll_reports):
    status, words, _, _ = EXPECTED[name]
    rep = dcsll_reports[name]
    assert rep.status == status, (name, rep.reasons)
    assert words in " ".join(rep.reasons), (name, rep.reasons)
    assert rep.exit_code == (0 if status == INTACT else 1)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_cli_exits_non_zero_unless_intact(name, corpus, test_ca, capsys):
    rc = main(["verify-statement", str(corpus[name]), "--trust", str(test_ca["ca"]), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == EXPECTED[name][0]
    assert (rc == 0) == (name == "untouched") and rc in (0, 1)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pdfsig_verdict_and_agreement(name, corpus, dcsll_reports):
    if pdfsig_path() is None:
        pytest.skip("pdfsig not installed (Debian package poppler-utils)")
    verdict = pdfsig_verdict(corpus[name])
    assert verdict == EXPECTED[name][2], (name, verdict)
    detects = not verdict.startswith("valid+total")
    if detects:  # whatever pdfsig catches, dcsll catches too
        assert dcsll_reports[name].status != INTACT
    else:  # pdfsig passes only the untouched file and the documented miss
        assert name in {"untouched"} | PDFSIG_MISSES


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pyhanko_verdict_and_agreement(name, corpus, test_ca, dcsll_reports):
    verdict = pyhanko_verdict(corpus[name], [test_ca["ca"]])
    assert verdict == EXPECTED[name][3], (name, verdict)
    accepts = verdict.startswith("INTACT:TRUSTED") and ("UNTOUCHED" in verdict
                                                        or "ACCEPTABLE_MODIFICATIONS" in verdict)
    if not accepts:  # whatever pyHanko rejects, dcsll rejects too
        assert dcsll_reports[name].status != INTACT
    else:  # pyHanko accepts only the untouched file and the documented, P=1-violating changes
        assert name in {"untouched"} | PYHANKO_ACCEPTS


def test_removed_signature_names_the_revision_that_had_it(dcsll_reports):
    for name in ("strip-acroform", "strip-sig-field"):
        text = " ".join(dcsll_reports[name].reasons)
        assert "signature 'dcsll-statement' is in revision 2 of 3" in text, text


def test_second_signature_is_named(dcsll_reports):
    text = " ".join(dcsll_reports["second-signature"].reasons)
    assert "added signature field 'second-signature'" in text


def test_appended_bytes_are_counted(dcsll_reports):
    """Whitespace appended: b"\\n\\n  \\r\\n" is 6 bytes; garbage: b"garbage \\x00\\xff tail" is 15."""
    assert "6 byte(s) appended" in " ".join(dcsll_reports["append-whitespace"].reasons)
    assert "15 byte(s) appended" in " ".join(dcsll_reports["append-garbage"].reasons)
    assert "200 byte(s) shorter" in " ".join(dcsll_reports["truncated-tail"].reasons)


def test_documentation_table_matches(dcsll_reports):
    """docs/statements.md lists every case with the three verdicts asserted here."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`([a-z0-9-]+)`\s*\|[^|]*\|\s*([a-z]+)[^|]*\|\s*`([^`]+)`[^|]*\|\s*`([^`]+)`", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    assert rows == {name: (e[0], e[2], e[3]) for name, e in EXPECTED.items()}


def test_tampered_demo_statement_is_altered_not_untrusted(tmp_path):
    """Without --trust an untouched demo statement is only 'untrusted'; a changed one must say 'altered'."""
    from finance.statement import statement_from_mapping
    from finance.statement_sign import UNTRUSTED, demo_identity, issue_statement
    from tests.statements.conftest import statement_dict
    from tests.statements.tamper import append_revision

    _, pdf = issue_statement(statement_from_mapping(statement_dict()), demo_identity())
    ok, bad = tmp_path / "demo.pdf", tmp_path / "demo-empty-update.pdf"
    ok.write_bytes(pdf)
    bad.write_bytes(append_revision(pdf, {}))
    assert verify_statement(ok).status == UNTRUSTED
    rep = verify_statement(bad)
    assert rep.status == ALTERED and "an empty incremental update" in " ".join(rep.reasons)
