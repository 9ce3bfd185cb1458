"""Temporal expressions: find dates, times, durations and sets; normalise them to TimeML values.

HeidelTime-style: a declarative table of rules (`RULES`: a compiled pattern, a TIMEX3 type and a
normalisation function) built from the word lists in `data/timex_lexicon.tsv`. The matcher runs
on the text (each pattern once, linear scans, no nested quantifiers, so hostile input cannot make
it backtrack); the spaCy parse is consulted only for tense (which Friday: the last or the next?)
and to tell a year from a count ("1998 people"). Spans follow the TimeML/TimeBank conventions:
prepositions stay outside, determiners and modifiers ("the", "early", "more than") inside.

Relative expressions are resolved against `published_at` (anchor "published_at") or against the
previous date in the discourse ("the day before": anchor = that timex's id). Without a reference
date a relative expression keeps its text and gets no value — never a guessed one.
"""

from __future__ import annotations

import bisect
import copy
import csv
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from re import _constants as sre_c  # type: ignore[attr-defined]  # the parser behind `re`, for _needles
from re import _parser as sre_p  # type: ignore[attr-defined]
from typing import Any

from .types import Context, Timex, TimexType

# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The word lists of `data/timex_lexicon.tsv`, by category (lower-case word -> value)."""

    cats: dict[str, dict[str, str]]

    def get(self, cat: str) -> dict[str, str]:
        return self.cats.get(cat, {})


@cache
def lexicon() -> Lexicon:
    cats: dict[str, dict[str, str]] = {}
    path = resources.files(__package__).joinpath("data", "timex_lexicon.tsv")
    with path.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if not row or row[0].startswith("#") or len(row) < 2:
                continue
            cats.setdefault(row[0].strip(), {})[row[1].strip().lower()] = (row[2].strip()
                                                                           if len(row) > 2 else "")
    return Lexicon(cats)


def _alt(words: Any) -> str:
    """A regex alternation of phrases, longest first; inner spaces match any short blank run."""
    parts = sorted({w for w in words}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"[ \t\n\u00a0]{1,3}").replace("'", "['\u2019]")
                            for w in parts) + ")"


def _norm(s: str) -> str:
    """A matched phrase as a lexicon key: lower case, one space between words, straight apostrophe."""
    return re.sub(r"[\s\-]+", " ", s.strip().lower().replace("\u2019", "'")).rstrip(".")


# --------------------------------------------------------------------------- values


def _iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def _quarter(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def _shift(ref: date, unit: str, n: int) -> str | None:
    """`ref` moved by n units, formatted at that unit's granularity (TimeML value)."""
    if unit == "D":
        return (ref + timedelta(days=n)).isoformat()
    if unit == "W":
        return _iso_week(ref + timedelta(weeks=n))
    if unit == "M":
        y, m = _add_months(ref.year, ref.month, n)
        return f"{y:04d}-{m:02d}"
    if unit == "Q":
        y, q = _quarter(ref)
        k = y * 4 + (q - 1) + n
        return f"{k // 4:04d}-Q{k % 4 + 1}"
    if unit == "Y":
        return f"{ref.year + n:04d}"
    if unit == "DE":
        return f"{(ref.year + 10 * n) // 10:03d}"
    if unit == "CE":
        return f"{(ref.year + 100 * n) // 100:02d}"
    if unit == "WE":
        return _iso_week(ref + timedelta(weeks=n)) + "-WE"
    return None


def _shift_value(value: str, unit: str, n: int) -> str | None:
    """A TimeML date value moved by n units, keeping its granularity when it is finer than unit."""
    m = re.fullmatch(r"(\d{4})-Q([1-4])", value)
    if m and unit in ("Y", "Q"):
        k = int(m.group(1)) * 4 + int(m.group(2)) - 1 + (4 * n if unit == "Y" else n)
        return f"{k // 4:04d}-Q{k % 4 + 1}"
    m = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if m and unit in ("Y", "M"):
        y, mo = _add_months(int(m.group(1)), int(m.group(2)), 12 * n if unit == "Y" else n)
        return f"{y:04d}-{mo:02d}"
    m = re.fullmatch(r"(\d{4})", value)
    if m and unit == "Y":
        return f"{int(m.group(1)) + n:04d}"
    d = _to_date(value)
    if d is None:
        return None
    if unit == "Y":
        try:
            return d.replace(year=d.year + n).isoformat()
        except ValueError:
            return d.replace(year=d.year + n, day=28).isoformat()
    return _shift(d, unit, n)


def _to_date(value: str | None) -> date | None:
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10]):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _easter(y: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    return date(y, month, (h + l_ - 7 * m + 114) % 31 + 1)


def _holiday(rule: str, y: int) -> date | None:
    """A holiday's date in year y from its lexicon rule (MM-DD, easter+N, or N:weekday:MM)."""
    if rule.startswith("easter"):
        return _easter(y) + timedelta(days=int(rule[6:] or 0))
    if ":" in rule:
        n, wd, mo = (int(x) for x in rule.split(":"))
        if n > 0:
            first = date(y, mo, 1)
            return first + timedelta(days=(wd - first.isoweekday()) % 7 + 7 * (n - 1))
        nxt = date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)
        return nxt - timedelta(days=(nxt.isoweekday() - wd) % 7)
    mo, d = (int(x) for x in rule.split("-"))
    return _safe_date(y, mo, d)


def _number(text: str) -> str | None:
    """A count as TimeML wants it: '2', '1.5', or 'X' for vague quantities; None if not a number."""
    lex = lexicon()
    t = _norm(text).replace(",", "")
    if t in lex.get("fuzzy_number"):
        return "X"
    if t in lex.get("number"):
        return lex.get("number")[t]
    m = re.fullmatch(r"(\d+)(?: 1/2|\.5)", t)
    if m:
        return m.group(1) + ".5"
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        return t
    total = 0
    for w in t.split():
        v = lex.get("number").get(w)
        if v is None:
            return None
        n = int(v)
        total = total * n if n in (100, 1000) and total else total + n
    return str(total) if total else None


def _duration(num: str, unit: str, half: bool = False) -> str:
    """P2W, PT3H, P9M (quarters), P10Y (decades), PXY (vague), with an optional added half."""
    mult = {"Q": ("M", 3), "DE": ("Y", 10), "CE": ("Y", 100), "ML": ("Y", 1000)}
    if unit in mult:
        unit, k = mult[unit]
        if num != "X":
            num = _fmt_num(float(num) * k)
    clock = unit.startswith("T")
    letter = unit[1:] if clock else unit
    if half and num != "X":
        num = _fmt_num(float(num) + 0.5)
    if num != "X" and "." in num:  # express halves in the next smaller unit when TimeML has one
        whole = int(float(num))
        smaller = {"H": ("M", 30), "M": ("S", 30)} if clock else {"Y": ("M", 6), "D": ("TH", 12)}
        if letter in smaller:
            sub, amount = smaller[letter]
            body = f"{whole}{letter}" if whole else ""
            if sub.startswith("T"):
                return f"P{body}T{amount}{sub[1:]}"
            return ("PT" if clock else "P") + body + f"{amount}{sub}"
    return ("PT" if clock else "P") + num + letter


def _fmt_num(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)


# --------------------------------------------------------------------------- resolver state


QUARTER_WINDOW = 1500  # characters within which "a year ago" means the same quarter a year ago
TENSE_PAST, TENSE_FUTURE, TENSE_PRESENT = "past", "future", "present"
WEEKDAY_FORWARD = (TENSE_FUTURE, TENSE_PRESENT)  # "polls close Tuesday": a schedule
REJECT = "\x00reject"  # a normaliser's verdict: this match is not a timex


@dataclass(slots=True)
class Resolved:
    value: str | None
    anchor: str | None = None  # "dct", "discourse" or None (absolute)
    type: TimexType | None = None  # overrides the rule's type
    end: int | None = None  # a shorter span than the match (a trailing word turned out not to belong)


