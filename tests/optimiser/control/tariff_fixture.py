"""A small tariff_content_v2 (Flux-like, doctored: peak sell = peak buy) for uploads."""

from __future__ import annotations


def flux_like_content(doctored: bool = True) -> dict:
    def block(fh, th):
        return {
            "periods": [
                {
                    "fromDayOfWeek": 0,
                    "toDayOfWeek": 6,
                    "fromHour": fh,
                    "fromMinute": 0,
                    "toHour": th,
                    "toMinute": 0,
                }
            ]
        }

    periods = {
        "OFF_PEAK": block(2, 5),
        "ON_PEAK": block(16, 19),
        "PARTIAL_PEAK": block(5, 16),
        "SUPER_OFF_PEAK": block(19, 2),
    }
    buy = {"OFF_PEAK": 0.17, "ON_PEAK": 0.40, "PARTIAL_PEAK": 0.28, "SUPER_OFF_PEAK": 0.28}
    sell = {
        "OFF_PEAK": 0.05,
        "ON_PEAK": 0.40 if doctored else 0.29,
        "PARTIAL_PEAK": 0.17,
        "SUPER_OFF_PEAK": 0.17,
    }
    season = {"fromDay": 1, "fromMonth": 1, "toDay": 31, "toMonth": 12, "tou_periods": periods}
    return {
        "name": "Flux (doctored)" if doctored else "Flux",
        "utility": "Octopus",
        "seasons": {"All": season},
        "energy_charges": {"All": {"rates": buy}},
        "sell_tariff": {"energy_charges": {"All": {"rates": sell}}},
    }
