"""Exact, table-driven replacements for the model's two pure-Python rule components.

`en_core_web_sm`'s `attribute_ruler` runs a `Matcher` (~180 patterns, 1,000+ matches per news
article) and builds a `Span` and calls `set_token_attrs` per match; its rule `lemmatizer` makes a
`Token`, `token.pos_` and `token.morph.to_dict()` for every token because it caches only some of
its results. Together they cost ~15% of a parse. The components here give the same annotations
for a fraction of that:

- `FastAttributeRuler` is compiled at load time from the loaded model's own `AttributeRuler`
  (its matcher patterns, normalised `attrs` and `indices`), never from a copy of the patterns.
  What a token matches depends only on its own values of the attributes the patterns test, so
  the outcome per distinct value tuple is cached, and per class of values (values no pattern
  names are alike); a new class checks only the rules indexed under the token's values.
  Columns are read and written with `Doc.to_array`/`Doc.from_array`.
- `FastLemmatizer` caches the stock lemmatizer's result for every (ORTH, POS, MORPH) and asks
  the stock component itself (`lemmatize`) on a miss, so the tables and rules stay the model's.

Anything the compiler does not handle raises `UnsupportedRules` when the component is built,
and `install` then keeps the stock component (with a warning in the log): never different
annotations. `bench/parse_identity.py` checks token-by-token identity on whole corpora.
"""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.attrs import DEP, IDS, LEMMA, LOWER, MORPH, NORM, ORTH, POS, TAG
from spacy.lang.en.lemmatizer import EnglishLemmatizer
from spacy.language import Language
from spacy.lookups import Lookups
from spacy.pipeline import AttributeRuler, Lemmatizer
from spacy.strings import get_string_id
from spacy.tokens import Doc

logger = logging.getLogger(__name__)

ATTRIBUTE_RULER_FACTORY = "newsclaims_fast_attribute_ruler"
LEMMATIZER_FACTORY = "newsclaims_fast_lemmatizer"
# A long-running worker sees an unbounded number of distinct words: each cache starts over when
# it reaches this many entries (a miss costs a few microseconds; 50,000 entries are ~15 MB).
MAX_CACHE = 50_000

# Attributes a rule may set. `set_token_attrs` writes each on the token (`Token.set_struct_attr`)
# and on the lexeme, where `Lexeme.set_struct_attr` ignores these ids (only flags and lexical
# string attributes live there), so a column write with `Doc.from_array` has the same effect.
SET_ATTRS = (TAG, POS, MORPH, LEMMA, DEP)
# Token attributes a pattern may test: string-valued ones (compared as hashes; REGEX on the
# string) and the lexeme's boolean flags. Anything else makes the compiler give up.
STRING_ATTRS = frozenset({ORTH, LOWER, NORM, TAG, DEP, LEMMA})
FLAG_ATTRS = frozenset(IDS[name] for name in (
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_UPPER",
    "LIKE_URL", "LIKE_NUM", "LIKE_EMAIL", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT",
    "IS_RIGHT_PUNCT", "IS_CURRENCY"))
# On a cache miss, the rules a token could match are looked up under its value of the first of
# these attributes that a pattern tests by equality or IN (the most selective first).
ANCHOR_ORDER = (LOWER, ORTH, NORM, LEMMA, TAG, DEP)


class UnsupportedRules(ValueError):
    """The stock component uses something the compiled equivalent does not reproduce."""


# One token test: (column, op, argument) with op "eq" (a hash or flag value), "in"/"not_in"
# (a frozenset of hashes) or "regex" (a compiled pattern, searched in the string).
Check = tuple[int, str, Any]


@dataclass(frozen=True)
class _Pattern:
    rule: int  # the rule's position in the ruler = its precedence (later rules win)
    tokens: tuple[tuple[Check, ...], ...]
    index: int  # which token of the match gets the attributes, >= 0


@dataclass
class _Outcome:
    """What the single-token rules do to a token with given values, and which tokens of
    multi-token patterns it satisfies."""

    values: tuple[int, ...]  # per SET_ATTRS column: the value set, or 0 where `mask` is False
    mask: tuple[bool, ...]
    rules: tuple[int, ...]  # per column: the rule that set it, or -1
    multi: frozenset[tuple[int, int]]  # (pattern number, token position) satisfied


