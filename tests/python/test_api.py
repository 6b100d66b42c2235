"""The rest of the API surface through the official openai SDK: the model list, and the
errors it raises for requests the director refuses (OpenAI error JSON, right status)."""

import openai
import pytest

from conftest import sdk_client

MODEL = "connswap-synthetic"


@pytest.fixture(scope="module")
def client(api_cluster):
    return sdk_client(api_cluster)[0]


def chat(client, **overrides):
    args = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    args.update(overrides)
    return client.chat.completions.create(**args)


def test_models_lists_the_synthetic_generator(client):
    assert MODEL in [m.id for m in client.models.list()]


def test_a_short_chat_is_served(client):
    response = chat(client)
    assert response.choices[0].message.content
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 4


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as raised:
        chat(client, model="no-such-model")
    assert raised.value.status_code == 404
    assert "no-such-model" in raised.value.message


@pytest.mark.parametrize("overrides, param", [({"max_tokens": -1}, "max_tokens"),
                                              ({"n": 2}, "n")], ids=["max_tokens", "n"])
def test_bad_parameter_is_named(client, overrides, param):
    with pytest.raises(openai.BadRequestError) as raised:
        chat(client, **overrides)
    error = raised.value
    assert error.status_code == 400
    assert error.param == param
    assert isinstance(error.body, dict) and error.body.get("param") == param, error.body
    assert f"'{param}'" in error.body.get("message", ""), error.body
