"""POST /api/v1/runs: team tokens, size limit, shape, idempotency, the guard left as it was."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from report_runs import make_run
from web_fixtures import TestClient

from wattprint.errors import ConfigError
from wattprint.model import RunStatus
from wattprint.report.web import create_app
from wattprint.report.web.ingest import load_ingest_tokens
from wattprint.store.ledger import Ledger
from wattprint.store.serialize import run_to_dict

TEAM_TOKEN = "vision-team-token-0123456789"
OTHER_TOKEN = "nlp-team-token-abcdefghijkl"
DASH_TOKEN = "dashboard-read-token-0123"
STARTED = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path}/ledger.db") as opened:
        yield opened


def _client(ledger: Ledger, *, token: str | None = None, max_bytes: int | None = None,
            base_url: str = "http://127.0.0.1") -> TestClient:
    app = create_app(ledger, token=token, ingest_tokens={"vision": TEAM_TOKEN,
                                                          "nlp": OTHER_TOKEN},
                     ingest_max_bytes=max_bytes)
    return TestClient(app, base_url=base_url)


def _body(run_id: str = "run-1", **kw: Any) -> dict[str, Any]:
    return run_to_dict(make_run(run_id, started=STARTED, **kw))


def _post(client: TestClient, body: Any, token: str | None = TEAM_TOKEN,
          **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/api/v1/runs", content=content, headers=headers)


def test_new_run_is_201_replay_is_200_and_stored_once_with_its_team(ledger: Ledger) -> None:
    client = _client(ledger)
    body = _body(tags=("baseline", "team:nlp"))
    first = _post(client, body, **{"Idempotency-Key": "run-1"})
    assert first.status_code == 201
    assert first.json() == {"id": "run-1", "team": "vision", "result": "created", "status": 201}
    again = _post(client, body)
    assert again.status_code == 200 and again.json()["result"] == "replaced"
    stored = ledger.list_runs()
    assert [r.id for r in stored] == ["run-1"]
    # a client cannot claim another team: its team: tags are replaced by the token's
    assert stored[0].tags == ("baseline", "team:vision")
    assert stored[0].energy_kwh == pytest.approx(make_run("x", started=STARTED).energy_kwh)


def test_a_late_running_record_never_replaces_the_ended_run(ledger: Ledger) -> None:
    client = _client(ledger)
    assert _post(client, _body()).status_code == 201
    late = _post(client, _body(status=RunStatus.RUNNING))
    assert late.status_code == 200 and late.json()["result"] == "kept"
    assert ledger.get_run("run-1").status is RunStatus.FINISHED


def test_another_teams_run_id_is_refused(ledger: Ledger) -> None:
    client = _client(ledger)
    assert _post(client, _body()).status_code == 201
    answer = _post(client, _body(gpu_kwh=9.0), token=OTHER_TOKEN)
    assert answer.status_code == 403
    assert "another team" in answer.json()["error"]
    assert ledger.get_run("run-1").tags[-1] == "team:vision"


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", "Basic abc",
                                    f"Bearer {DASH_TOKEN}", "Bearer "])
def test_missing_or_bad_token_is_401(ledger: Ledger, header: str | None) -> None:
    client = _client(ledger, token=DASH_TOKEN)
    headers = {} if header is None else {"Authorization": header}
    answer = client.post("/api/v1/runs", content=json.dumps(_body()), headers=headers)
    assert answer.status_code == 401
    assert "team token is required" in answer.json()["error"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert ledger.list_runs() == []


def test_oversized_body_is_413_by_length_and_when_streamed(ledger: Ledger) -> None:
    client = _client(ledger, max_bytes=2000)
    answer = _post(client, _body())
    assert answer.status_code == 413
    assert answer.json()["error"] == "run too large: the limit is 2000 bytes"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        text = json.dumps(_body()).encode()
        yield from (text[i:i + 500] for i in range(0, len(text), 500))

    streamed = client.post("/api/v1/runs", content=chunks(),
                           headers={"Authorization": f"Bearer {TEAM_TOKEN}"})
    assert streamed.status_code == 413
    assert ledger.list_runs() == []


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    inner = body
    for key in path[:-1]:
        inner = inner[key]
    del inner[path[-1]]
    return body


@pytest.mark.parametrize(("body", "status", "message"), [
    (b"{not json", 400, "invalid JSON body: "),
    (b"\xff\xfe", 400, "invalid JSON body: "),
    ([1, 2], 422, "invalid run: run: expected an object, got list"),
    (_without(_body(), "project"), 422, "invalid run: project: missing"),
    (_without(_body(), "footprint", "intensity", "g_per_kwh"), 422,
     "invalid run: footprint.intensity.g_per_kwh: missing"),
    ({**_body(), "status": "done"}, 422, "invalid run: status: expected one of running, "),
    ({**_body(), "duration_s": "long"}, 422, "invalid run: duration_s: expected a number"),
    ({**_body(), "started_utc": "yesterday"}, 422, "invalid run: started_utc: expected an ISO"),
    ({**_body(), "id": ""}, 422, "invalid run: id: expected 1 to 200 characters"),
    ({**_body(), "tags": ["a", 3]}, 422, "invalid run: tags[1]: expected text"),
    ({**_body(), "metrics": {"acc": "high"}}, 422, "invalid run: metrics.acc: expected a number"),
    ({**_body(), "part": "yes"}, 422, "invalid run: part: expected true or false, got str"),
    ({**_body(), "stale_after_s": 0}, 422,
     "invalid run: stale_after_s: expected a positive number of seconds, got 0"),
])
def test_malformed_runs_are_4xx_naming_the_field(ledger: Ledger, body: Any, status: int,
                                                 message: str) -> None:
    answer = _post(_client(ledger), body)
    assert answer.status_code == status
    assert answer.json()["error"].startswith(message)
    assert ledger.list_runs() == []


def test_parts_from_several_hosts_merge_and_carry_their_heartbeat(tmp_path: Path) -> None:
    from wattprint.testing import FakeClock

    clock = FakeClock(now=STARTED)
    with Ledger(f"sqlite:///{tmp_path}/parts.db", clock=clock) as ledger:
        client = _client(ledger)
        running = {**_body("job-1", status=RunStatus.RUNNING), "part": True,
                   "stale_after_s": 90}
        a = _post(client, {**running, "host": "node-a"})
        assert a.status_code == 201 and a.json()["result"] == "created"
        b = _post(client, {**running, "host": "node-b"})
        assert b.status_code == 201  # a new host's part of a known run
        assert [p.host for p in ledger.run_parts("job-1")] == ["node-a", "node-b"]
        done = _post(client, {**_body("job-1"), "host": "node-a", "part": True})
        assert done.status_code == 200 and done.json()["result"] == "replaced"
        late = _post(client, {**running, "host": "node-a"})
        assert late.json()["result"] == "kept"
        assert ledger.get_run("job-1").status is RunStatus.RUNNING  # node-b still runs
        clock.advance(91)  # node-b's heartbeat passes
        run = ledger.get_run("job-1")
        assert run.status is RunStatus.INTERRUPTED
        assert run.energy_kwh == pytest.approx(2 * make_run("x", started=STARTED).energy_kwh)
        assert run.tags[-1] == "team:vision"


def test_idempotency_key_must_be_the_run_id(ledger: Ledger) -> None:
    answer = _post(_client(ledger), _body(), **{"Idempotency-Key": "other"})
    assert answer.status_code == 400
    assert "Idempotency-Key 'other'" in answer.json()["error"]


def test_ingest_works_on_any_host_and_the_dashboard_rules_stay(ledger: Ledger) -> None:
    client = _client(ledger, base_url="http://collector.example.org")
    assert _post(client, _body()).status_code == 201
    # without a dashboard token, reading still needs a loopback Host
    assert client.get("/api/v1/runs").status_code == 400
    with_token = _client(ledger, token=DASH_TOKEN)
    assert with_token.get("/api/v1/runs").status_code == 401
    assert with_token.get("/api/v1/runs", headers={"Authorization": f"Bearer {TEAM_TOKEN}"}
                          ).status_code == 401  # a team token does not read
    read = with_token.get("/api/v1/runs", headers={"Authorization": f"Bearer {DASH_TOKEN}"})
    assert read.status_code == 200


def test_without_ingest_tokens_there_is_no_ingest(ledger: Ledger) -> None:
    client = TestClient(create_app(ledger), base_url="http://127.0.0.1")
    answer = client.post("/api/v1/runs", content=json.dumps(_body()),
                         headers={"Authorization": f"Bearer {TEAM_TOKEN}"})
    assert answer.status_code == 405
    assert ledger.list_runs() == []


def test_the_token_never_appears_in_logs_or_answers(
    ledger: Ledger, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(ledger)
    answers = [_post(client, _body()), _post(client, b"{"),
               _post(client, _body(), token=TEAM_TOKEN + "x"),
               _post(client, _body(), **{"Idempotency-Key": "k"})]
    assert [a.status_code for a in answers] == [201, 400, 401, 400]
    seen = caplog.text + "".join(a.text for a in answers)
    assert TEAM_TOKEN not in seen and "ingest: run run-1 from team vision created" in seen


def test_tokens_file(tmp_path: Path) -> None:
    good = tmp_path / "teams.toml"
    good.write_text(f'vision = "{TEAM_TOKEN}"\nnlp = "{OTHER_TOKEN}"\n')
    assert load_ingest_tokens(good) == {"vision": TEAM_TOKEN, "nlp": OTHER_TOKEN}
    cases = {
        'vision = "short"': "token of team 'vision' must be text of at least 16",
        f'vision = "{TEAM_TOKEN}"\nnlp = "{TEAM_TOKEN}"': "team 'nlp' shares its token",
        f'"bad team" = "{TEAM_TOKEN}"': "team name 'bad team'",
        "vision = ": "is not TOML",
        "": "names no team",
    }
    for text, message in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(text)
        with pytest.raises(ConfigError, match=message) as info:
            load_ingest_tokens(path)
        assert TEAM_TOKEN not in str(info.value)
    with pytest.raises(ConfigError, match="cannot read ingest tokens file"):
        load_ingest_tokens(tmp_path / "missing.toml")
