"""Risk rule parameters: validated and normalised as they come in; what was saved earlier is not re-judged."""

from __future__ import annotations

import pytest

from qmtdesk.domain.errors import DeskError
from qmtdesk.risk.base import clean_params
from qmtdesk.risk.rules import RULES_BY_ID


def test_money_reads_back_as_a_plain_decimal_and_a_huge_limit_is_refused_with_VALIDATION_ERROR() -> None:
    spec = RULES_BY_ID["max_order_value"]
    assert clean_params(spec, {"limit": "1e6"}) == {"limit": "1000000"}
    with pytest.raises(DeskError) as refused:
        clean_params(spec, {"limit": "1e20"})
    assert refused.value.code == "VALIDATION_ERROR"


def test_a_stored_value_a_later_check_refuses_does_not_block_changing_another_parameter() -> None:
    spec = RULES_BY_ID["daily_loss"]
    stored = {"limit_pct": "0.05", "limit_amount": "1E+16"}  # saved before money limits were capped
    assert clean_params(spec, {"limit_pct": "0.03"}, stored) == {"limit_pct": "0.03", "limit_amount": "1E+16"}
    assert clean_params(spec, {}, {"limit_pct": "5e-2"}) == {"limit_pct": "0.05", "limit_amount": None}


def test_a_parameter_sent_again_is_judged_by_todays_checks() -> None:
    spec = RULES_BY_ID["daily_loss"]
    with pytest.raises(DeskError):
        clean_params(spec, {"limit_amount": "1E+16"}, {"limit_pct": "0.05", "limit_amount": "1E+16"})