def _column_of(attr: Any) -> int:
    """The attribute id of a pattern key, as the Matcher reads it (`_get_attr_values`)."""
    if not isinstance(attr, str):
        raise UnsupportedRules(f"pattern key {attr!r}")
    name = attr.upper()
    name = "ORTH" if name == "TEXT" else name
    col = IDS.get(name)
    if col is None or (col not in STRING_ATTRS and col not in FLAG_ATTRS):
        raise UnsupportedRules(f"pattern attribute {attr!r}")
    return int(col)


def _value_id(value: Any, strings: Any) -> int:
    """A pattern value as the Matcher stores it: strings as hashes, booleans as 0/1."""
    if isinstance(value, str):
        return int(strings.add(value))
    if isinstance(value, bool | int):
        return int(value)
    raise UnsupportedRules(f"pattern value {value!r}")


def _compile_token(spec: Any, strings: Any) -> tuple[Check, ...]:
    if not isinstance(spec, dict):
        raise UnsupportedRules(f"token pattern {spec!r}")
    checks: list[Check] = []
    for key, value in spec.items():
        col = _column_of(key)
        if not isinstance(value, dict):
            checks.append((col, "eq", _value_id(value, strings)))
            continue
        if col not in STRING_ATTRS:
            raise UnsupportedRules(f"predicate on {key!r}")
        for op, arg in value.items():
            if op in ("IN", "NOT_IN") and isinstance(arg, list):
                # `_SetPredicate`: get_string_id of each value ('' is 0, an unset DEP/TAG).
                ids = frozenset(int(get_string_id(v)) for v in arg)
                checks.append((col, "in" if op == "IN" else "not_in", ids))
            elif op == "REGEX" and isinstance(arg, str):
                checks.append((col, "regex", re.compile(arg)))  # `_RegexPredicate`: search
            else:
                raise UnsupportedRules(f"predicate {op!r} on {key!r}")
    return tuple(checks)


def _compile_patterns(ruler: AttributeRuler) -> tuple[list[_Pattern], list[dict[int, int]]]:
    """The ruler's patterns and normalised attrs, rule by rule in its precedence order: the
    stock `match` sorts matches by `int(key)` = the rule's position, so later rules win."""
    n = len(ruler.attrs)
    if len(ruler.indices) != n or len(ruler.matcher) != n:
        raise UnsupportedRules("matcher keys do not correspond to the rules")
    strings = ruler.vocab.strings
    patterns: list[_Pattern] = []
    actions: list[dict[int, int]] = []
    for rule in range(n):
        key = str(rule)
        if key not in ruler.matcher:
            raise UnsupportedRules(f"no matcher key {key!r}")
        on_match, rule_patterns = ruler.matcher.get(key)
        if on_match is not None:
            raise UnsupportedRules(f"rule {rule} has an on_match callback")
        attrs = ruler.attrs[rule]
        if any(a not in SET_ATTRS for a in attrs):
            raise UnsupportedRules(f"rule {rule} sets {sorted(attrs)}")
        actions.append({int(a): int(v) for a, v in attrs.items()})
        for pattern in rule_patterns:
            tokens = tuple(_compile_token(spec, strings) for spec in pattern)
            index = ruler.indices[rule]
            if not tokens or not -len(tokens) <= index < len(tokens):
                # The stock component raises E1001 on such a match: keep that behaviour.
                raise UnsupportedRules(f"rule {rule}: index {index} outside its pattern")
            patterns.append(_Pattern(rule, tokens, index % len(tokens)))
    return patterns, actions


def _holds(check: Check, value: int, string: Callable[[int], str]) -> bool:
    _, op, arg = check
    if op == "eq":
        return bool(value == arg)
    if op == "in":
        return value in arg
    if op == "not_in":
        return value not in arg
    return bool(arg.search(string(value)))


