"""Small PDFs written byte by byte for the reader tests: text PDFs, a blank page, an encrypted one.

The encrypted PDF uses the standard security handler, revision 2 (RC4, 40-bit key), computed
here from the PDF reference's algorithms, so no PDF writer library is needed.
"""

from __future__ import annotations

import hashlib
import io
import struct

import pypdfium2 as pdfium

# (x, y, font size, text) in PDF points; y grows upwards on a 612 x 792 page.
TextRun = tuple[float, float, float, str]

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
_FILE_ID = bytes.fromhex("0123456789abcdef0123456789abcdef")


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(runs: list[TextRun]) -> bytes:
    ops = [
        b"BT /F1 %g Tf 1 0 0 1 %g %g Tm (%s) Tj ET" % (size, x, y, _escape(text))
        for x, y, size, text in runs
    ]
    return b"\n".join(ops)


def _assemble(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """Number the objects from 1, write the xref table and the trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def text_pdf(pages: list[list[TextRun]], info_title: str | None = None) -> bytes:
    """A PDF with Helvetica text runs placed exactly where asked (content order = list order)."""
    n = len(pages)
    font = 3 + 2 * n
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
    ]
    for i, runs in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font)
        )
        objects.append(_stream(_content(runs)))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    extra = b""
    if info_title is not None:
        objects.append(b"<< /Title (%s) >>" % _escape(info_title))
        extra = b"/Info %d 0 R " % len(objects)
    return _assemble(objects, extra)


def blank_pdf(pages: int = 2) -> bytes:
    """A PDF whose pages carry no text at all (as a scan without OCR would)."""
    doc = pdfium.PdfDocument.new()
    try:
        for _ in range(pages):
            doc.new_page(612, 792).close()
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()
    finally:
        doc.close()


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def encrypted_pdf(user_password: str = "secret", owner_password: str = "owner") -> bytes:
    """A one-page PDF encrypted with RC4-40 (standard handler, R2) that needs a user password."""
    permissions = -4
    user = (user_password.encode("latin-1") + _PAD)[:32]
    owner = (owner_password.encode("latin-1") + _PAD)[:32]
    o_value = _rc4(hashlib.md5(owner).digest()[:5], user)  # algorithm 3
    key = hashlib.md5(user + o_value + struct.pack("<i", permissions) + _FILE_ID).digest()[:5]
    u_value = _rc4(key, _PAD)  # algorithm 4

    def encrypt(number: int, data: bytes) -> bytes:  # algorithm 1
        object_key = hashlib.md5(key + struct.pack("<i", number)[:3] + b"\x00\x00").digest()[:10]
        return _rc4(object_key, data)

    content = encrypt(4, _content([(72, 700, 12, "Secret findings about encryption")]))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (o_value.hex().encode(), u_value.hex().encode(), permissions),
    ]
    file_id = _FILE_ID.hex().encode()
    return _assemble(objects, b"/Encrypt 6 0 R /ID [<%s> <%s>] " % (file_id, file_id))
