"""Reading a batch's input file: OpenAI's batch input format, one request per line.

Each line is ``{"custom_id": "...", "method": "POST", "url": "/v1/videos", "body": {...}}``
(https://platform.openai.com/docs/guides/batch). This module checks only the file's shape: JSON lines,
unique custom ids, a method and URL the batch's endpoint serves. A shape problem fails the whole batch
(``errors`` on the batch, as OpenAI does); what a body asks for is checked later, line by line, exactly
like a single request, and a bad body fails only its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from azur.api.body import parse_json
from azur.api.errors import ApiError

# Every request that creates a video: a batch with endpoint /v1/videos may mix creates, remixes and extensions.
VIDEO_URLS = re.compile(r"^/v1/videos(?:/extensions|/(?P<video_id>[^/]{1,64})/remix)?$")
ENDPOINTS = ("/v1/videos",)
KEYS = {"custom_id", "method", "url", "body"}
MAX_CUSTOM_ID_CHARS = 512
MAX_ERRORS = 100  # enough to fix a file; a file of 50,000 bad lines need not list them all


@dataclass(frozen=True)
class BatchLine:
    """One request of the input file."""

    number: int  # 1-based line number in the file
    custom_id: str
    url: str
    body: dict[str, Any]


@dataclass(frozen=True)
class InputError:
    """Why the input file cannot run (``openai.types.BatchError``)."""

    code: str
    message: str
    line: int | None = None
    param: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "line": self.line, "param": self.param}


def parse_input(data: bytes, *, endpoint: str, max_requests: int) -> tuple[list[BatchLine], list[InputError]]:
    """The file's requests, or the problems that stop it from running (then the requests are not used).
    Blank lines are skipped; line numbers count them."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [], [InputError("invalid_file", "The input file is not UTF-8 text: write one JSON object per line.")]
    lines: list[BatchLine] = []
    errors: list[InputError] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        if len(lines) + len(errors) >= max_requests:
            errors.append(InputError("too_many_requests", f"The input file holds more than {max_requests} "
                                     "requests, the most one batch may hold.", line=number))
            break
        line = _parse_line(number, raw, endpoint, seen)
        if isinstance(line, InputError):
            errors.append(line)
            if len(errors) >= MAX_ERRORS:
                break
        else:
            lines.append(line)
    if not lines and not errors:
        errors.append(InputError("empty_file", "The input file holds no request."))
    return lines, errors


def _parse_line(number: int, raw: str, endpoint: str, seen: dict[str, int]) -> BatchLine | InputError:
    try:
        item = parse_json(raw.encode("utf-8"))
    except ApiError as exc:
        return InputError("invalid_json_line", f"Line {number}: {exc.message}", line=number)
    if not isinstance(item, dict):
        return InputError("invalid_request", f"Line {number} is not a JSON object.", line=number)
    missing = sorted(KEYS - set(item))
    if missing:
        return InputError("invalid_request", f"Line {number} lacks {', '.join(missing)}.", line=number,
                          param=missing[0])
    unknown = sorted(set(item) - KEYS)
    if unknown:
        return InputError("invalid_request", f"Line {number} has unknown keys: {', '.join(unknown)}.",
                          line=number, param=unknown[0])
    custom_id, method, url, body = item["custom_id"], item["method"], item["url"], item["body"]
    if not isinstance(custom_id, str) or not 0 < len(custom_id) <= MAX_CUSTOM_ID_CHARS:
        return InputError("invalid_request", f"Line {number}: custom_id must be a string of 1 to "
                          f"{MAX_CUSTOM_ID_CHARS} characters.", line=number, param="custom_id")
    if custom_id in seen:
        return InputError("duplicate_custom_id", f"Line {number} repeats the custom_id of line {seen[custom_id]}.",
                          line=number, param="custom_id")
    seen[custom_id] = number
    if method != "POST":
        return InputError("invalid_method", f"Line {number}: the method must be POST.", line=number, param="method")
    if not isinstance(url, str) or not url.startswith(endpoint) or VIDEO_URLS.fullmatch(url) is None:
        return InputError("invalid_url", f"Line {number}: the url must be the batch's endpoint {endpoint}, "
                          f"{endpoint}/extensions or {endpoint}/VIDEO_ID/remix.", line=number, param="url")
    if not isinstance(body, dict):
        return InputError("invalid_request", f"Line {number}: body must be a JSON object.", line=number,
                          param="body")
    return BatchLine(number=number, custom_id=custom_id, url=url, body=body)


def remixed_video_id(url: str) -> str | None:
    """The source video of a remix line's URL, None for a create or an extension."""
    match = VIDEO_URLS.fullmatch(url)
    return match.group("video_id") if match else None
