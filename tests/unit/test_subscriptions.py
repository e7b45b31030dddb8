"""The subscription and repo rules of qmtdesk.domain.subscriptions: decisions, sizes, reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from qmtdesk.domain.subscriptions import (
    IssueOptions,
    Skip,
    is_repo_code,
    issue_board,
    parse_purchase_date,
    plan_issues,
    plan_repo,
    repo_fee_rate,
    repo_price,
    repo_reserve,
)

DAY = date(2026, 11, 25)
QUOTA = {"SH": 5000, "SZ": 3000, "KCB": 2300}


@dataclass(frozen=True)
class Issue:
    code: str
    kind: str = "STOCK"
    min_quantity: int = 500
    max_quantity: int = 10000
    purchase_date: str = "20261125"
    issue_price: Decimal = Decimal("10.00")
    name: str = "新股"


def one(issue: Issue, quota: dict[str, int] | None = None, cash: Decimal | None = None, **options: bool):
    [plan] = plan_issues([issue], QUOTA if quota is None else quota, DAY, IssueOptions(**options), cash)
    return plan


@pytest.mark.parametrize(
    ("issue", "quota", "quantity", "key"),
    [
        (Issue("732001.SH", min_quantity=1000, max_quantity=12000), QUOTA, 5000, "SH"),
        (Issue("732001.SH", min_quantity=1000, max_quantity=3000), QUOTA, 3000, "SH"),  # the issue's maximum
        (Issue("787001.SH"), QUOTA, 2000, "KCB"),  # 2,300 rounded down to the unit of 500
        (Issue("787001.SH"), {"SH": 4200}, 4000, "SH"),  # no KCB key: the SH quota
        (Issue("301001.SZ"), QUOTA, 3000, "SZ"),  # no CYB key: the SZ quota
        (Issue("301001.SZ"), {"SZ": 3000, "CYB": 1500}, 1500, "CYB"),  # ChiNext's own key first
        (Issue("002001.SZ"), {"sz": 3000}, 3000, "SZ"),  # keys are read in any case
        (Issue("754001.SH", "BOND", 10, 10000, issue_price=Decimal(100)), {}, 10000, None),  # bonds need no quota
        (Issue("370001.SZ", "BOND", 10, 10000, issue_price=Decimal(100)), {}, 10000, None),
        (Issue("718001.SH", "BOND", 10, 10005, issue_price=Decimal(100)), {}, 10000, None),
    ],
)
def test_subscribed_quantity(issue: Issue, quota: dict[str, int], quantity: int, key: str | None) -> None:
    plan = one(issue, quota)
    assert plan.subscribe and plan.reason is None
    assert (plan.quantity, plan.quota_key) == (quantity, key)
    assert plan.amount == issue.issue_price * quantity


@pytest.mark.parametrize(
    ("issue", "quota", "reason"),
    [
        (Issue("XYZ"), QUOTA, Skip.UNKNOWN_CODE),
        (Issue("999001.SH"), QUOTA, Skip.UNKNOWN_CODE),  # no subscription prefix
        (Issue("600000.SH"), QUOTA, Skip.UNKNOWN_CODE),  # a listed share, not a subscription code
        (Issue("732001.SH", "BOND"), QUOTA, Skip.UNKNOWN_CODE),  # a share prefix listed as a bond
        (Issue("732001.SH", "FUND"), QUOTA, Skip.UNSUPPORTED_TYPE),
        (Issue("732001.SH", ""), QUOTA, Skip.UNSUPPORTED_TYPE),
        (Issue("732001.SH", min_quantity=0), QUOTA, Skip.INVALID_ISSUE),
        (Issue("732001.SH", max_quantity=100), QUOTA, Skip.INVALID_ISSUE),  # maximum under the unit
        (Issue("732001.SH", issue_price=Decimal(0)), QUOTA, Skip.INVALID_ISSUE),
        (Issue("732001.SH", purchase_date="next week"), QUOTA, Skip.INVALID_ISSUE),
        (Issue("732001.SH", purchase_date="20261126"), QUOTA, Skip.NOT_TODAY),
        (Issue("920001.BJ"), QUOTA, Skip.BSE_EXCLUDED),
        (Issue("732001.SH"), {"SZ": 3000}, Skip.NO_QUOTA),
        (Issue("787001.SH"), {"KCB": 0, "SH": 9000}, Skip.NO_QUOTA),  # STAR's own key says none
        (Issue("732001.SH", min_quantity=1000), {"SH": 800}, Skip.QUOTA_BELOW_MINIMUM),
    ],
)
def test_skipped_with_a_reason(issue: Issue, quota: dict[str, int], reason: Skip) -> None:
    plan = one(issue, quota)
    assert not plan.subscribe and plan.reason is reason and plan.quantity == 0
    assert plan.message_zh and plan.message_en


def test_bonds_can_be_switched_off() -> None:
    plan = one(Issue("754001.SH", "BOND", 10, 10000), {}, include_bonds=False)
    assert plan.reason is Skip.BONDS_EXCLUDED


def test_bse_pays_in_full_and_shares_the_cash() -> None:
    issues = [Issue("920001.BJ", min_quantity=100, max_quantity=50000, issue_price=Decimal("8.00"))]
    issues.append(Issue("920002.BJ", min_quantity=100, max_quantity=50000, issue_price=Decimal("10.00")))
    plans = plan_issues(issues, {}, DAY, IssueOptions(include_bse=True), Decimal("250000"))
    assert [(p.code, p.quantity) for p in plans] == [("920001.BJ", 31200), ("920002.BJ", 0)]
    assert plans[0].amount == Decimal("249600.00")
    assert plans[1].reason is Skip.INSUFFICIENT_FUNDS


def test_plans_are_sorted_and_a_code_listed_twice_is_judged_once() -> None:
    plans = plan_issues([Issue("787001.SH"), Issue("732001.SH"), Issue("SH732001")], QUOTA, DAY, IssueOptions(), None)
    assert [p.code for p in plans] == ["732001.SH", "787001.SH"]


def test_issue_boards() -> None:
    assert issue_board("787001.SH").board == "star"  # type: ignore[union-attr]
    assert issue_board("300001.SZ").quota_keys == ("CYB", "SZ")  # type: ignore[union-attr]
    assert issue_board("889001.BJ").exchange == "BJ"  # type: ignore[union-attr]
    assert issue_board("600000.SH") is None


def test_purchase_dates() -> None:
    assert parse_purchase_date("20261125") == DAY
    assert parse_purchase_date(" 2026-11-25 ") == DAY
    assert parse_purchase_date("") is None and parse_purchase_date("20261345") is None


# ------------------------------------------------------------------------------------------ repo


@pytest.mark.parametrize(
    ("code", "ok"), [("204001.SH", True), ("204001", True), ("131810.SZ", True), ("600000.SH", False), ("x", False)]
)
def test_repo_codes(code: str, ok: bool) -> None:
    assert is_repo_code(code) is ok


def test_repo_commission_grows_with_the_tenor() -> None:
    assert repo_fee_rate("204001.SH") == Decimal("0.00001")
    assert repo_fee_rate("204007.SH") == Decimal("0.00005")
    assert repo_fee_rate("131810.SZ") == Decimal("0.00001")
    assert repo_fee_rate("204182.SH") == Decimal("0.0003")
    assert repo_reserve("204001.SH", 8990) == Decimal("899008.99")


@pytest.mark.parametrize(
    ("code", "market", "floor", "price", "source"),
    [
        ("204001.SH", Decimal("1.873"), Decimal("1.0"), Decimal("1.870"), "quote"),  # down to the 0.005 tick
        ("204001.SH", Decimal("0.9"), Decimal("1.0"), Decimal("1.000"), "floor"),  # never below the floor
        ("204001.SH", None, Decimal("1.512"), Decimal("1.515"), "floor"),  # the floor up to the tick
        ("131810.SZ", Decimal("1.8734"), Decimal("1.0"), Decimal("1.873"), "quote"),  # SZ ticks 0.001
    ],
)
def test_repo_rate(code: str, market: Decimal | None, floor: Decimal, price: Decimal, source: str) -> None:
    assert repo_price(code, market, floor) == (price, source)


def test_repo_lends_whole_lots_of_idle_cash_and_leaves_the_commission() -> None:
    plan = plan_repo("204001.SH", Decimal("1000000"), Decimal("100500"), Decimal("1.87"), Decimal("1.0"))
    assert plan.lend and (plan.quantity, plan.amount) == (8990, Decimal(899000))
    exact = plan_repo("204001.SH", Decimal("10000"), Decimal(0), None, Decimal("1.0"))
    assert exact.quantity == 90  # 100 units would need 10,000.10 with the commission
    assert exact.reserve <= Decimal("10000")


@pytest.mark.parametrize(("cash", "keep"), [(Decimal("999.99"), Decimal(0)), (Decimal("5000"), Decimal("4500"))])
def test_repo_with_no_idle_lot_is_skipped(cash: Decimal, keep: Decimal) -> None:
    plan = plan_repo("204001.SH", cash, keep, None, Decimal("1.0"))
    assert not plan.lend and plan.reason is Skip.NO_IDLE_CASH and plan.quantity == 0
