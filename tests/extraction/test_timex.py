"""Temporal expressions: finding, spans and TimeML normalisation (hand-written sentences)."""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any

import pytest
import spacy
from spacy.language import Language

from app.extraction import Extractor, parse_date, timex
from app.extraction.types import Context

DCT = "2025-12-19"  # a Friday, ISO week 51


def _tx(extractor: Extractor, text: str, published_at: str | None = DCT) -> list[dict[str, Any]]:
    """The timex stage alone on the real parse (the other stages are tested on their own)."""
    ctx = Context(doc=extractor.nlp(text), published_at=parse_date(published_at))
    timex.annotate(ctx)
    out = [t.to_dict() for t in ctx.timexes]
    for t in out:
        assert text[t["start"]:t["end"]] == t["text"]
    return out


def _one(extractor: Extractor, text: str, needle: str, published_at: str | None = DCT) -> dict[str, Any]:
    """The timex whose text contains `needle` (exactly one)."""
    found = [t for t in _tx(extractor, text, published_at) if needle in t["text"]]
    assert len(found) == 1, (needle, _tx(extractor, text, published_at))
    return found[0]


# --------------------------------------------------------------------------- absolute dates

@pytest.mark.model
@pytest.mark.parametrize(("text", "needle", "value"), [
    ("The treaty was signed on Dec. 19, 2025, in Geneva.", "Dec. 19, 2025", "2025-12-19"),
    ("The form was dated 12/19/2025 by the clerk.", "12/19/2025", "2025-12-19"),
    ("The archive was opened on 3 March 2011.", "3 March 2011", "2011-03-03"),
    ("Prices of rice doubled in 1998.", "1998", "1998"),
    ("She wrote about the music of the 1990s.", "1990s", "199"),
    ("The factory closed in the mid-1990s.", "mid-1990s", "199"),
    ("Trump's 2020 campaign spent heavily on television.", "2020", "2020"),
    ("The museum reopened in June 2024 after repairs.", "June 2024", "2024-06"),
])
def test_absolute_dates(extractor: Extractor, text: str, needle: str, value: str) -> None:
    t = _one(extractor, text, needle)
    assert t["value"] == value
    assert t["type"] == "DATE"
    assert t["anchor"] is None


@pytest.mark.model
def test_span_excludes_preposition_and_keeps_modifiers(extractor: Extractor) -> None:
    t = _one(extractor, "On December 19 the delegates met in a hotel.", "December 19")
    assert t["text"] == "December 19"  # TimeML leaves the preposition out
    assert t["value"] == "2025-12-19"
    t = _one(extractor, "The storm could last more than two weeks.", "two weeks")
    assert t["text"] == "more than two weeks"
    assert (t["type"], t["value"]) == ("DURATION", "P2W")
    t = _one(extractor, "The harvest started in early December.", "December")
    assert t["text"] == "early December"
    assert t["value"] == "2025-12"


# --------------------------------------------------------------------------- relative to publication

@pytest.mark.model
@pytest.mark.parametrize(("text", "needle", "value"), [
    ("Today the minister opened a new bridge.", "Today", "2025-12-19"),
    ("The mayor resigned yesterday after a long row.", "yesterday", "2025-12-18"),
    ("The council will vote tomorrow on the budget.", "tomorrow", "2025-12-20"),
    ("Inflation slowed last week, the bank said.", "last week", "2025-W50"),
    ("The port will reopen next month.", "next month", "2026-01"),
    ("Exports grew this year despite the strike.", "this year", "2025"),
    ("The plant was sold two months ago.", "two months ago", "2025-10"),
    ("Sales fell last year in every region.", "last year", "2024"),
    ("The talks are now in their third day.", "now", "PRESENT_REF"),
    ("The firm currently employs forty engineers.", "currently", "PRESENT_REF"),
    ("The museum recently bought a painting.", "recently", "PAST_REF"),
    ("Nobody can predict the future of the league.", "the future", "FUTURE_REF"),
    ("The rebels were defeated in the past.", "the past", "PAST_REF"),
    ("The bridge will reopen next spring.", "next spring", "2026-SP"),
    ("The drought hit farmers last summer.", "last summer", "2025-SU"),
])
def test_relative_dates(extractor: Extractor, text: str, needle: str, value: str) -> None:
    t = _one(extractor, text, needle)
    assert t["value"] == value
    if value[:1].isdigit():
        assert t["anchor"] == "published_at"


