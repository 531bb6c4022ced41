"""The extractor every extraction test shares: one over the shipped rules."""

from __future__ import annotations

import pytest

from bot.extract import Extractor
from bot.rules import RuleSet


@pytest.fixture(scope="session")
def extractor(rules: RuleSet) -> Extractor:
    return Extractor(rules)
