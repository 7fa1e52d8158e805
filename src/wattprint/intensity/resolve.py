"""Choose the grid zone of a run, offline, and say how it was chosen.

Precedence, first answer wins:

1. the explicit argument;
2. the ``WATTPRINT_ZONE`` environment variable;
3. the configuration file's zone;
4. the cloud region, when DMI files show a cloud VM *and* the user opted in to
   ask the instance metadata service (``metadata=True`` or
   ``WATTPRINT_CLOUD_METADATA=1``); without the opt-in the provider is noted
   with the way to opt in, and resolution goes on;
5. the system time zone (``tz_name``, ``TZ``, the ``/etc/localtime`` link)
   mapped to a country or grid region — an assumption, announced in the note;
6. the world average, announced.

There is never a geo-IP call, and never a silent guess: every choice past step 3
carries a note. A bad zone in steps 1-3 fails loudly, naming where it came from.

Example:
    >>> resolve_zone("FR", env={}).how
    'argument'
"""

from __future__ import annotations

import functools
import os
import zoneinfo
from collections.abc import Mapping
from pathlib import Path

from wattprint.errors import ProviderError, UnknownZoneError
from wattprint.intensity._data import read_table
from wattprint.intensity.cloud import DEFAULT_TIMEOUT_S, detect_provider, fetch_region
from wattprint.intensity.zones import WORLD, ZoneCatalog, load_catalog
from wattprint.model import ZoneChoice

ZONE_ENV = "WATTPRINT_ZONE"
CLOUD_METADATA_ENV = "WATTPRINT_CLOUD_METADATA"
_TRUE = {"1", "true", "yes", "on"}
_HOW_TO_SET = f"set {ZONE_ENV} (or pass zone=) to be exact"


def resolve_zone(
    explicit: str | None = None,
    *,
    env: Mapping[str, str],
    config_zone: str | None = None,
    dmi_root: Path = Path("/sys/class/dmi/id"),
    tz_name: str | None = None,
    localtime_path: Path = Path("/etc/localtime"),
    metadata: bool = False,
    metadata_base_url: str | None = None,
    catalog: ZoneCatalog | None = None,
) -> ZoneChoice:
    """Return the zone to account a run in, and how it was chosen.

    Args:
        explicit: Zone given by the caller (argument or CLI flag).
        env: Environment to read ``WATTPRINT_ZONE``, ``WATTPRINT_CLOUD_METADATA``
            and ``TZ`` from (pass ``os.environ``).
        config_zone: Zone from the configuration file, if any.
        dmi_root: DMI folder used to recognise a cloud VM.
        tz_name: IANA time zone to use instead of ``TZ`` and ``/etc/localtime``.
        localtime_path: The system's local-time link.
        metadata: Opt in to query the cloud instance metadata service.
        metadata_base_url: Metadata endpoint root (tests point it at 127.0.0.1).
        catalog: Zone catalogue; the embedded one by default.

    Raises:
        UnknownZoneError: The explicit, environment or config zone is unknown;
            the message names which of them.
    """
    cat = catalog if catalog is not None else load_catalog()
    given = (("argument", "zone argument", explicit), ("env", ZONE_ENV, env.get(ZONE_ENV)),
             ("config", "config zone", config_zone))
    for how, label, value in given:
        if value is not None and value.strip():
            zone_id = _checked(cat, value, label)
            return ZoneChoice(zone_id, how, f"{label}={value!r}")
    notes: list[str] = []
    opted_in = metadata or env.get(CLOUD_METADATA_ENV, "").strip().lower() in _TRUE
    choice = _from_cloud(cat, dmi_root, opted_in, metadata_base_url, notes)
    if choice is None:
        choice = _from_timezone(cat, _system_tz(tz_name, env, localtime_path), notes)
    if choice is None:
        world = cat.get(WORLD)
        notes.append(
            f"no zone configured and none could be inferred; using the world average "
            f"({world.intensity_g_per_kwh:g} g/kWh); {_HOW_TO_SET}"
        )
        choice = ZoneChoice(world.id, "world-default")
    return ZoneChoice(choice.zone, choice.how, "; ".join(n for n in [*notes, choice.note] if n))


