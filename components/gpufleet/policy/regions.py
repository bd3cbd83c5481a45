"""Where a resource lives, and the residency groups built from the catalog's regions table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyProviderResource

from gpufleet.catalog import Catalog, Cloud
from gpufleet.policy import props as p

PACKAGE_CLOUD: dict[str, Cloud] = {"aws": "aws", "azure-native": "azure", "alicloud": "alicloud"}
"""Pulumi package name (first part of a type token) -> gpufleet cloud."""

CLOUD_PACKAGE: dict[Cloud, str] = {v: k for k, v in PACKAGE_CLOUD.items()}


def cloud_of(resource_type: str) -> Cloud | None:
    """The cloud of a resource type token, or None (components, providers, other packages)."""
    return PACKAGE_CLOUD.get(resource_type.split(":", 1)[0])


@dataclass(frozen=True)
class Placement:
    """The region of one resource and how it was found (for messages)."""

    region: str | None
    """Normalised region name, or None when it cannot be determined."""
    source: str
    """e.g. "its own 'region'", "provider 'fleet-aws-us-east-1'", or why it is unknown."""


def normalise(cloud: Cloud, region: str) -> str:
    # ARM accepts display names ("East US") as locations; the catalog uses "eastus".
    if cloud == "azure":
        return region.replace(" ", "").lower()
    return region.strip()


def placement(cloud: Cloud, props: Mapping[str, Any], provider: PolicyProviderResource | None) -> Placement:
    """Find the region from what pulumi_policy exposes: ``args.props`` and ``args.provider.props``.

    AWS v7 resources may carry their own ``region``; Azure resources their
    ``location``; Alibaba resources have no region argument, so only the provider
    counts. A default provider configured only through environment variables shows
    no region to policies, and that is reported, never guessed.
    """
    own_key = {"aws": "region", "azure": "location", "alicloud": None}[cloud]
    if own_key is not None:
        own = p.text(props, own_key)
        if own:
            return Placement(normalise(cloud, own), f"its own '{own_key}'")
    provider_key = "location" if cloud == "azure" else "region"
    if provider is None:
        return Placement(None, "it has no provider, so no region is visible")
    value = p.text(provider.props, provider_key)
    label = f"provider '{provider.name}'"
    if value:
        return Placement(normalise(cloud, value), label)
    hint = {
        "aws": "set 'region' on the resource or the provider (aws:region in stack config)",
        "azure": "set 'location' on the resource or the provider (azure-native:location)",
        "alicloud": "give the resource an explicit alicloud.Provider with 'region' (alicloud:region)",
    }[cloud]
    return Placement(None, f"{label} has no '{provider_key}' input (environment-only settings are invisible); {hint}")


# Residency groups -------------------------------------------------------------------------------

COUNTRY_CODES: dict[str, str] = {
    # ISO 3166-1 alpha-2 codes, lower case; the regions table spells some countries two ways.
    "Australia": "au",
    "Austria": "at",
    "Bahrain": "bh",
    "Belgium": "be",
    "Brazil": "br",
    "Canada": "ca",
    "Chile": "cl",
    "China": "cn",
    "China (Hong Kong SAR)": "hk",
    "Denmark": "dk",
    "France": "fr",
    "Germany": "de",
    "India": "in",
    "Indonesia": "id",
    "Ireland": "ie",
    "Israel": "il",
    "Italy": "it",
    "Japan": "jp",
    "Korea": "kr",
    "South Korea": "kr",
    "Malaysia": "my",
    "Mexico": "mx",
    "Netherlands": "nl",
    "New Zealand": "nz",
    "Norway": "no",
    "Poland": "pl",
    "Qatar": "qa",
    "Singapore": "sg",
    "South Africa": "za",
    "Spain": "es",
    "Sweden": "se",
    "Switzerland": "ch",
    "UAE": "ae",
    "United Arab Emirates": "ae",
    "United Kingdom": "gb",
    "United States": "us",
}
"""Country (as written in regions.csv) -> residency group. ``eu`` comes from the in_eu column."""


@dataclass(frozen=True)
class Residency:
    """Residency groups: group name -> the (cloud, region) pairs in it."""

    groups: Mapping[str, frozenset[tuple[str, str]]]

    def of(self, cloud: str, region: str) -> list[str]:
        return sorted(g for g, members in self.groups.items() if (cloud, region) in members)


_CACHE: dict[int, tuple[Catalog, Residency]] = {}


def residency(catalog: Catalog) -> Residency:
    """The groups for ``catalog`` (cached per catalog object; hashing a catalog is slow)."""
    hit = _CACHE.get(id(catalog))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    groups: dict[str, set[tuple[str, str]]] = {}
    for r in catalog.regions:
        if r.in_eu:
            groups.setdefault("eu", set()).add((r.cloud, r.name))
        code = COUNTRY_CODES.get(r.country)
        if code:
            groups.setdefault(code, set()).add((r.cloud, r.name))
    result = Residency({g: frozenset(m) for g, m in sorted(groups.items())})
    _CACHE[id(catalog)] = (catalog, result)
    return result