class FastAttributeRuler:
    """Gives exactly the annotations of the stock `AttributeRuler` it is compiled from.

    Stock semantics reproduced: every pattern is matched against the token values as they are
    before any rule applies (the Matcher runs first); then each match sets its rule's attrs on
    the token at the rule's index, in (rule, start, end) order, so for each attribute of a token
    the last matching rule that sets it wins. Single-token rules depend on the token's own
    values only, hence the cache keyed by those values; multi-token patterns are checked where
    their first token is satisfied.
    """

    def __init__(self, stock: AttributeRuler, max_cache: int = MAX_CACHE) -> None:
        self.stock = stock  # kept for inspection; never run
        self.vocab = stock.vocab
        patterns, self.actions = _compile_patterns(stock)
        self.max_cache = max_cache
        # The columns the patterns test, in `to_array` order; a token's values form its key.
        used = sorted({col for p in patterns for tok in p.tokens for col, _, _ in tok})
        self.match_attrs: list[Any] = list(used)
        where = {col: i for i, col in enumerate(used)}
        self.patterns = [
            _Pattern(p.rule, tuple(tuple((where[c], op, arg) for c, op, arg in tok) for tok in p.tokens),
                     p.index)
            for p in patterns
        ]
        # Every (pattern, token position) indexed under one value of its anchor column, or in
        # `always` when it tests no attribute by equality or IN.
        self.index: dict[int, dict[int, list[tuple[int, int]]]] = {}
        self.always: list[tuple[int, int]] = []
        for pid, p in enumerate(self.patterns):
            for pos, checks in enumerate(p.tokens):
                self._add_to_index((pid, pos), checks)
        self.set_attrs: list[Any] = [a for a in SET_ATTRS if any(a in act for act in self.actions)]
        # Per column, the values some check names (eq, IN, NOT_IN) and the REGEX checks: every
        # check answers alike for two values that are both unnamed and agree on each regex, so
        # such values share one class (`_class_key`), and a token's outcome is a function of
        # its classes. Misses of the per-token cache are first looked up by class.
        self._named: list[set[int]] = [set() for _ in used]
        self._regexes: list[list[re.Pattern[str]]] = [[] for _ in used]
        for p in self.patterns:
            for checks in p.tokens:
                for col, op, arg in checks:
                    if op == "eq":
                        self._named[col].add(arg)
                    elif op in ("in", "not_in"):
                        self._named[col].update(arg)
                    elif all(arg.pattern != r.pattern for r in self._regexes[col]):
                        self._regexes[col].append(arg)
        self._cache: dict[tuple[int, ...], int] = {}
        self._by_class: dict[tuple[int, ...], int] = {}
        self._outcomes: list[_Outcome] = []
        self._outcome_ids: dict[tuple[Any, ...], int] = {}
        # (number of outcomes, their values, mask, rules, has-multi arrays), rebuilt as outcomes
        # are added. State changes are single assignments in an order that leaves the caches
        # consistent wherever an exception (the service's SIGALRM deadline) interrupts a call.
        self._tables: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] = self._build_tables()
        self._strings: dict[int, str] = {}

    def _add_to_index(self, spec: tuple[int, int], checks: tuple[Check, ...]) -> None:
        anchors = [(self.match_attrs[col], col, op, arg) for col, op, arg in checks if op in ("eq", "in")]
        if not anchors:
            self.always.append(spec)
            return
        order = {attr: k for k, attr in enumerate(ANCHOR_ORDER)}
        _, col, op, arg = min(anchors, key=lambda a: order.get(a[0], len(order)))
        by_value = self.index.setdefault(col, {})
        for value in ([arg] if op == "eq" else sorted(arg)):
            by_value.setdefault(value, []).append(spec)

    def _string(self, value: int) -> str:
        s = self._strings.get(value)
        if s is None:
            s = self._strings[value] = self.vocab.strings[value]
        return s

    def _class_key(self, key: tuple[int, ...]) -> tuple[int, ...]:
        """`key` with each unnamed value replaced by its class: a negative number (no uint64
        value) encoding which of its column's regexes it matches."""
        out = []
        for col, value in enumerate(key):
            if value in self._named[col]:
                out.append(value)
            else:
                out.append(-1 - sum(1 << j for j, rx in enumerate(self._regexes[col])
                                    if rx.search(self._string(value))))
        return tuple(out)

    def _lookup(self, key: tuple[int, ...]) -> int:
        """The outcome id for a token whose tested values are `key` (on a per-token cache miss)."""
        by_class = self._class_key(key)
        oid = self._by_class.get(by_class)
        if oid is None:
            oid = self._by_class[by_class] = self._outcome(key)
        return oid

    def _outcome(self, key: tuple[int, ...]) -> int:
        """The outcome id for a token whose tested values are `key`, from the rules."""
        candidates = set(self.always)
        for col, by_value in self.index.items():
            candidates.update(by_value.get(key[col], ()))
        satisfied = sorted(
            (pid, pos) for pid, pos in candidates
            if all(_holds(c, key[c[0]], self._string) for c in self.patterns[pid].tokens[pos])
        )
        single = sorted({self.patterns[pid].rule for pid, pos in satisfied
                         if len(self.patterns[pid].tokens) == 1})
        multi = frozenset(s for s in satisfied if len(self.patterns[s[0]].tokens) > 1)
        ident = (tuple(single), multi)
        oid = self._outcome_ids.get(ident)
        if oid is None:
            values, rules = [0] * len(self.set_attrs), [-1] * len(self.set_attrs)
            for rule in single:  # ascending: a later rule overwrites
                for j, attr in enumerate(self.set_attrs):
                    if attr in self.actions[rule]:
                        values[j], rules[j] = self.actions[rule][attr], rule
            self._outcomes.append(_Outcome(tuple(values), tuple(r >= 0 for r in rules), tuple(rules), multi))
            oid = len(self._outcomes) - 1
            self._outcome_ids[ident] = oid
        return oid

    def _build_tables(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        out = list(self._outcomes)
        return (
            len(out),
            np.array([o.values for o in out], dtype=np.uint64).reshape(len(out), len(self.set_attrs)),
            np.array([o.mask for o in out], dtype=bool).reshape(len(out), len(self.set_attrs)),
            np.array([o.rules for o in out], dtype=np.int64).reshape(len(out), len(self.set_attrs)),
            np.array([bool(o.multi) for o in out], dtype=bool),
        )

    def _outcome_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._tables[0] != len(self._outcomes):
            self._tables = self._build_tables()
        _, values, mask, rules, has_multi = self._tables
        return values, mask, rules, has_multi

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0 or not self.set_attrs:
            return doc
        cache = self._cache
        if len(cache) >= self.max_cache or len(self._by_class) >= self.max_cache:
            cache.clear()
            self._by_class.clear()
            self._strings.clear()
        keys = list(zip(*doc.to_array(self.match_attrs).T.tolist(), strict=True))
        get = cache.get
        ids = [get(k, -1) for k in keys]
        if -1 in ids:
            for i, oid in enumerate(ids):
                if oid < 0:
                    key = keys[i]
                    oid = get(key, -1)  # the same values may have missed earlier in this doc
                    if oid < 0:
                        oid = cache[key] = self._lookup(key)
                    ids[i] = oid
        values, mask, rules, has_multi = self._outcome_tables()
        eids = np.array(ids, dtype=np.intp)
        current = doc.to_array(self.set_attrs)
        if current.ndim == 1:
            current = current.reshape(n, 1)
        new: Any = np.where(mask[eids], values[eids], current)
        multi_at = np.flatnonzero(has_multi[eids])
        if len(multi_at):
            self._apply_multi(multi_at.tolist(), ids, new, rules[eids])
        doc.from_array(self.set_attrs, new)
        return doc

    def _apply_multi(self, starts: list[int], ids: list[int], new: np.ndarray, rule_at: np.ndarray) -> None:
        """Multi-token matches starting at `starts`, applied where their rule outranks the rule
        that set the attribute so far (single-token rules are already in `new`)."""
        n = len(ids)
        for start in starts:
            for pid, pos in self._outcomes[ids[start]].multi:
                if pos != 0:
                    continue
                p = self.patterns[pid]
                end = start + len(p.tokens)
                if end > n or any((pid, k) not in self._outcomes[ids[start + k]].multi
                                  for k in range(1, len(p.tokens))):
                    continue
                target = start + p.index
                for j, attr in enumerate(self.set_attrs):
                    if attr in self.actions[p.rule] and p.rule > rule_at[target, j]:
                        new[target, j] = self.actions[p.rule][attr]
                        rule_at[target, j] = p.rule


class FastLemmatizer:
    """Gives exactly the lemma of the stock rule-mode (English) lemmatizer it wraps.

    The stock `rule_lemmatize` result is a pure function of (ORTH, POS, MORPH key) given the
    model's lookup tables: it reads `token.text` (the ORTH string), `token.pos_`,
    `token.morph.key` and, in `EnglishLemmatizer.is_base_form`, `token.morph.to_dict()`;
    nothing else of the token or document. The stock component caches only rule-table results
    and recomputes base forms, PROPN, SPACE etc. per token; here every result is cached by that
    key, and a miss asks the stock component (`lemmatize`). Kept as in the stock `__call__`:
    a token whose lemma is already set stays (unless `overwrite`), and an empty POS goes to the
    stock component every time, uncached, so it warns (W108) as before. Inside a memory zone
    the stock component runs, since strings added there do not outlive it.
    """

    def __init__(self, stock: Lemmatizer, max_cache: int = MAX_CACHE) -> None:
        if type(stock) not in (Lemmatizer, EnglishLemmatizer) or stock.mode != "rule":
            raise UnsupportedRules(f"lemmatizer {type(stock).__name__} in mode {stock.mode!r}")
        required, _ = stock.get_lookups_config(stock.mode)
        if any(table not in stock.lookups for table in required):
            raise UnsupportedRules("lemmatizer tables missing")
        self.stock = stock
        self.max_cache = max_cache
        self._cache: dict[tuple[int, int, int], int] = {}
        # Misses are computed by a twin of the stock component: the same class (so the same
        # `rule_lemmatize` and `is_base_form`) with the same tables, except that each
        # lemma_index word list becomes a frozenset. `rule_lemmatize` only tests membership in
        # it (`form in index`) and its truth value, which a set answers alike, in O(1) instead
        # of a scan of up to 57,000 nouns (~0.2 ms per miss).
        lookups = Lookups()
        for table_name in stock.lookups.tables:
            table = stock.lookups.get_table(table_name)
            lookups.add_table(table_name, {
                key: frozenset(value) if table_name == "lemma_index" and isinstance(value, list) else value
                for key, value in table.items()
            })
        self.twin = type(stock)(stock.vocab, stock.model, name=stock.name, mode=stock.mode,
                                overwrite=stock.overwrite)
        self.twin.initialize(lookups=lookups)

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        if getattr(doc.vocab, "in_memory_zone", False):
            return self.stock(doc)
        cache = self._cache
        if len(cache) >= self.max_cache:
            cache.clear()
            self.twin.cache.clear()  # its own cache of rule results grows without bound too
        cols = doc.to_array([ORTH, POS, MORPH, LEMMA])
        lemmas = cols[:, 3].tolist()
        overwrite = self.stock.overwrite
        strings = doc.vocab.strings
        changed = False
        for i, key in enumerate(zip(*cols[:, :3].T.tolist(), strict=True)):
            if lemmas[i] and not overwrite:
                continue
            lemma = cache.get(key)
            if lemma is None:
                token = doc[i]
                lemma = strings.add(self.twin.lemmatize(token)[0])
                if token.pos_ != "":
                    cache[key] = lemma
            lemmas[i] = lemma
            changed = True
        if changed:
            column: Any = np.array(lemmas, dtype=np.uint64)
            doc.from_array([LEMMA], column)
        return doc


def _stock(nlp: Language, name: str, kind: type[Any]) -> Any:
    """The pipeline's component `name`, which must be a `kind` for its fast equivalent to apply."""
    component = nlp.get_pipe(name)
    if not isinstance(component, kind):
        raise UnsupportedRules(f"{name!r} is a {type(component).__name__}")
    return component


@Language.factory(ATTRIBUTE_RULER_FACTORY, default_config={"stock": "attribute_ruler"})
def make_fast_attribute_ruler(nlp: Language, name: str, stock: str) -> FastAttributeRuler:
    """Compiled from the pipeline's component named `stock`, which must be an AttributeRuler."""
    return FastAttributeRuler(_stock(nlp, stock, AttributeRuler))


@Language.factory(LEMMATIZER_FACTORY, default_config={"stock": "lemmatizer"})
def make_fast_lemmatizer(nlp: Language, name: str, stock: str) -> FastLemmatizer:
    """Wraps the pipeline's component named `stock`, a rule-mode Lemmatizer."""
    return FastLemmatizer(_stock(nlp, stock, Lemmatizer))


# spaCy resolves a factory's arguments from its signature; under `from __future__ import
# annotations` those are strings, which confection's pydantic-v1 models (spaCy 3.8.7) cannot
# resolve, so the factories carry the evaluated types
for _factory in (make_fast_attribute_ruler, make_fast_lemmatizer):
    _factory.__annotations__ = typing.get_type_hints(_factory)


def install(nlp: Language) -> list[str]:
    """Put the fast equivalents in place of the `attribute_ruler` and `lemmatizer` components,
    under the same names and at the same positions; returns the names replaced. A component the
    compiler does not support stays stock (logged)."""
    replaced = []
    for name, factory in (("attribute_ruler", ATTRIBUTE_RULER_FACTORY), ("lemmatizer", LEMMATIZER_FACTORY)):
        if name not in nlp.pipe_names:
            continue
        staging = f"{name}__fast"
        try:
            nlp.add_pipe(factory, name=staging, before=name, config={"stock": name})
        except UnsupportedRules as exc:
            logger.warning("keeping spaCy's own %s: %s", name, exc)
            continue
        nlp.remove_pipe(name)
        nlp.rename_pipe(staging, name)
        replaced.append(name)
    return replaced
