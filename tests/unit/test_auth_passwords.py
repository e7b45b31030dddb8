"""Argon2id password hashing and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from qmtdesk.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    check_password_policy,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from qmtdesk.domain.errors import DeskError


def test_a_hash_verifies_its_password_and_nothing_else() -> None:
    digest = hash_password("correct horse")
    assert digest.startswith("$argon2id$")
    assert "correct horse" not in digest
    assert verify_password("correct horse", digest)
    assert not verify_password("correct horsE", digest)
    assert not verify_password("", digest)


def test_hashes_are_salted() -> None:
    assert hash_password("same-password") != hash_password("same-password")


@pytest.mark.parametrize("bad_hash", [None, "", "plaintext", "$argon2id$v=19$m=1$broken", "$2b$12$abc"])
def test_verify_returns_false_for_unusable_hashes_instead_of_raising(bad_hash: str | None) -> None:
    assert verify_password("whatever1", bad_hash) is False


def test_verify_refuses_overlong_passwords_without_hashing_them() -> None:
    long_password = "x" * (MAX_PASSWORD_LENGTH + 1)
    assert verify_password(long_password, hash_password("x" * 8)) is False


def test_hashes_made_with_weaker_parameters_need_a_rehash() -> None:
    assert needs_rehash(hash_password("password-1")) is False
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("password-1")
    assert verify_password("password-1", weak)  # still accepted, then upgraded by the caller
    assert needs_rehash(weak) is True
    assert needs_rehash("not a hash") is True


def test_the_dummy_hash_is_stable_and_matches_no_guessable_password() -> None:
    assert dummy_hash() == dummy_hash()
    assert not verify_password("", dummy_hash())
    assert not verify_password("password", dummy_hash())


def test_eight_characters_are_enough() -> None:
    check_password_policy("12345678")
    check_password_policy("交易密码很长很长")


@pytest.mark.parametrize(
    ("password", "reason"),
    [("1234567", "too_short"), ("", "empty"), ("         ", "empty"), ("a" * (MAX_PASSWORD_LENGTH + 1), "too_long")],
)
def test_weak_passwords_are_refused_with_a_validation_error(password: str, reason: str) -> None:
    with pytest.raises(DeskError) as info:
        check_password_policy(password, field="new_password")
    err = info.value
    assert err.code == "VALIDATION_ERROR"
    assert err.http_status == 422
    assert err.data["fields"][0]["field"] == "new_password"
    assert err.data["fields"][0]["reason"] == reason
    assert "密码" in err.message_zh
    assert "assword" in err.message_en


def test_the_policy_message_names_the_trading_password() -> None:
    with pytest.raises(DeskError) as info:
        check_password_policy("12345", field="new_trading_password", label_zh="交易密码")
    assert info.value.message_zh == "交易密码至少需要 6 个字符"
    assert info.value.message_en.startswith("Trading password")


def test_a_six_digit_trading_password_is_accepted_as_brokers_use() -> None:
    check_password_policy("123456", field="new_trading_password", label_zh="交易密码")
