"""饿了么 OAuth2 authorisation-code flow (shared/sources/eleme.md §1): the merchant opens
``<host>/authorize`` in a browser, approves, and is sent to the app's registered
callback with ``?code=…&state=…``; the code is exchanged at ``<host>/token`` for an
access/refresh token pair.

The hosts are ✓ in the notes; the parameter names are ASSUMED from the public napos
SDKs' OAuth clients (``response_type=code&client_id&state&redirect_uri&scope=all``;
token form ``grant_type=authorization_code&code&redirect_uri&client_id`` with HTTP
Basic ``app_key:app_secret``) until a first run against the sandbox store."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from app.core.sources.base import SourceAuthError, SourceRejectedError
from app.core.sources.http import SourceHttp
from app.core.sources.kit import as_dict

SOURCE = "eleme"
SCOPE = "all"  # ASSUMED: the SDKs' default scope


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds; 0 when the platform did not say


def host_root(base_url: str) -> str:
    """``https://open-api.shop.ele.me/api/v1/`` -> ``https://open-api.shop.ele.me``."""
    return base_url.split("/api/", 1)[0].rstrip("/")


def authorize_url(base_url: str, app_key: str, redirect_uri: str, state: str) -> str:
    """The page the merchant opens to grant this app access to their shops."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app_key,
            "state": state,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
        },
        quote_via=quote,
    )
    return f"{host_root(base_url)}/authorize?{query}"


def parse_pasted(text: str) -> tuple[str, str]:
    """``(code, state)`` from what the merchant pasted: the bare code, or the whole
    address the browser was sent to (``…?code=…&state=…``); state is "" when absent."""
    text = text.strip()
    if "code=" not in text:
        return text, ""
    query = parse_qs(urlsplit(text).query or text.split("?", 1)[-1])
    return (query.get("code") or [""])[0].strip(), (query.get("state") or [""])[0]


def token_form(code: str, redirect_uri: str, app_key: str) -> bytes:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": app_key,
    }
    return urlencode(form).encode()


def basic_auth(app_key: str, app_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{app_key}:{app_secret}".encode()).decode()


def parse_token_reply(status: int, body: bytes) -> TokenPair:
    try:
        doc = as_dict(json.loads(body.decode("utf-8") or "{}"))
    except (UnicodeDecodeError, ValueError):
        raise SourceRejectedError(SOURCE, f"token answer is not JSON (HTTP {status})") from None
    if not doc.get("access_token"):
        why = str(doc.get("error_description") or doc.get("error") or f"HTTP {status}")
        raise SourceAuthError(SOURCE, why)
    return TokenPair(
        str(doc["access_token"]),
        str(doc.get("refresh_token") or ""),
        int(doc.get("expires_in") or 0),
    )


async def exchange_code(
    http: SourceHttp,
    base_url: str,
    *,
    app_key: str,
    app_secret: str,
    code: str,
    redirect_uri: str,
) -> TokenPair:
    resp = await http.request(
        SOURCE,
        "POST",
        host_root(base_url) + "/token",
        content=token_form(code, redirect_uri, app_key),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers={"Authorization": basic_auth(app_key, app_secret)},
        mutating=True,
    )
    return parse_token_reply(resp.status, resp.body)