def _checked(catalog: ZoneCatalog, value: str, label: str) -> str:
    try:
        return catalog.get(value).id
    except UnknownZoneError as e:
        err = UnknownZoneError(value, e.matches)
        err.args = (f"{label}={value!r}: {err}",)
        raise err from e


def _from_cloud(
    catalog: ZoneCatalog, dmi_root: Path, opted_in: bool, base_url: str | None,
    notes: list[str],
) -> ZoneChoice | None:
    provider = detect_provider(dmi_root)
    if provider is None:
        return None
    if not opted_in:
        notes.append(
            f"{provider} VM detected from DMI, but its region is unknown; set "
            f"{CLOUD_METADATA_ENV}=1 to ask the instance metadata service, or {_HOW_TO_SET}"
        )
        return None
    try:
        region = fetch_region(provider, base_url=base_url, timeout_s=DEFAULT_TIMEOUT_S)
    except ProviderError as e:
        notes.append(f"{provider} VM detected, but the region lookup failed ({e})")
        return None
    zone = catalog.find(f"{provider}:{region}")
    if zone is None:
        notes.append(f"{provider} region {region!r} from instance metadata is not in the "
                     "embedded table")
        return None
    return ZoneChoice(zone.id, "cloud-metadata",
                      f"{provider} region {region} from the instance metadata service")


def _system_tz(tz_name: str | None, env: Mapping[str, str], localtime: Path) -> tuple[str, str]:
    """Return (IANA name, where it came from), or ("", "") when there is none."""
    if tz_name:
        return _clean_tz(tz_name), "tz_name"
    if env.get("TZ"):
        return _clean_tz(env["TZ"]), "TZ"
    try:
        target = os.readlink(localtime)
    except OSError:  # missing, or a copied file rather than a link
        return "", ""
    return _clean_tz(target), str(localtime)


def _clean_tz(name: str) -> str:
    name = name.strip().lstrip(":")
    if "zoneinfo/" in name:  # "/usr/share/zoneinfo/Europe/Berlin", "../zoneinfo/..."
        name = name.rsplit("zoneinfo/", 1)[1]
    return name


def _from_timezone(
    catalog: ZoneCatalog, tz_and_origin: tuple[str, str], notes: list[str]
) -> ZoneChoice | None:
    tz, origin = tz_and_origin
    if not tz:
        return None
    zone_id = timezone_zone(tz, catalog)
    if zone_id is None:
        notes.append(f"time zone {tz!r} (from {origin}) names no grid zone")
        return None
    zone = catalog.get(zone_id)
    return ZoneChoice(
        zone.id, "timezone",
        f"assumed {zone.id} ({zone.name}) from the time zone {tz} (from {origin}); {_HOW_TO_SET}",
    )


@functools.lru_cache(maxsize=1)
def _timezone_table() -> dict[str, str]:
    return {row["tz"]: row["zone"] for row in read_table("timezones.csv")}


def timezone_zone(tz: str, catalog: ZoneCatalog | None = None) -> str | None:
    """Return the zone id an IANA time zone points to, or ``None``.

    The embedded ``timezones.csv`` (built from tzdata's ``zone.tab``, with
    sub-national refinements such as ``Australia/Sydney`` → ``AU-NSW``) comes
    first; zones newer than it fall back to the system's ``zone.tab``.
    """
    cat = catalog if catalog is not None else load_catalog()
    zone_id = _timezone_table().get(tz) or _system_zone_tab().get(tz)
    if zone_id is None:
        return None
    zone = cat.find(zone_id)
    return zone.id if zone is not None else None


@functools.lru_cache(maxsize=1)
def _system_zone_tab() -> dict[str, str]:
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        fields = (line.split("\t") for line in lines if line and not line.startswith("#"))
        return {f[2]: f[0] for f in fields if len(f) >= 3}
    return {}
