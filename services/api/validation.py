"""Checks a JSON body against a msgspec Struct and reports *every* bad field.

msgspec stops at the first error; a form that gets one error per round trip is a poor
API. So when decoding fails we check the raw object field by field and name each bad
field by its JSON pointer (RFC 6901).
"""

from __future__ import annotations

import enum
import re
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec

_AT = re.compile(r" - at `\$(.*)`$")


def _pointer(path: str) -> str:
    """`$.phones[1]` style paths (msgspec's) to JSON pointers: `/phones/1`."""
    parts = re.findall(r"\.([^.\[]+)|\[(\d+)\]", path)
    return "".join(
        "/" + (name or index).replace("~", "~0").replace("/", "~1") for name, index in parts
    )


def choices(annotation: Any) -> list[str]:
    """The values a Literal or Enum annotation allows (through Optional and Annotated)."""
    origin = get_origin(annotation)
    if origin is Literal:
        return [str(value) for value in get_args(annotation)]
    if origin in (Annotated, Union, UnionType):
        return [value for arg in get_args(annotation) for value in choices(arg)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    return []


def with_choices(detail: str, annotation: Any) -> str:
    """msgspec's "Invalid enum value" (the value itself is left out: it may be personal
    data), completed with what would have been valid."""
    allowed = choices(annotation)
    if detail.startswith("Invalid enum value") and allowed:
        return f"must be one of {', '.join(allowed)}"
    return detail


def field_errors(body: bytes, struct: type[msgspec.Struct]) -> list[dict[str, str]]:
    """All problems of `body` as [{"pointer", "detail"}]; empty when it decodes."""
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return [{"pointer": "", "detail": "the body is not valid JSON"}]
    if not isinstance(value, dict):
        return [{"pointer": "", "detail": "the body must be a JSON object"}]
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}
    errors = [
        {"pointer": _pointer(f".{key}"), "detail": "unknown field"}
        for key in value
        if key not in fields
    ]
    for name, field in fields.items():
        if name not in value:
            if field.required:
                errors.append({"pointer": f"/{name}", "detail": "required field is missing"})
            continue
        try:
            msgspec.convert(value[name], field.type)
        except msgspec.ValidationError as error:
            message = str(error)
            match = _AT.search(message)
            sub = match.group(1) if match else ""
            detail = _AT.sub("", message)
            if not sub:
                detail = with_choices(detail, field.type)
            errors.append({"pointer": f"/{name}{_pointer(sub)}", "detail": detail})
    return errors
