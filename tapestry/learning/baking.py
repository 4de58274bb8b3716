"""Badge images with the Open Badges 3.0 credential baked in (Open Badges 3.0, section 5.3),
and the plain badge images they start from. No Django here: bytes and strings in, bytes and
strings out.

- PNG: one iTXt chunk with the keyword "openbadgecredential", uncompressed, whose text is the
  credential (for a VC-JWT, its compact serialization), placed before IEND.
- SVG: an `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` attribute on the `<svg>`
  tag and, directly after that tag, an `<openbadges:credential>` element. A VC-JWT goes in the
  element's `verify` attribute (the specification's wording); a credential secured otherwise
  (JSON) goes in its text, inside CDATA. Reading accepts both.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_CREDENTIAL_TAG = f"{{{SVG_NAMESPACE}}}credential"
# A compact JWS has three base64url parts; anything else baked into an SVG is JSON.
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")
# The `<svg ...>` start tag, reading quoted attribute values whole (a ">" may sit in one).
_SVG_START_TAG = re.compile(r"""<svg\b(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>""")
# Guard against a decompression bomb in a compressed iTXt chunk made by another tool.
_INFLATED_MAX = 1024 * 1024


class BakingError(ValueError):
    """The image is not a PNG or SVG this module can read."""


# ---------------------------------------------------------------------------------------------
# PNG


def _png_chunks(image: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks (type, data) of a PNG, each checked against its CRC."""
    if not image.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image")
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset < len(image):
        if offset + 8 > len(image):
            raise BakingError("truncated PNG chunk header")
        (length,) = struct.unpack(">I", image[offset : offset + 4])
        kind = image[offset + 4 : offset + 8]
        data = image[offset + 8 : offset + 8 + length]
        crc_at = offset + 8 + length
        if len(data) != length or crc_at + 4 > len(image):
            raise BakingError("truncated PNG chunk")
        (crc,) = struct.unpack(">I", image[crc_at : crc_at + 4])
        if zlib.crc32(kind + data) != crc:
            raise BakingError(f"bad CRC in PNG chunk {kind!r}")
        chunks.append((kind, data))
        offset = crc_at + 4
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise BakingError("PNG without IHDR or IEND")
    return chunks


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_write(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return PNG_SIGNATURE + b"".join(_png_chunk(kind, data) for kind, data in chunks)


def _itxt_credential(data: bytes) -> str | None:
    """The text of an iTXt chunk if its keyword is "openbadgecredential", else None."""
    keyword, separator, rest = data.partition(b"\x00")
    if keyword != PNG_KEYWORD or not separator or len(rest) < 2:
        return None
    compressed = rest[0] == 1
    _language, _separator, rest = rest[2:].partition(b"\x00")
    _translated_keyword, _separator, text = rest.partition(b"\x00")
    if compressed:
        inflater = zlib.decompressobj()
        text = inflater.decompress(text, _INFLATED_MAX)
        if inflater.unconsumed_tail:
            raise BakingError("the baked credential is too large")
    return text.decode("utf-8")


def png_bake(image: bytes, credential: str) -> bytes:
    """The PNG with `credential` in an "openbadgecredential" iTXt chunk before IEND. A chunk
    with that keyword already there is replaced (the keyword may appear only once)."""
    chunks = [
        (kind, data)
        for kind, data in _png_chunks(image)
        if not (kind == b"iTXt" and _itxt_credential(data) is not None)
    ]
    # keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty translated
    # keyword, NUL, then the text (UTF-8).
    itxt = PNG_KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + credential.encode("utf-8")
    chunks.insert(len(chunks) - 1, (b"iTXt", itxt))
    return _png_write(chunks)


def png_unbake(image: bytes) -> str | None:
    """The credential baked into the PNG, or None if there is none."""
    for kind, data in _png_chunks(image):
        if kind == b"iTXt":
            credential = _itxt_credential(data)
            if credential is not None:
                return credential
    return None


# ---------------------------------------------------------------------------------------------
# SVG


def svg_bake(image: bytes, credential: str) -> bytes:
    """The SVG with the namespace declared on `<svg>` and an `<openbadges:credential>`
    element right after the tag: a VC-JWT in its `verify` attribute, JSON in CDATA."""
    text = image.decode("utf-8")
    if svg_unbake(image) is not None:
        raise BakingError("the SVG already carries a credential")
    start = _SVG_START_TAG.search(text)
    if start is None or start.group(1):
        raise BakingError("no <svg> start tag with content")
    if _COMPACT_JWS.match(credential):
        element = f"<openbadges:credential verify={quoteattr(credential)}></openbadges:credential>"
    else:
        if "]]>" in credential:
            raise BakingError("the credential cannot sit in a CDATA section")
        element = f"<openbadges:credential><![CDATA[{credential}]]></openbadges:credential>"
    tag = start.group(0)
    if "xmlns:openbadges" not in tag:
        tag = f'{tag[:-1]} xmlns:openbadges="{SVG_NAMESPACE}">'
    return (text[: start.start()] + tag + element + text[start.end() :]).encode("utf-8")


def svg_unbake(image: bytes) -> str | None:
    """The credential baked into the SVG (its `verify` attribute, else its text), or None."""
    # A badge needs no document type; refusing one refuses every entity declaration, so
    # the standard parser (which fetches nothing external) cannot be made to expand any.
    if b"<!DOCTYPE" in image.upper() or b"<!ENTITY" in image.upper():
        raise BakingError("an SVG badge with a document type declaration is not read")
    try:
        root = ElementTree.fromstring(image)  # noqa: S314 (no DTD, see above)
    except ElementTree.ParseError as error:
        raise BakingError(f"not an SVG image: {error}") from error
    element = root.find(f".//{SVG_CREDENTIAL_TAG}")
    if element is None:
        return None
    verify = element.get("verify")
    if verify:
        return verify
    return (element.text or "").strip() or None


# ---------------------------------------------------------------------------------------------
# The plain badge images


BADGE_SIZE = 256
_NAVY = (0x16, 0x2E, 0x51)
_GOLD = (0xFF, 0xBE, 0x2E)
_WHITE = (0xFF, 0xFF, 0xFF)


def badge_svg(*, title: str, issuer: str, label: str) -> bytes:
    """A round badge: `label` (e.g. "Completed") over the course title, the issuer below.
    The title is cut to fit; the image has a title element for screen readers."""
    shown = title if len(title) <= 28 else title[:27] + "…"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" '
        'viewBox="0 0 256 256" role="img" aria-labelledby="badge-title">'
        f'<title id="badge-title">{escape(title)} · {escape(issuer)}</title>'
        '<circle cx="128" cy="128" r="124" fill="#162e51"/>'
        '<circle cx="128" cy="128" r="108" fill="none" stroke="#ffbe2e" stroke-width="6"/>'
        '<path d="M100 72 l20 20 l40 -40" fill="none" stroke="#ffbe2e" stroke-width="10" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
        '<text x="128" y="130" text-anchor="middle" font-family="sans-serif" font-size="20" '
        f'font-weight="bold" fill="#ffbe2e">{escape(label)}</text>'
        '<text x="128" y="162" text-anchor="middle" font-family="sans-serif" font-size="14" '
        f'fill="#ffffff">{escape(shown)}</text>'
        '<text x="128" y="196" text-anchor="middle" font-family="sans-serif" font-size="10" '
        f'fill="#ffffff">{escape(issuer[:40])}</text>'
        "</svg>"
    ).encode()


def badge_png() -> bytes:
    """A plain round badge (navy disc, gold ring, white centre), 256 by 256 pixels, RGBA, drawn pixel
    by pixel: PNG text cannot carry the course's title legibly without a font renderer."""
    centre = (BADGE_SIZE - 1) / 2
    rows = []
    for y in range(BADGE_SIZE):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(BADGE_SIZE):
            distance = math.hypot(x - centre, y - centre)
            if distance > 124:
                row += b"\x00\x00\x00\x00"
            elif 102 <= distance <= 110:
                row += bytes((*_GOLD, 255))
            elif distance < 40:
                row += bytes((*_WHITE, 255))
            else:
                row += bytes((*_NAVY, 255))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", BADGE_SIZE, BADGE_SIZE, 8, 6, 0, 0, 0)
    return _png_write(
        [(b"IHDR", header), (b"IDAT", zlib.compress(b"".join(rows), 9)), (b"IEND", b"")]
    )
