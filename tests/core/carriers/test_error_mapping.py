"""Every carrier's error envelope maps its codes to the shared error kinds: one test over
the registry, each carrier's envelope shape and cases as data (the cases each carrier's
own test file used to repeat, moved here unchanged), and how an unreadable answer is
read: unavailable when the call changed nothing, outcome unknown when it may have."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from app.core.carriers import base, registry
from app.core.carriers.meituan import codes as mt
from app.core.carriers.sf import codes as sf


@dataclass(frozen=True)
class Envelope:
    """How a carrier wraps an error answer, how its ``mapping.unwrap`` is called, and
    how the raised error spells the code (some keep the number, some its text)."""

    body: Callable[[int, str], dict[str, Any]]
    unwrap: Callable[[Any, bytes], Any]  # (the carrier's mapping module, raw answer)
    code_as: Callable[[int], object] = int


ENVELOPES = {
    "dada": Envelope(
        lambda c, m: {"status": "fail", "code": c, "msg": m, "result": None},
        lambda mapping, raw: mapping.unwrap(raw, mutating=False),
    ),
    "shansong": Envelope(
        lambda c, m: {"status": c, "msg": m, "data": None},
        lambda mapping, raw: mapping.unwrap(raw, mutating=True),
    ),
    "sf": Envelope(
        lambda c, m: {"error_code": c, "error_msg": m, "result": None},
        lambda mapping, raw: mapping.unwrap(raw, mutating=False),
    ),
    "meituan": Envelope(
        lambda c, m: {"code": c, "message": m},
        lambda mapping, raw: mapping.unwrap(raw, mutating=False),
    ),
    "fengniao": Envelope(
        lambda c, m: {"code": c, "msg": m, "business_data": ""},
        lambda mapping, raw: mapping.unwrap(raw, 200),
        str,
    ),
    "uupt": Envelope(
        lambda c, m: {"code": c, "msg": m, "body": None},
        lambda mapping, raw: mapping.unwrap(raw, (0, 1)),
        str,
    ),
    # Drive answers errors by HTTP status (the case's code) with {code, message}
    "doordash": Envelope(
        lambda c, m: {"code": c, "message": m, "field_errors": []},
        lambda mapping, raw: mapping.read_answer(json.loads(raw)["code"], raw, mutating=False),
    ),
    # REST: an HTTP error status with {code, message} (codes are words)
    "uber_direct": Envelope(
        lambda c, m: {"code": c, "message": m, "metadata": {}},
        lambda mapping, raw: mapping.unwrap(raw, mutating=False, status=400),
        str,
    ),
}

CASES: dict[str, list[tuple[int | str, str, type[base.CarrierError]]]] = {
    "dada": [
        (2003, "签名错误", base.AuthError),
        (9999, "app_key无效", base.AuthError),
        (2999, "请求过于频繁", base.RateLimitedError),
        (2076, "账户余额不足", base.InsufficientBalanceError),
        (2012, "订单不存在", base.NotFoundError),
        (2062, "订单状态不允许取消", base.RejectedError),
    ],
    "shansong": [
        (40001, "签名错误", base.AuthError),
        (1, "clientId无效", base.AuthError),
        (42900, "请求过于频繁", base.RateLimitedError),
        (50010, "账户余额不足", base.InsufficientBalanceError),
        (40400, "订单不存在", base.NotFoundError),
        (40901, "当前订单状态不可取消", base.RejectedError),
    ],
    "sf": [
        (sf.AUTH_SIGN, "签名错误", base.AuthError),
        (9999, "sign error", base.AuthError),
        (sf.RATE_LIMITED, "请求过于频繁", base.RateLimitedError),
        (sf.BALANCE, "账户余额不足", base.InsufficientBalanceError),
        (sf.NOT_FOUND, "订单不存在", base.NotFoundError),
        (sf.DUPLICATE, "商家订单号重复", sf.DuplicateOrderError),
        (1234, "地址超区", base.RejectedError),
    ],
    "meituan": [
        (11, "接口流控", base.RateLimitedError),
        (mt.SIGN_ERROR, "签名验证失败", base.AuthError),
        (mt.APPKEY_ERROR, "appkey不存在", base.AuthError),
        (mt.BALANCE, "账户余额不足", base.InsufficientBalanceError),
        (mt.NOT_FOUND, "订单不存在", base.NotFoundError),
        (1234, "超出配送范围", base.RejectedError),
    ],
    "fengniao": [
        (40002, "验证签名失败", base.AuthError),
        (40004, "token不正确或已失效", base.AuthError),
        (40000, "请求过于频繁", base.RateLimitedError),
        (40000, "商户余额不足", base.InsufficientBalanceError),
        (50037, "订单不存在", base.NotFoundError),
        (50102, "当前订单状态不允许取消", base.RejectedError),
    ],
    "uupt": [
        (-104, "签名校验失败", base.AuthError),
        (-105, "openid无效", base.AuthError),
        (-10001, "发送频率过快", base.RateLimitedError),
        (-3001, "账户余额不足", base.InsufficientBalanceError),
        (-4002, "订单编号无效", base.NotFoundError),
        (-2002, "price_token无效", base.RejectedError),
    ],
    "doordash": [
        (401, "Invalid JWT signature", base.AuthError),
        (403, "Forbidden", base.AuthError),
        (429, "Too many requests", base.RateLimitedError),
        (400, "failed_to_process_payment", base.InsufficientBalanceError),
        (404, "Delivery not found", base.NotFoundError),
        (409, "Duplicate delivery ID", base.RejectedError),
        (400, "Delivery cannot be cancelled", base.RejectedError),
    ],
    "uber_direct": [
        ("unauthorized", "The supplied bearer token is invalid.", base.AuthError),
        ("customer_limited", "Too many requests.", base.RateLimitedError),
        ("customer_suspended", "cannot be charged", base.InsufficientBalanceError),
        ("delivery_not_found", "The delivery does not exist.", base.NotFoundError),
        ("non_cancelable_delivery", "Delivery cannot be cancelled.", base.RejectedError),
    ],
}


def test_every_registered_carrier_has_cases():
    assert set(CASES) == set(ENVELOPES) == set(registry.all_rules())


@pytest.mark.parametrize(
    ("cid", "code", "msg", "kind"),
    [(cid, *case) for cid in sorted(CASES) for case in CASES[cid]],
)
def test_error_mapping(cid, code, msg, kind):
    env = ENVELOPES[cid]
    mapping = importlib.import_module(f"app.core.carriers.{cid}.mapping")
    raw = json.dumps(env.body(code, msg), ensure_ascii=False).encode()
    with pytest.raises(kind) as info:
        env.unwrap(mapping, raw)
    assert type(info.value) is kind and info.value.code == env.code_as(code)


# (carrier, unreadable answer, mutating, error): the cases each carrier's own test file
# used to repeat, unchanged; Fengniao and UU read malformed answers in their contract.
MALFORMED: list[tuple[str, bytes, bool, type[base.CarrierError]]] = [
    ("dada", b'{"code":0,"result":{', False, base.UnavailableError),
    ("dada", b"<html>", True, base.OutcomeUnknownError),
    ("shansong", b"{", False, base.UnavailableError),
    ("shansong", b"{", True, base.OutcomeUnknownError),
    ("meituan", b"<html>", False, base.UnavailableError),
    ("meituan", b'{"code":0,"result":{', True, base.OutcomeUnknownError),
    ("sf", b"<html>", False, base.UnavailableError),
    ("sf", b'{"error_code":0,"result":{', True, base.OutcomeUnknownError),
    ("uber_direct", b"<html>", False, base.UnavailableError),
    ("uber_direct", b'{"kind":"delivery",', True, base.OutcomeUnknownError),
]


@pytest.mark.parametrize(("raw", "mutating", "kind"), [
    (b"<html>", False, base.UnavailableError),
    (b'{"fee":', True, base.OutcomeUnknownError),
    (b'{"fee": 975}', True, base.OutcomeUnknownError),  # 200 without external_delivery_id
])  # fmt: skip
def test_doordash_unreadable_2xx(raw, mutating, kind):
    from app.core.carriers.doordash import mapping

    with pytest.raises(kind):
        mapping.read_answer(200, raw, mutating=mutating)


@pytest.mark.parametrize(("cid", "raw", "mutating", "kind"), MALFORMED)
def test_malformed_answer(cid, raw, mutating, kind):
    mapping = importlib.import_module(f"app.core.carriers.{cid}.mapping")
    with pytest.raises(kind):
        mapping.unwrap(raw, mutating=mutating)
