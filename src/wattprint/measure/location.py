"""Where a tracked run happens: its grid zone, carbon intensity and PUE.

:func:`locate` applies the zone precedence of
:func:`~wattprint.intensity.resolve.resolve_zone` (an explicit argument, then
the environment, the settings' zone, cloud metadata) and picks the PUE: the
``pue`` setting when given, else the cloud provider's default for a cloud
zone, else the on-premise default.

Example::

    where = locate(load_settings({"zone": "DE"}))
    print(where.choice.zone, where.intensity.g_per_kwh, where.pue, where.pue_source)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from wattprint.account.footprint import ON_PREMISE_PUE
from wattprint.config import Settings
from wattprint.intensity.pue import default_pue
from wattprint.intensity.resolve import resolve_zone
from wattprint.intensity.zones import load_catalog
from wattprint.model import Intensity, ZoneChoice


@dataclass(frozen=True)
class Location:
    """The zone chosen for a run, its intensity, and the PUE with its source."""

    choice: ZoneChoice
    intensity: Intensity
    pue: float
    pue_source: str


def locate(settings: Settings) -> Location:
    """Zone choice, intensity and PUE for the settings.

    Raises:
        UnknownZoneError: The configured zone does not exist.
    """
    catalog = load_catalog()
    explicit = settings.zone if settings.source_of("zone") == "argument" else None
    config_zone = None if explicit else settings.zone
    choice = resolve_zone(
        explicit,
        env=os.environ,
        config_zone=config_zone if settings.source_of("zone") != "env" else None,
        metadata=settings.cloud_metadata,
        catalog=catalog,
    )
    intensity = catalog.intensity(choice.zone)
    if settings.pue is not None:
        pue, source = settings.pue, f"set by {settings.source_of('pue')}"
    else:
        zone = catalog.get(choice.zone)
        pue, source = default_pue(zone.id.split(":")[0]) if zone.kind == "cloud" else ON_PREMISE_PUE
    return Location(choice, intensity, pue, source)
