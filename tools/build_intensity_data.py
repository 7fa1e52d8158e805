"""Build the embedded intensity tables in ``src/wattprint/intensity/data/``.

Run from the repository root, with ``shared/`` checked out beside it and
``pycountry`` importable (only this script needs it)::

    pip install pycountry
    python tools/build_intensity_data.py [--shared ../shared]

Inputs are public figures collected in ``shared/data`` (see the SOURCES.md files
there); every output row names the *primary* publisher of its figure (Ember,
EPA eGRID, DCCEEW, ECCC, CEA, Electricity Maps, Google), never the repository
the copy was taken from. Hand-entered figures (provider region lists,
Australian, Canadian and Indian factors, PUEs) live in the tables below, each
with its source. The script is deterministic: run it twice, get the same files.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parents[1] / "src" / "wattprint" / "intensity" / "data"

EMBER = "Ember Yearly Electricity Data (via Our World in Data)"
EMBER_URL = "https://ourworldindata.org/grapher/carbon-intensity-electricity"
LB_PER_MWH_TO_G_PER_KWH = 0.45359237  # 1 lb = 453.59237 g; 1 MWh = 1000 kWh

# Extra names users type; keys are alpha-2 codes.
COUNTRY_ALIASES = {
    "GB": ("UK", "Great Britain", "Britain"),
    "US": ("United States of America", "America"),
    "KR": ("Korea", "Republic of Korea"),
    "CZ": ("Czech Republic",),
    "NL": ("Holland",),
    "RU": ("Russian Federation",),
    "CI": ("Ivory Coast",),
    "TR": ("Turkiye",),
}

# Micro-states absent from Ember that draw (almost) all their power from a
# neighbour's grid: they use that neighbour's figure, and say so.
NEIGHBOUR_GRID = {
    "MC": "FR",
    "SM": "IT",
    "VA": "IT",
    "LI": "CH",
    "AD": "ES",
    "AX": "FI",
    "JE": "FR",
    "GG": "FR",
}

NGA = "Australian National Greenhouse Accounts Factors 2024, scope 2 (location-based)"
NGA_URL = (
    "https://www.dcceew.gov.au/climate-change/publications/"
    "national-greenhouse-accounts-factors-2024"
)
# id, name, kg CO2e/kWh, aliases
AU_STATES = [
    ("AU-NSW", "New South Wales and ACT", 0.66, "AU-ACT|NSW|Australian Capital Territory"),
    ("AU-VIC", "Victoria", 0.77, "VIC"),
    ("AU-QLD", "Queensland", 0.71, "QLD"),
    ("AU-SA", "South Australia", 0.23, ""),
    ("AU-WA", "Western Australia (South West Interconnected System)", 0.51, "AU-WA-SWIS"),
    ("AU-WA-NWIS", "Western Australia (North Western Interconnected System)", 0.61, ""),
    ("AU-TAS", "Tasmania", 0.15, "TAS"),
    ("AU-NT", "Northern Territory (Darwin-Katherine Interconnected System)", 0.56, ""),
]

NIR = (
    "Environment and Climate Change Canada, National Inventory Report 1990-2019 "
    "(2021), Annex 13 electricity intensity, 2019"
)
NIR_URL = "https://publications.gc.ca/site/eng/9.506002/publication.html"
CA_PROVINCES = [
    ("CA-AB", "Alberta", 670.0),
    ("CA-BC", "British Columbia", 19.7),
    ("CA-MB", "Manitoba", 1.3),
    ("CA-NB", "New Brunswick", 270.0),
    ("CA-NL", "Newfoundland and Labrador", 29.0),
    ("CA-NS", "Nova Scotia", 810.0),
    ("CA-NT", "Northwest Territories", 200.0),
    ("CA-NU", "Nunavut", 900.0),
    ("CA-ON", "Ontario", 30.0),
    ("CA-PE", "Prince Edward Island", 2.0),
    ("CA-QC", "Quebec", 1.5),
    ("CA-SK", "Saskatchewan", 710.0),
    ("CA-YT", "Yukon", 111.0),
]

CEA = (
    "Central Electricity Authority, CO2 Baseline Database for the Indian Power Sector "
    "v20.0, weighted average incl. RES, FY 2023-24"
)
CEA_URL = "https://cea.nic.in/cdm-co2-baseline-database/?lang=en"

EGRID = "US EPA eGRID2016 state CO2 output emission rate (lb/MWh converted)"
EGRID_URL = "https://www.epa.gov/egrid/historical-egrid-data"

EMAPS_URL = "https://www.electricitymaps.com/data-portal"
# Electricity Maps zones in shared/data that are not a country or a state above.
EMAPS_ZONES = {
    "US-CAL-CISO": ("California ISO (CAISO)", "US", "CAISO"),
    "US-MIDA-PJM": ("PJM Interconnection", "US", "PJM"),
    "US-NY-NYIS": ("New York ISO (NYISO)", "US", "NYISO"),
    "US-TEX-ERCO": ("ERCOT (Texas)", "US", "ERCOT"),
    "BR-CS": ("Brazil Central-South", "BR", ""),
    "CL-SEN": ("Chile National Electric System (SEN)", "CL", ""),
    "IN-WE": ("India Western grid", "IN", ""),
    "JP-TK": ("Japan Tokyo area (TEPCO)", "JP", ""),
}

AWS_URL = "https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html"
AZURE_URL = "https://learn.microsoft.com/en-us/azure/reliability/regions-list"
GCP_URL = "https://cloud.google.com/about/locations"
GCP_CI = "Google Cloud region carbon data {year}, grid carbon intensity"
GCP_CI_URL = "https://cloud.google.com/sustainability/region-carbon"
REGION_LIST_YEAR = 2025

AWS = [
    ("us-east-1", "US East (N. Virginia)", "US-VA"),
    ("us-east-2", "US East (Ohio)", "US-OH"),
    ("us-west-1", "US West (N. California)", "US-CA"),
    ("us-west-2", "US West (Oregon)", "US-OR"),
    ("us-gov-east-1", "AWS GovCloud (US-East), Ohio", "US-OH"),
    ("us-gov-west-1", "AWS GovCloud (US-West), Oregon", "US-OR"),
    ("af-south-1", "Africa (Cape Town)", "ZA"),
    ("ap-east-1", "Asia Pacific (Hong Kong)", "HK"),
    ("ap-east-2", "Asia Pacific (Taipei)", "TW"),
    ("ap-south-1", "Asia Pacific (Mumbai)", "IN"),
    ("ap-south-2", "Asia Pacific (Hyderabad)", "IN"),
    ("ap-southeast-1", "Asia Pacific (Singapore)", "SG"),
    ("ap-southeast-2", "Asia Pacific (Sydney)", "AU-NSW"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)", "ID"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)", "AU-VIC"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)", "MY"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)", "NZ"),
    ("ap-southeast-7", "Asia Pacific (Thailand)", "TH"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)", "JP"),
    ("ap-northeast-2", "Asia Pacific (Seoul)", "KR"),
    ("ap-northeast-3", "Asia Pacific (Osaka)", "JP"),
    ("ca-central-1", "Canada (Central), Montreal", "CA-QC"),
    ("ca-west-1", "Canada West (Calgary)", "CA-AB"),
    ("eu-central-1", "Europe (Frankfurt)", "DE"),
    ("eu-central-2", "Europe (Zurich)", "CH"),
    ("eu-west-1", "Europe (Ireland)", "IE"),
    ("eu-west-2", "Europe (London)", "GB"),
    ("eu-west-3", "Europe (Paris)", "FR"),
    ("eu-south-1", "Europe (Milan)", "IT"),
    ("eu-south-2", "Europe (Spain)", "ES"),
    ("eu-north-1", "Europe (Stockholm)", "SE"),
    ("il-central-1", "Israel (Tel Aviv)", "IL"),
    ("me-south-1", "Middle East (Bahrain)", "BH"),
    ("me-central-1", "Middle East (UAE)", "AE"),
    ("mx-central-1", "Mexico (Central)", "MX"),
    ("sa-east-1", "South America (Sao Paulo)", "BR-CS"),
    ("cn-north-1", "China (Beijing)", "CN"),
    ("cn-northwest-1", "China (Ningxia)", "CN"),
]

# Google's own table gives each region's grid figure; the zone is for context.
GCP = [
    ("africa-south1", "Johannesburg", "ZA"),
    ("asia-east1", "Taiwan", "TW"),
    ("asia-east2", "Hong Kong", "HK"),
    ("asia-northeast1", "Tokyo", "JP"),
    ("asia-northeast2", "Osaka", "JP"),
    ("asia-northeast3", "Seoul", "KR"),
    ("asia-south1", "Mumbai", "IN"),
    ("asia-south2", "Delhi", "IN"),
    ("asia-southeast1", "Singapore", "SG"),
    ("asia-southeast2", "Jakarta", "ID"),
    ("australia-southeast1", "Sydney", "AU-NSW"),
    ("australia-southeast2", "Melbourne", "AU-VIC"),
    ("europe-central2", "Warsaw", "PL"),
    ("europe-north1", "Hamina, Finland", "FI"),
    ("europe-north2", "Stockholm", "SE"),
    ("europe-southwest1", "Madrid", "ES"),
    ("europe-west1", "St. Ghislain, Belgium", "BE"),
    ("europe-west2", "London", "GB"),
    ("europe-west3", "Frankfurt", "DE"),
    ("europe-west4", "Eemshaven, Netherlands", "NL"),
    ("europe-west6", "Zurich", "CH"),
    ("europe-west8", "Milan", "IT"),
    ("europe-west9", "Paris", "FR"),
    ("europe-west10", "Berlin", "DE"),
    ("europe-west12", "Turin", "IT"),
    ("me-central1", "Doha", "QA"),
    ("me-central2", "Dammam", "SA"),
    ("me-west1", "Tel Aviv", "IL"),
    ("northamerica-northeast1", "Montreal", "CA-QC"),
    ("northamerica-northeast2", "Toronto", "CA-ON"),
    ("northamerica-south1", "Queretaro, Mexico", "MX"),
    ("southamerica-east1", "Sao Paulo", "BR-CS"),
    ("southamerica-west1", "Santiago", "CL-SEN"),
    ("us-central1", "Council Bluffs, Iowa", "US-IA"),
    ("us-central2", "Oklahoma", "US-OK"),
    ("us-east1", "Moncks Corner, South Carolina", "US-SC"),
    ("us-east2", "Georgia", "US-GA"),
    ("us-east4", "Ashburn, Northern Virginia", "US-VA"),
    ("us-east5", "Columbus, Ohio", "US-OH"),
    ("us-south1", "Dallas", "US-TX"),
    ("us-west1", "The Dalles, Oregon", "US-OR"),
    ("us-west2", "Los Angeles", "US-CA"),
    ("us-west3", "Salt Lake City", "US-UT"),
    ("us-west4", "Las Vegas", "US-NV"),
]

AZURE = [
    ("eastus", "East US, Virginia", "US-VA"),
    ("eastus2", "East US 2, Virginia", "US-VA"),
    ("centralus", "Central US, Iowa", "US-IA"),
    ("northcentralus", "North Central US, Illinois", "US-IL"),
    ("southcentralus", "South Central US, Texas", "US-TX"),
    ("westcentralus", "West Central US, Wyoming", "US-WY"),
    ("westus", "West US, California", "US-CA"),
    ("westus2", "West US 2, Washington", "US-WA"),
    ("westus3", "West US 3, Arizona", "US-AZ"),
    ("usgovvirginia", "US Gov Virginia", "US-VA"),
    ("usgovarizona", "US Gov Arizona", "US-AZ"),
    ("usgovtexas", "US Gov Texas", "US-TX"),
    ("canadacentral", "Canada Central, Toronto", "CA-ON"),
    ("canadaeast", "Canada East, Quebec City", "CA-QC"),
    ("brazilsouth", "Brazil South, Sao Paulo State", "BR-CS"),
    ("brazilsoutheast", "Brazil Southeast, Rio de Janeiro", "BR-CS"),
    ("mexicocentral", "Mexico Central, Queretaro", "MX"),
    ("chilecentral", "Chile Central, Santiago", "CL-SEN"),
    ("northeurope", "North Europe, Ireland", "IE"),
    ("westeurope", "West Europe, Netherlands", "NL"),
    ("uksouth", "UK South, London", "GB"),
    ("ukwest", "UK West, Cardiff", "GB"),
    ("francecentral", "France Central, Paris", "FR"),
    ("francesouth", "France South, Marseille", "FR"),
    ("germanywestcentral", "Germany West Central, Frankfurt", "DE"),
    ("germanynorth", "Germany North, Berlin", "DE"),
    ("switzerlandnorth", "Switzerland North, Zurich", "CH"),
    ("switzerlandwest", "Switzerland West, Geneva", "CH"),
    ("norwayeast", "Norway East, Oslo", "NO"),
    ("norwaywest", "Norway West, Stavanger", "NO"),
    ("swedencentral", "Sweden Central, Gavle", "SE"),
    ("swedensouth", "Sweden South, Malmo", "SE"),
    ("polandcentral", "Poland Central, Warsaw", "PL"),
    ("italynorth", "Italy North, Milan", "IT"),
    ("spaincentral", "Spain Central, Madrid", "ES"),
    ("belgiumcentral", "Belgium Central, Brussels", "BE"),
    ("israelcentral", "Israel Central", "IL"),
    ("qatarcentral", "Qatar Central, Doha", "QA"),
    ("uaenorth", "UAE North, Dubai", "AE"),
    ("uaecentral", "UAE Central, Abu Dhabi", "AE"),
    ("southafricanorth", "South Africa North, Johannesburg", "ZA"),
    ("southafricawest", "South Africa West, Cape Town", "ZA"),
    ("centralindia", "Central India, Pune", "IN"),
    ("southindia", "South India, Chennai", "IN"),
    ("westindia", "West India, Mumbai", "IN"),
    ("jioindiawest", "Jio India West, Jamnagar", "IN"),
    ("jioindiacentral", "Jio India Central, Nagpur", "IN"),
    ("eastasia", "East Asia, Hong Kong", "HK"),
    ("southeastasia", "Southeast Asia, Singapore", "SG"),
    ("japaneast", "Japan East, Tokyo/Saitama", "JP"),
    ("japanwest", "Japan West, Osaka", "JP"),
    ("koreacentral", "Korea Central, Seoul", "KR"),
    ("koreasouth", "Korea South, Busan", "KR"),
    ("australiaeast", "Australia East, New South Wales", "AU-NSW"),
    ("australiasoutheast", "Australia Southeast, Victoria", "AU-VIC"),
    ("australiacentral", "Australia Central, Canberra", "AU-NSW"),
    ("australiacentral2", "Australia Central 2, Canberra", "AU-NSW"),
    ("newzealandnorth", "New Zealand North, Auckland", "NZ"),
    ("indonesiacentral", "Indonesia Central, Jakarta", "ID"),
    ("malaysiawest", "Malaysia West, Kuala Lumpur", "MY"),
    ("chinanorth", "China North, Beijing", "CN"),
    ("chinanorth2", "China North 2, Beijing", "CN"),
    ("chinanorth3", "China North 3, Hebei", "CN"),
    ("chinaeast", "China East, Shanghai", "CN"),
    ("chinaeast2", "China East 2, Shanghai", "CN"),
    ("chinaeast3", "China East 3, Shanghai", "CN"),
]

PUE = [
    ("on-premise", 1.0, 0, "on-premise default (set pue to override)", ""),
    (
        "gcp",
        1.09,
        2024,
        "Google data centers, fleet-wide trailing twelve-month PUE (2024)",
        "https://www.google.com/about/datacenters/efficiency/",
    ),
    (
        "aws",
        1.15,
        2023,
        "Amazon 2023 Sustainability Report, AWS global data center PUE",
        "https://sustainability.aboutamazon.com/products-services/aws-cloud",
    ),
    (
        "azure",
        1.18,
        2023,
        "Microsoft 2024 Environmental Sustainability Report, average operational PUE",
        "https://www.microsoft.com/en-us/corporate-responsibility/sustainability/report",
    ),
    (
        "industry-average",
        1.56,
        2024,
        "Uptime Institute Global Data Center Survey 2024, average annual PUE",
        "https://uptimeinstitute.com/resources/research-and-reports/uptime-institute-global-data-center-survey-results-2024",
    ),
]

# Time zones that pin down a sub-national zone; the rest map to their country.
# Multi-state US zones (New_York, Chicago, Denver) stay at the US average.
TZ_REFINE = {
    "America/Los_Angeles": "US-CA",
    "America/Phoenix": "US-AZ",
    "Pacific/Honolulu": "US-HI",
    "America/Anchorage": "US-AK",
    "America/Juneau": "US-AK",
    "America/Sitka": "US-AK",
    "America/Metlakatla": "US-AK",
    "America/Yakutat": "US-AK",
    "America/Nome": "US-AK",
    "America/Adak": "US-AK",
    "America/Boise": "US-ID",
    "America/Detroit": "US-MI",
    "America/Menominee": "US-MI",
    "America/Indiana/*": "US-IN",
    "America/Kentucky/*": "US-KY",
    "America/North_Dakota/*": "US-ND",
    "America/Toronto": "CA-ON",
    "America/Montreal": "CA-QC",
    "America/Vancouver": "CA-BC",
    "America/Fort_Nelson": "CA-BC",
    "America/Creston": "CA-BC",
    "America/Dawson_Creek": "CA-BC",
    "America/Edmonton": "CA-AB",
    "America/Regina": "CA-SK",
    "America/Swift_Current": "CA-SK",
    "America/Winnipeg": "CA-MB",
    "America/Halifax": "CA-NS",
    "America/Glace_Bay": "CA-NS",
    "America/Moncton": "CA-NB",
    "America/St_Johns": "CA-NL",
    "America/Goose_Bay": "CA-NL",
    "America/Blanc-Sablon": "CA-QC",
    "America/Whitehorse": "CA-YT",
    "America/Dawson": "CA-YT",
    "America/Yellowknife": "CA-NT",
    "America/Inuvik": "CA-NT",
    "America/Iqaluit": "CA-NU",
    "America/Rankin_Inlet": "CA-NU",
    "America/Cambridge_Bay": "CA-NU",
    "America/Resolute": "CA-NU",
    "America/Atikokan": "CA-ON",
    "Australia/Sydney": "AU-NSW",
    "Australia/Broken_Hill": "AU-NSW",
    "Australia/Melbourne": "AU-VIC",
    "Australia/Brisbane": "AU-QLD",
    "Australia/Lindeman": "AU-QLD",
    "Australia/Adelaide": "AU-SA",
    "Australia/Perth": "AU-WA",
    "Australia/Hobart": "AU-TAS",
    "Australia/Darwin": "AU-NT",
    "America/Sao_Paulo": "BR-CS",
}


def _write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (OUT / name).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def build_countries(shared: Path) -> dict[str, float]:
    """Write countries.csv; return alpha-2 → g/kWh for later lookups."""
    mix = json.loads(
        (shared / "data/reference/codecarbon/private_infra/global_energy_mix.json").read_text()
    )
    rows: list[list[object]] = []
    values: dict[str, float] = {}
    total_twh = weighted = 0.0
    for a3, rec in sorted(mix.items()):
        c = pycountry.countries.get(alpha_3=a3)
        ci, twh = float(rec["carbon_intensity"]), float(rec.get("total_TWh") or 0.0)
        total_twh += twh
        weighted += ci * twh
        names = {c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")}
        names |= set(COUNTRY_ALIASES.get(c.alpha_2, ()))
        names.discard(rec["country_name"])
        aliases = "|".join(sorted(n for n in names if n))
        values[c.alpha_2] = ci
        rows.append(
            [
                c.alpha_2,
                a3,
                rec["country_name"],
                _fmt(ci),
                rec["year"],
                EMBER,
                EMBER_URL,
                aliases,
                "",
            ]
        )
    for a2, via in sorted(NEIGHBOUR_GRID.items()):
        c = pycountry.countries.get(alpha_2=a2)
        src = next(r for r in rows if r[0] == via)
        note = f"no own figure; draws its power from the {src[2]} grid"
        rows.append(
            [
                a2,
                c.alpha_3,
                getattr(c, "common_name", c.name),
                src[3],
                src[4],
                f"{EMBER}, {src[2]} figure",
                EMBER_URL,
                "",
                note,
            ]
        )
    world = weighted / total_twh
    rows.append(
        [
            "WORLD",
            "WLD",
            "World",
            _fmt(world),
            2023,
            f"{EMBER}; generation-weighted mean of the country figures (2022-2023)",
            EMBER_URL,
            "Global|Earth",
            "world average; used when no zone is known",
        ]
    )
    _write(
        "countries.csv",
        [
            "alpha2",
            "alpha3",
            "name",
            "intensity_g_per_kwh",
            "year",
            "source",
            "url",
            "aliases",
            "note",
        ],
        rows,
    )
    return values


def _emaps_mean(shared: Path, zone: str) -> tuple[float, int]:
    for year in (2024, 2023):
        path = shared / f"data/carbon_intensity_{zone}_{year}.csv"
        if path.exists():
            with path.open(newline="") as f:
                vals = [float(r["carbon_intensity_lifecycle_g_per_kwh"]) for r in csv.DictReader(f)]
            return statistics.fmean(vals), year
    raise FileNotFoundError(zone)


def build_regions(shared: Path) -> None:
    """Write regions.csv from eGRID, NGA, NIR, CEA and Electricity Maps figures."""
    rows: list[list[object]] = []
    us = json.loads(
        (shared / "data/reference/codecarbon/private_infra/2016/usa_emissions.json").read_text()
    )
    for name, rec in sorted(us.items(), key=lambda kv: str(kv[1].get("regionCode"))):
        code = rec.get("regionCode", "")
        if len(code) != 2 or not code.isupper():
            continue
        g = float(rec["emissions"]) * LB_PER_MWH_TO_G_PER_KWH
        rows.append([f"US-{code}", name.title(), "US", _fmt(g), 2016, EGRID, EGRID_URL, ""])
    for rid, name, kg, aliases in AU_STATES:
        rows.append([rid, name, "AU", _fmt(kg * 1000), 2024, NGA, NGA_URL, aliases])
    for rid, name, g in CA_PROVINCES:
        rows.append([rid, name, "CA", _fmt(g), 2019, NIR, NIR_URL, ""])
    rows.append(
        [
            "IN-GRID",
            "India national grid (CEA)",
            "IN",
            _fmt(727.0),
            2023,
            CEA,
            CEA_URL,
            "India grid|CEA",
        ]
    )
    for zid, (name, country, alias) in EMAPS_ZONES.items():
        mean, year = _emaps_mean(shared, zid)
        src = (
            f"Electricity Maps, {year} hourly life-cycle intensity, annual mean "
            "(ODbL 1.0, (c) Electricity Maps)"
        )
        rows.append([zid, name, country, _fmt(mean), year, src, EMAPS_URL, alias])
    _write(
        "regions.csv",
        ["id", "name", "country", "intensity_g_per_kwh", "year", "source", "url", "aliases"],
        rows,
    )


def _google_figures(shared: Path) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    for path in sorted((shared / "data/reference/gcp-region-carbon-info/yearly").glob("*.csv")):
        year = int(path.stem)
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if row and row[0] and not row[0].startswith("Google"):
                    out[row[0]] = (float(row[3]), year)  # later years overwrite
    return out


def build_cloud(shared: Path) -> None:
    """Write cloud_regions.csv: provider regions mapped to grid zones."""
    google = _google_figures(shared)
    rows: list[list[object]] = []
    tables = (
        ("aws", AWS, AWS_URL, "AWS Regions list"),
        ("gcp", GCP, GCP_URL, "Google Cloud locations"),
        ("azure", AZURE, AZURE_URL, "Azure regions list"),
    )
    for provider, table, url, label in tables:
        for region, location, zone in table:
            ci: list[object] = ["", "", "", ""]
            if provider == "gcp" and region in google:
                value, year = google[region]
                ci = [_fmt(value), year, GCP_CI.format(year=year), GCP_CI_URL]
            rows.append(
                [
                    f"{provider}:{region}",
                    provider,
                    region,
                    location,
                    zone[:2],
                    zone,
                    REGION_LIST_YEAR,
                    label,
                    url,
                    *ci,
                ]
            )
    _write(
        "cloud_regions.csv",
        [
            "id",
            "provider",
            "region",
            "location",
            "country",
            "grid_zone",
            "year",
            "source",
            "url",
            "intensity_g_per_kwh",
            "intensity_year",
            "intensity_source",
            "intensity_url",
        ],
        rows,
    )


def build_pue() -> None:
    """Write pue.csv."""
    _write(
        "pue.csv",
        ["provider", "pue", "year", "source", "url"],
        [[p, f"{v:.2f}", y or "", s, u] for p, v, y, s, u in PUE],
    )


def _refined(tz: str, country: str) -> str:
    if tz in TZ_REFINE:
        return TZ_REFINE[tz]
    for pattern, zone in TZ_REFINE.items():
        if pattern.endswith("/*") and tz.startswith(pattern[:-1]):
            return zone
    return country


def build_timezones(countries: dict[str, float]) -> None:
    """Write timezones.csv from the system's zone.tab and tzdata.zi links."""
    base = Path("/usr/share/zoneinfo")
    tz_zone: dict[str, str] = {}
    for line in (base / "zone.tab").read_text().splitlines():
        if line and not line.startswith("#"):
            cc, _coords, tz = line.split("\t")[:3]
            if cc in countries or cc in NEIGHBOUR_GRID:
                tz_zone[tz] = _refined(tz, cc)
    for line in (base / "tzdata.zi").read_text().splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            if target in tz_zone and alias not in tz_zone:
                tz_zone[alias] = _refined(alias, tz_zone[target])
    _write("timezones.csv", ["tz", "zone"], [[tz, z] for tz, z in sorted(tz_zone.items())])


def main() -> None:
    """Build every table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    countries = build_countries(args.shared)
    build_regions(args.shared)
    build_cloud(args.shared)
    build_pue()
    build_timezones(countries)


if __name__ == "__main__":
    main()