@pytest.mark.model
def test_weekday_follows_tense(extractor: Extractor) -> None:
    past = _one(extractor, "The rebels withdrew from the town on Wednesday.", "Wednesday")
    assert past["value"] == "2025-12-17"
    future = _one(extractor, "The envoy will fly to Rome on Wednesday.", "Wednesday")
    assert future["value"] == "2025-12-24"
    same_day = _one(extractor, "The court ruled Friday that the law stands.", "Friday")
    assert same_day["value"] == "2025-12-19"


@pytest.mark.model
@pytest.mark.parametrize(("text", "value"), [
    ("Until Tuesday, the ministry had not named a successor.", "2025-12-16"),
    ("The ferry company waited until Tuesday to cancel the route.", "2025-12-16"),
    ("The judge postponed the hearing until Tuesday.", "2025-12-23"),
    ("The city gave the tenants until Tuesday to leave.", "2025-12-23"),
    ("The offer stays open until Tuesday.", "2025-12-23"),
    ("The union has scheduled a strike vote Tuesday.", "2025-12-23"),
])
def test_weekday_after_until_and_scheduling(extractor: Extractor, text: str, value: str) -> None:
    assert _one(extractor, text, "Tuesday")["value"] == value


@pytest.mark.model
@pytest.mark.parametrize(("text", "needle"), [
    ("Sales climbed in the second quarter, against a loss in the quarter a year earlier.",
     "the quarter a year earlier"),
    ("Sales climbed in the second quarter, against a loss in the same period last year.",
     "the same period last year"),
    ("Sales climbed in the second quarter; last year's quarter brought a loss.", "last year's quarter"),
])
def test_reported_period_a_year_back(extractor: Extractor, text: str, needle: str) -> None:
    t = _one(extractor, text, "year", "2025-08-01")
    assert (t["text"], t["value"]) == (needle, "2024-Q2")


@pytest.mark.model
def test_quarters(extractor: Extractor) -> None:
    t = _one(extractor, "Profit rose 8% in the third quarter, the bank said.", "quarter", "1998-11-05")
    assert (t["text"], t["value"]) == ("the third quarter", "1998-Q3")
    t = _one(extractor, "The carmaker reported a fourth-quarter loss.", "quarter", "1998-02-05")
    assert t["value"] == "1997-Q4"  # reported in February: the quarter that just ended


@pytest.mark.model
@pytest.mark.parametrize(("text", "needle", "typ", "value"), [
    ("The strike lasted two weeks.", "two weeks", "DURATION", "P2W"),
    ("The flight took three hours.", "three hours", "DURATION", "PT3H"),
    ("Rents have doubled over the past three years.", "three years", "DURATION", "P3Y"),
    ("He waited for several days.", "several days", "DURATION", "PXD"),
    ("The old mill stood empty for years.", "years", "DURATION", "PXY"),
    ("Fresh crews should arrive within weeks.", "weeks", "DURATION", "PXW"),
    ("Over the decades the harbour silted up.", "the decades", "DURATION", "PXY"),
    ("The committee meets every week.", "every week", "SET", "P1W"),
    ("The newsletter is published weekly.", "weekly", "SET", "P1W"),
    ("The fund rebalances its holdings quarterly.", "quarterly", "SET", "P1Q"),
    ("The polls open at 10 a.m. in the capital.", "10 a.m.", "TIME", "2025-12-19T10:00"),
    ("The band plays tonight in the old harbour.", "tonight", "TIME", "2025-12-19TNI"),
    ("The log entry reads 2025-12-19T10:30 exactly.", "2025-12-19T10:30", "TIME", "2025-12-19T10:30"),
    ("The ferry leaves at 14:30 from the north pier.", "14:30", "TIME", "2025-12-19T14:30"),
    ("Polls close at 8 p.m. ET Tuesday.", "8 p.m.", "TIME", "2025-12-23T20:00"),
    ("Officials expect a ruling by the end of the month.", "month", "DATE", "2025-12"),
    ("Trading resumes on New Year\u2019s Day.", "Day", "DATE", "2026-01-01"),
])
def test_durations_sets_times(extractor: Extractor, text: str, needle: str, typ: str, value: str) -> None:
    t = _one(extractor, text, needle)
    assert (t["type"], t["value"]) == (typ, value)


