"""Signing and checking: intact / altered / unsigned / untrusted, tampering, identities, output files."""

from __future__ import annotations

import io
import os
import re
import stat

import pytest

from finance.statement import SigningConfig, statement_from_mapping
from finance.statement_sign import (
    ALTERED,
    INTACT,
    UNSIGNED,
    UNTRUSTED,
    demo_identity,
    issue_statement,
    load_identity,
    verify_statement,
    write_atomic,
)
from index.errors import InputError
from tests.statements.conftest import statement_dict


def test_untouched_statement_is_intact_with_its_ca(signed_pdf, test_ca):
    path, st = signed_pdf
    rep = verify_statement(path, trust=[test_ca["ca"]])
    assert rep.status == INTACT, rep.reasons
    assert rep.exit_code == 0
    assert rep.statement_id == "VS-TEST-0042"
    assert rep.content_sha256 == rep.printed_sha256
    assert "dcsll Test Root signer" in rep.signer


def test_signature_is_a_certification_permitting_no_changes(signed_pdf):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm

    path, _ = signed_pdf
    with open(path, "rb") as f:
        sig = PdfFileReader(f).embedded_signatures[0]
        assert sig.docmdp_level == MDPPerm.NO_CHANGES


def test_without_trust_anchor_it_is_untrusted(signed_pdf, other_ca):
    path, _ = signed_pdf
    for trust in (None, [other_ca["ca"]]):
        rep = verify_statement(path, trust=trust)
        assert rep.status == UNTRUSTED and rep.exit_code == 1
        assert "--trust" in rep.reasons[0]


def test_signature_block_names_the_certificate(signed_pdf, ca_identity):
    import pdfplumber

    path, st = signed_pdf
    assert st.signature.certificate_sha256 == ca_identity.fingerprint
    assert not st.signature.self_signed and not st.signature.demo_identity
    with pdfplumber.open(path) as doc:
        text = "\n".join(p.extract_text() for p in doc.pages)
    assert ca_identity.fingerprint in text
    assert "SELF-SIGNED" not in text


def _flip(data: bytes, pos: int) -> bytes:
    b = bytearray(data)
    b[pos] = ord("0") if b[pos] != ord("0") else ord("1")
    return bytes(b)


@pytest.mark.parametrize("where", ["page content", "middle", "signature value", "attachment", "last byte"])
def test_one_changed_byte_is_detected(signed_pdf, test_ca, tmp_path, where):
    path, _ = signed_pdf
    data = path.read_bytes()
    sig_at = data.index(b"/Contents <") + len(b"/Contents <")
    ef_at = data.index(b"/Type /EmbeddedFile") if b"/Type /EmbeddedFile" in data else data.index(b"/EmbeddedFile")
    pos = {"page content": data.index(b"stream", 2000) + 40, "middle": len(data) // 2,
           "signature value": sig_at + 300, "attachment": ef_at + 200, "last byte": len(data) - 3}[where]
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(_flip(data, pos))
    rep = verify_statement(bad, trust=[test_ca["ca"]])
    assert rep.status in (ALTERED, UNSIGNED), (where, rep)
    assert rep.exit_code == 1


def test_incremental_update_overwriting_a_number_on_the_page(signed_pdf, test_ca, tmp_path):
    """Append an update that paints a different index total over page 1."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    path, _ = signed_pdf
    w = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()), strict=False)
    page_ref = w.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    font = generic.DictionaryObject({generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                                     generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                                     generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica")})
    page["/Resources"]["/Font"][generic.pdf_name("/FTamper")] = w.add_object(font)
    overlay = generic.StreamObject(stream_data=b"q 1 1 1 rg 50 330 80 24 re f Q "
                                               b"BT /FTamper 17 Tf 55 335 Td (79.75) Tj ET")
    contents = page["/Contents"]
    arr = contents if isinstance(contents, generic.ArrayObject) else generic.ArrayObject([page.raw_get("/Contents")])
    arr.append(w.add_object(overlay))
    page["/Contents"] = arr
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    bad = tmp_path / "overlay.pdf"
    bad.write_bytes(out.getvalue())
    assert b"79.75" in bad.read_bytes()
    rep = verify_statement(bad, trust=[test_ca["ca"]])
    assert rep.status == ALTERED, rep
    assert "changed after it was certified" in " ".join(rep.reasons)


def test_incremental_update_replacing_the_attached_content(signed_pdf, test_ca, tmp_path):
    """Append an update that swaps statement.json for one with a better index total."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    path, _ = signed_pdf
    w = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()), strict=False)
    names = w.root["/Names"]["/EmbeddedFiles"]["/Names"]
    ef_ref = names[1].get_object()["/EF"].raw_get("/F")
    ef = ef_ref.get_object()
    edited = ef.data.replace(b'"total":69.75', b'"total":79.75')
    assert edited != ef.data
    new = generic.StreamObject(dict(ef.items()), stream_data=edited)
    for k in ("/Filter", "/DecodeParms", "/Length", "/Params"):
        new.pop(k, None)
    w.mark_update(ef_ref)
    w.objects[(ef_ref.generation, ef_ref.idnum)] = new
    out = io.BytesIO()
    w.write(out)
    bad = tmp_path / "json.pdf"
    bad.write_bytes(out.getvalue())
    rep = verify_statement(bad, trust=[test_ca["ca"]])
    assert rep.status == ALTERED, rep


