"""Forms that carry a file (multipart/form-data): read as they stream in, refused with a clear
413 page past a limit of their own (the application's body limit is the inbox's, far smaller
than a blocklist), and checked for their token and origin as every form is."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from federation.errors import CoveError, Invalid
from node.http.pages.visitors import checked_form, require_same_origin, require_token

CHUNK = 64 * 1024
FIELDS_ALLOWANCE = 64 * 1024  # the form's other fields, beside its file or pasted text


def too_large(limit: int) -> CoveError:
    error = Invalid(
        "the form is larger than {megabytes} MB: a blocklist is far smaller",
        megabytes=limit // 1_000_000,
    )
    error.status = 413
    return error


async def uploaded_form(request: web.Request, limit: int) -> dict[str, str]:
    """A posted form's fields, a file's as its text (under its field's name; an empty file
    input gives ""), once its token is checked. At most `limit` bytes of text in all."""
    if request.content_length is not None and request.content_length > limit + FIELDS_ALLOWANCE:
        raise too_large(limit)
    if request.content_type != "multipart/form-data":
        return await checked_form(request)  # no file: a plain form (under the app's limit)
    require_same_origin(request)
    fields: dict[str, str] = {}
    read = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            raise Invalid("this form holds a part no form of ours sends")
        data = bytearray()
        while chunk := await part.read_chunk(CHUNK):
            read += len(chunk)
            if read > limit + FIELDS_ALLOWANCE or len(data) + len(chunk) > limit:
                raise too_large(limit)
            data += chunk
        fields[part.name] = _text(bytes(data), part)
    require_token(request, fields)
    return fields


def _text(data: bytes, part: BodyPartReader) -> str:
    try:
        return data.decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError):
        if part.filename is not None:
            raise Invalid("the file is not UTF-8 text") from None
        raise Invalid("the form's text is not UTF-8") from None