# --------------------------------------------------------------------------- discourse and year inference

@pytest.mark.model
def test_day_before_is_anchored_to_previous_date(extractor: Extractor) -> None:
    text = "The ceasefire began on March 3. The day before, both sides shelled the port."
    tx = _tx(extractor, text)
    first = next(t for t in tx if t["text"] == "March 3")
    before = next(t for t in tx if t["text"] == "The day before")
    assert first["value"] == "2025-03-03"
    assert before["value"] == "2025-03-02"
    assert before["anchor"] == first["id"]


@pytest.mark.model
def test_day_before_without_previous_date_uses_publication(extractor: Extractor) -> None:
    t = _one(extractor, "The day before, the union had called off the strike.", "day before")
    assert (t["value"], t["anchor"]) == ("2025-12-18", "published_at")


@pytest.mark.model
def test_year_inference_uses_tense(extractor: Extractor) -> None:
    met = _one(extractor, "The two leaders met on December 30 in Paris.", "December 30", "2026-01-05")
    assert met["value"] == "2025-12-30"  # past tense in a January article: last year
    meet = _one(extractor, "The two leaders will meet on January 5.", "January 5", "2025-12-19")
    assert meet["value"] == "2026-01-05"  # future tense in a December article: next year
    soon = _one(extractor, "The summit is on December 20.", "December 20", "2025-12-19")
    assert soon["value"] == "2025-12-20"


@pytest.mark.model
def test_year_written_earlier_in_the_sentence_wins(extractor: Extractor) -> None:
    tx = _tx(extractor, "In 1996, the rebels seized the town on March 3 and held it until June.")
    year, day, month = tx
    assert (day["value"], day["anchor"]) == ("1996-03-03", year["id"])
    assert (month["value"], month["anchor"]) == ("1996-06", year["id"])
    undated = _tx(extractor, "In 1996, the rebels seized the town on March 3.", None)
    assert undated[1]["value"] == "1996-03-03"  # absolute through the text, even without a DCT


@pytest.mark.model
def test_without_publication_date_only_absolute_values(extractor: Extractor) -> None:
    tx = _tx(extractor, "The pact of Dec. 19, 2025 was attacked yesterday; talks took two weeks.", None)
    by_text = {t["text"]: t for t in tx}
    assert by_text["Dec. 19, 2025"]["value"] == "2025-12-19"
    assert by_text["yesterday"]["value"] is None
    assert by_text["yesterday"]["anchor"] is None
    assert by_text["two weeks"]["value"] == "P2W"


# --------------------------------------------------------------------------- negatives

@pytest.mark.model
@pytest.mark.parametrize("text", [
    "May I ask you a question about the roads?",
    "She gave money to the March of Dimes.",
    "In all, 1,998 people signed the petition.",
    "The company employs 1998 people in Ohio.",
    "It was a second attempt to pass the bill.",
    "The minister will march with the teachers.",
    "Spring water and fall colours draw tourists.",
    "The pastor read John 3:16 to the crowd.",
    "The embassy is at 1600 Harbour Street.",
    "The boy, a 10-year-old from Lviv, won the prize.",
    "The vines bore fruit years later and for years of drought after.",
    "The brewer raised its quarterly dividend by two cents.",
    "For the tiny party, it was high noon in the debate.",
    "Two thousand nurses joined the strike.",
    "The guide was soon released by the border police.",
    'The minister spoke on the talk show "This Week," then flew home.',
    "You are listening to Radio Harbour Today.",
])
def test_no_timex(extractor: Extractor, text: str) -> None:
    assert _tx(extractor, text) == []