class Resolver:
    """What a normaliser may consult: publication date, tense, the text, the discourse so far."""

    def __init__(self, ctx: Context) -> None:
        self.text = ctx.text
        self.dct = ctx.published_at
        self.doc = ctx.doc
        # token offsets and sentence boundaries once, from the shared token lists (Token.sent
        # walks the sentence on every call)
        self._starts = ctx.tokens.idx if ctx.doc is not None else []
        self._sent_char: list[int] = []
        self._sent_tok: list[int] = []
        self._sent_tense: dict[int, str | None] = {}
        if ctx.doc is not None and (ctx.doc.has_annotation("SENT_START") or ctx.doc.has_annotation("DEP")):
            self._sent_tok = [*ctx.tokens.sent_starts, len(ctx.doc)] if len(ctx.doc) else [0]
            self._sent_char = [self._starts[k] for k in self._sent_tok[:-1]]
        self.last_date: tuple[str, str] | None = None  # (value, timex id) of the last dated timex
        self.last_year: int | None = None  # the last explicitly written year
        self.last_year_at = -1
        self.last_year_id: str | None = None
        self.year_from_text = False  # set by _infer_year when a year written nearby decided it
        self.last_quarter: str | None = None  # the last reported quarter ("1989-Q3")
        self.last_quarter_at = -1
        self.match_start = 0
        self.anchor_id: str | None = None

    # --- spaCy look-ups
    def token_at(self, char: int) -> Any:
        if not self._starts:
            return None
        i = bisect.bisect_right(self._starts, char) - 1
        return self.doc[max(i, 0)]

    def tense(self, char: int) -> str | None:
        """Tense of the clause governing the token at `char`: past, future, present or None."""
        tok = self.token_at(char)
        if tok is None:
            return None
        verb = tok
        for _ in range(6):
            if verb.pos_ in ("VERB", "AUX") or verb.head is verb:
                break
            verb = verb.head
        if verb.pos_ not in ("VERB", "AUX"):
            return self._sentence_tense(tok)
        return self._verb_tense(verb) or self._sentence_tense(tok)

    @staticmethod
    def _verb_tense(verb: Any) -> str | None:
        # auxiliaries sit next to their verb: a bounded look keeps hostile parses linear
        kids = [c for c in itertools.islice(verb.children, 48) if c.dep_ in ("aux", "auxpass")]
        low = {c.lower_ for c in kids}
        if low & {"will", "'ll", "shall", "wo", "would"}:
            return TENSE_FUTURE
        if any(c.lower_ == "to" and c.dep_ == "aux" for c in kids):
            gov = verb.head if verb.dep_ in ("xcomp", "ccomp", "advcl", "acl") else None
            if gov is not None and gov is not verb:
                t = Resolver._verb_tense(gov)
                if t == TENSE_PAST and gov.lemma_ not in _LX.get("intention_verb"):
                    return TENSE_PAST
            return TENSE_FUTURE
        if any(c.tag_ in ("VBD",) for c in kids) and verb.tag_ == "VBG":
            return TENSE_PAST
        if low & {"is", "are", "am"} and verb.tag_ == "VBG":
            return TENSE_FUTURE
        if verb.tag_ in ("VBD",) or (verb.tag_ == "VBN" and (low & {"has", "have", "had", "was",
                                                                    "were"})):
            return TENSE_PAST
        if verb.tag_ == "VBN" and any(c.tag_ == "VBD" for c in kids):
            return TENSE_PAST
        if verb.tag_ in ("VBZ", "VBP") or low & {"is", "are", "am", "do", "does"}:
            return TENSE_PRESENT
        if low & {"was", "were", "did", "had"}:
            return TENSE_PAST
        if verb.tag_ == "MD":
            return TENSE_FUTURE if verb.lower_ in ("will", "shall", "'ll", "wo") else None
        return None

    def _sentence_tense(self, tok: Any) -> str | None:
        """The tense a whole sentence leans to (will/'ll vs past-tense verbs); computed once each."""
        k = self._sent_index(tok.idx)
        if k is None:
            return None
        if k not in self._sent_tense:
            fut = past = False
            for t in self.doc[self._sent_tok[k]:self._sent_tok[k + 1]]:
                if t.lower_ in ("will", "'ll", "shall"):
                    fut = True
                elif t.tag_ == "VBD":
                    past = True
            self._sent_tense[k] = (TENSE_FUTURE if fut and not past else
                                   TENSE_PAST if past and not fut else None)
        return self._sent_tense[k]

    def _sent_index(self, char: int) -> int | None:
        if not self._sent_char:
            return None
        return max(bisect.bisect_right(self._sent_char, char) - 1, 0)

    def is_count(self, start: int, end: int) -> bool:
        """True when a number is a count of something ('1998 people'), not a year."""
        tok = self.token_at(start)
        if tok is None or tok.idx != start:
            return False
        if tok.dep_ == "nummod" and tok.head.tag_ == "NNS" and tok.head.i > tok.i:
            return True
        return False

    def quarter_context(self) -> str | None:
        """The quarter a financial report is talking about, if one was named nearby."""
        if self.last_quarter and self.match_start - self.last_quarter_at <= QUARTER_WINDOW:
            return self.last_quarter
        return None

    def year_in_sentence(self, at: int) -> int | None:
        """An explicit year written earlier in the same sentence ("in 1996 ... on March 3")."""
        if self.last_year is None or self.last_year_at < 0:
            return None
        k = self._sent_index(at)
        start = self._sent_char[k] if k is not None else at - 200
        return self.last_year if self.last_year_at >= start else None

    def governed_by(self, char: int, lemmas: dict[str, str]) -> bool:
        """True when the nearest verb above the token at `char` has one of these lemmas."""
        tok = self.token_at(char)
        for _ in range(4):
            if tok is None or tok.head is tok:
                return False
            tok = tok.head
            if tok.pos_ in ("VERB", "AUX"):
                return bool(tok.lemma_.lower() in lemmas)
        return False

    def modifies_noun(self, char: int) -> bool:
        """True when the word at `char` is an adjective attached to a noun ('quarterly results')."""
        tok = self.token_at(char)
        if tok is None or tok.idx != char:
            return False
        return bool(tok.dep_ in ("amod", "compound", "nmod") and tok.head.pos_ in ("NOUN", "PROPN")
                    and tok.head.i > tok.i)

    def pos_at(self, char: int) -> str:
        tok = self.token_at(char)
        return tok.pos_ if tok is not None and tok.idx == char else ""

    def before(self, n: int = 30) -> str:
        return self.text[max(0, self.match_start - n):self.match_start]

    # --- references
    def dct_ok(self) -> bool:
        return self.dct is not None

    def discourse(self) -> tuple[str, str | None] | None:
        """(value, anchor) of the reference for 'the day before': the last date, else the DCT."""
        if self.last_date is not None:
            self.anchor_id = self.last_date[1]
            return self.last_date[0], "discourse"
        if self.dct is not None:
            return self.dct.isoformat(), "dct"
        return None


Norm = Callable[[re.Match[str], Resolver], Resolved | str]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    type: TimexType
    normalise: Norm


# --------------------------------------------------------------------------- patterns

_LX = lexicon()
MONTH = _alt(_LX.get("month"))
MONTH_ABBR = _alt(_LX.get("month_abbr")) + r"\.?"
ANY_MONTH = f"(?:{MONTH}|{MONTH_ABBR})"
WEEKDAY = _alt(_LX.get("weekday"))
SEASON = _alt(_LX.get("season"))
POD = _alt(_LX.get("part_of_day"))
HOLIDAY = _alt(_LX.get("holiday"))
_UNITS = _LX.get("unit")
UNIT = _alt(list(_UNITS) + [u + "s" for u in _UNITS] + ["centuries", "millennia"])
_NUMWORD = _alt([w for w in _LX.get("number") if w not in ("a", "an")])
_TENS = _alt([w for w, v in _LX.get("number").items() if v.isdigit() and 20 <= int(v) < 100])
_ONES = _alt([w for w, v in _LX.get("number").items() if v.isdigit() and 1 <= int(v) < 10
              and w not in ("a", "an")])
NUM = (rf"(?:\d{{1,4}}(?:\.\d+|[ \t]1/2)?|{_TENS}[ \t-]{_ONES}|{_alt(_LX.get('fuzzy_number'))}"
       rf"|{_NUMWORD}|an?)")
DAYNUM = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
YEAR = r"(?:1[0-9]\d\d|20\d\d)"
LB = r"(?<![\w$£€#@/.,-])"
LBW = r"(?<![\w])"
RB = r"(?![\w%])"
RBN = r"(?![\w%]|[.,/:]\d)"
SP = r"[ \t\n\u00a0]{1,3}"  # a blank between words (NBSP too): bounded, so nothing backtracks far
DAYWORD = _alt(_LX.get("day_word"))
REL_DET = _alt(_LX.get("rel_det"))
DIRECTION = _alt(_LX.get("direction"))
REF = _alt(_LX.get("reference"))
SETWORD = _alt(_LX.get("set_word"))
DUR_MOD = _alt(_LX.get("dur_modifier"))
DATE_MOD = _alt(_LX.get("date_modifier"))
ORD = _alt(_LX.get("ordinal"))


TZ = r"(?:[ECMP][SD]?T|GMT|UTC|BST|CES?T|EES?T|MSK)"


def _c(p: str) -> re.Pattern[str]:
    return re.compile(p, re.IGNORECASE)


# --------------------------------------------------------------------------- normalisers


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _month_num(s: str) -> int:
    w = _norm(s)
    return int(_LX.get("month").get(w) or _LX.get("month_abbr").get(w) or 0)


def _infer_year(month: int, day: int | None, r: Resolver, at: int) -> int | None:
    """Year of a month(-day) without one: a year written earlier in the sentence, else tense and DCT."""
    explicit = r.year_in_sentence(at)
    if r.dct is None:
        if explicit is None or _safe_date(explicit, month, day or 1) is None:
            return None
        r.year_from_text, r.anchor_id = True, r.last_year_id
        return explicit
    dct = r.dct
    tense = r.tense(at)
    dd = day or 1
    cands = [(y, _safe_date(y, month, dd)) for y in (dct.year - 1, dct.year, dct.year + 1)]
    valid = [(y, d) for y, d in cands if d is not None]
    if not valid:
        return None
    same = month == dct.month and day is None
    if same:
        return dct.year
    if explicit is not None and not (tense == TENSE_FUTURE and explicit < dct.year):
        r.year_from_text, r.anchor_id = True, r.last_year_id
        return explicit
    this = _safe_date(dct.year, month, dd)
    if this is None:
        return min(valid, key=lambda yd: abs((yd[1] - dct).days))[0]
    gap = (this - dct).days
    # News mostly talks about the near past and near future: keep the publication year unless the
    # tense puts the date clearly on the other side of it (past tense, two months ahead: last year).
    if tense == TENSE_PAST:
        return dct.year - 1 if gap > 60 else dct.year
    if tense == TENSE_FUTURE:
        return dct.year + 1 if gap < -60 else dct.year
    if abs(gap) > 120:
        return dct.year + (1 if gap < 0 else -1)
    return dct.year


