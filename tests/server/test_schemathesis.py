"""Property-based fuzzing of the OpenAPI document against the live server: no input gets a 5xx."""

from __future__ import annotations

from collections.abc import Callable

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.case import Case

from tests.server.conftest import Served

EXAMPLES_PER_OPERATION = 60


def test_no_input_gets_a_server_error(serve: Callable[..., Served]) -> None:
    served = serve(ingest_rate=1e6, ingest_burst=10**6)
    session = requests.Session()
    session.headers.update(served.headers())
    spec = session.get(f"{served.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /api/v1/events",
        "GET /api/v1/events",
        "GET /api/v1/stats",
        "GET /api/v1/anomalies",
        "POST /v1/traces",
    }
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Case) -> None:
            response = case.call(base_url=served.url, session=session, headers=served.headers())
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                )

        check()
    assert failures == []