# --------------------------------------------------------------------------- the sample article

@pytest.mark.model
def test_sample_article(extractor: Extractor, samples_dir: Any) -> None:
    path = samples_dir / "liga-2025-12-19-umerov-talks.txt"
    if not path.exists():
        pytest.skip(f"sample article missing: {path}")
    tx = _tx(extractor, path.read_text(encoding="utf-8"), "2025-12-19")
    got = {(t["text"].lower(), t["value"]) for t in tx}
    for expected in [("december 19", "2025-12-19"), ("today", "2025-12-19"),
                     ("the day before", "2025-12-18"), ("december 17", "2025-12-17"),
                     ("december 20", "2025-12-20"), ("two months ago", "2025-10"),
                     ("more than two weeks", "P2W")]:
        assert expected in got, (expected, got)


# --------------------------------------------------------------------------- hostile input, no model


@functools.cache
def _tokenizer() -> Language:
    return spacy.blank("en")


def _bare(text: str, published_at: date | None = date(2025, 12, 19)) -> list[Any]:
    """annotate() on a bare tokenizer doc: no tagger or parser, as robust as with them."""
    ctx = Context(doc=_tokenizer()(text), published_at=published_at)
    timex.annotate(ctx)
    return ctx.timexes


@pytest.mark.parametrize("pathological", [
    "1 " * 50_000,
    "December " * 12_000,
    "the past " * 12_000,
    "a-a-a-" * 17_000 + "year",
    "more than " * 10_000 + "two weeks",
    "twenty-" * 15_000,
    ("12/" * 33_000) + "1",
    " " * 100_000 + "today",
    "\n" * 50_000 + "Dec. 19, 2025" + "\t" * 50_000,
])
def test_adversarial_input_completes(pathological: str) -> None:
    out = _bare(pathological)
    for t in out:
        assert pathological[t.start:t.end] == t.text


def test_lexicon_word_salad_never_raises() -> None:
    """Every lexicon entry, in odd company and casing, with and without a reference date."""
    words = [w for cat in timex.lexicon().cats.values() for w in cat]
    words += [w.title() for w in words]
    words += ["31", "1999", "2025-02-30", "12/31/99", "25:61", "'s", "\u2019s", "."]
    for i in range(0, len(words), 7):
        text = " ".join(words[i:i + 13])
        for dct in (date(2024, 2, 29), None):
            for t in _bare(text, dct):
                assert text[t.start:t.end] == t.text


def test_bare_doc_still_resolves() -> None:
    out = _bare("The vote was held on Dec. 19, 2025 and the results came two days later.")
    assert [(t.text, t.value) for t in out][0] == ("Dec. 19, 2025", "2025-12-19")
    assert out[1].value == "2025-12-21"


# --------------------------------------------------------------------------- normaliser units


def test_shift_and_granularity() -> None:
    ref = date(2025, 12, 19)
    assert timex._shift(ref, "W", -1) == "2025-W50"
    assert timex._shift(ref, "M", 1) == "2026-01"
    assert timex._shift(ref, "Q", -1) == "2025-Q3"
    assert timex._shift(ref, "WE", 0) == "2025-W51-WE"
    assert timex._shift_value("1989-Q3", "Y", -1) == "1988-Q3"
    assert timex._shift_value("2025-03", "M", -3) == "2024-12"


def test_durations_and_numbers() -> None:
    assert timex._duration("2", "W") == "P2W"
    assert timex._duration("3", "TH") == "PT3H"
    assert timex._duration("3", "Q") == "P9M"
    assert timex._duration("X", "Y") == "PXY"
    assert timex._duration("5.5", "TH") == "PT5H30M"
    assert timex._number("twenty-four") == "24"
    assert timex._number("a few") == "X"
    assert timex._number("5 1/2") == "5.5"


