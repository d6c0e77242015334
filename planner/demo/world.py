"""The fictional demo world: an invented movement, its slogans, our team's channels and audiences.

Everything here is made up. No real group, slogan or person is named.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoWorld:
    adversary: str
    adversary_hashtags: tuple[str, ...]
    adversary_slogans: tuple[str, ...]
    adversary_domains: tuple[str, ...]
    ordinary_hashtags: tuple[str, ...]
    ordinary_phrases: tuple[str, ...]
    our_organisation: str
    our_funder: str
    audiences: tuple[dict, ...]
    channels: tuple[dict, ...]
    start: str  # ISO date (UTC) of the first monitored day
    days: int


WORLD = DemoWorld(
    adversary="Order of the Grey Lantern",
    adversary_hashtags=("GreyLanternRises", "AllEyesOnTheLantern", "LanternCalls"),
    adversary_slogans=(
        "The lantern sees what the cities hide",
        "Only the Order keeps the valley safe",
        "Leave your town, the Lantern needs you",
    ),
    adversary_domains=("greylantern-news.example", "lantern-voice.example"),
    ordinary_hashtags=("Valleyton", "RiverFestival", "CouncilVote", "TrainStrike", "HarvestMarket", "FootballCup"),
    ordinary_phrases=(
        "traffic on the ring road is slow again this morning",
        "the river festival opens on friday with music and food stalls",
        "council vote on the new bus lanes postponed to next week",
        "great win for the valley football club last night",
        "farmers market has the first apples of the season",
        "train strike announced for tuesday, check your routes",
        "new library opening hours start next month",
        "heavy rain expected across the valley tomorrow",
    ),
    our_organisation="Valley Voices Network (fictional NGO)",
    our_funder="Northfield Civic Trust (fictional foundation)",
    audiences=(
        {
            "name": "Young adults in Valleyton",
            "languages": ["en"],
            "time_zone": "Europe/London",
            "active_hours": [18, 19, 20, 21, 22],
        },
        {
            "name": "Parents and teachers",
            "languages": ["en"],
            "time_zone": "Europe/London",
            "active_hours": [7, 8, 12, 20, 21],
        },
    ),
    channels=(
        {"platform": "x", "handle": "@ValleyVoicesNet"},
        {"platform": "facebook", "handle": "Valley Voices Network"},
        {"platform": "instagram", "handle": "@valleyvoices"},
        {"platform": "telegram", "handle": "valleyvoices_updates"},
    ),
    start="2026-11-01",
    days=14,
)
