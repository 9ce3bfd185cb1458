"""Events: triggers, status, date, place, participants, coreference and claim links.

Hand-written sentences; the last test runs the sample article when it is present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.extraction import Extractor

PUB = "2025-03-04"  # a Tuesday


def _run(extractor: Extractor, text: str, pub: str | None = PUB) -> dict[str, Any]:
    return extractor.extract(text, pub)


def _name(result: dict[str, Any], eid: str | None) -> str | None:
    return next((e["name"] for e in result["entities"] if e["id"] == eid), None)


def _names(result: dict[str, Any], ids: list[str]) -> set[str | None]:
    return {_name(result, i) for i in ids}


def _only(result: dict[str, Any]) -> dict[str, Any]:
    assert len(result["events"]) == 1, [(e["summary"], e["status"]) for e in result["events"]]
    return dict(result["events"][0])


def _check_spans(text: str, result: dict[str, Any]) -> None:
    for ev in result["events"]:
        for m in [ev["trigger"], *ev["mentions"]]:
            assert text[m["start"]:m["end"]] == m["text"]


@pytest.mark.parametrize(("text", "status"), [
    ("Macron met Scholz in Paris on Monday.", "occurred"),
    ("The two delegations have held talks in Geneva.", "occurred"),
    ("The government is planning to send a delegation to Warsaw for negotiations.", "planned"),
    ("Both ministers are expected to meet in Vienna.", "expected"),
    ("The negotiations are scheduled to resume in Oslo.", "scheduled"),
    ("The summit in Oslo was cancelled.", "cancelled"),
    ("Her likely visit to Rome could be delayed.", "uncertain"),
    ("The two delegations are holding talks in Doha.", "ongoing"),
    ("The two leaders agreed to meet again in Boston.", "planned"),
    ("The two sides have been holding talks in Cairo.", "ongoing"),
    ("The two sides were holding talks in Cairo when the news came.", "occurred"),
    ("The ministers began talks in Geneva on Monday.", "occurred"),
])
def test_status_from_tense_modality_and_hedges(extractor: Extractor, text: str, status: str) -> None:
    result = _run(extractor, text)
    _check_spans(text, result)
    assert _only(result)["status"] == status


def test_future_with_a_date_is_scheduled_without_one_planned(extractor: Extractor) -> None:
    dated = _only(_run(extractor, "Finland will host talks on March 12."))
    assert dated["status"] == "scheduled"
    assert dated["date"]["value"] == "2025-03-12"
    undated = _only(_run(extractor, "Finland will host talks."))
    assert undated["status"] == "planned"
    assert undated["date"] is None


def test_host_country_is_the_place_and_between_gives_participants(extractor: Extractor) -> None:
    text = "On March 12, Turkey will host new talks between Azerbaijan and Armenia."
    result = _run(extractor, text)
    ev = _only(result)
    assert ev["type"] == "meeting"
    assert _name(result, ev["place"]) == "Turkey"
    assert {"Azerbaijan", "Armenia"} <= _names(result, ev["participants"])
    assert ev["date"]["value"] == "2025-03-12"
    assert ev["status"] == "scheduled"


def test_verb_trigger_subject_object_and_place(extractor: Extractor) -> None:
    text = "Emmanuel Macron met Olaf Scholz in Paris on Monday."
    result = _run(extractor, text)
    ev = _only(result)
    assert {"Emmanuel Macron", "Olaf Scholz"} <= _names(result, ev["participants"])
    assert _name(result, ev["place"]) == "Paris"
    assert ev["date"]["value"] == "2025-03-03"


def test_negated_plans_are_not_events(extractor: Extractor) -> None:
    result = _run(extractor, "There are no plans for a meeting between the two presidents.")
    assert result["events"] == []


@pytest.mark.parametrize("text", [
    "The talk at the museum was about modern art.",
    "They like to talk about football.",
    "Visitors bought a ticket.",
    "The company failed to meet its sales targets.",
    "The plan has been met with criticism.",
    "Local election officials asked for more staff.",
    "The senator kept up his attacks on his rival.",
    "Millions of students sign up for the course.",
    "The rural vote is decisive.",
    "She had to work two jobs to make ends meet.",
    "The bank reported higher profits to the regulator.",
])
def test_generic_words_are_not_events(extractor: Extractor, text: str) -> None:
    assert _run(extractor, text)["events"] == []


def test_anaphoric_mention_is_the_same_event(extractor: Extractor) -> None:
    text = ("Norway will host negotiations between Serbia and Kosovo. "
            "These negotiations are scheduled for April 2.")
    result = _run(extractor, text)
    ev = _only(result)
    assert [m["text"] for m in ev["mentions"]] == ["negotiations", "negotiations"]
    assert ev["date"]["value"] == "2025-04-02"
    assert ev["status"] == "scheduled"
    assert _name(result, ev["place"]) == "Norway"


def test_event_across_sentences_collects_participants_from_both(extractor: Extractor) -> None:
    text = ("The ministry will send Ivan Koval to Madrid for talks. These talks are scheduled "
            "to take place on June 3, and Koval will meet with the Spanish foreign minister "
            "Jose Albares.")
    result = _run(extractor, text)
    ev = _only(result)
    assert len(ev["mentions"]) == 3
    assert _name(result, ev["place"]) == "Madrid"
    assert {"Ivan Koval", "Jose Albares"} <= _names(result, ev["participants"])
    assert ev["date"]["value"] == "2025-06-03"
    assert ev["status"] == "scheduled"


def test_different_places_or_times_stay_different_events(extractor: Extractor) -> None:
    text = ("Anna Kowalska met Peter Novak in Prague in January. "
            "Kowalska will meet Novak again in Berlin next week.")
    result = _run(extractor, text)
    assert len(result["events"]) == 2
    places = [_name(result, e["place"]) for e in result["events"]]
    statuses = [e["status"] for e in result["events"]]
    assert places == ["Prague", "Berlin"]
    assert statuses[0] == "occurred" and statuses[1] in ("scheduled", "planned")


def test_reporting_date_is_not_the_event_date(extractor: Extractor) -> None:
    text = "The ministers will meet in Rome, Politico wrote on March 1."
    ev = _only(_run(extractor, text))
    assert ev["date"] is None or ev["date"]["value"] != "2025-03-01"


def test_relative_date_from_a_duration(extractor: Extractor) -> None:
    text = "The visit could come three weeks after the ministers met in Rome."
    result = _run(extractor, text)
    met = next(e for e in result["events"] if e["trigger"]["text"] == "met")
    assert met["status"] == "occurred"
    assert _name(result, met["place"]) == "Rome"
    assert "three weeks before the visit" in met["summary"]
    timex = next(t for t in result["timexes"] if t["id"] == met["date"]["timex"])
    assert timex["text"].endswith("three weeks")


def test_report_to_someone_is_a_briefing(extractor: Extractor) -> None:
    text = "After the talks, Minister Ivan Koval will report to President Maria Sandu."
    result = _run(extractor, text)
    briefing = next(e for e in result["events"] if e["type"] == "briefing")
    assert briefing["status"] == "planned"
    assert {"Ivan Koval", "Maria Sandu"} <= _names(result, briefing["participants"])


def test_events_link_the_claims_that_report_them(extractor: Extractor) -> None:
    text = "Reuters reported that the foreign ministers will meet in Vienna on Friday."
    result = _run(extractor, text)
    ev = _only(result)
    containing = [c["id"] for c in result["claims"]
                  if c["content"]["start"] <= ev["trigger"]["start"] < c["content"]["end"]]
    assert ev["claims"] == containing
    ids = {c["id"] for c in result["claims"]}
    assert set(ev["claims"]) <= ids


def test_pronoun_subject_resolves_to_the_person(extractor: Extractor) -> None:
    text = "Olena Kovalenko arrived in Vilnius. She met the Lithuanian president on Monday."
    result = _run(extractor, text)
    met = next(e for e in result["events"] if e["trigger"]["text"] == "met")
    assert "Olena Kovalenko" in _names(result, met["participants"])


def test_no_publication_date_keeps_statuses_from_the_text(extractor: Extractor) -> None:
    result = _run(extractor, "The leaders met in Madrid.", pub=None)
    assert _only(result)["status"] == "occurred"


def test_sample_article_events(extractor: Extractor, samples_dir: Path) -> None:
    path = samples_dir / "liga-2025-12-19-umerov-talks.txt"
    if not path.is_file():
        pytest.skip(f"sample article missing: {path}")
    text = path.read_text(encoding="utf-8")
    result = _run(extractor, text, "2025-12-19")
    _check_spans(text, result)
    events = result["events"]

    def place(ev: dict[str, Any]) -> str | None:
        return _name(result, ev["place"])

    us = [e for e in events if place(e) == "United States"]
    assert len(us) == 1
    assert us[0]["date"]["value"] == "2025-12-19"
    assert {"United States", "Ukraine"} <= _names(result, us[0]["participants"])

    miami = [e for e in events if place(e) == "Miami"]
    assert len(miami) == 1
    assert miami[0]["date"]["value"] == "2025-12-20"
    assert miami[0]["status"] == "scheduled"
    assert {"Kirill Dmitriev", "Steve Witkoff", "Jared Kushner"} <= _names(result, miami[0]["participants"])
    assert len(miami[0]["mentions"]) >= 3
    reported = [c for c in result["claims"] if c["id"] in miami[0]["claims"]]
    assert reported, "the Miami meeting should link the claims that report it"

    berlin = [e for e in events if place(e) == "Berlin"]
    assert len(berlin) == 1 and berlin[0]["status"] == "occurred"

    moscow = [e for e in events if place(e) == "Moscow"]
    assert len(moscow) == 1 and moscow[0]["status"] == "occurred"
    assert {"Steve Witkoff", "Jared Kushner", "Vladimir Putin"} <= _names(result, moscow[0]["participants"])
    assert "before" in moscow[0]["summary"]

    briefing = [e for e in events if e["type"] == "briefing"]
    assert len(briefing) == 1 and briefing[0]["status"] == "planned"
    assert "Volodymyr Zelenskyy" in _names(result, briefing[0]["participants"])


def test_governing_verb_counts_only_for_its_own_argument(extractor: Extractor) -> None:
    text = "The senator continued the campaign he began after the invasion of Kuwait."
    result = _run(extractor, text)
    invasion = next(e for e in result["events"] if e["trigger"]["text"] == "invasion")
    assert invasion["participants"] == []
    assert _name(result, invasion["place"]) == "Kuwait"


def test_fragments_without_verbs_terminate(extractor: Extractor) -> None:
    for text in ("About the talks on December 19.", "On December 19.", "Talks.", ""):
        _check_spans(text, _run(extractor, text))


def test_past_meetings_sharing_one_person_stay_apart(extractor: Extractor) -> None:
    text = ("Marta Nowak met her husband in 1990. Years later, the directors of the company met "
            "Nowak at the airport.")
    result = _run(extractor, text)
    assert len([e for e in result["events"] if e["type"] == "meeting"]) == 2


def test_visited_place_is_not_a_participant(extractor: Extractor) -> None:
    result = _run(extractor, "Anna Berg visited Kyiv on Monday.")
    ev = _only(result)
    assert _name(result, ev["place"]) == "Kyiv"
    assert _names(result, ev["participants"]) == {"Anna Berg"}


def test_anaphor_with_a_conflicting_place_is_another_event(extractor: Extractor) -> None:
    text = "The ministers held talks in Oslo on Monday. These talks in Rome will resume on Friday."
    result = _run(extractor, text)
    places = sorted(_name(result, e["place"]) or "" for e in result["events"])
    assert places == ["Oslo", "Rome"]
