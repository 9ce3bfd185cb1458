"""The fast attribute_ruler and lemmatizer give exactly the stock components' annotations.

The stock pipeline (`load_nlp(fast_rules=False)`) and ours (`load_nlp()`) parse the same texts
and every token's TAG, POS, MORPH, LEMMA, DEP and HEAD must agree. The texts exercise every
rule shape of the model's attribute_ruler (checked below with the stock matcher itself, so the
comparison cannot pass by not meeting a rule); `bench/parse_identity.py` does the same on whole
corpora.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spacy
from spacy.attrs import DEP, HEAD, LEMMA, MORPH, POS, TAG
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

from app.extraction import fastrules
from app.extraction.fastrules import FastAttributeRuler, FastLemmatizer, UnsupportedRules
from app.extraction.pipeline import load_nlp

ATTRS = {"TAG": TAG, "POS": POS, "MORPH": MORPH, "LEMMA": LEMMA, "DEP": DEP, "HEAD": HEAD}

TEXTS = [
    # two-token patterns: gon|na, got|ta, let|'s, y'|all (REGEX on the first token)
    "You're gonna love it, and we gotta go now. Let's see what y'all think.",
    "Y'all know that. Ya'll see. They're gonna win, I gotta say.",
    # ai|n't with a REGEX second token; nothin'/nuthin' (REGEX), 'em, 'll, ol', 'nuff, doin', goin'
    "I ain't done nothin' wrong, and he ain't seen nuthin' yet. Somethin' is off.",
    "C'mon, we'll get 'em. 'Nuff said, ol' man. Doin' fine, goin' home.",
    # DEP-based rules: expletive + be, aux/auxpass, mark, do/have as main verbs, DT/WDT as pronouns
    "There is a problem. There are two. There was one and there were more. There's nothing here.",
    "Did you do it? He has had enough, but does he have time? Because it was late, she had left.",
    "That is what this means; those who know say so. All of these were sold, if that helps.",
    "The deal that was signed had been delayed while they were being told it would be.",
    # 'd as would and as had; modal spellings ca/wo/sha
    "She'd said that he'd go if you'd asked. I'd have gone. I can't, I won't, and I shan't.",
    # pronoun lemmas and morphology by dependency
    "I told him that she saw me with them, and they gave us their keys. It was hers, not mine.",
    "We did it ourselves; you know it and it knows you. Give it to me, not to you or I.",
    "Something, anyone, nobody; somebody gets what everybody got. Nothing beats everything.",
    # IS_SPACE tokens: double spaces, newlines, tabs, leading and trailing whitespace
    "  Officials said  on Monday\n\nthat   talks\twould resume.\n \nBut not  yet.  ",
    "\n\nHeadline\n\n\nBody text here.\n",
    # odd tags and punctuation
    "\"Well,\" he said (quietly) -- $5 or #3? 1. First; 2. second: ok!! :) www.example.com",
    "",
    "   ",
    "gon",
    "You know we're gonna",  # a 2-token match at the very end of the doc
]


def arrays(doc: Doc) -> np.ndarray:
    return doc.to_array(list(ATTRS.values()))


def differences(a: Doc, b: Doc) -> list[tuple[int, str, str, Any, Any]]:
    """(token, text, attribute, stock value, our value) for every disagreement."""
    assert a.text == b.text and len(a) == len(b)
    x, y = arrays(a), arrays(b)
    out = []
    for i, j in zip(*np.nonzero(x != y), strict=True):
        name = list(ATTRS)[j]
        out.append((int(i), a[int(i)].text, name, x[i, j], y[i, j]))
    return out


@pytest.fixture(scope="module")
def stock() -> Language:
    return load_nlp(fast_rules=False)


@pytest.fixture(scope="module")
def ours() -> Language:
    return load_nlp()


def test_the_fast_components_replace_the_stock_ones_in_place(stock: Language, ours: Language) -> None:
    assert ours.pipe_names == stock.pipe_names
    assert type(stock.get_pipe("attribute_ruler")) is AttributeRuler
    assert isinstance(ours.get_pipe("attribute_ruler"), FastAttributeRuler)
    assert isinstance(ours.get_pipe("lemmatizer"), FastLemmatizer)
    assert not isinstance(stock.get_pipe("lemmatizer"), FastLemmatizer)


def test_every_token_attribute_matches_the_stock_pipeline(stock: Language, ours: Language) -> None:
    tokens = 0
    for a, b in zip(stock.pipe(TEXTS), ours.pipe(TEXTS), strict=True):
        assert differences(a, b) == []
        assert [t.lemma_ for t in a] == [t.lemma_ for t in b]
        assert [str(t.morph) for t in a] == [str(t.morph) for t in b]
        tokens += len(a)
    assert tokens > 300


def test_sample_article_matches_the_stock_pipeline(stock: Language, ours: Language,
                                                   samples_dir: Path) -> None:
    for path in sorted(samples_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert differences(stock(text), ours(text)) == [], path.name


def test_the_texts_exercise_every_rule_shape(stock: Language) -> None:
    """The stock matcher, on the texts as the parser leaves them, matches rules of each shape
    (so the identity above covers them): 2-token patterns targeting either token, REGEX,
    DEP and IS_SPACE tests, missing-value ('') tests, several rules on one token."""
    ruler = stock.get_pipe("attribute_ruler")
    with stock.select_pipes(enable=["tok2vec", "tagger", "parser"]):
        docs = list(stock.pipe(TEXTS))
    matched: set[int] = set()
    per_token: dict[tuple[int, int], set[int]] = {}
    for d, doc in enumerate(docs):
        for rule, _, start, _end in ruler.match(doc):
            matched.add(rule)
            per_token.setdefault((d, start), set()).add(rule)

    def rules(pred: Any) -> set[int]:
        return {i for i, p in enumerate(ruler.patterns) if any(pred(pat, p) for pat in p["patterns"])}

    def uses(pat: list[dict[str, Any]], key: str, op: str | None = None) -> bool:
        return any(key in tok and (op is None or (isinstance(tok[key], dict) and op in tok[key]))
                   for tok in pat)

    shapes = {
        "2-token, index 0": rules(lambda pat, p: len(pat) == 2 and p["index"] == 0),
        "2-token, index 1": rules(lambda pat, p: len(pat) == 2 and p["index"] == 1),
        "REGEX": rules(lambda pat, p: uses(pat, "LOWER", "REGEX")),
        "DEP": rules(lambda pat, p: uses(pat, "DEP")),
        "DEP NOT_IN with ''": rules(lambda pat, p: uses(pat, "DEP", "NOT_IN")),
        "TAG NOT_IN with ''": rules(lambda pat, p: uses(pat, "TAG", "NOT_IN")),
        "IS_SPACE": rules(lambda pat, p: uses(pat, "IS_SPACE")),
        "sets LEMMA": rules(lambda pat, p: "LEMMA" in p["attrs"]),
        "sets DEP": rules(lambda pat, p: "DEP" in p["attrs"]),
        "sets TAG": rules(lambda pat, p: "TAG" in p["attrs"]),
    }
    for shape, ids in shapes.items():
        assert ids, f"the model has no {shape} rule any more: update the texts"
        assert ids & matched, f"no {shape} rule is exercised"
    assert len(shapes["2-token, index 0"] & matched) >= 3  # gon na, ai n't, y' all
    assert max(len(r) for r in per_token.values()) >= 3  # later rules overriding earlier ones
    assert len(matched) >= 60


def test_a_broken_rule_is_detected(stock: Language) -> None:
    """The comparison sees a one-rule difference: a ruler compiled from the model's patterns
    with the lemma of the nothin' rule changed disagrees with the stock one on that token."""
    patterns = stock.get_pipe("attribute_ruler").patterns
    broken = AttributeRuler(stock.vocab)
    changed = 0
    for p in patterns:
        if p["attrs"].get("LEMMA") == "nothing":
            p = {**p, "attrs": {**p["attrs"], "LEMMA": "nada"}}
            changed += 1
        broken.add(**p)
    assert changed == 1
    fast = FastAttributeRuler(broken)
    text = TEXTS[2]
    with stock.select_pipes(enable=["tok2vec", "tagger", "parser", "attribute_ruler"]):
        expected = stock(text)
    with stock.select_pipes(enable=["tok2vec", "tagger", "parser"]):
        got = fast(stock(text))
    diff = differences(expected, got)
    assert {(text, name) for _, text, name, _, _ in diff} == {("nothin'", "LEMMA"), ("nuthin'", "LEMMA")}