def _year_anchor(r: Resolver) -> str:
    """'discourse' when the year came from a year written earlier in the sentence, else 'dct'."""
    return "discourse" if r.year_from_text else "dct"


def n_month_day(m: re.Match[str], r: Resolver) -> Resolved | str:
    month_text = m.group("month")
    if not _capitalised(month_text):
        return REJECT
    month = _month_num(month_text)
    day = int(re.match(r"\d+", m.group("day")).group(0))  # type: ignore[union-attr]
    if _safe_date(2000, month, day) is None:
        return REJECT
    year_text = m.groupdict().get("year")
    if not year_text:  # the first day of a range takes the year written after the second one
        ahead = _RANGE_YEAR.match(r.text, m.end(), m.end() + 24)
        year_text = ahead.group(1) if ahead and "d1" not in m.groupdict() else None
    if year_text:
        return Resolved(f"{int(year_text):04d}-{month:02d}-{day:02d}")
    y = _infer_year(month, day, r, m.start())
    if y is None:
        return Resolved(None)
    return Resolved(f"{y:04d}-{month:02d}-{day:02d}", _year_anchor(r))


_RANGE_SEP = r"(?:[ \t]?[-\u2013][ \t]?|[ \t]{1,3}(?:and|to|through|until|or)[ \t]{1,3})"
_RANGE_YEAR = re.compile(rf"{_RANGE_SEP}{DAYNUM},?[ \t]{{1,3}}({YEAR})\b")


