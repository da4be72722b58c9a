"""Tamper corpus for signed statements, and the two outside checkers the tests compare dcsll with.

:func:`tamper_corpus` takes the bytes of a freshly issued, certified statement (DocMDP P=1: no changes
permitted) and returns one altered copy per attack. Most incremental updates are written by hand here
(objects, a classic cross-reference section, a trailer with ``/Prev``; ISO 32000-2 §7.5.6) so that each
touches exactly what its name says; the annotation and the second signature use pyHanko's own incremental
writer and signer, the way a real tool would add them.

:func:`pdfsig_verdict` runs poppler's ``pdfsig`` (Debian poppler-utils) and :func:`pyhanko_verdict` runs
pyHanko's own validation with its default difference policy; both reduce the output to a short verdict for
the comparison table in ``docs/statements.md``.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Writing an incremental update by hand


def _startxref(data: bytes) -> int:
    return int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def _last_trailer(data: bytes) -> bytes:
    at = data.rindex(b"trailer")
    return data[at + len(b"trailer"):data.index(b"startxref", at)].strip()


def serialise(obj) -> bytes:
    """A pyHanko ``generic`` object as PDF syntax."""
    buf = io.BytesIO()
    obj.write_to_stream(buf, None)
    return buf.getvalue()


def append_revision(data: bytes, objects: dict[int, bytes]) -> bytes:
    """Append an incremental update that (re)defines ``objects`` {object number: body} (generation 0).

    With no objects the update is *empty*: a new cross-reference section (just the free-list head) and
    a trailer whose ``/Prev`` points at the previous section — nothing in the document changes.
    """
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num in sorted(objects):
        out += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    trailer = re.sub(rb"/Prev\s+\d+", b"/Prev %d" % _startxref(data), _last_trailer(data))
    if b"/Prev" not in trailer:
        trailer = trailer[:-2] + b"/Prev %d\n>>" % _startxref(data)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _reader(data: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data), strict=False)


def _info_changed(data: bytes, key: str, value: str) -> bytes:
    from pyhanko.pdf_utils import generic

    r = _reader(data)
    ref = r.trailer.raw_get("/Info")
    info = generic.DictionaryObject(ref.get_object())
    info[generic.pdf_name(key)] = generic.TextStringObject(value)
    return append_revision(data, {ref.idnum: serialise(info)})


def _xmp_rewritten(data: bytes) -> bytes:
    r = _reader(data)
    ref = r.root.raw_get("/Metadata")
    xmp = ref.get_object().data
    new = re.sub(rb'pdf:Producer="[^"]*"', b'pdf:Producer="Acme PDF Fixer 1.0"', xmp)
    new = new.replace(b"</rdf:RDF>", b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
                      b'rdf:about=""><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Statement (revised)'
                      b"</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF>", 1)
    assert new != xmp
    body = b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(new) + new + b"\nendstream"
    return append_revision(data, {ref.idnum: body})


def _root_without(data: bytes, *keys: str) -> bytes:
    from pyhanko.pdf_utils import generic

    r = _reader(data)
    ref = r.trailer.raw_get("/Root")
    root = generic.DictionaryObject(ref.get_object())
    for k in keys:
        assert k in root, k
        del root[k]
    return append_revision(data, {ref.idnum: serialise(root)})


def _sig_fields_emptied(data: bytes) -> bytes:
    """Keep /AcroForm but drop every field from it (the widget stays on the page)."""
    from pyhanko.pdf_utils import generic

    r = _reader(data)
    af = r.root.raw_get("/AcroForm")
    if isinstance(af, generic.IndirectObject):
        form = generic.DictionaryObject(af.get_object())
        form["/Fields"] = generic.ArrayObject()
        return append_revision(data, {af.idnum: serialise(form)})
    ref = r.trailer.raw_get("/Root")
    root = generic.DictionaryObject(ref.get_object())
    form = generic.DictionaryObject(root["/AcroForm"])
    form[generic.pdf_name("/Fields")] = generic.ArrayObject()
    root[generic.pdf_name("/AcroForm")] = form
    return append_revision(data, {ref.idnum: serialise(root)})


def _annotation_added(data: bytes) -> bytes:
    """A sticky note on page 1, written by pyHanko's incremental writer."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page_ref = w.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    n = generic.pdf_name
    note = generic.DictionaryObject({
        n("/Type"): n("/Annot"), n("/Subtype"): n("/Text"),
        n("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (50, 700, 70, 720)]),
        n("/Contents"): generic.TextStringObject("Index total should read 79.75"),
        n("/P"): page_ref})
    annots = page.get("/Annots", generic.ArrayObject())
    annots = generic.ArrayObject(list(annots))
    annots.append(w.add_object(note))
    page[n("/Annots")] = annots
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _second_signature(data: bytes, signer) -> bytes:
    """An approval signature added after the certification, by pyHanko's signer.

    pyHanko refuses to sign a document whose certification forbids changes ("Author signature forbids
    all changes"); an attacker's tool would not, so that one check is switched off here.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    class IgnoringLockSigner(signers.PdfSigner):
        def _enforce_certification_constraints(self, reader):
            return None

    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    out = io.BytesIO()
    IgnoringLockSigner(signers.PdfSignatureMetadata(field_name="second-signature", md_algorithm="sha256"),
                      signer=signer).sign_pdf(w, output=out)
    return out.getvalue()


def _flip(data: bytes, pos: int) -> bytes:
    b = bytearray(data)
    b[pos] = ord("0") if b[pos] != ord("0") else ord("1")
    return bytes(b)


def _sig_contents(data: bytes) -> tuple[int, int]:
    start = data.index(b"/Contents <") + len(b"/Contents <")
    return start, data.index(b">", start)


@dataclass(frozen=True)
class Case:
    """One tampered copy: ``name``, what was done, and the bytes."""

    name: str
    attack: str
    data: bytes


def tamper_corpus(signed: bytes, signer) -> list[Case]:
    """Every attack of issue 13 applied to ``signed`` (a certified statement), plus the untouched file.

    ``signer`` is a pyHanko signer (for the second signature).
    """
    start, end = _sig_contents(signed)
    der_hex = 2 * len(bytes.fromhex(signed[start:end].decode()).rstrip(b"\0"))
    stream_at = signed.index(b"stream", 2000) + 40  # inside page 1's content stream (signed range)
    first_eof = signed.index(b"%%EOF") + len(b"%%EOF\n")
    cases = [
        ("untouched", "the file as issued", signed),
        ("info-title", "incremental update: Info /Title changed", _info_changed(signed, "/Title", "Revised")),
        ("info-author", "incremental update: Info /Author changed",
         _info_changed(signed, "/Author", "Someone Else")),
        ("xmp-rewritten", "incremental update: XMP metadata stream rewritten (producer, dc:title)",
         _xmp_rewritten(signed)),
        ("empty-update", "empty incremental update (new xref section and trailer, no object)",
         append_revision(signed, {})),
        ("append-whitespace", "whitespace appended after %%EOF", signed + b"\n\n  \r\n"),
        ("append-garbage", "garbage bytes appended after %%EOF", signed + b"garbage \x00\xff tail"),
        ("append-second-eof", "a second %%EOF appended", signed + b"%%EOF\n"),
        ("strip-perms", "incremental update: /Perms (DocMDP certification) removed from the catalog",
         _root_without(signed, "/Perms")),
        ("strip-acroform", "incremental update: /AcroForm and /Perms removed (signature stripped)",
         _root_without(signed, "/AcroForm", "/Perms")),
        ("strip-sig-field", "incremental update: signature field removed from /AcroForm /Fields",
         _sig_fields_emptied(signed)),
        ("byte-in-signed-range", "one byte changed inside page 1's content stream (signed range)",
         _flip(signed, stream_at)),
        ("byte-in-signature-cert", "one hex digit changed in the /Contents signature container "
         "(inside the embedded CA certificate, a part the signature itself does not sign)",
         _flip(signed, start + 300)),
        ("byte-in-signature-value", "one hex digit changed in the signature value (end of the /Contents DER)",
         _flip(signed, start + der_hex - 20)),
        ("truncated-tail", "file truncated: last 200 bytes cut", signed[:-200]),
        ("truncated-to-first-revision", "file truncated to the revision before signing", signed[:first_eof]),
        ("second-signature", "a second (approval) signature added by pyHanko", _second_signature(signed, signer)),
        ("strip-and-resign", "later revisions: signature and certification removed, then signed again "
         "(approval signature, same signer)",
         _second_signature(_root_without(signed, "/AcroForm", "/Perms"), signer)),
        ("annotation-added", "a text annotation added on page 1 by pyHanko's incremental writer",
         _annotation_added(signed)),
    ]
    assert end > start
    return [Case(*c) for c in cases]


# ---------------------------------------------------------------------------------------------
# The outside checkers


def pdfsig_path() -> str | None:
    return shutil.which("pdfsig")


def pdfsig_verdict(path: Path, field: str = "dcsll-statement") -> str:
    """poppler's verdict on the statement's signature (certificate checks off: integrity only).

    The signature in ``field`` is judged (the first one when no signature has that name):
    ``valid+total`` valid and covering the whole file; ``valid+partial`` valid but the file goes on after
    the signed range ("Not total document signed"); ``invalid`` digest mismatch or a bad signature;
    ``unsigned`` no signature found; ``error`` pdfsig could not read the file. `` (+n other)`` is appended
    when pdfsig lists further signatures.
    """
    r = subprocess.run([pdfsig_path(), "-nocert", str(path)], capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    if "does not contain any signatures" in out:
        return "unsigned"
    blocks = re.split(r"Signature #\d+:", out)[1:]
    if r.returncode != 0 or not blocks:
        return "error"
    mine = [b for b in blocks if f"Signature Field Name: {field}\n" in b] or blocks[:1]
    block = mine[0]
    if "Signature Validation: Signature is Valid." not in block:
        verdict = "invalid"
    else:
        verdict = "valid+total" if "Total document signed" in block else "valid+partial"
    return verdict + (f" (+{len(blocks) - 1} other)" if len(blocks) > 1 else "")


def pyhanko_verdict(path: Path, trust: list[Path]) -> str:
    """pyHanko's own judgement of the first signature, with its default difference policy.

    Its ``PdfSignatureStatus.summary()`` (e.g. ``INTACT:TRUSTED,UNTOUCHED`` or
    ``INTACT:TRUSTED,EXTENDED_WITH_LTA_UPDATES,ACCEPTABLE_MODIFICATIONS``), ``INVALID``, or
    ``NO_SIGNATURE`` / ``ERROR:<exception>`` when it cannot get that far.
    """
    import logging

    from asn1crypto import pem, x509
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = [x509.Certificate.load(der) for p in trust for _, _, der in pem.unarmor(p.read_bytes(), multiple=True)]
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    try:
        r = _reader(path.read_bytes())
        sigs = r.embedded_signatures
        if not sigs:
            return "NO_SIGNATURE"
        st = validate_pdf_signature(sigs[0], ValidationContext(trust_roots=roots, allow_fetching=False))
    except Exception as exc:  # the verdict records what pyHanko raised
        return f"ERROR:{type(exc).__name__}"
    return st.summary()