def test_empty_pos_warns_like_the_stock_lemmatizer_and_is_not_cached(ours: Language, stock: Language) -> None:
    lemmatizer = ours.get_pipe("lemmatizer")
    assert isinstance(lemmatizer, FastLemmatizer)
    with pytest.warns(UserWarning, match="W108"):
        got = lemmatizer(ours.make_doc("Untagged Words"))
    with pytest.warns(UserWarning, match="W108"):
        expected = stock.get_pipe("lemmatizer")(stock.make_doc("Untagged Words"))
    assert [t.lemma_ for t in got] == [t.lemma_ for t in expected] == ["untagged", "words"]
    with pytest.warns(UserWarning, match="W108"):  # again: not served from the cache
        lemmatizer(ours.make_doc("Untagged Words"))


def test_caches_are_bounded_and_stay_exact(stock: Language) -> None:
    nlp = load_nlp()
    ruler, lemmatizer = nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer")
    ruler.max_cache = lemmatizer.max_cache = 10
    for a, b in zip(stock.pipe(TEXTS), nlp.pipe(TEXTS), strict=True):
        assert differences(a, b) == []
        # cleared when full at the start of a document: never more than one document beyond
        assert len(ruler._cache) < 10 + len(b) and len(lemmatizer._cache) < 10 + len(b)


