"""Reading a request body that may be JSON or multipart, as OpenAI's endpoints accept both.

:func:`parse_body` returns the fields as a dict (multipart ``video[id]`` becomes ``{"video": {"id": ...}}``,
repeated ``character_ids[]`` a list, files stay :class:`~starlette.datastructures.UploadFile`) validated
into a ``*Body`` model; every problem is an :class:`~azur.api.errors.ApiError` (400). Bodies reach it
already capped in size: the 413 is :mod:`azur.api.body_limit`'s.
JSON is read strictly (:func:`parse_json`): UTF-8 only, no duplicate keys, no NaN, bounded nesting and
bounded numbers, so that a hostile body is a 400 and never an exception deeper down.
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
from azur.api.fields import OversizedNumber

ModelT = TypeVar("ModelT", bound=BaseModel)

_BRACKETS = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")
# Request bodies are flat objects with at most one nested object ({"video": {"id": ...}}): anything much
# deeper is hostile, and Python's JSON decoder would raise RecursionError past about 1,000 levels.
MAX_JSON_DEPTH = 8
MAX_FORM_DEPTH = 3  # video[id] is 2
# The longest number a body may hold, in characters: a seed has 19 digits. int() refuses past 4,300 digits
# with ValueError and float() of a huge int raises OverflowError; a bound here keeps both out of reach.
MAX_NUMBER_CHARS = 40



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
        seen: set[str] = set()
        lists: dict[str, list[Any]] = {}
        for key, value in form.multi_items():
            if key.endswith("[]") and _BRACKETS.match(key[:-2]) is None:
                # A list, as the official client sends one: character_ids[]=a, character_ids[]=b.
                items = fields.setdefault(key[:-2], [])
                if not isinstance(items, list) or key[:-2] in seen:
                    raise bad_request(f"The parameter '{key[:-2]}' is given both as a list and a value.",
                                      param=key[:-2], code="duplicate_parameter")
                items.append(value)
                continue
            if "[]" in key:  # a list, as the official client sends one (storyboard[][prompt]): kept in order
                lists.setdefault(key, []).append(value)
                continue
            if key in seen or isinstance(fields.get(key), list):  # a value given twice: a mistake or a trick
                raise bad_request(f"The parameter '{key}' is given more than once.", param=key,
                                  code="duplicate_parameter")
            seen.add(key)
            _set_nested(fields, key, value)
        for key, values in lists.items():
            _set_nested(fields, key, values)
        return fields
    raw = await request.body()
    if not raw.strip():
        return {}
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise bad_request(f"Unsupported content type '{content_type[:64]}': send application/json or "
                          "multipart/form-data.", code="unsupported_content_type")
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise bad_request("The JSON body must be an object.", code="invalid_json")
    return data


def parse_json(raw: bytes) -> Any:
    """``raw`` decoded as strict JSON (RFC 8259), else a 400 ``invalid_json``.

    UTF-8 only (a UTF-16 body or a byte-order mark is refused, not guessed at); a key given twice is
    refused rather than silently won by the last one; NaN and Infinity are not JSON; numbers longer than
    MAX_NUMBER_CHARS become :class:`OversizedNumber`; nesting deeper than MAX_JSON_DEPTH is refused."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("The body is not valid UTF-8: send JSON encoded as UTF-8.", code="invalid_json") from None
    try:
        data = json.loads(text, object_pairs_hook=_object_without_duplicates, parse_int=_parse_int,
                          parse_float=_parse_float, parse_constant=_refuse_constant)
    except _DuplicateKey as exc:
        raise bad_request(f"The key '{exc.key}' is given more than once.", param=exc.key,
                          code="duplicate_parameter") from None
    except RecursionError:
        raise bad_request(f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels).",
                          code="invalid_json") from None
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise bad_request(f"The body is not valid JSON: {reason}.", code="invalid_json") from None
    _check_tree(data)
    return data


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return data


def _parse_int(text: str) -> int | OversizedNumber:
    return int(text) if len(text) <= MAX_NUMBER_CHARS else OversizedNumber(text)


def _parse_float(text: str) -> float | OversizedNumber:
    return float(text) if len(text) <= MAX_NUMBER_CHARS else OversizedNumber(text)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _check_tree(data: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH, and strings (keys included) holding a lone surrogate
    ("\\ud800" is valid JSON, yet no character: it could not be stored or even written back in a message).
    Iterative, so that the check itself cannot recurse too deeply."""
    stack: list[tuple[Any, int, str | None]] = [(data, 1, None)]
    while stack:
        item, level, top = stack.pop()
        if isinstance(item, str):
            _check_text(item, top)
            continue
        if not isinstance(item, dict | list):
            continue
        if level > MAX_JSON_DEPTH:
            raise bad_request(f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels).",
                              param=top, code="invalid_json")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, top)
                stack.append((child, level + 1, key if top is None else top))
        else:
            stack.extend((child, level + 1, top) for child in item)


def _check_text(text: str, param: str | None) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request("The body holds a lone UTF-16 surrogate escape (such as \\ud800), which is not a "
                          "character.", param=param, code="invalid_json") from None


def _set_nested(fields: dict[str, Any], key: str, value: Any) -> None:
    match = _BRACKETS.match(key)
    if match is None:
        fields[key] = value
        return
    target = fields
    names = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    if len(names) > MAX_FORM_DEPTH:
        raise bad_request(f"The form field '{key}' is nested too deeply.", param=names[0])
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
        if param is None:
            message = f"Invalid request: {first['msg'].rstrip('.')}."
            code = "invalid_value"
        elif first["type"] == "extra_forbidden":
            message = f"Unknown parameter: '{param}'."
            code = "unknown_parameter"
        elif first["type"] == "missing":
            message = f"Missing required parameter: '{param}'."
            code = "missing_required_parameter"
        else:
            message = f"Invalid value for '{param}': {first['msg'].rstrip('.')}."
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
