"""Fuzz every operation from the app's own OpenAPI schema (schemathesis + hypothesis): no input answers
500, and every error is OpenAI's envelope. Runs against a real server without workers, so fuzzed jobs
only queue.

The schema is built from the app itself (no server needed to collect the tests); requests go to the live
server. schemathesis' own pytest plugin does not run under pytest 9 yet, hence the explicit loop.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from tests.conftest import AzurServer
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from azur.api.app import create_app
from azur.config import Settings

pytestmark = pytest.mark.slow

SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    srv = AzurServer(tmp_path_factory.mktemp("azur-home"), workers=0).start()
    srv.key = srv.add_user("fuzzer")
    yield srv
    srv.stop()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_input_answers_500(operation, fuzz_server):
    @given(case=operation.as_strategy())
    @settings(max_examples=int(os.environ.get("AZUR_FUZZ_EXAMPLES", "30")), deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        for key in (fuzz_server.key, "sk-azur-wrong"):
            response = case.call(base_url=fuzz_server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body

    check()
