"""Octopus / DNO region letters (grid supply point groups)."""

from __future__ import annotations

from tariffs.errors import UnknownRegion

REGIONS: dict[str, str] = {
    "A": "Eastern England",
    "B": "East Midlands",
    "C": "London",
    "D": "Merseyside and North Wales",
    "E": "West Midlands",
    "F": "North East England",
    "G": "North West England",
    "H": "Southern England",
    "J": "South East England",
    "K": "South Wales",
    "L": "South West England",
    "M": "Yorkshire",
    "N": "South Scotland",
    "P": "North Scotland",
}


def normalise_region(region: str) -> str:
    """``"c"``, ``"_C"`` or ``"C"`` → ``"C"``; raises :class:`UnknownRegion` otherwise."""
    letter = region.strip().upper().removeprefix("_")
    if letter not in REGIONS:
        raise UnknownRegion(
            f"unknown region {region!r}: expected one letter of {' '.join(REGIONS)} (no I or O)",
            hint="find yours with `wattplan tariffs region POSTCODE`",
        )
    return letter