def test_stripped_signature_is_altered_signature_removed(signed_pdf, test_ca, tmp_path):
    """Rewrite the whole PDF without its signature field (attachment kept, no revision history left).

    dcsll attaches statement.json only in the signing update, so the attachment alone shows it was signed.
    """
    from pypdf import PdfReader, PdfWriter

    path, _ = signed_pdf
    writer = PdfWriter(clone_from=PdfReader(path))
    writer._root_object.pop("/AcroForm", None)
    writer._root_object.pop("/Perms", None)
    for page in writer.pages:
        page.pop("/Annots", None)
    bad = tmp_path / "stripped.pdf"
    with open(bad, "wb") as f:
        writer.write(f)
    assert "statement.json" in PdfReader(bad).attachments  # content kept, signature gone
    rep = verify_statement(bad, trust=[test_ca["ca"]])
    assert rep.status == ALTERED and rep.exit_code == 1
    assert rep.reasons[0].startswith("signature removed")


def test_signed_revision_cut_off_is_unsigned(signed_pdf, test_ca, tmp_path):
    """Truncate the file to the revision before the signature."""
    path, _ = signed_pdf
    data = path.read_bytes()
    first_eof = [m.end() for m in re.finditer(rb"%%EOF\s*", data)][0]
    bad = tmp_path / "cut.pdf"
    bad.write_bytes(data[:first_eof])
    assert verify_statement(bad, trust=[test_ca["ca"]]).status == UNSIGNED


def test_not_a_pdf_cannot_be_checked(tmp_path):
    p = tmp_path / "x.pdf"
    p.write_text("hello")
    with pytest.raises(InputError, match="not a PDF"):
        verify_statement(p)
    with pytest.raises(InputError, match="file not found"):
        verify_statement(tmp_path / "missing.pdf")


def test_bad_trust_file_is_input_error(signed_pdf, tmp_path):
    path, _ = signed_pdf
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not a certificate")
    with pytest.raises(InputError) as exc:
        verify_statement(path, trust=[junk])
    assert exc.value.field == "--trust"


def test_demo_identity_is_created_once_self_signed_and_private(tmp_path, monkeypatch):
    import pdfplumber

    home = tmp_path / "home"
    monkeypatch.setenv("DCSLL_HOME", str(home))
    first = load_identity(None)
    key = home / "demo-signer" / "demo-signer.key.pem"
    cert = home / "demo-signer" / "demo-signer.cert.pem"
    assert key.is_file() and cert.is_file()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert first.self_signed and first.demo
    assert demo_identity().fingerprint == first.fingerprint  # reused, not recreated

    st, pdf = issue_statement(statement_from_mapping(statement_dict()), first)
    assert st.signature.self_signed and st.signature.demo_identity
    out = tmp_path / "demo.pdf"
    out.write_bytes(pdf)
    with pdfplumber.open(out) as doc:
        text = "\n".join(p.extract_text() for p in doc.pages)
    assert "SELF-SIGNED" in text and "自签名" in text and "DEMO IDENTITY" in text
    assert verify_statement(out).status == UNTRUSTED
    assert verify_statement(out, trust=[cert]).status == INTACT


def test_pkcs12_identity_with_passphrase_from_environment(test_ca, monkeypatch):
    monkeypatch.setenv("TEST_P12_PASS", "test-passphrase")
    ident = load_identity(SigningConfig(pkcs12=str(test_ca["p12"]), passphrase_env="TEST_P12_PASS"))
    assert "dcsll Test Root signer" in ident.subject and not ident.self_signed
    monkeypatch.setenv("TEST_P12_PASS", "wrong")
    with pytest.raises(InputError, match="could not load"):
        load_identity(SigningConfig(pkcs12=str(test_ca["p12"]), passphrase_env="TEST_P12_PASS"))
    monkeypatch.delenv("TEST_P12_PASS")
    with pytest.raises(InputError, match="TEST_P12_PASS"):
        load_identity(SigningConfig(pkcs12=str(test_ca["p12"]), passphrase_env="TEST_P12_PASS"))


def test_missing_key_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_identity(SigningConfig(key_pem=str(tmp_path / "k.pem"), cert_pem=str(tmp_path / "c.pem")))


@pytest.mark.parametrize("target", ["missing-folder/out.pdf", "."])
def test_unwritable_output_leaves_nothing(tmp_path, target):
    out = tmp_path / target
    before = set(tmp_path.rglob("*"))
    with pytest.raises(InputError, match="cannot write the statement here"):
        write_atomic(out, b"%PDF-1.4 test")
    assert set(tmp_path.rglob("*")) == before


def test_failed_write_removes_the_partial_file(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InputError, match="No space left"):
        write_atomic(tmp_path / "s.pdf", b"%PDF-1.4 test")
    assert list(tmp_path.iterdir()) == []


def test_no_single_byte_change_in_the_signature_container_goes_unnoticed(signed_pdf, test_ca, tmp_path):
    """The /Contents hex is the only part of the file outside the signed byte range: sweep it."""
    path, _ = signed_pdf
    data = path.read_bytes()
    start = data.index(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    der_hex_len = 2 * len(bytes.fromhex(data[start:end].decode()).rstrip(b"\0"))
    positions = list(range(0, der_hex_len, 53)) + [der_hex_len + 10, end - start - 1]  # + zero padding
    for off in positions:
        bad = tmp_path / f"flip{off}.pdf"
        bad.write_bytes(_flip(data, start + off))
        rep = verify_statement(bad, trust=[test_ca["ca"]])
        assert rep.status in (ALTERED, UNSIGNED), (off, rep.reasons)
