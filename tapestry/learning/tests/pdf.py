"""Reading what WeasyPrint wrote into a certificate PDF, for the tests."""

import re
import zlib

# A stream's dictionary ends with its byte length; the data follows "stream" and one newline.
STREAM = re.compile(rb"/Length (\d+)[^>]*>>\s*stream\r?\n")


def pdf_inflated(pdf: bytes) -> bytes:
    """The PDF followed by each of its compressed streams inflated (link targets, bookmarks
    and the document title are plain strings in there). Each stream is read by its /Length:
    compressed bytes may end with a carriage return, which a search for "endstream" would
    take for the line ending and cut off."""
    streams = []
    for match in STREAM.finditer(pdf):
        start = match.end()
        streams.append(zlib.decompress(pdf[start : start + int(match.group(1))]))
    return pdf + b"\n".join(streams)
