"""Strict request bodies: checked before Litestar decodes them, with every error reported.

Litestar's own decoding stops at the first error and converts loosely ("3" becomes 3).
This hook runs first on every handler that takes a `data` body: it requires JSON, then
checks each field on its own, strictly, and answers 422 listing every bad field.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
from litestar import Request
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from .errors import ApiError, FieldError, unprocessable
from .schemas import CHOICES, Input, friendly


def _number(text: str) -> float | int:
    """A JSON number with a fraction part: `2.0` is the integer 2, as JSON Schema counts
    it, so integer fields accept it; others stay floats."""
    value = float(text)
    return int(value) if value.is_integer() else value


_decoder = msgspec.json.Decoder(float_hook=_number)


def body_type(request: Request[Any, Any, Any]) -> type[Input] | None:
    """The Struct the handler expects as `data`, if any."""
    param = request.route_handler.parsed_fn_signature.parameters.get("data")
    annotation = param.annotation if param is not None else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, Input) else None


async def check_body(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: 415 unless JSON, 400 for broken JSON, 422 for bad fields."""
    struct = body_type(request)
    if struct is None:
        return
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise ApiError(
            HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the body as JSON with Content-Type: application/json (got {media or 'none'})",
        )
    raw = await request.body()
    try:
        value = _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise ApiError(HTTP_400_BAD_REQUEST, f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # msgspec's guard against deep nesting, before the stack runs out
        raise ApiError(
            HTTP_400_BAD_REQUEST,
            "the body is nested too deeply: send a JSON object of fields, not nested arrays "
            "or objects",
        ) from None
    errors = field_errors(struct, value)
    if errors:
        raise unprocessable(errors)


@functools.cache
def _fields(struct: type[Input]) -> dict[str, msgspec.structs.FieldInfo]:
    return {f.encode_name: f for f in msgspec.structs.fields(struct)}


def field_errors(struct: type[Input], value: object) -> list[FieldError]:
    """Every problem of a decoded JSON body against `struct`, one entry per field."""
    if not isinstance(value, dict):
        return [FieldError(field="body", message="must be a JSON object")]
    errors: list[FieldError] = []
    fields = _fields(struct)
    for name in value:
        if name not in fields:
            errors.append(FieldError(field=str(name), message="unknown field (not accepted here)"))
    for name, info in fields.items():
        if name not in value:
            if info.required:
                errors.append(FieldError(field=name, message="is required"))
            continue
        item = value[name]
        if isinstance(item, str) and "\x00" in item:
            errors.append(FieldError(field=name, message="must not contain NUL characters"))
            continue
        try:
            msgspec.convert(item, info.type, strict=True)
        except msgspec.ValidationError as exc:
            errors.append(FieldError(field=name, message=friendly(str(exc), item)))
            continue
        if name in CHOICES and isinstance(item, str) and item not in CHOICES[name][0]:
            errors.append(FieldError(field=name, message=CHOICES[name][1]))
    return errors