def n_range_tail(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'Dec. 19-20', 'April 24 and 25': the range's second day, a timex of its own (TimeML)."""
    first = int(re.match(r"\d+", m.group("d1")).group(0))  # type: ignore[union-attr]
    second = int(re.match(r"\d+", m.group("day")).group(0))  # type: ignore[union-attr]
    if second <= first or r.is_count(m.start("x"), m.end("x")):
        return REJECT  # "May 3 and 2 others", "on March 3 and 40 people": not a range
    return n_month_day(m, r)


def n_year_range(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'2022-2023', '1994-95': both ends are years when the second follows the first."""
    g = m.groupdict()
    y1 = int(g.get("y1") or g["year"])
    tail = g.get("y2") or m.group("x")
    y2 = int(tail) if len(tail) == 4 else y1 // 100 * 100 + int(tail)
    if not 1800 <= y1 < y2 <= y1 + 100 or r.is_count(m.start("x"), m.end("x")):
        return REJECT
    return Resolved(f"{y1 if g.get('y2') else y2:04d}")


def n_week_of(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'the week of March 6': the ISO week holding that day."""
    day = n_month_day(m, r)
    if isinstance(day, str):
        return day
    d = _to_date(day.value)
    return Resolved(_iso_week(d), day.anchor) if d else day


def n_month_rel_year(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'February this year', 'April 3 next year': one date, its year taken from the publication's."""
    if not _capitalised(m.group("month")):
        return REJECT
    if r.dct is None:
        return Resolved(None)
    y = r.dct.year + int(_LX.get("rel_det")[_norm(m.group("det"))])
    mo = _month_num(m.group("month"))
    if not m.group("day"):
        return Resolved(f"{y:04d}-{mo:02d}", "dct")
    d = _safe_date(y, mo, int(re.match(r"\d+", m.group("day")).group(0)))  # type: ignore[union-attr]
    return Resolved(d.isoformat(), "dct") if d else REJECT


def n_month_year(m: re.Match[str], r: Resolver) -> Resolved | str:
    if not _capitalised(m.group("month")):
        return REJECT
    return Resolved(f"{int(m.group('year')):04d}-{_month_num(m.group('month')):02d}")


_MONTH_CUE = re.compile(rf"(?:\b{_alt(_LX.get('month_cue'))}[\s-]{{1,3}}|mid-)$", re.IGNORECASE)


def n_month(m: re.Match[str], r: Resolver) -> Resolved | str:
    text = m.group("month")
    if not _capitalised(text):
        return REJECT
    if _norm(text) in _LX.get("ambiguous_month") and not _MONTH_CUE.search(r.before(12)):
        return REJECT
    month = _month_num(text)
    y = _infer_year(month, None, r, m.start())
    if y is None:
        return Resolved(None)
    return Resolved(f"{y:04d}-{month:02d}", _year_anchor(r))


def n_numeric(m: re.Match[str], r: Resolver) -> Resolved | str:
    g = m.groupdict()
    if g.get("iy"):
        y, mo, d = int(g["iy"]), int(g["im"]), int(g["id"])
    else:
        mo, d, yy = int(g["um"]), int(g["ud"]), g["uy"]
        y = int(yy) if len(yy) == 4 else (1900 + int(yy) if int(yy) >= 50 else 2000 + int(yy))
    if _safe_date(y, mo, d) is None:
        return REJECT
    if g.get("ih"):
        return Resolved(f"{y:04d}-{mo:02d}-{d:02d}T{g['ih']}:{g['imi']}", None, "TIME")
    return Resolved(f"{y:04d}-{mo:02d}-{d:02d}")


_NEXT_WORDS = re.compile(r"[ \t]{1,3}[A-Z][\w.'-]{0,30}[ \t]{1,3}([A-Za-z.]{2,12})\b")


def n_year(m: re.Match[str], r: Resolver) -> Resolved | str:
    y = int(m.group("year"))
    if not 1000 <= y <= 2099:
        return REJECT
    if not m.group(0).lower().startswith(("fiscal", "the")) and r.is_count(m.start("year"), m.end()):
        return REJECT
    nxt = _NEXT_WORDS.match(r.text, m.end())
    if nxt and _norm(nxt.group(1)) in _LX.get("street"):
        return REJECT  # "1600 Pennsylvania Avenue" is an address
    return Resolved(f"{y:04d}")


def n_decade(m: re.Match[str], r: Resolver) -> Resolved | str:
    g = m.groupdict()
    if g.get("dec"):
        return Resolved(g["dec"][:3])
    yy = int(g["yy"])
    century = 19 if yy >= 20 else 20
    if r.dct is not None and yy < 20:
        century = r.dct.year // 100 if (r.dct.year % 100) >= yy else r.dct.year // 100 - 1
    return Resolved(f"{century}{yy // 10}")


def n_century(m: re.Match[str], r: Resolver) -> Resolved | str:
    n = re.match(r"\d+", m.group("cn"))
    k = int(n.group(0)) if n else int(_LX.get("ordinal").get(_norm(m.group("cn")), "0") or 0)
    if not k:
        return REJECT
    return Resolved(f"{k - 1:02d}")


_FUTURE_CUE = re.compile(rf"\b(?P<cue>{_alt(_LX.get('future_cue'))})[ \t]{{1,3}}(?:on[ \t]{{1,3}})?$",
                         re.IGNORECASE)
_DEFER = re.compile(rf"\b{_alt(_LX.get('defer_verb'))}\b[^.;!?]{{0,24}}$", re.IGNORECASE)


def _cue_tense(r: Resolver, at: int) -> str | None:
    """FUTURE after a forward cue ("as early as Tuesday"). A cue marked `tense` ("until") points
    forward only after a deferral ("postponed until Tuesday"); in a past clause without one
    ("Until Thursday, they had not called him") the weekday is behind us."""
    cue = _FUTURE_CUE.search(r.text[max(0, at - 16):at])
    if cue is None:
        return None
    if _LX.get("future_cue").get(_norm(cue.group("cue"))) == "tense" and \
            not _DEFER.search(r.text[max(0, at - 48):at - len(cue.group(0))]):
        tense = r.tense(at)
        return TENSE_PAST if tense == TENSE_PAST else TENSE_FUTURE
    return TENSE_FUTURE


def _weekday_date(wd: int, r: Resolver, at: int, direction: int = 0) -> date | None:
    """The date of a weekday: direction -1 last, +1 next, 0 from tense (news: same day counts)."""
    if r.dct is None:
        return None
    dct = r.dct
    diff = wd - dct.isoweekday()
    if direction in (0, 2):
        if direction == 2:  # possessive: "Thursday's ruling" has happened (today counts)
            tense: str | None = TENSE_PAST
        elif r.governed_by(at, _LX.get("schedule_verb")):
            tense = TENSE_FUTURE  # "has scheduled a news conference Thursday"
        else:
            tense = _cue_tense(r, at) or r.tense(at)
        direction = 1 if tense in WEEKDAY_FORWARD else -1
        if diff == 0:
            return dct
    if direction < 0:
        return dct + timedelta(days=(diff % 7) - 7 if diff % 7 else -7)
    return dct + timedelta(days=diff % 7 if diff % 7 else 7)


_WEEKDAY_DET = {"last": -1, "this past": -1, "past": -1, "next": 1, "this coming": 1, "coming": 1}


def n_weekday(m: re.Match[str], r: Resolver) -> Resolved | str:
    text = m.group("wd")
    if not _capitalised(text):
        return REJECT
    wd = int(_LX.get("weekday")[_norm(text).rstrip("s")])
    if _norm(text).endswith("s"):
        return Resolved(f"XXXX-WXX-{wd}", None, "SET")
    det = _norm(m.groupdict().get("det") or "")
    possessive = not det and r.text[m.end():m.end() + 2] in ("'s", "\u2019s")
    direction = 2 if possessive else _WEEKDAY_DET.get(det, 0)
    d = _weekday_date(wd, r, m.start(), direction)
    if d is None:
        return Resolved(None)
    # "Friday night": news corpora mostly annotate a DATE valued with the day alone
    return Resolved(d.isoformat(), "dct")


def _title(m: re.Match[str], r: Resolver) -> bool:
    """'ABC's "This Week"', 'VOA Today': a capitalised phrase inside a sentence that names a show."""
    words = m.group(0).split()
    if not all(w[:1].isupper() for w in words):
        return False
    if len(words) > 1 and re.search(r"[\"\u201c]$", r.before(1)) and \
            re.match(r"[,.]?[\"\u201d]", r.text[m.end():m.end() + 2]):
        return True  # the whole quotation: "This Week,"
    prev = re.search(r"(\S+)[ \t]{1,3}$", r.before(24))
    if prev is None or prev.group(1)[-1:] in ".!?:;\"'`\u201c\u2018":
        return False  # sentence start: the capital is only grammar
    return len(words) > 1 or prev.group(1)[:1].isupper()


def n_day_word(m: re.Match[str], r: Resolver) -> Resolved | str:
    w = _norm(m.group("dw"))
    if _title(m, r):
        return REJECT
    pod = m.groupdict().get("pod")
    if r.dct is None:
        return Resolved(None)
    d = r.dct + timedelta(days=int(_LX.get("day_word")[w]))
    if w == "tonight":
        return Resolved(d.isoformat() + "TNI", "dct", "TIME")
    if pod:
        return Resolved(d.isoformat() + "T" + _LX.get("part_of_day")[_norm(pod)], "dct", "TIME")
    return Resolved(d.isoformat(), "dct")


def n_this_pod(m: re.Match[str], r: Resolver) -> Resolved | str:
    if r.dct is None:
        return Resolved(None)
    det = _norm(m.group("det"))
    code = _LX.get("part_of_day")[_norm(m.group("pod"))]
    d = r.dct - timedelta(days=1) if det == "last" else r.dct
    if det == "last" and code != "NI":
        return REJECT
    return Resolved(d.isoformat() + "T" + code, "dct")


def n_reference(m: re.Match[str], r: Resolver) -> Resolved | str:
    w = _norm(m.group(0))
    if w == "soon" and (re.search(r"\bas[ \t]{1,3}$", r.before(4)) or r.tense(m.start()) == TENSE_PAST):
        return REJECT  # "as soon as"; "he was soon released": shortly after a past event, no future
    if w in _LX.get("reference_adj"):
        tok = r.token_at(m.start())
        if tok is None or tok.pos_ != "ADJ" or tok.dep_ != "amod":
            return REJECT
        return Resolved(_LX.get("reference_adj")[w])
    if w == "now" and re.match(r"[ \t]{1,3}that\b", r.text[m.end():m.end() + 8]):
        return Resolved("PRESENT_REF")
    return Resolved(_LX.get("reference")[w])


def n_rel_unit(m: re.Match[str], r: Resolver) -> Resolved | str:
    if _title(m, r):
        return REJECT
    det = _norm(m.group("det"))
    unit_word = _norm(m.group("unit"))
    n = int(_LX.get("rel_det")[det])
    if unit_word == "weekend":
        unit = "WE"
    else:
        unit = _UNITS.get(unit_word, "")
    if unit in ("TS", "TM", "TH", "D", "ML", ""):
        return REJECT
    if unit in ("DE", "CE") and n < 0:
        return Resolved(_duration("1", unit), None, "DURATION")  # "the past decade"
    if r.dct is None:
        return Resolved(None)
    if unit == "WE":
        if n == 0:
            tense = r.tense(m.start())
            n = -1 if tense == TENSE_PAST and r.dct.isoweekday() < 6 else 0
        return Resolved(_shift(r.dct, "WE", n), "dct")
    return Resolved(_shift(r.dct, unit, n), "dct")


def n_part_of_unit(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'the end of the month': the publication date's month (TimeML keeps the mod apart)."""
    if r.dct is None:
        return Resolved(None)
    return Resolved(_shift(r.dct, _UNITS[_norm(m.group("unit"))], 0), "dct")


def n_the_weekend(m: re.Match[str], r: Resolver) -> Resolved | str:
    if r.dct is None:
        return Resolved(None)
    tense = r.tense(m.start())
    n = 0
    if tense != TENSE_FUTURE and r.dct.isoweekday() < 6:
        n = -1
    return Resolved(_shift(r.dct, "WE", n), "dct")


def n_rel_named(m: re.Match[str], r: Resolver) -> Resolved | str:
    """this/last/next + month, season or holiday."""
    det = _norm(m.group("det"))
    name = _norm(m.group("name"))
    if r.dct is None:
        return Resolved(None)
    dct = r.dct
    step = int(_LX.get("rel_det").get(det.replace("this past", "last").replace("this coming", "next"), "0"))
    if name in _LX.get("month"):
        if not _capitalised(m.group("name")):
            return REJECT
        mo = int(_LX.get("month")[name])
        if step < 0:
            y = dct.year if mo < dct.month else dct.year - 1
        elif step > 0:
            y = dct.year if mo > dct.month else dct.year + 1
        else:
            y = dct.year
        return Resolved(f"{y:04d}-{mo:02d}", "dct")
    if name in _LX.get("season"):
        code = _LX.get("season")[name]
        # season starts (year, month); winter belongs to the year it starts in ("2025-WI")
        starts = [(y, mo) for y in (dct.year - 2, dct.year - 1, dct.year, dct.year + 1)
                  for mo in (3, 6, 9, 12)]
        now = max(st for st in starts if st <= (dct.year, dct.month))
        mine = [st for st in starts if _SEASON_START[code] == st[1]]
        if step < 0:
            y = max(st for st in mine if st < now)[0]
        elif step > 0:
            y = min(st for st in mine if st > now)[0]
        else:
            y = min(mine, key=lambda st: abs((st[0] - now[0]) * 12 + st[1] - now[1]))[0]
        return Resolved(f"{y:04d}-{code}", "dct")
    if name in _LX.get("holiday"):
        rule = _LX.get("holiday")[name]
        d = _holiday(rule, dct.year)
        if d is None:
            return Resolved(None)
        if step < 0 and d >= dct:
            d = _holiday(rule, dct.year - 1)
        elif step > 0 and d <= dct:
            d = _holiday(rule, dct.year + 1)
        return Resolved(d.isoformat() if d else None, "dct")
    return REJECT


_SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}


def n_season(m: re.Match[str], r: Resolver) -> Resolved | str:
    code = _LX.get("season")[_norm(m.group("season"))]
    y = m.group("sy") or m.group("sy2")
    if y:
        return Resolved(f"{int(y):04d}-{code}")
    word = _norm(m.group("season"))
    if word in ("spring", "fall") and not m.group(0).lower().startswith("the"):
        return REJECT
    if r.dct is None:
        return Resolved(None)
    return Resolved(f"{r.dct.year:04d}-{code}", "dct")


def n_holiday(m: re.Match[str], r: Resolver) -> Resolved | str:
    name = _norm(m.group("hol"))
    if not _capitalised(m.group("hol")):
        return REJECT
    rule = _LX.get("holiday")[name]
    y_text = m.groupdict().get("hy")
    if y_text:
        d = _holiday(rule, int(y_text))
        return Resolved(d.isoformat() if d else None)
    if r.dct is None:
        return Resolved(None)
    d = _holiday(rule, r.dct.year)
    if d is None:
        return Resolved(None)
    y = _infer_year(d.month, d.day, r, m.start())  # the same tense rules as "on December 30"
    d = _holiday(rule, y) if y is not None and y != d.year else d
    return Resolved(d.isoformat() if d else None, "dct")


def _quarter_year(m: re.Match[str], r: Resolver) -> tuple[int, str | None] | None:
    g = m.groupdict()
    if g.get("qy") or g.get("qy2"):
        return int(g.get("qy") or g["qy2"]), None
    if r.dct is None:
        return None
    pre = _norm(g.get("qpre") or "")
    if pre.startswith(("last year", "next year")):
        return r.dct.year + (1 if pre.startswith("next") else -1), "dct"
    explicit = r.year_in_sentence(m.start())
    if explicit is not None:
        return explicit, None
    return r.dct.year, "dct"


def n_quarter(m: re.Match[str], r: Resolver) -> Resolved | str:
    q = int(_LX.get("ordinal")[_norm(m.group("qord"))])
    yr = _quarter_year(m, r)
    if yr is None:
        return Resolved(None)
    y, anchor = yr
    if anchor and r.dct is not None and y == r.dct.year and q > _quarter(r.dct)[1] \
            and r.tense(m.start()) == TENSE_PAST:
        y -= 1
    return Resolved(f"{y:04d}-Q{q}", anchor)


def n_rel_quarter(m: re.Match[str], r: Resolver) -> Resolved | str:
    """the quarter / the latest quarter / the year-ago quarter: relative to the last reported quarter."""
    if r.dct is None:
        return Resolved(None)
    pre = _norm(m.group("rq") or "")
    qy = m.groupdict().get("qy")
    base = r.last_quarter or _shift(r.dct, "Q", -1) or ""
    if qy:
        return Resolved(f"{int(qy):04d}-Q{base[-1]}", "dct")
    if pre in ("current", "this", "the current"):
        base = _shift(r.dct, "Q", 0) or ""
    elif pre in ("next", "the next", "coming", "the coming"):
        base = _shift(r.dct, "Q", 1) or ""
    elif pre in ("latest", "the latest", "last", "the last", "past", "previous", "most recent"):
        base = _shift(r.dct, "Q", -1) or ""
    if "year" in pre:
        return Resolved(_shift_value(base, "Y", -1), "dct", "DATE")
    return Resolved(base, "dct")


def n_period_year_ago(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'the quarter a year ago', 'the corresponding period last year': the reported quarter, a year back."""
    if r.dct is None:
        return Resolved(None)
    base = r.last_quarter or _shift(r.dct, "Q", -1) or ""
    return Resolved(_shift_value(base, "Y", -1), "dct")


def n_half(m: re.Match[str], r: Resolver) -> Resolved | str:
    h = int(_LX.get("ordinal").get(_norm(m.group("hord")), "2"))
    if h > 2:
        return REJECT
    y = m.group("hy")
    if y:
        return Resolved(f"{int(y):04d}-H{h}")
    if re.match(r"[ \t]{1,3}of\b", r.text[m.end():m.end() + 5]):
        return REJECT  # "the second half of January" is not a half-year
    if r.dct is None:
        return Resolved(None)
    return Resolved(f"{r.dct.year:04d}-H{h}", "dct")


_SET_BEFORE = re.compile(rf"(?:\d|\$|%|\b{_alt(_LX.get('rate_word'))})[ \t]{{0,3}}$", re.IGNORECASE)


def n_duration(m: re.Match[str], r: Resolver) -> Resolved | str:
    g = m.groupdict()
    unit_word = _norm(g["dunit"])
    unit = _UNITS.get(unit_word) or _UNITS.get(unit_word[:-1]) or (
        "CE" if unit_word == "centuries" else "ML" if unit_word == "millennia" else None)
    if unit is None:
        return REJECT
    after = r.text[m.end():m.end() + 6].lower()
    if re.match(r"[ -]{1,2}old\b|-olds?\b", after):
        return REJECT  # an age, not a period
    num_text = g.get("dlow") or g["dnum"]
    num = _number(num_text)
    if num is None:
        return REJECT
    if num_text.isdigit() and len(num_text) == 4 and unit not in ("TS", "TM", "TH", "D") and \
            re.fullmatch(YEAR, num_text):
        return REJECT  # "the 1988 quarter" is a year's quarter, not 1988 quarters
    if g["dunit"][:1].isupper() and num_text[:1].isdigit():
        return REJECT  # a title ("60 Minutes")
    if unit == "TS" and num_text.lower() in ("a", "an"):
        return REJECT  # "a second attempt"
    if unit == "Q" and re.match(r"[ \t]{1,3}of\b", after):
        return REJECT  # "three-quarters of the vote" is a fraction
    direction = g.get("ddir")
    end = None
    if direction and _norm(direction) in ("before", "after") and \
            not re.match(r"\s*(?:[,.;:!?)\"'\u201d]|$|and\b|but\b)", r.text[m.end():m.end() + 6]):
        # "two weeks after they met": a period before a clause; the span stops at the unit
        direction, end = None, m.end("dhalf") if g.get("dhalf") else m.end("dunit")
    if direction:
        step = int(_LX.get("direction")[_norm(direction)])
        if num == "X":
            return Resolved("PAST_REF" if step < 0 else "FUTURE_REF", None, "DATE")
        amount = float(num)
        is_ago = _norm(direction) in ("ago", "from now", "hence")
        ref: tuple[str, str | None] | None
        if is_ago:
            ref = (r.dct.isoformat(), "dct") if r.dct else None
        else:
            ref = r.discourse()
        if ref is None:
            return Resolved(None, None, "DATE")
        if unit.startswith("T") or amount != int(amount):
            return Resolved(None, None, "DATE")
        base_unit = {"DE": "Y", "CE": "Y"}.get(unit, unit)
        k = int(amount) * {"DE": 10, "CE": 100}.get(unit, 1)
        value: str | None
        if base_unit == "Y" and r.quarter_context() and k == 1:
            value = _shift_value(r.quarter_context() or "", "Y", step * k)
        elif is_ago or _to_date(ref[0]) is None:
            d0 = _to_date(ref[0])
            value = _shift(d0, base_unit, step * k) if d0 else _shift_value(ref[0], base_unit, step * k)
        else:
            value = _shift_value(ref[0], base_unit, step * k)
        return Resolved(value, ref[1], "DATE")
    if num_text.lower() in ("a", "an") and _SET_BEFORE.search(r.before(12)):
        return Resolved(_duration("1", unit), None, "SET")
    # "the past three years", "the first nine months": a period of that length (TimeML DURATION)
    return Resolved(_duration(num, unit, bool(g.get("dhalf"))), None, "DURATION", end)


def n_plural_unit(m: re.Match[str], r: Resolver) -> Resolved | str:
    w = _norm(m.group("pu"))
    if w == "years" and "recent" in m.group(0).lower():
        return REJECT  # "recent years" is the past as a whole (a PAST_REF reference)
    unit = _UNITS.get(w[:-1]) or ("CE" if w == "centuries" else None)
    if unit is None:
        return REJECT
    return Resolved(_duration("X", unit), None, "DURATION")


def n_anaphoric(m: re.Match[str], r: Resolver) -> Resolved | str:
    """the day before / the next day / that day / the following week: relative to the discourse."""
    g = m.groupdict()
    unit_word = _norm(g.get("au") or g.get("au2") or ("day" if g.get("apod") else ""))
    unit = _UNITS.get(unit_word)
    if unit is None or unit in ("TS", "TM", "TH"):
        return REJECT
    word = _norm(g.get("apre") or g.get("apost") or "")
    if g.get("apost") and word in ("before", "after") and \
            not re.match(r"\s*(?:[,.;:!?)\"'\u201d]|$)", r.text[m.end():m.end() + 3]):
        # "Oct. 12, the day before the crash": the span is "the day", the date just mentioned
        ref = r.discourse()
        if ref is None or (unit == "D" and _to_date(ref[0]) is None):
            return Resolved(None, None, None, m.end("au2"))
        return Resolved(ref[0][:10] if unit == "D" else _shift_value(ref[0], unit, 0), ref[1],
                        None, m.end("au2"))
    step = {"before": -1, "earlier": -1, "previous": -1, "the previous": -1, "preceding": -1,
            "the preceding": -1, "after": 1, "later": 1, "next": 1, "the next": 1, "following": 1,
            "the following": 1}.get(word, 0)
    ref = r.discourse()
    if ref is None:
        return Resolved(None)
    d = _to_date(ref[0])
    # "the next week" after a day: the unit's granularity; after a month or quarter: move that
    value = _shift(d, unit, step) if d is not None else _shift_value(ref[0], unit, step)
    return Resolved(value, ref[1] if value else None)


def n_set(m: re.Match[str], r: Resolver) -> Resolved | str:
    g = m.groupdict()
    if g.get("sw"):
        if r.pos_at(m.start()) in ("NOUN", "PROPN"):
            return REJECT  # "the party daily", "an initial quarterly": a publication or a payment
        if _norm(g["sw"]) in _LX.get("classifier_set_word") and r.modifies_noun(m.start()):
            return REJECT  # "its quarterly dividend"
        return Resolved(_LX.get("set_word")[_norm(g["sw"])])
    if g.get("swd"):
        if not _capitalised(g["swd"]):
            return REJECT
        return Resolved(f"XXXX-WXX-{_LX.get('weekday')[_norm(g['swd'])]}")
    if g.get("smon"):
        if not _capitalised(g["smon"]):
            return REJECT
        return Resolved(f"XXXX-{_month_num(g['smon']):02d}")
    unit = _UNITS.get(_norm(g.get("su") or ""))
    if unit is None:
        return REJECT
    num = _number(g["sn"]) if g.get("sn") else "1"
    if g.get("sother"):
        num = "2"
    return Resolved(_duration(num or "1", unit))


_CLOCK_CUE = re.compile(rf"\b{_alt(_LX.get('clock_cue'))}[ \t]{{1,3}}$", re.IGNORECASE)


def n_time(m: re.Match[str], r: Resolver) -> Resolved | str:
    g = m.groupdict()
    if g.get("cw"):
        if re.search(r"\bhigh[ \t]{1,3}$", r.before(8), re.IGNORECASE):
            return REJECT  # "high noon": a showdown, not a clock time
        hhmm = _LX.get("clock_word")[_norm(g["cw"])]
        h, mi = (int(x) for x in hhmm.split(":"))
    elif g.get("oh"):
        h, mi = int(_number(g["oh"]) or 99), 0
        if not 1 <= h <= 12:
            return REJECT
    else:
        h, mi = int(g["h"]), int(g["mi"] or 0)
        ampm = (g.get("ampm") or "").lower()
        if not ampm and not g.get("tz") and not g.get("twd") and not g.get("tdw") and not g.get("tmon") \
                and not _CLOCK_CUE.search(r.before(8)):
            return REJECT  # a bare "3:16" is as likely a verse, a score or a ratio as a time
        if h > 24 or mi > 59 or (ampm and not 1 <= h <= 12):
            return REJECT
        if ampm.startswith("p") and h < 12:
            h += 12
        elif ampm.startswith("a") and h == 12:
            h = 0
    day = _time_day(g, r, m.start())
    clock = f"T{h:02d}:{mi:02d}"
    if day is None:
        if r.dct is None:
            return Resolved(None)
        return Resolved(r.dct.isoformat() + clock, "dct")
    return Resolved(day[0] + clock, day[1])


def _time_day(g: dict[str, Any], r: Resolver, at: int) -> tuple[str, str | None] | None:
    if g.get("twd"):
        d = _weekday_date(int(_LX.get("weekday")[_norm(g["twd"])]), r, at)
        return (d.isoformat(), "dct") if d else None
    if g.get("tdw") and r.dct is not None:
        d = r.dct + timedelta(days=int(_LX.get("day_word")[_norm(g["tdw"])]))
        return d.isoformat(), "dct"
    if g.get("tmon"):
        mo = _month_num(g["tmon"])
        day = int(re.match(r"\d+", g["tday"]).group(0))  # type: ignore[union-attr]
        y = _infer_year(mo, day, r, at)
        if y is not None and _safe_date(y, mo, day):
            return f"{y:04d}-{mo:02d}-{day:02d}", "dct"
    return None


def n_pod_alone(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'the morning', 'mid-afternoon (yesterday)': a part of the publication day (or of a day word)."""
    if r.dct is None:
        return Resolved(None)
    day = r.dct + timedelta(days=int(_LX.get("day_word").get(_norm(m.group("pdw") or ""), "0")))
    return Resolved(day.isoformat() + "T" + _LX.get("part_of_day")[_norm(m.group("pod"))], "dct")


def n_spelled_year(m: re.Match[str], r: Resolver) -> Resolved | str:
    nxt = re.match(r"[ \t]{1,3}(?=\w)", r.text[m.end():m.end() + 4])
    after = r.token_at(m.end() + nxt.end()) if nxt else None
    if after is not None and after.tag_ in ("NNS", "NNPS"):
        return REJECT  # "two thousand people" is a count
    words = _norm(m.group("sy")).replace(" and ", " ").split()
    if words[:2] == ["two", "thousand"]:
        rest = _number(" ".join(words[2:])) if words[2:] else "0"
        return Resolved(f"{2000 + int(rest or 0):04d}") if rest and rest.isdigit() else REJECT
    head = _number(words[0])
    tail = _number(" ".join(words[1:]))
    if not head or not tail or not tail.isdigit() or int(tail) > 99:
        return REJECT
    return Resolved(f"{int(head):02d}{int(tail):02d}")


def n_this_year(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'the year', 'the fiscal year', 'year-end': the publication year."""
    if re.match(r"[ \t]{1,3}end(?:ed|ing)\b", r.text[m.end():m.end() + 10]):
        return Resolved("P1Y", None, "DURATION")  # "the year ended March 31": a reporting period
    if r.dct is None:
        return Resolved(None)
    return Resolved(f"{r.dct.year:04d}", "dct")


def n_rel_year_word(m: re.Match[str], r: Resolver) -> Resolved | str:
    """year-ago, year-earlier (adjectives): the previous year, or the same quarter a year before."""
    if r.dct is None:
        return Resolved(None)
    if r.last_quarter:
        return Resolved(_shift_value(r.last_quarter, "Y", -1), "dct")
    return Resolved(f"{r.dct.year - 1:04d}", "dct")


# --------------------------------------------------------------------------- the rule table

SPELLED_YEAR = (rf"(?:nineteen|eighteen)[ \t-]{{1,3}}(?:{_TENS}(?:[ \t-]{_ONES})?|{_NUMWORD})"
                rf"|two[ \t-]thousand(?:[ \t-](?:and[ \t-])?{_NUMWORD})?")


def n_month_spelled_year(m: re.Match[str], r: Resolver) -> Resolved | str:
    """'January nineteen ninety-seven' (spoken news): the month of a spelled-out year."""
    if not _capitalised(m.group("month")):
        return REJECT
    year = n_spelled_year(m, r)
    if isinstance(year, str) or year.value is None:
        return REJECT
    return Resolved(f"{year.value}-{_month_num(m.group('month')):02d}")


_DUR_PRE = (r"(?:the[ \t]{1,3})?(?:(?:first|last|past|next|coming|previous|final|initial|latest|"
            r"following|other)[ \t]{1,3})?")

RULES: tuple[Rule, ...] = (
    Rule("iso_date", _c(rf"{LB}(?P<iy>{YEAR})-(?P<im>[01]\d)-(?P<id>[0-3]\d)"
                        rf"(?:[T ](?P<ih>[01]\d|2[0-3]):(?P<imi>[0-5]\d)(?::[0-5]\d)?"
                        rf"(?:Z|[+-]\d\d:?\d\d)?)?{RBN}"),
         "DATE", n_numeric),
    Rule("us_date", _c(rf"{LB}(?P<um>[01]?\d)/(?P<ud>[0-3]?\d)/(?P<uy>\d{{4}}|\d{{2}}){RBN}"),
         "DATE", n_numeric),
    Rule("month_day", _c(rf"{LBW}(?:{WEEKDAY},?{SP})?(?P<month>{ANY_MONTH}){SP}(?P<day>{DAYNUM})"
                         rf"(?:,?{SP}(?P<year>{YEAR}))?{RBN}"), "DATE", n_month_day),
    Rule("day_month", _c(rf"{LBW}(?P<day>{DAYNUM}){SP}(?:of{SP})?(?P<month>{MONTH}|{MONTH_ABBR})"
                         rf"(?:,?{SP}(?P<year>{YEAR}))?{RB}"), "DATE", n_month_day),
    Rule("day_range_tail", _c(rf"{LBW}(?P<month>{ANY_MONTH}){SP}(?P<d1>{DAYNUM}){_RANGE_SEP}"
                              rf"(?P<x>(?P<day>{DAYNUM})(?:,?{SP}(?P<year>{YEAR}))?){RBN}"),
         "DATE", n_range_tail),
    Rule("year_range_head", _c(rf"{LB}(?P<x>(?P<year>{YEAR}))"
                               rf"(?=[-\u2013](?P<y2>{YEAR}|\d\d)(?![\w%-]|[.,/:]\d))"),
         "DATE", n_year_range),
    Rule("year_range_tail", _c(rf"{LB}(?P<y1>{YEAR})[-\u2013](?P<x>{YEAR}|\d\d)(?![\w%-]|[.,/:]\d)"),
         "DATE", n_year_range),
    Rule("week_of", _c(rf"{LBW}the{SP}week{SP}of{SP}(?P<month>{ANY_MONTH}){SP}(?P<day>{DAYNUM})"
                       rf"(?:,?{SP}(?P<year>{YEAR}))?{RBN}"), "DATE", n_week_of),
    Rule("month_rel_year", _c(rf"{LBW}(?P<month>{ANY_MONTH})(?:{SP}(?P<day>{DAYNUM}))?,?{SP}"
                              rf"(?P<det>this|next|last){SP}year{RB}(?!['\u2019])"),
         "DATE", n_month_rel_year),
    Rule("month_year", _c(rf"{LBW}(?P<month>{ANY_MONTH})(?:{SP}of)?,?{SP}(?P<year>{YEAR}){RBN}"),
         "DATE", n_month_year),
    Rule("month", _c(rf"{LBW}(?P<month>{MONTH}){RB}"), "DATE", n_month),
    Rule("decade", _c(rf"{LBW}(?:the[ \t]{{1,3}})?(?:(?P<dec>1\d\d0|20\d0)'?s|'(?P<yy>\d0)s){RB}"),
         "DATE", n_decade),
    Rule("century", _c(rf"{LBW}the{SP}(?P<cn>\d{{1,2}}(?:st|nd|rd|th)|{ORD}|fifteenth|sixteenth|"
                       rf"seventeenth|eighteenth|nineteenth|twentieth|twenty-first){SP}century{RB}"),
         "DATE", n_century),
    Rule("year", _c(rf"{LB}(?:(?:fiscal|calendar){SP}|the{SP}year{SP})?(?P<year>{YEAR}){RBN}(?!-)"),
         "DATE", n_year),
    Rule("time", _c(rf"{LBW}(?:(?P<h>[012]?\d)(?::(?P<mi>[0-5]\d))?[ \t]?(?P<ampm>[ap]\.?m\b\.?)"
                    rf"|(?P<cw>noon|midnight|midday)|(?P<oh>[012]?\d|{_ONES}|ten|eleven|twelve)"
                    rf"[ \t]o'clock)"
                    rf"(?:[ \t]{{1,3}}{TZ}\b)?"
                    rf"(?:,?{SP}(?:on{SP})?(?:(?P<twd>{WEEKDAY})|(?P<tdw>{DAYWORD})|"
                    rf"(?P<tmon>{ANY_MONTH}){SP}(?P<tday>{DAYNUM})))?{RB}"), "TIME", n_time),
    Rule("time24", _c(rf"{LBW}(?P<h>[01]?\d|2[0-3]):(?P<mi>[0-5]\d)(?P<ampm>)(?![\d:])"
                      rf"(?P<tz>[ \t]{{1,3}}{TZ}\b)?"
                      rf"(?:,?{SP}(?:on{SP})?(?:(?P<twd>{WEEKDAY})|(?P<tdw>{DAYWORD})|"
                      rf"(?P<tmon>{ANY_MONTH}){SP}(?P<tday>{DAYNUM})))?{RB}"), "TIME", n_time),
    Rule("weekday", _c(rf"{LBW}(?:(?P<det>last|next|this past|this coming|this|past|coming){SP})?"
                       rf"(?P<wd>{WEEKDAY}s?)(?:{SP}(?P<pod>{POD}))?{RB}"), "DATE", n_weekday),
    Rule("day_word", _c(rf"{LBW}(?P<dw>{DAYWORD})(?:{SP}(?P<pod>{POD}))?{RB}"), "DATE", n_day_word),
    Rule("this_pod", _c(rf"{LBW}(?P<det>this|last){SP}(?P<pod>{POD}){RB}"), "TIME", n_this_pod),
    Rule("pod_alone", _c(rf"{LBW}(?:the{SP}|mid-?)(?P<pod>morning|afternoon|evening)"
                         rf"(?:{SP}(?P<pdw>{DAYWORD}))?{RB}"
                         rf"(?!{SP}(?:of|after|before|paper|news|session|rush|show|edition|star))"),
         "TIME", n_pod_alone),
    Rule("rel_named", _c(rf"{LBW}(?P<det>this past|this coming|last|next|this|coming){SP}"
                         rf"(?P<name>{MONTH}|{SEASON}|{HOLIDAY}){RB}"), "DATE", n_rel_named),
    Rule("season", _c(rf"{LBW}(?:the{SP}|(?P<sy>{YEAR}){SP})?(?P<season>{SEASON})"
                      rf"(?:{SP}(?:of{SP})?(?P<sy2>{YEAR}))?{RB}"), "DATE", n_season),
    Rule("holiday", _c(rf"{LBW}(?P<hol>{HOLIDAY})(?:,?{SP}(?P<hy>{YEAR}))?{RB}"), "DATE", n_holiday),
    Rule("quarter", _c(rf"{LBW}(?:the{SP})?(?:(?P<qy>{YEAR})(?:'s)?{SP}|(?P<qpre>this{SP}year's|"
                       rf"next{SP}year's|last{SP}year's|the{SP}year's){SP})?(?:fiscal[ \t-]{{1,3}})?"
                       rf"(?P<qord>{ORD})[ \t-]{{1,3}}(?:fiscal[ \t-]{{1,3}})?quarter"
                       rf"(?:{SP}of{SP}(?P<qy2>{YEAR}))?{RB}"), "DATE", n_quarter),
    Rule("rel_quarter", _c(rf"{LBW}the{SP}(?:(?P<qy>{YEAR}){SP}|(?P<rq>latest|last|past|previous|current|"
                           rf"most{SP}recent|"
                           rf"same|year-ago|year-earlier|year{SP}ago|year{SP}earlier|"
                           rf"comparable|fiscal|recent|next|coming){SP})?(?:fiscal{SP})?"
                           rf"quarter{RB}(?!s)"), "DATE", n_rel_quarter),
    Rule("period_year_ago", _c(rf"{LBW}(?:the{SP}(?:(?:same|comparable|corresponding|like){SP})?"
                               rf"(?:quarter|period){SP}(?:a{SP}year{SP}(?:ago|earlier)|(?:of{SP})?last{SP}year)"
                               rf"{RB}(?!['\u2019])|last{SP}year['\u2019]s{SP}(?:(?:same|comparable|"
                               rf"corresponding){SP})?(?:quarter|period){RB})"), "DATE", n_period_year_ago),
    Rule("rel_period", _c(rf"{LBW}the{SP}(?:(?P<qy>{YEAR}){SP}|(?P<rq>year-ago|year-earlier|year{SP}ago|"
                          rf"year{SP}earlier|"
                          rf"latest){SP})period{RB}"), "DATE", n_rel_quarter),
    Rule("recent_units", _c(rf"{LBW}(?:the{SP})?(?:recent|coming|past{SP}few|next{SP}few){SP}"
                            rf"(?P<pu>days|weeks|months|years|decades){RB}"), "DURATION", n_plural_unit),
    Rule("bare_units", _c(rf"{LBW}(?:for|within|over){SP}(?P<x>(?:the{SP})?(?P<pu>days|weeks|months|years|"
                          rf"decades|centuries)){RB}(?!-|{SP}(?:ago|later|earlier|old|of)\b)"),
         "DURATION", n_plural_unit),
    Rule("half", _c(rf"{LBW}the{SP}(?P<hord>first|second|last){SP}half(?:{SP}of{SP}(?P<hy>{YEAR}))?{RB}"),
         "DATE", n_half),
    Rule("rel_unit", _c(rf"{LBW}(?P<det>{REL_DET}){SP}(?:fiscal{SP})?(?P<unit>{UNIT}|weekend){RB}"
                        rf"(?!-)"), "DATE", n_rel_unit),
    Rule("part_of_unit", _c(rf"{LBW}the{SP}(?:end|beginning|start|middle|rest){SP}of{SP}(?:the|this){SP}"
                            rf"(?P<unit>week|month|year){RB}"), "DATE", n_part_of_unit),
    Rule("the_weekend", _c(rf"{LBW}the{SP}weekend{RB}"), "DATE", n_the_weekend),
    Rule("rel_year_word", _c(rf"{LBW}year-(?:ago|earlier){RB}"), "DATE", n_rel_year_word),
    Rule("duration", _c(rf"{LBW}(?P<dpre>{_DUR_PRE})(?:(?P<dlow>{NUM}){SP}(?:to|or){SP})?(?P<dnum>{NUM})"
                        rf"(?:{SP}more)?[ \t-]{{1,3}}(?P<dunit>{UNIT})"
                        rf"(?P<dhalf>{SP}and{SP}a{SP}half)?(?:{SP}(?P<ddir>{DIRECTION}))?{RB}(?!-old)"),
         "DURATION", n_duration),
    Rule("anaphoric", _c(rf"{LBW}(?:(?:earlier|later){SP})?(?:(?:the{SP})?(?P<apre>next|following|previous|"
                         rf"preceding|same)|that(?:{SP}same)?){SP}(?:(?P<au>day|week|month|year)|(?P<apod>{POD})){RB}"
                         rf"|{LBW}the{SP}(?P<au2>day|week|month|year){SP}(?P<apost>before|after|earlier|"
                         rf"later){RB}"), "DATE", n_anaphoric),
    Rule("reference", _c(rf"{LBW}(?:{REF}|{_alt(_LX.get('reference_adj'))}){RB}"), "DATE", n_reference),
    Rule("spelled_year", _c(rf"{LBW}(?:the{SP}year{SP})?(?P<sy>{SPELLED_YEAR}){RB}"), "DATE", n_spelled_year),
    Rule("month_spelled_year", _c(rf"{LBW}(?P<month>{MONTH}),?{SP}(?P<sy>{SPELLED_YEAR}){RB}"), "DATE",
         n_month_spelled_year),
    Rule("year_end", _c(rf"{LBW}(?:the{SP})?year(?:'s{SP}|[ \t-])end{RB}"), "DATE", n_this_year),
    Rule("the_year", _c(rf"{LBW}the{SP}(?:(?:full|fiscal|current|calendar){SP})?year{RB}(?![-'])"),
         "DATE", n_this_year),
    Rule("set", _c(rf"{LBW}(?:(?P<sw>{SETWORD})|(?:every|each|per){SP}(?:(?P<sother>other){SP}|"
                   rf"(?P<sn>{NUM}){SP})?(?:(?P<su>{UNIT})|(?P<swd>{WEEKDAY})|(?P<smon>{MONTH})){RB})"),
         "SET", n_set),
)

_DUR_MOD_RE = re.compile(rf"(?:^|(?<=[^\w]))(?P<mod>{DUR_MOD})[ \t]{{1,3}}$", re.IGNORECASE)
_DATE_MOD_RE = re.compile(rf"(?:^|(?<=[^\w]))(?P<mod>{DATE_MOD})(?:[ \t]{{1,3}}|-)$", re.IGNORECASE)
_NO_MOD_AFTER = re.compile(r"^(?:\d{4}|the|this|last|next)\b", re.IGNORECASE)


# --------------------------------------------------------------------------- the stage


@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    prio: int
    rule: Rule
    match: re.Match[str]


_REPEATS = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT)
# Characters IGNORECASE matches to an ASCII letter although their lower case is not that letter.
_CASE_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def _required(sub: Any) -> list[frozenset[str]]:
    """What every match of a parsed pattern contains, as sets of lower-case ASCII words of which
    at least one occurs: literal runs in sequence, in groups and in repeats of at least one, and
    for an alternation the union of one requirement of each alternative (when each has one).
    Optional parts and lookarounds require nothing."""
    reqs: list[frozenset[str]] = []
    cur: list[str] = []
    for op, av in sub:
        if op is sre_c.LITERAL and chr(av).isascii() and chr(av).isalpha():
            cur.append(chr(av).lower())
            continue
        if cur:
            reqs.append(frozenset(["".join(cur)]))
            cur = []
        if op is sre_c.SUBPATTERN:
            reqs += _required(av[3])
        elif op is sre_c.ATOMIC_GROUP:
            reqs += _required(av)
        elif op in _REPEATS and av[0] >= 1:
            reqs += _required(av[2])
        elif op is sre_c.BRANCH:
            picks = [_best(_required(alt)) for alt in av[1]]
            if all(picks):
                reqs.append(frozenset().union(*picks))
        elif op is sre_c.IN and all(o is sre_c.LITERAL for o, _ in av):  # [Ss]: one letter
            letters = {chr(a).lower() for _, a in av}
            if len(letters) == 1 and all(c.isascii() and c.isalpha() for c in letters):
                cur.append(letters.pop())
    if cur:
        reqs.append(frozenset(["".join(cur)]))
    return reqs


def _best(reqs: list[frozenset[str]]) -> frozenset[str]:
    """The most selective requirement: the one whose shortest word is longest, then the fewest."""
    return max(reqs, key=lambda r: (min(map(len, r)), -len(r)), default=frozenset())


@cache
def _needles(pattern: re.Pattern[str]) -> frozenset[str]:
    """Words of which every match of the pattern contains one (empty: no such words): a text
    with none of them cannot match, so the scan of the whole text is skipped (`find`)."""
    return _best(_required(sre_p.parse(pattern.pattern, pattern.flags)))


_LOOKAROUNDS = (sre_c.ASSERT, sre_c.ASSERT_NOT)
_DIGIT = [(sre_c.IN, [(sre_c.CATEGORY, sre_c.CATEGORY_DIGIT)])]  # `\d`, as parsed
_DIGITS = re.compile(r"\d+")


def _width(sub: Any, digit_run: int) -> int | None:
    r"""The longest match of a parsed pattern, lookarounds excluded; an unbounded repeat of `\d`
    counts as the longest run of digits in the text, any other unbounded repeat gives None."""
    width = 0
    for op, av in sub:
        if op in (sre_c.LITERAL, sre_c.NOT_LITERAL, sre_c.ANY, sre_c.IN):
            w: int | None = 1
        elif op is sre_c.SUBPATTERN:
            w = _width(av[3], digit_run)
        elif op is sre_c.ATOMIC_GROUP:
            w = _width(av, digit_run)
        elif op is sre_c.BRANCH:
            ws = [_width(alt, digit_run) for alt in av[1]]
            w = None if None in ws else max(x for x in ws if x is not None)
        elif op in _REPEATS:
            _, most, item = av
            if most == sre_c.MAXREPEAT:
                most = digit_run if list(item) == _DIGIT else None
            inner = _width(item, digit_run)
            w = None if most is None or inner is None else most * inner
        elif op in _LOOKAROUNDS or op is sre_c.AT:
            w = 0
        else:  # back-references, conditionals: not bounded here
            w = None
        if w is None:
            return None
        width += w
    return width


def _lookahead_reach(sub: Any, digit_run: int) -> int | None:
    """Characters lookaheads may read past a match (summed over all of them: a bound)."""
    reach = 0
    for op, av in sub:
        parts: list[Any] = []
        if op in _LOOKAROUNDS:
            direction, inner = av
            if direction == 1:
                w = _width(inner, digit_run)
                if w is None:
                    return None
                reach += w
            parts = [inner]
        elif op is sre_c.SUBPATTERN:
            parts = [av[3]]
        elif op is sre_c.ATOMIC_GROUP:
            parts = [av]
        elif op in _REPEATS:
            parts = [av[2]]
        elif op is sre_c.BRANCH:
            parts = list(av[1])
        for part in parts:
            r = _lookahead_reach(part, digit_run)
            if r is None:
                return None
            reach += r
    return reach


@cache
def _parsed(pattern: re.Pattern[str]) -> Any:
    return sre_p.parse(pattern.pattern, pattern.flags)


@cache
def _reach(pattern: re.Pattern[str], digit_run: int) -> int | None:
    """How far past its start an attempt to match the pattern may read in a text whose longest
    run of digits is `digit_run` (the longest match, its lookaheads and a word-boundary test),
    or None when that is not bounded."""
    width = _width(_parsed(pattern), digit_run)
    look = _lookahead_reach(_parsed(pattern), digit_run)
    return None if width is None or look is None else width + look + 1


def _matches(pattern: re.Pattern[str], text: str, folded: str, needles: frozenset[str],
             digit_run: int) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, run only near the occurrences of the needles.

    Every match holds one of the needles (`_needles`) and is at most `_reach` characters long,
    so no match starts outside [q - reach, q] for a needle at q: the windows are scanned with an
    end that leaves each attempt from inside them the text it would read in a full scan, and
    matches starting beyond a window are left to the next one. Same matches, same order."""
    reach = _reach(pattern, digit_run)
    if not needles or reach is None or len(folded) != len(text):  # offsets of `folded` must be the text's
        yield from pattern.finditer(text)
        return
    starts = sorted(i for w in needles for i in _occurrences(folded, w))
    pos = 0
    k = 0
    while k < len(starts):
        lo, hi = starts[k] - reach, starts[k]
        k += 1
        while k < len(starts) and starts[k] - reach <= hi + 1:  # merge overlapping windows
            hi = starts[k]
            k += 1
        lo = max(lo, pos, 0)
        if lo > hi:
            continue
        for m in pattern.finditer(text, lo, min(len(text), hi + reach)):
            if m.start() > hi:
                break
            yield m
            pos = m.end()


def _occurrences(text: str, word: str) -> Iterator[int]:
    i = text.find(word)
    while i >= 0:
        yield i
        i = text.find(word, i + 1)


def find(text: str, accept: Callable[[_Cand], bool] | None = None) -> list[_Cand]:
    """All rule matches, then the longest non-overlapping ones (earlier rules win ties).

    `accept` vetoes a candidate before it claims its span, so a rejected reading ("the following
    day" is not a dct-relative unit) leaves room for another rule's reading of the same words.
    A rule none of whose required words (`_needles`) occur from the text is not run: each scan tries
    the pattern at every character, and most rules' words appear in few articles.
    """
    cands: list[_Cand] = []
    folded = text.translate(_CASE_FOLD).lower()
    digit_run = max(map(len, _DIGITS.findall(text)), default=0)
    for prio, rule in enumerate(RULES):
        needles = _needles(rule.pattern)
        if needles and not any(w in folded for w in needles):
            continue
        sub = "x" in rule.pattern.groupindex  # the span is one group of a wider match
        for m in _matches(rule.pattern, text, folded, needles, digit_run):
            s, e = m.span("x") if sub else m.span()
            if e > s:
                cands.append(_Cand(s, e, prio, rule, m))
    cands.sort(key=lambda c: (-(c.end - c.start), c.prio, c.start))
    taken: list[tuple[int, int]] = []  # sorted disjoint intervals
    chosen: list[_Cand] = []
    for c in cands:
        i = bisect.bisect_left(taken, (c.start, c.start))
        if i > 0 and taken[i - 1][1] > c.start:
            continue
        if i < len(taken) and taken[i][0] < c.end:
            continue
        if accept is not None and not accept(c):
            continue
        taken.insert(i, (c.start, c.end))
        chosen.append(c)
    chosen.sort(key=lambda c: c.start)
    return chosen


_ADJECTIVAL = re.compile(r"the[ \t][\w ]{0,20}?-(?:year|quarter|month|week|day|hour|minute)", re.I)
_OR_SO = re.compile(r"[ \t]{1,3}or[ \t]{1,3}so\b", re.IGNORECASE)


def _extend(text: str, start: int, typ: str) -> int:
    """Move the start left over a modifier TimeML keeps in the span ('more than', 'early')."""
    window = text[max(0, start - 20):start]
    rx = _DUR_MOD_RE if typ == "DURATION" else _DATE_MOD_RE if typ in ("DATE", "TIME") else None
    if rx is None:
        return start
    m = rx.search(window)
    if not m:
        return start
    start -= len(window) - m.start("mod")
    if typ != "DURATION" and not m.group("mod").lower().startswith("the") and \
            text[max(0, start - 4):start].lower() == "the ":
        start -= 4  # "the mid-1990s", "the early 1980s": TimeML keeps the determiner
    return start


def _normalise(c: _Cand, r: Resolver) -> Resolved | str:
    try:
        return c.rule.normalise(c.match, r)
    except (KeyError, ValueError, OverflowError):
        return REJECT  # a gap in a table must cost one timex, not the article


def annotate(ctx: Context) -> None:
    """Stage 2: fill `ctx.timexes` with the spans found in the text, normalised in text order."""
    text = ctx.text
    r = Resolver(ctx)
    scratch = copy.copy(r)  # for the veto pass: shares the parse look-ups, not the discourse state

    def accept(c: _Cand) -> bool:
        scratch.match_start, scratch.year_from_text = c.start, False
        return not isinstance(_normalise(c, scratch), str)

    out: list[Timex] = []
    taken_end = 0
    for c in find(text, accept):
        r.match_start = c.start
        r.anchor_id, r.year_from_text = None, False
        res = _normalise(c, r)
        if isinstance(res, str):
            continue  # REJECT
        typ: TimexType = res.type or c.rule.type
        end = res.end if res.end is not None else c.end
        start = _extend(text, c.start, typ)
        if _ADJECTIVAL.fullmatch(text, start, end) and re.match(r"[ \t]+[A-Za-z]", text[end:end + 2]):
            start += 4  # "the eight-year war": the determiner belongs to the noun, not the timex
        tail = _OR_SO.match(text, end)
        if tail:
            end = tail.end()
        if start < taken_end:
            start = c.start
        tid = f"t{len(out) + 1}"
        anchor = {"dct": "published_at", "discourse": r.anchor_id}.get(res.anchor or "", None)
        if res.value is None:
            anchor = None
        out.append(Timex(id=tid, start=start, end=end, text=text[start:end], type=typ,
                         value=res.value, anchor=anchor))
        taken_end = end
        explicit = res.anchor is None and bool(re.search(r"\d{4}", text[c.start:end]))
        _remember(r, res.value, tid, typ, c.rule.name, explicit, c.start)
    ctx.timexes = out


def _remember(r: Resolver, value: str | None, tid: str, typ: str, rule: str, explicit_year: bool,
              at: int) -> None:
    """Track the discourse: the last dated timex and the last explicit year."""
    if value is None or typ not in ("DATE", "TIME") or not value[:4].isdigit():
        return
    r.last_date = (value[:10] if typ == "TIME" else value, tid)
    if rule in ("quarter", "rel_quarter") and re.fullmatch(r"\d{4}-Q\d", value):
        r.last_quarter, r.last_quarter_at = value, at
    if explicit_year:
        r.last_year, r.last_year_at, r.last_year_id = int(value[:4]), at, tid