def test_holidays() -> None:
    assert timex._easter(2024) == date(2024, 3, 31)
    assert timex._holiday("4:4:11", 2025) == date(2025, 11, 27)  # Thanksgiving
    assert timex._holiday("-1:1:05", 2025) == date(2025, 5, 26)  # Memorial Day
    assert timex._holiday("12-25", 2025) == date(2025, 12, 25)


# --------------------------------------------------------------------------- ranges

@pytest.mark.model
def test_day_range_tags_both_days_with_the_trailing_year(extractor: Extractor) -> None:
    found = _tx(extractor, "The fair ran on Nov. 3-4, 2024, in the old town.")
    assert [(t["text"], t["value"]) for t in found] == [("Nov. 3", "2024-11-03"), ("4, 2024", "2024-11-04")]


@pytest.mark.model
def test_day_range_with_and_without_year(extractor: Extractor) -> None:
    found = _tx(extractor, "The ministers met on December 8 and 9 in Oslo.")
    assert [(t["text"], t["value"]) for t in found] == [("December 8", "2025-12-08"), ("9", "2025-12-09")]


@pytest.mark.model
def test_year_range_tags_both_years(extractor: Extractor) -> None:
    found = _tx(extractor, "Exports fell in 2021-2022 and again in 1997-98.")
    assert [(t["text"], t["value"]) for t in found] == [("2021", "2021"), ("2022", "2022"),
                                                        ("1997", "1997"), ("98", "1998")]


@pytest.mark.model
@pytest.mark.parametrize("text", [
    "The vote on May 3 and 40 protesters were arrested.",
    "Workers need 1500-2000 hours of training.",
    "A 2019-04 code was printed on the box.",
])
def test_not_a_range(extractor: Extractor, text: str) -> None:
    assert all(t["text"] not in ("40", "2000", "04") for t in _tx(extractor, text))


@pytest.mark.model
@pytest.mark.parametrize(("text", "needle", "value"), [
    ("The dam was finished in March this year.", "March this year", "2025-03"),
    ("The new line opens in April next year.", "April next year", "2026-04"),
    ("The mayor resigned on May 5 last year.", "May 5 last year", "2024-05-05"),
])
def test_month_with_relative_year_is_one_date(extractor: Extractor, text: str, needle: str,
                                               value: str) -> None:
    found = _tx(extractor, text)
    assert [(t["text"], t["value"]) for t in found] == [(needle, value)]


@pytest.mark.model
def test_month_with_spelled_year(extractor: Extractor) -> None:
    found = _tx(extractor, "The mine closed in March nineteen eighty-four, the miner recalled.")
    assert [(t["text"], t["value"]) for t in found] == [("March nineteen eighty-four", "1984-03")]


@pytest.mark.model
def test_week_of_a_date_is_its_iso_week(extractor: Extractor) -> None:
    found = _tx(extractor, "The trial was moved to the week of Dec. 1, 2025.")
    assert [(t["text"], t["value"]) for t in found] == [("the week of Dec. 1, 2025", "2025-W49")]


@pytest.mark.model
def test_next_years_quarter(extractor: Extractor) -> None:
    t = _one(extractor, "The plant could reopen in next year's second quarter.", "quarter")
    assert (t["text"], t["value"]) == ("next year's second quarter", "2026-Q2")


@pytest.mark.model
def test_soon_looks_forward_only_outside_past_narration(extractor: Extractor) -> None:
    t = _one(extractor, "The bakery will soon open a second shop.", "soon")
    assert t["value"] == "FUTURE_REF"


@pytest.mark.model
@pytest.mark.parametrize("text", ['Asked when, the driver said "Today."', "Today the talks resumed.",
                                  'She said: "Today we celebrate."'])
def test_capitalised_today_at_sentence_start_is_a_date(extractor: Extractor, text: str) -> None:
    assert _one(extractor, text, "Today")["value"] == "2025-12-19"


