from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from provider_testkit import ApiServer, Reply, SleepRecorder, all_text

from wattprint.errors import ProviderError
from wattprint.intensity.providers.cache import JsonCache
from wattprint.intensity.providers.http import HttpClient, _retry_after_s
from wattprint.testing import FakeClock

SECRET = "tok-3f9a1c-SECRET"


def client(url: str, sleeps: SleepRecorder, **kw) -> HttpClient:  # type: ignore[no-untyped-def]
    return HttpClient("testapi", url, sleep=sleeps, **kw)


def test_get_json_sends_params_and_headers(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/v3/x", {"ok": 1})
    with client(api.url, sleeps, headers={"auth-token": SECRET}, secrets=[SECRET]) as http:
        assert http.get_json("/v3/x", {"zone": "DE"}) == {"ok": 1}
    seen = api.hits("/v3/x")[0]
    assert seen.query == {"zone": "DE"} and seen.headers["auth-token"] == SECRET
    assert sleeps.waits == []


def test_5xx_is_retried_with_exponential_backoff(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/x", Reply({}, 503), Reply({}, 502), Reply({"ok": True}))
    with client(api.url, sleeps, retries=2, backoff_s=0.5) as http:
        assert http.get_json("/x") == {"ok": True}
    assert sleeps.waits == [0.5, 1.0]
    assert len(api.hits("/x")) == 3


def test_persistent_5xx_fails_after_retries(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/x", Reply({"message": "upstream down"}, 500))
    with client(api.url, sleeps, retries=2) as http, pytest.raises(ProviderError) as err:
        http.get_json("/x")
    assert str(err.value) == "testapi: HTTP 500 from /x after 3 attempts: upstream down"
    assert len(api.hits("/x")) == 3 and len(sleeps.waits) == 2


def test_429_honours_retry_after_capped(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/x", Reply({}, 429, {"Retry-After": "7"}), Reply({}, 429, {"Retry-After": "9999"}),
              Reply([1, 2]))
    with client(api.url, sleeps, retries=3, max_wait_s=30.0) as http:
        assert http.get_json("/x") == [1, 2]
    assert sleeps.waits == [7.0, 30.0]


def test_retry_after_http_date() -> None:
    assert _retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _retry_after_s("soon") is None
    assert _retry_after_s(None) is None
    assert _retry_after_s("2.5") == 2.5


def test_connection_refused_is_retried_then_provider_error(
    closed_port_url: str, sleeps: SleepRecorder
) -> None:
    with client(closed_port_url, sleeps, retries=1) as http, pytest.raises(ProviderError) as err:
        http.get_json("/x")
    assert str(err.value).startswith("testapi: cannot reach 127.0.0.1: ")
    assert "after 2 attempts" in str(err.value)
    assert isinstance(err.value.__cause__, httpx.ConnectError)
    assert sleeps.waits == [0.5]


def test_timeout_is_retried_then_provider_error(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/slow", Reply({}, delay_s=0.5))
    with client(api.url, sleeps, retries=1, timeout_s=0.05) as http, \
            pytest.raises(ProviderError, match="timed out"):
        http.get_json("/slow")
    assert len(api.hits("/slow")) == 2 and sleeps.waits == [0.5]


def test_auth_failure_is_not_retried_and_hints(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/x", Reply({"message": f"bad token {SECRET}"}, 401))
    with client(api.url, sleeps, headers={"auth-token": SECRET}, secrets=[SECRET],
                auth_hint="check WATTPRINT_X_TOKEN") as http, pytest.raises(ProviderError) as err:
        http.get_json("/x")
    assert str(err.value) == "testapi: authentication failed (HTTP 401); check WATTPRINT_X_TOKEN"
    assert sleeps.waits == [] and len(api.hits("/x")) == 1


def test_malformed_json_is_a_provider_error(api: ApiServer, sleeps: SleepRecorder) -> None:
    api.route("/x", Reply(b"<html>oops</html>"))
    with client(api.url, sleeps) as http, pytest.raises(ProviderError) as err:
        http.get_json("/x")
    assert str(err.value) == "testapi: malformed JSON from /x"
    assert err.value.__cause__ is not None


def test_cache_hit_avoids_request_and_ttl_expiry_refetches(
    api: ApiServer, sleeps: SleepRecorder, cache_dir: Path
) -> None:
    clock = FakeClock(now=datetime(2024, 5, 1, tzinfo=timezone.utc))
    api.route("/x", {"v": 1}, {"v": 2})
    cache = JsonCache(cache_dir, ttl_s=600, clock=clock)
    with client(api.url, sleeps, cache=cache) as http:
        assert http.get_json("/x", {"zone": "DE"}) == {"v": 1}
        clock.advance(599)
        assert http.get_json("/x", {"zone": "DE"}) == {"v": 1}
        assert len(api.hits("/x")) == 1
        assert http.get_json("/x", {"zone": "FR"}) == {"v": 2}  # other params: other entry
        clock.advance(2)
        assert http.get_json("/x", {"zone": "DE"}) == {"v": 2}
    assert len(api.hits("/x")) == 3


def test_cache_ignores_corrupt_files_and_ttl_zero_disables(cache_dir: Path) -> None:
    cache = JsonCache(cache_dir, ttl_s=60, clock=FakeClock())
    cache.put("http://h/x", {}, {"a": 1})
    assert cache.get("http://h/x", {}) == {"a": 1}
    cache.path_for("http://h/x", {}).write_text("{not json")
    assert cache.get("http://h/x", {}) is None
    assert cache.clear() == 1
    off = JsonCache(cache_dir / "off", ttl_s=0, clock=FakeClock())
    off.put("http://h/x", {}, {"a": 1})
    assert off.get("http://h/x", {}) is None and not (cache_dir / "off").exists()


def test_secrets_never_in_messages_logs_or_cache(
    api: ApiServer, sleeps: SleepRecorder, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.route("/ok", {"echo": "fine"})
    api.route("/err", Reply({"message": f"token {SECRET} not valid for zone"}, 400))
    api.route("/flaky", Reply({}, 503), Reply({"v": 1}))
    cache = JsonCache(cache_dir, ttl_s=600, clock=FakeClock())
    with client(api.url, sleeps, headers={"auth-token": SECRET}, secrets=[SECRET],
                cache=cache) as http:
        http.get_json("/ok", {"zone": "DE"})
        http.get_json("/flaky")
        with pytest.raises(ProviderError) as err:
            http.get_json("/err")
    assert "***" in str(err.value) and SECRET not in str(err.value)
    assert SECRET not in caplog.text
    assert SECRET not in all_text(cache_dir) and "fine" in all_text(cache_dir)
