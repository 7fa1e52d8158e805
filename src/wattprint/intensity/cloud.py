"""Which cloud a machine runs on, and — only when asked — in which region.

The provider is read offline from the DMI files the firmware exposes under
``/sys/class/dmi/id``. The provider alone does not say where the machine is;
the region comes from the provider's instance metadata service, a link-local
HTTP endpoint, which is queried only when the user opts in. Both boundaries are
parameters (``dmi_root``, ``base_url``) so tests use a fake tree and a server
on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path

from wattprint.errors import ProviderError

#: Chassis asset tag every Azure VM carries (Microsoft's documented marker).
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
#: Default metadata endpoints; tests pass their own ``base_url``.
DEFAULT_METADATA_URLS = {
    "aws": "http://169.254.169.254",
    "gcp": "http://169.254.169.254",  # metadata.google.internal, without a DNS lookup
    "azure": "http://169.254.169.254",
}
#: The metadata service answers in milliseconds; a longer wait means it is absent.
DEFAULT_TIMEOUT_S = 0.5
_AZURE_API_VERSION = "2021-02-01"
_DMI_FILES = ("sys_vendor", "product_name", "bios_vendor", "bios_version", "board_vendor",
              "chassis_asset_tag")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def detect_provider(dmi_root: Path = Path("/sys/class/dmi/id")) -> str | None:
    """Return ``"aws"``, ``"gcp"`` or ``"azure"`` from DMI files, else ``None``.

    Never raises: missing or unreadable files count as "no provider".

    Args:
        dmi_root: Folder holding ``sys_vendor``, ``product_name``, ... files.
    """
    dmi = {name: _read(dmi_root / name) for name in _DMI_FILES}
    vendors = " ".join(dmi[n] for n in ("sys_vendor", "bios_vendor", "board_vendor")).lower()
    if "amazon" in vendors or "amazon" in dmi["bios_version"].lower():
        return "aws"  # Nitro: "Amazon EC2"; older Xen hosts: bios_version "4.2.amazon"
    # Not just "google" in sys_vendor: Chromebooks running Linux report that too.
    if dmi["product_name"] == "Google Compute Engine" or dmi["bios_vendor"] == "Google":
        return "gcp"
    if dmi["chassis_asset_tag"] == AZURE_ASSET_TAG:
        return "azure"
    if "microsoft corporation" in vendors and dmi["product_name"] == "Virtual Machine":
        return "azure"
    return None


def fetch_region(
    provider: str, *, base_url: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> str:
    """Ask the instance metadata service which region this machine is in.

    Args:
        provider: ``"aws"`` (IMDSv2 token, then ``placement/region``), ``"gcp"``
            (``instance/zone``) or ``"azure"`` (``metadata/instance``).
        base_url: Endpoint root; defaults to the provider's link-local address.
        timeout_s: Per-request timeout in seconds.

    Returns:
        The provider's region name, e.g. ``"eu-west-1"``, ``"europe-west3"``,
        ``"westeurope"``.

    Raises:
        ProviderError: The endpoint did not answer, or answered something else.
    """
    base = (base_url or DEFAULT_METADATA_URLS.get(provider, "")).rstrip("/")
    if provider not in DEFAULT_METADATA_URLS:
        raise ProviderError(f"no instance metadata lookup for provider {provider!r}")
    try:
        if provider == "aws":
            return _aws_region(base, timeout_s)
        if provider == "gcp":
            return _gcp_region(base, timeout_s)
        return _azure_region(base, timeout_s)
    except (OSError, ValueError, KeyError, TypeError) as e:  # URLError and timeouts are OSError
        raise ProviderError(f"{provider} instance metadata at {base}: {e}") from e


def _request(url: str, headers: dict[str, str], timeout_s: float, method: str = "GET") -> str:
    # Imported here: urllib costs ~30 ms and only the opt-in metadata path needs it.
    import urllib.request

    # An empty ProxyHandler: metadata endpoints are link-local and must never go via a proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, headers=headers, method=method)
    with opener.open(req, timeout=timeout_s) as resp:
        body: bytes = resp.read(65536)
    return body.decode("utf-8").strip()


def _aws_region(base: str, timeout_s: float) -> str:
    token = _request(f"{base}/latest/api/token",
                     {"X-aws-ec2-metadata-token-ttl-seconds": "60"}, timeout_s, method="PUT")
    region = _request(f"{base}/latest/meta-data/placement/region",
                      {"X-aws-ec2-metadata-token": token}, timeout_s)
    return _checked(region)


def _gcp_region(base: str, timeout_s: float) -> str:
    # Answer shape: "projects/123456789/zones/europe-west3-b"; the region drops "-b".
    zone = _request(f"{base}/computeMetadata/v1/instance/zone",
                    {"Metadata-Flavor": "Google"}, timeout_s)
    return _checked(zone.rsplit("/", 1)[-1].rsplit("-", 1)[0])


def _azure_region(base: str, timeout_s: float) -> str:
    body = _request(f"{base}/metadata/instance?api-version={_AZURE_API_VERSION}",
                    {"Metadata": "true"}, timeout_s)
    location = json.loads(body)["compute"]["location"]
    return _checked(str(location))


def _checked(region: str) -> str:
    region = region.strip().lower()
    if not region or len(region) > 64 or not all(c.isalnum() or c == "-" for c in region):
        raise ValueError(f"unexpected region {region[:64]!r}")
    return region
