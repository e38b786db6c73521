"""Fuzz every operation from the app's own OpenAPI schema (schemathesis + hypothesis): no input answers
500, and every error is OpenAI's envelope. Runs against a real server without workers, so fuzzed jobs
only queue. Both of schemathesis' modes run: positive (inputs the schema allows) and negative (inputs it
forbids: wrong types, out-of-range values, missing fields), over one HTTP session whose connections the
server must keep; the number of cases is printed. Hand-written hostile inputs are in test_hostile_inputs.py.

The schema is built from the app itself (no server needed to collect the tests); requests go to the live
server. schemathesis' own pytest plugin does not run under pytest 9 yet, hence the explicit loop.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from tests.conftest import AzurServer
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from azur.api.app import create_app
from azur.config import Settings

pytestmark = pytest.mark.slow

SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Each operation in both modes; negative only where there is an input to break (not /healthz). DELETE
# /v1/me erases the fuzzing user, so it goes last.
CASES = sorted(
    [(op, mode) for op in OPERATIONS for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
     if mode is GenerationMode.POSITIVE or op.path_parameters or op.query or op.headers or list(op.body)],
    key=lambda pair: pair[0].label == "DELETE /v1/me",
)
TRIED = {"cases": 0, "requests": 0}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    # Every case also tries a wrong key: the failed-authentication limit would soon answer 429 to all.
    srv = AzurServer(tmp_path_factory.mktemp("azur-home"), workers=0, env={"AZUR_SERVER__AUTH_FAILURES_ALLOWED": "0"})
    srv.start()
    srv.key = srv.add_user("fuzzer")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fuzz_session():
    with requests.Session() as session:
        yield session


@pytest.mark.parametrize(("operation", "mode"), CASES, ids=[f"{op.label} {mode.value}" for op, mode in CASES])
def test_no_input_answers_500(operation, mode, fuzz_server, fuzz_session):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=int(os.environ.get("AZUR_FUZZ_EXAMPLES", "30")), deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        TRIED["cases"] += 1
        for key in (fuzz_server.key, "sk-azur-wrong"):
            response = case.call(base_url=fuzz_server.url, session=fuzz_session,
                                 headers={"Authorization": f"Bearer {key}"}, timeout=30)
            TRIED["requests"] += 1
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400 and case.method.upper() != "HEAD":  # an answer to HEAD has no body
                body = response.json()
                extra = {"category"} if body.get("error", {}).get("code") == "moderation_blocked" else set()
                assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"} | extra, body
            assert response.headers.get("connection", "").lower() != "close", (response.status_code, response.text)

    check()
    assert fuzz_server.process.poll() is None, "the server died"


def test_zz_report_how_many_cases_were_tried(fuzz_server, capsys):
    """Runs last in this file: prints the count the fuzzing reached (the lead reports it)."""
    with capsys.disabled():
        print(f"\nschemathesis cases tried: {TRIED['cases']} ({TRIED['requests']} requests), none answered 5xx")
    assert fuzz_server.process.poll() is None
