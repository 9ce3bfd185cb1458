"""Name keys: what may and may not be one person (pure functions, no model)."""

from __future__ import annotations

import pytest

from app.extraction.names import (
    compatible,
    fold,
    surname_key,
    translit_compatible,
    translit_key,
)


def test_fold_and_surname_key() -> None:
    assert fold("  José  Álvarez-Núñez ") == "jose alvarez nunez"
    assert surname_key("Rustem Umerov") == "umerov"
    assert surname_key("") == ""


@pytest.mark.parametrize(("a", "b"), [
    ("Umerov", "Rustem Umerov"),
    ("R. Umerov", "Rustem Umerov"),
    ("rustem umerov", "Rustem Umerov"),
])
def test_compatible_same_person(a: str, b: str) -> None:
    assert compatible(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("Rustem Umerov", "Ivan Umerov"),
    ("Umerov", "Umarov"),
    ("Anna Smith", "Anna Smyth"),  # plain compatible never folds spelling
])
def test_compatible_different_people(a: str, b: str) -> None:
    assert not compatible(a, b)


def test_compatible_other_types_need_the_same_name() -> None:
    assert compatible("The Kremlin", "the kremlin", "FAC")
    assert not compatible("Bank of Lviv", "Lviv", "ORG")


@pytest.mark.parametrize(("a", "b"), [
    ("Steve Witkoff", "Vitkoff"),
    ("Zelensky", "Volodymyr Zelenskyy"),
    ("Oleksandr Zelenskiy", "Zelenskyi"),
    ("Yevgeny Petrov", "Evgeny Petrov"),
    ("Mikhail Khodorkovsky", "Hodorkovsky"),
    ("Dmitriev", "Kirill Dmitryev"),
])
def test_transliteration_variants(a: str, b: str) -> None:
    assert translit_key(a) == translit_key(b)
    assert translit_compatible(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("Putin", "Patin"),              # one vowel apart: a different name
    ("Mark Johnson", "Mark Jonson"),  # silent letters are not folded
    ("Steve Witkoff", "Paul Vitkoff"),  # same surname shape, conflicting first names
    ("Li", "Lee"),
    ("Ivan Petrov", "Ivan Petrova"),  # a different (feminine) surname
])
def test_not_transliteration_variants(a: str, b: str) -> None:
    assert not translit_compatible(a, b)
