"""Reading a request body that may be JSON or multipart, as OpenAI's endpoints accept both.

:func:`parse_body` returns the fields as a dict (multipart ``video[id]`` becomes ``{"video": {"id": ...}}``,
files stay :class:`~starlette.datastructures.UploadFile`) validated into a ``*Body`` model; every problem is
an :class:`~azur.api.errors.ApiError` (400). Bodies reach it already capped in size: the 413 is
:mod:`azur.api.body_limit`'s.
:func:`body_openapi` documents both encodings, so ``/docs`` and schema-driven fuzzing see the real contract.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from azur.api.errors import bad_request

ModelT = TypeVar("ModelT", bound=BaseModel)

_BRACKETS = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")


async def read_fields(request: Request, max_bytes: int) -> dict[str, Any]:
    """The body's fields. JSON must be an object; multipart and url-encoded forms are accepted; ``max_bytes``
    caps a form's non-file fields."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form = await request.form(max_files=4, max_fields=64, max_part_size=max_bytes)
        except MultiPartException as exc:
            raise bad_request(f"Malformed form body: {exc.message}") from None
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            raise bad_request(f"Malformed form body: {exc}") from None
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            _set_nested(fields, key, value)
        return fields
    raw = await request.body()
    if not raw.strip():
        return {}
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise bad_request(f"Unsupported content type '{content_type}': send application/json or multipart/form-data.",
                          code="unsupported_content_type")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"The body is not valid JSON ({exc.__class__.__name__}).", code="invalid_json") from None
    if not isinstance(data, dict):
        raise bad_request("The JSON body must be an object.", code="invalid_json")
    return data


def _set_nested(fields: dict[str, Any], key: str, value: Any) -> None:
    match = _BRACKETS.match(key)
    if match is None:
        fields[key] = value
        return
    target = fields
    names = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    for name in names[:-1]:
        child = target.get(name)
        if not isinstance(child, dict):
            child = target[name] = {}
        target = child
    target[names[-1]] = value


def validate_body(model: type[ModelT], fields: dict[str, Any]) -> ModelT:
    """``fields`` as ``model``; the first problem becomes a 400 naming its parameter."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        if first["type"] == "extra_forbidden":
            message = f"Unknown parameter: '{param}'."
            code = "unknown_parameter"
        elif first["type"] == "missing":
            message = f"Missing required parameter: '{param}'."
            code = "missing_required_parameter"
        else:
            message = f"Invalid value for '{param}': {first['msg']}."
            code = "invalid_value"
        raise bad_request(message, param=param, code=code) from None


async def parse_body(request: Request, model: type[ModelT], max_bytes: int) -> ModelT:
    return validate_body(model, await read_fields(request, max_bytes))


def body_dependency(model: type[ModelT]):  # noqa: ANN201 - a FastAPI dependency
    """A dependency reading the request body as ``model`` (the limit comes from the app's settings)."""

    async def read(request: Request) -> ModelT:
        limit = request.app.state.services.settings.server.max_upload_bytes
        return await parse_body(request, model, limit)

    return read


def upload_bytes(value: Any) -> bytes | None:
    """The content of an uploaded file field, or None when the field is not a file."""
    if isinstance(value, UploadFile):
        value.file.seek(0)
        return value.file.read()
    return None


def body_openapi(model: type[BaseModel], *, file_fields: tuple[str, ...] = (), json_objects: dict[str, dict] | None = None) -> dict:
    """``openapi_extra`` declaring the body as JSON and as multipart (``file_fields`` are binary there)."""
    schema = model.model_json_schema()
    schema.pop("$defs", None)
    json_schema = json.loads(json.dumps(schema))
    form_schema = json.loads(json.dumps(schema))
    for name, object_schema in (json_objects or {}).items():
        json_schema["properties"][name] = object_schema
    for name in file_fields:
        form_schema["properties"][name] = {"type": "string", "format": "binary"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": json_schema},
                "multipart/form-data": {"schema": form_schema},
            },
        }
    }
