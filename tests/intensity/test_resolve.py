"""resolve_zone: precedence, cloud detection, metadata opt-in, time zone, world."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wattprint.errors import UnknownZoneError
from wattprint.intensity.cloud import AZURE_ASSET_TAG, detect_provider
from wattprint.intensity.resolve import resolve_zone, timezone_zone

AWS_TOKEN = "AQAEAtoken=="


class _MetadataHandler(BaseHTTPRequestHandler):
    """Serves the documented shapes of the AWS IMDSv2, GCP and Azure endpoints."""

    requests: list[tuple[str, str]] = []

    def _reply(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        self.requests.append(("PUT", self.path))
        ttl = self.headers["X-aws-ec2-metadata-token-ttl-seconds"]
        if self.path == "/latest/api/token" and ttl:
            self._reply(200, AWS_TOKEN)
        else:
            self._reply(400, "")

    def do_GET(self) -> None:  # noqa: N802
        self.requests.append(("GET", self.path))
        if self.path == "/latest/meta-data/placement/region":
            ok = self.headers["X-aws-ec2-metadata-token"] == AWS_TOKEN
            self._reply(200 if ok else 401, "eu-west-3" if ok else "")
        elif self.path == "/computeMetadata/v1/instance/zone":
            ok = self.headers["Metadata-Flavor"] == "Google"
            self._reply(200 if ok else 403, "projects/123456789/zones/europe-west9-b")
        elif self.path.startswith("/metadata/instance?api-version="):
            ok = self.headers["Metadata"] == "true"
            body = {"compute": {"location": "swedencentral", "vmSize": "Standard_NC6"}}
            self._reply(200 if ok else 400, json.dumps(body))
        else:
            self._reply(404, "")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def metadata_server() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    requests: list[tuple[str, str]] = []
    handler = type("Handler", (_MetadataHandler,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _dmi(root: Path, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text + "\n")
    return root


@pytest.fixture
def no_dmi(tmp_path: Path) -> Path:
    return _dmi(tmp_path / "dmi", sys_vendor="Dell Inc.", product_name="PowerEdge R750")


@pytest.fixture
def aws_dmi(tmp_path: Path) -> Path:
    return _dmi(tmp_path / "aws", sys_vendor="Amazon EC2", product_name="p4d.24xlarge",
                bios_vendor="Amazon EC2")


def _free_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


NO_LINK = Path("/nonexistent/localtime")


def test_explicit_beats_env_beats_config(no_dmi: Path) -> None:
    env = {"WATTPRINT_ZONE": "fr"}
    common = {"dmi_root": no_dmi, "tz_name": "Europe/Berlin", "config_zone": "Norway"}
    arg = resolve_zone("PL", env=env, **common)  # type: ignore[arg-type]
    assert (arg.zone, arg.how) == ("PL", "argument")
    by_env = resolve_zone(None, env=env, **common)  # type: ignore[arg-type]
    assert (by_env.zone, by_env.how) == ("FR", "env")
    by_config = resolve_zone(None, env={}, **common)  # type: ignore[arg-type]
    assert (by_config.zone, by_config.how) == ("NO", "config")
    blank = resolve_zone("  ", env={"WATTPRINT_ZONE": ""}, dmi_root=no_dmi,
                         tz_name="Europe/Berlin")
    assert (blank.zone, blank.how) == ("DE", "timezone")


@pytest.mark.parametrize(
    ("kwargs", "label"),
    [({"explicit": "XX"}, "zone argument='XX'"),
     ({"env": {"WATTPRINT_ZONE": "Germny"}}, "WATTPRINT_ZONE='Germny'"),
     ({"config_zone": "atlantis"}, "config zone='atlantis'")],
)
def test_bad_given_zone_fails_naming_its_source(
    kwargs: dict[str, object], label: str, no_dmi: Path
) -> None:
    kwargs.setdefault("env", {})
    with pytest.raises(UnknownZoneError) as info:
        resolve_zone(dmi_root=no_dmi, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"{label}: unknown zone")
    if "Germny" in label:
        assert "DE" in info.value.matches


def test_cloud_detected_without_opt_in_touches_no_network(
    aws_dmi: Path, metadata_server: tuple[str, list[tuple[str, str]]]
) -> None:
    url, requests = metadata_server
    choice = resolve_zone(env={}, dmi_root=aws_dmi, tz_name="Europe/Berlin",
                          metadata_base_url=url)
    assert requests == []
    assert (choice.zone, choice.how) == ("DE", "timezone")
    assert "aws VM detected" in choice.note and "WATTPRINT_CLOUD_METADATA=1" in choice.note


def test_aws_metadata_with_imdsv2_token(
    aws_dmi: Path, metadata_server: tuple[str, list[tuple[str, str]]]
) -> None:
    url, requests = metadata_server
    choice = resolve_zone(env={}, dmi_root=aws_dmi, metadata=True, metadata_base_url=url,
                          tz_name="Europe/Berlin")
    assert (choice.zone, choice.how) == ("aws:eu-west-3", "cloud-metadata")
    assert requests == [("PUT", "/latest/api/token"),
                        ("GET", "/latest/meta-data/placement/region")]


def test_gcp_metadata_opt_in_by_env(
    tmp_path: Path, metadata_server: tuple[str, list[tuple[str, str]]]
) -> None:
    url, _ = metadata_server
    dmi = _dmi(tmp_path / "gcp", sys_vendor="Google", product_name="Google Compute Engine")
    choice = resolve_zone(env={"WATTPRINT_CLOUD_METADATA": "1"}, dmi_root=dmi,
                          metadata_base_url=url)
    assert (choice.zone, choice.how) == ("gcp:europe-west9", "cloud-metadata")


def test_azure_metadata(tmp_path: Path, metadata_server: tuple[str, list[tuple[str, str]]]) -> None:
    url, _ = metadata_server
    dmi = _dmi(tmp_path / "az", sys_vendor="Microsoft Corporation",
               product_name="Virtual Machine", chassis_asset_tag=AZURE_ASSET_TAG)
    choice = resolve_zone(env={}, dmi_root=dmi, metadata=True, metadata_base_url=url)
    assert (choice.zone, choice.how) == ("azure:swedencentral", "cloud-metadata")


def test_unreachable_metadata_is_noted_and_resolution_goes_on(aws_dmi: Path) -> None:
    choice = resolve_zone(env={}, dmi_root=aws_dmi, metadata=True,
                          metadata_base_url=_free_port_url(), tz_name="Asia/Kolkata")
    assert (choice.zone, choice.how) == ("IN", "timezone")
    assert "region lookup failed" in choice.note


@pytest.mark.parametrize(
    ("files", "provider"),
    [({"sys_vendor": "Amazon EC2"}, "aws"), ({"bios_version": "4.11.amazon"}, "aws"),
     ({"product_name": "Google Compute Engine"}, "gcp"),
     ({"chassis_asset_tag": AZURE_ASSET_TAG}, "azure"),
     ({"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"}, "azure"),
     ({"sys_vendor": "Google", "product_name": "Eve", "bios_vendor": "coreboot"}, None),
     ({"sys_vendor": "LENOVO"}, None), ({}, None)],
)
def test_detect_provider(tmp_path: Path, files: dict[str, str], provider: str | None) -> None:
    assert detect_provider(_dmi(tmp_path / "d", **files)) == provider


@pytest.mark.parametrize(
    ("tz", "zone"),
    [("Europe/Berlin", "DE"), ("America/Los_Angeles", "US-CA"), ("Australia/Sydney", "AU-NSW"),
     ("Asia/Kolkata", "IN"), ("Asia/Calcutta", "IN"), ("US/Pacific", "US-CA"),
     ("America/New_York", "US"), ("America/Indiana/Knox", "US-IN"), ("Europe/Monaco", "MC")],
)
def test_timezone_mapping(tz: str, zone: str) -> None:
    assert timezone_zone(tz) == zone


def test_timezone_from_tz_env_and_localtime_link(no_dmi: Path, tmp_path: Path) -> None:
    by_env = resolve_zone(env={"TZ": ":America/Los_Angeles"}, dmi_root=no_dmi,
                          localtime_path=NO_LINK)
    assert (by_env.zone, by_env.how) == ("US-CA", "timezone")
    assert "assumed" in by_env.note and "TZ" in by_env.note
    link = tmp_path / "localtime"
    link.symlink_to("../usr/share/zoneinfo/Australia/Sydney")
    by_link = resolve_zone(env={}, dmi_root=no_dmi, localtime_path=link)
    assert by_link.zone == "AU-NSW" and str(link) in by_link.note


def test_world_fallback_is_announced(no_dmi: Path, tmp_path: Path) -> None:
    copied = tmp_path / "localtime"
    copied.write_bytes(b"TZif2")  # a copied file, not a link: no name to read
    choice = resolve_zone(env={}, dmi_root=no_dmi, localtime_path=copied)
    assert (choice.zone, choice.how) == ("WORLD", "world-default")
    assert "world average" in choice.note and "WATTPRINT_ZONE" in choice.note
    utc = resolve_zone(env={"TZ": "UTC"}, dmi_root=no_dmi)
    assert utc.zone == "WORLD" and "'UTC'" in utc.note