def test_inside_a_memory_zone_the_result_is_the_same(stock: Language, ours: Language) -> None:
    text = "Officials said they were gonna meet the Zaporizhzhia delegation on Friday."
    expected = [(t.lemma_, t.pos_, str(t.morph)) for t in stock(text)]
    with ours.memory_zone():
        got = [(t.lemma_, t.pos_, str(t.morph)) for t in ours(text)]
    assert got == expected


def test_unsupported_patterns_keep_the_stock_component(caplog: pytest.LogCaptureFixture) -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "very", "OP": "+"}]], {"LEMMA": "very"})
    with caplog.at_level(logging.WARNING, logger=fastrules.__name__):
        assert fastrules.install(nlp) == []
    assert type(nlp.get_pipe("attribute_ruler")) is AttributeRuler
    assert nlp.pipe_names == ["attribute_ruler"]
    assert "keeping spaCy's own attribute_ruler" in caplog.text


@pytest.mark.parametrize("pattern", [
    [{"MORPH": "Number=Sing"}],  # attributes the compiler does not read
    [{"LOWER": {"FUZZY": "hello"}}],
    [{"LOWER": "a", "_": {"x": 1}}],
    [{"LENGTH": {">=": 3}}],
])
def test_the_compiler_refuses_what_it_does_not_reproduce(pattern: list[dict[str, Any]]) -> None:
    ruler = AttributeRuler(spacy.blank("en").vocab)
    ruler.add([pattern], {"LEMMA": "x"})
    with pytest.raises(UnsupportedRules):
        FastAttributeRuler(ruler)


def test_an_index_outside_the_pattern_is_refused() -> None:
    ruler = AttributeRuler(spacy.blank("en").vocab)
    ruler.add([[{"LOWER": "a"}, {"LOWER": "b"}]], {"LEMMA": "x"}, index=2)
    with pytest.raises(UnsupportedRules):
        FastAttributeRuler(ruler)


def test_negative_index_and_hand_made_rules_match_the_stock_ruler() -> None:
    """Independent of the model: a ruler with rule shapes the model lacks (negative index,
    3-token pattern, overlapping matches, TEXT/ORTH keys, flags) on a hand-annotated doc."""
    nlp = spacy.blank("en")
    ruler = AttributeRuler(nlp.vocab)
    ruler.add([[{"ORTH": "York"}]], {"LEMMA": "york", "POS": "PROPN"})
    ruler.add([[{"LOWER": "new"}, {"TEXT": "York"}, {"IS_PUNCT": False}]], {"LEMMA": "CITY"}, index=-2)
    ruler.add([[{"IS_TITLE": True}]], {"TAG": "NNP"})
    ruler.add([[{"LOWER": {"IN": ["new", "old"]}}, {}]], {"MORPH": "Degree=Pos"}, index=0)
    ruler.add([[{"TAG": {"NOT_IN": [""]}}]], {"DEP": "dep"})
    ruler.add([[{"LOWER": {"REGEX": "^[a-z]+$", "NOT_IN": ["is"]}}]], {"POS": "NOUN"})
    ruler.add([[{"IS_SPACE": True}]], {"LEMMA": "SPACE"})
    # "123" and "  " differ only in IS_SPACE among the values the rules test
    words = ["New", "York", "is", "new", "york", "new", "York", ",", "old", "city", "123", "  ", "x"]
    tags = ["", "NNP", "VBZ", "", "NN", "JJ", "", ",", "JJ", "NN", "", "", ""]
    expected, got = Doc(nlp.vocab, words=words, tags=tags), Doc(nlp.vocab, words=words, tags=tags)
    ruler(expected)
    FastAttributeRuler(ruler)(got)
    assert differences(expected, got) == []
    assert [t.lemma_ for t in got] == ["", "CITY", "", "", "", "", "york", "", "", "", "", "SPACE", ""]
    # Matched on the values before any rule: "New" gets TAG NNP but not the DEP of tagged tokens.
    assert got[0].tag_ == "NNP" and [t.dep_ for t in got][:3] == ["", "dep", "dep"]
    assert got[1].pos_ == "NOUN"  # the later REGEX rule wins over ORTH York -> PROPN
    assert [str(t.morph) for t in got].count("Degree=Pos") == 4


def test_an_exception_inside_a_call_leaves_the_ruler_consistent(stock: Language,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's deadline interrupts extraction with an exception (SIGALRM) anywhere: the
    next documents must still get exact annotations."""
    stock_ruler = stock.get_pipe("attribute_ruler")
    ruler = FastAttributeRuler(stock_ruler)
    with stock.select_pipes(enable=["tok2vec", "tagger", "parser"]):
        docs = list(stock.pipe(TEXTS[:6]))
    real, calls = fastrules._Outcome, []

    def interrupted(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 5:
            raise TimeoutError("deadline")
        return real(*args)

    monkeypatch.setattr(fastrules, "_Outcome", interrupted)
    with pytest.raises(TimeoutError):
        for doc in docs:
            ruler(doc.copy())
    monkeypatch.undo()
    for doc in docs:
        assert differences(stock_ruler(doc.copy()), ruler(doc.copy())) == []
