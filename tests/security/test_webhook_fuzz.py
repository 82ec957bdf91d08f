"""Random JSON bodies and headers against every webhook route on a real platform DB: the answer is
never a 5xx and nothing unauthenticated is stored."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ponton.platform.schema import webhook_inbox

pytestmark = pytest.mark.integration

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=30,
)
graph_like = st.fixed_dictionaries(
    {},
    optional={
        "subscriptionId": json_values,
        "clientState": json_values,
        "id": json_values,
        "lifecycleEvent": json_values,
        "resourceData": json_values,
    },
).map(lambda item: {"value": [item]})


def stored(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(webhook_inbox)).scalar_one()


@FUZZ
@given(body=json_values | graph_like)
@example(body={"value": [{"subscriptionId": "s", "clientState": "c", "id": "\x00"}]})
@example(body={"value": [{"subscriptionId": "s" * 201, "clientState": "c"}]})
def test_random_json_never_breaks_the_graph_route(client, platform_env, body):
    response = client.post("/webhooks/graph", content=json.dumps(body))
    assert response.status_code < 500
    assert stored(platform_env) == 0


@FUZZ
@given(body=json_values, signed=st.booleans())
def test_random_json_never_breaks_the_mail_route(client, platform_env, sendgrid, body, signed):
    before = stored(platform_env)
    content = json.dumps(body).encode()
    headers = sendgrid.sign(content)[1] if signed else {}
    response = client.post("/webhooks/sendgrid", content=content, headers=headers)
    assert response.status_code < 500
    if not signed:
        assert response.status_code == 401 and stored(platform_env) == before


header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300)


@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-Goog-Channel-ID",
                "X-Goog-Channel-Token",
                "X-Goog-Resource-State",
                "X-Goog-Resource-ID",
                "X-Goog-Message-Number",
            ]
        ),
        header_text,
    )
)
def test_random_google_headers_never_break_the_route(client, platform_env, headers):
    response = client.post("/webhooks/google", headers=headers)
    assert response.status_code < 500
    assert stored(platform_env) == 0