@pytest.mark.parametrize(("pattern", "needles"), [
    (r"\bthe\s+(?:first|second)\s+half(?:\s+of\s+\d{4})?\b", {"first", "second"}),  # most selective set
    (r"(?:fiscal\s+)?quarter", {"quarter"}),  # an optional word is not required
    (r"(?:next|last)\s+(?:week|month)", {"next", "last"}),  # one of the alternatives
    (r"(?:next|\d+)\s+days?", {"day"}),
    (r"(?<!the )\d{4}", set()),  # lookarounds and digits require no word
    (r"(?:ago|)\d", set()),
])
def test_rule_needles_are_words_every_match_contains(pattern: str, needles: set[str]) -> None:
    assert timex._needles(re.compile(pattern, re.IGNORECASE)) == needles


def test_skipping_rules_without_their_words_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """`find` skips a rule whose required words are absent; any casing the patterns accept
    (IGNORECASE: upper case, 'ſ' for s, dotless 'ı') must still run it."""
    texts = [
        "In the LAST QUARTER of 1998 sales fell; the SECOND HALF of 2019 was better. NEXT WEEKEND, "
        "officials said, a decade-long review ends. The company reported on Tuesday, March 3, 2024, "
        "that the year-ago period was weaker. Every Monday for three years he went back in the 1990s.",
        "That ſame day the ſecond half began. Earlier that ſame week, a thırd quarter report came out "
        "at 10:30 a.m. on 2024-05-01, then twice a day for the next few months until Christmas 2025.",
        "Nothing temporal here, just words.",
        "",
    ]
    got = [[(c.start, c.end, c.rule.name) for c in timex.find(t)] for t in texts]
    monkeypatch.setattr(timex, "_needles", lambda pattern: frozenset())
    assert got == [[(c.start, c.end, c.rule.name) for c in timex.find(t)] for t in texts]
    assert any(len(g) >= 8 for g in got)


def _digit_run(text: str) -> int:
    return max(map(len, timex._DIGITS.findall(text)), default=0)


@pytest.mark.parametrize("pattern", [
    r"(?<![\w])next[ \t]{1,10}(?:week|month)(?!-old)\b",  # a lookahead at the end of the reach
    r"\b(?:May|June)[ \t]+\d{1,2}\b",
    r"\b\d+(?:\.\d+)?[ \t-]{1,3}days?\b",  # unbounded digits: the text's longest digit run bounds them
])
@pytest.mark.parametrize("text", [
    "next          month-old news, next week, NEXT MONTH",  # at both ends, one vetoed by a lookahead
    "May 5 May 6May 7 June 10, in June 1",  # adjacent windows; a match across two needles
    "1234567890123.5 days, 2 days, 30 day-long",
    "the İstanbul talks next week on May 5",  # lower() lengthens 'İ': a full scan
    "nothing here",
    "",
])
def test_scanning_near_needles_finds_what_a_full_scan_finds(pattern: str, text: str) -> None:
    rx = re.compile(pattern, re.IGNORECASE)
    folded = text.translate(timex._CASE_FOLD).lower()
    needles = timex._needles(rx)
    got = [(m.span(), m.group()) for m in timex._matches(rx, text, folded, needles, _digit_run(text))]
    assert got == [(m.span(), m.group()) for m in rx.finditer(text)]


def test_every_rule_scanned_near_its_needles_matches_as_a_full_scan() -> None:
    """`_matches` must equal `finditer` rule by rule (PolNeAR dev/train agree too: 929 texts)."""
    text = ("On Tuesday, March 3, 2024, the year-ago quarter was weaker; in the last quarter of 1998, "
            "next weekend, the second half of 2019, three days later, every Monday, at 10:30 a.m. on "
            "2024-05-01, Christmas 2025, the following week, the end of the year, May 5-7, June 2020.")
    folded = text.translate(timex._CASE_FOLD).lower()
    windowed = 0
    for rule in timex.RULES:
        needles = timex._needles(rule.pattern)
        windowed += bool(needles) and timex._reach(rule.pattern, _digit_run(text)) is not None
        got = [(m.span(), m.groups())
               for m in timex._matches(rule.pattern, text, folded, needles, _digit_run(text))]
        assert got == [(m.span(), m.groups()) for m in rule.pattern.finditer(text)], rule.name
    assert windowed >= 20
