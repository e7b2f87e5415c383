import os

import pytest

from ann_keras.search.roles import VARIABLES, DistributedError, Role, check_worker_id, parse_address, role_from


def test_no_options_and_no_variables_is_a_plain_search():
    assert role_from(None, None, None, None, None, environ={}) is None


def test_chief_and_worker_from_options():
    assert role_from("chief", "0.0.0.0:8470", None, None, None, environ={}) == Role("chief", "0.0.0.0", 8470)
    worker = role_from("worker", None, "10.0.0.5:8470", "gpu-box-1", None, environ={})
    assert worker == Role("worker", "10.0.0.5", 8470, worker_id="gpu-box-1")
    assert role_from("chief", "[::1]:9000", None, None, None, environ={}).address == "[::1]:9000"


def test_keras_tuner_variables_are_honoured_when_all_are_set():
    environ = {"KERASTUNER_TUNER_ID": "tuner-7", "KERASTUNER_ORACLE_IP": "10.0.0.5",
               "KERASTUNER_ORACLE_PORT": "8000"}
    assert role_from(None, None, None, None, None, environ=environ) == Role("worker", "10.0.0.5", 8000, "tuner-7")
    environ["KERASTUNER_TUNER_ID"] = "chief"
    assert role_from(None, None, None, None, None, environ=environ).name == "chief"


@pytest.mark.parametrize("environ, message", [
    ({"KERASTUNER_ORACLE_IP": "10.0.0.5"},
     "KERASTUNER_ORACLE_IP set but KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_PORT not"),
    ({"KERASTUNER_TUNER_ID": "w1", "KERASTUNER_ORACLE_PORT": "80"}, "KERASTUNER_ORACLE_IP not"),
    ({"KERASTUNER_TUNER_ID": "w1", "KERASTUNER_ORACLE_IP": "h", "KERASTUNER_ORACLE_PORT": "http"},
     "expected HOST:PORT"),
])
def test_half_set_or_bad_variables_say_what_to_set(environ, message):
    with pytest.raises(DistributedError, match=message):
        role_from(None, None, None, None, None, environ=environ)


@pytest.mark.parametrize("options, message", [
    (("chief", None, None, None, None), "--role chief needs --listen HOST:PORT"),
    (("chief", "h:1", "h:2", None, None), "--chief and --worker-id are for --role worker"),
    (("worker", None, None, None, None), "--role worker needs --chief HOST:PORT and --worker-id ID"),
    (("worker", None, "h:1", None, None), "--role worker needs --worker-id ID"),
    (("worker", "h:1", "h:1", "w", None), "--listen is for --role chief"),
    ((None, "h:1", None, None, None), "--listen needs --role"),
    ((None, None, None, "w1", None), "--worker-id needs --role"),
    (("chief", "h:1", None, None, 2), "--workers N starts a chief and N workers on this machine"),
    (("chief", "nohost", None, None, None), "--listen 'nohost': expected HOST:PORT"),
    (("worker", None, "h:70000", "w1", None), "port from 1 to 65535"),
    (("worker", None, "h:1", "the-chief", None), "must not contain 'chief'"),
    (("worker", None, "h:1", "../w", None), "use 1 to 64 letters"),
])
def test_contradictory_or_missing_options_are_one_clear_error(options, message):
    with pytest.raises(DistributedError, match=message.replace("(", r"\(").replace(")", r"\)")):
        role_from(*options, environ={})


def test_addresses_and_worker_ids():
    assert parse_address("example.org:1", "--chief") == ("example.org", 1)
    assert parse_address("127.0.0.1:0", "--listen", any_port=True) == ("127.0.0.1", 0)
    with pytest.raises(DistributedError, match="port from 1"):
        parse_address("127.0.0.1:0", "--listen")
    assert check_worker_id("worker_2.a") == "worker_2.a"


def test_entering_a_role_sets_or_clears_keras_tuners_variables(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    Role("worker", "10.0.0.5", 8470, worker_id="w1").enter()

    assert [os.environ[name] for name in VARIABLES] == ["w1", "10.0.0.5", "8470"]
    Role("chief", "0.0.0.0", 8470).enter()
    assert not any(name in os.environ for name in VARIABLES)
