"""Reading a batch's input file: OpenAI's JSONL shape, checked before any line runs."""

from __future__ import annotations

import json

from azur.batches.lines import parse_input, remixed_video_id


def line(custom_id: str, url: str = "/v1/videos", **extra) -> str:
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": {"prompt": "a ball"}, **extra})


def test_good_lines_keep_their_numbers_and_blank_lines_are_skipped():
    text = "\n".join([line("a"), "", line("b", "/v1/videos/extensions"), line("c", "/v1/videos/video_1/remix")])
    lines, errors = parse_input(text.encode(), endpoint="/v1/videos", max_requests=10)
    assert errors == []
    assert [(x.number, x.custom_id, x.url) for x in lines] == [
        (1, "a", "/v1/videos"), (3, "b", "/v1/videos/extensions"), (4, "c", "/v1/videos/video_1/remix")]
    assert [remixed_video_id(x.url) for x in lines] == [None, None, "video_1"]


def test_each_shape_problem_names_its_line():
    text = "\n".join([
        line("a"), "[1, 2]", line("a"), line("d", "/v1/chat/completions"), line("e", extra=1),
        json.dumps({"custom_id": "f", "method": "GET", "url": "/v1/videos", "body": {}}),
        json.dumps({"custom_id": "g\u0000", "method": "POST", "url": "/v1/videos", "body": {}}),
        json.dumps({"custom_id": "h", "method": "POST", "url": "/v1/videos", "body": "a ball"}),
        '{"custom_id": "i", "custom_id": "j"}',
    ])
    _, errors = parse_input(text.encode(), endpoint="/v1/videos", max_requests=100)
    assert [(e.line, e.code, e.param) for e in errors] == [
        (2, "invalid_request", None), (3, "duplicate_custom_id", "custom_id"), (4, "invalid_url", "url"),
        (5, "invalid_request", "extra"), (6, "invalid_method", "method"), (7, "invalid_request", "custom_id"),
        (8, "invalid_request", "body"), (9, "invalid_json_line", None)]


def test_empty_oversized_and_undecodable_files():
    assert [e.code for e in parse_input(b"\n\n", endpoint="/v1/videos", max_requests=5)[1]] == ["empty_file"]
    many = "\n".join(line(str(i)) for i in range(4)).encode()
    lines, errors = parse_input(many, endpoint="/v1/videos", max_requests=3)
    assert [(e.code, e.line) for e in errors] == [("too_many_requests", 4)]
    assert [e.code for e in parse_input("é".encode("latin-1"), endpoint="/v1/videos", max_requests=5)[1]] \
        == ["invalid_file"]
