"""The OpenAPI 3.0 document of the POS API, served unsigned at ``GET /api/v1/openapi.json``
so tooling can fetch it (it holds no data). Kept by hand next to ``schema`` and tested
against the live listener with schemathesis."""

from __future__ import annotations

import copy
from typing import Any

from app import __version__
from app.core.domain.category import LABEL_ZH, GoodsCategory

CATEGORY_IDS = [c.value for c in GoodsCategory]
CATEGORY_NAMES_ZH = list(LABEL_ZH.values())

_STR = {"type": "string"}
_FEN = {"type": "integer", "minimum": 0, "maximum": 10**10, "description": "money in fen"}
_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339 with offset"}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_ITEM = {
    "type": "object",
    "required": ["name", "qty", "price_fen"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "qty": {"type": "integer", "minimum": 1, "maximum": 9999},
        "price_fen": _FEN,
    },
}
_CUSTOMER = {
    "type": "object",
    "required": ["name", "phone", "address", "lat", "lng"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "phone": {"type": "string", "pattern": "^[0-9+\\-() ,_#*]{3,40}$"},
        "address": {"type": "string", "minLength": 1, "maxLength": 300},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lng": {"type": "number", "minimum": -180, "maximum": 180},
        "coord_system": {
            "type": "string",
            "enum": ["gcj02", "bd09", "wgs84"],
            "default": "gcj02",
        },
    },
}
_ORDER_IN = {
    "type": "object",
    "required": ["pos_order_id", "channel", "created_at", "customer", "items", "total_fen"],
    "properties": {
        "pos_order_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "channel": {
            "type": "string",
            "enum": ["pos", "meituan", "eleme", "miniprogram", "phone", "other"],
        },
        "created_at": _TIME,
        "pickup_no": {"type": "string", "maxLength": 32},
        "customer": _ref("Customer"),
        "items": {"type": "array", "maxItems": 500, "items": _ref("Item")},
        "total_fen": _FEN,
        "goods_value_fen": {**_FEN, "description": "declared value; default total_fen"},
        "delivery_fee_fen": {**_FEN, "description": "what the customer paid for delivery"},
        "weight_g": {"type": "integer", "minimum": 1, "maximum": 200000, "default": 1000},
        "note": {"type": "string", "maxLength": 500},
        "category": {
            "type": "string",
            "enum": [*CATEGORY_IDS, *CATEGORY_NAMES_ZH],
            "description": "goods category, sent to each carrier as its own goods-type code: "
            "food 餐饮, fresh 生鲜, market 商超, flowers 鲜花, cake 蛋糕, documents 文件, "
            "medicine 药品 (the id or the Chinese name); default: [store] default_category",
        },
        "expected_ready_at": {**_TIME, "nullable": True},
        "scheduled_at": {**_TIME, "nullable": True},
        "dispatch": {
            "type": "string",
            "enum": ["auto", "manual"],
            "description": "default: [pos] default_dispatch, else [dispatch] mode",
        },
    },
}
_ORDER_REF: dict[str, Any] = {
    "type": "object",
    "required": ["order_id", "pos_order_id", "status"],
    "properties": {
        "order_id": {"type": "integer"},
        "pos_order_id": _STR,
        "status": _ref("OrderStatus"),
    },
}
_ERR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": _STR,
                "message": _STR,
                "field": {"type": "string", "nullable": True},
            },
        }
    },
}
_STATUS = {
    "type": "string",
    "enum": [
        "new",
        "queued",
        "dispatching",
        "delivered",
        "self_delivered",
        "cancelled",
        "attention",
    ],
}
_CANCEL_IN = {
    "type": "object",
    "properties": {
        "reason": {"type": "string", "maxLength": 200},
        "confirm": {"type": "boolean", "default": False},
    },
}
_CANCEL_OUT = {
    **_ORDER_REF,
    "properties": {
        **_ORDER_REF["properties"],
        "cancel_fee_fen": {"type": "integer", "nullable": True},
        "cancelled": {"type": "boolean"},
    },
}
_DETAIL = {
    **_ORDER_REF,
    "properties": {
        **_ORDER_REF["properties"],
        "channel": _STR,
        "dispatch": _STR,
        "delivery_status": {"type": "string", "nullable": True},
        "delivery": {
            "type": "object",
            "nullable": True,
            "description": "current attempt: carrier, carrier_order_id, rider "
            "(masked phone, GCJ-02 position), fees, timestamps",
        },
        "attempts": {"type": "integer"},
        "cost_fen": {"type": "integer"},
        "delivery_fee_fen": {"type": "integer"},
        "timestamps": {"type": "object"},
        "events": {"type": "array", "items": {"type": "object"}},
    },
}
SCHEMAS: dict[str, Any] = {
    "Item": _ITEM,
    "Customer": _CUSTOMER,
    "OrderIn": _ORDER_IN,
    "OrderRef": _ORDER_REF,
    "Error": _ERR,
    "OrderStatus": _STATUS,
    "CancelIn": _CANCEL_IN,
    "CancelOut": _CANCEL_OUT,
    "OrderDetail": _DETAIL,
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before sending the same request again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
# disk full, read-only or locked database (app/core/storage/faults.py): nothing was stored
_STORAGE_503 = {
    **_json(
        "Error",
        "storage fault, nothing was stored: code storage_full (disk full), storage_readonly "
        "(database read-only) or storage_busy (database locked for more than 3 s); send the "
        "same request again after Retry-After",
    ),
    "headers": _RETRY_AFTER,
}
_ERRORS = {
    "400": _json("Error", "malformed JSON"),
    "401": _json("Error", "missing header, clock skew, bad signature or replayed nonce"),
    "413": _json("Error", "body above [pos] max_body_bytes (256 KiB)"),
    "415": _json("Error", "body is not application/json"),
    "422": _json("Error", "a field is missing or invalid; nothing was stored"),
    "503": _STORAGE_503,
}
_ID = [
    {
        "name": "pos_order_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    }
]


PATHS: dict[str, Any] = {
    "/api/v1/health": {
        "get": {
            "operationId": "health",
            "security": [],
            "responses": {
                "200": {
                    "description": "alive",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"status": _STR, "version": _STR},
                            },
                        }
                    },
                }
            },
        }
    },
    "/api/v1/orders": {
        "post": {
            "operationId": "createOrder",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("OrderIn")}},
            },
            "responses": {
                "201": _json("OrderRef", "created and durably stored"),
                "200": _json("OrderRef", "identical payload seen before"),
                "409": _json("Error", "same pos_order_id, different payload"),
                **_ERRORS,
            },
        }
    },
    "/api/v1/orders/{pos_order_id}": {
        "get": {
            "operationId": "getOrder",
            "parameters": _ID,
            "responses": {
                "200": _json("OrderDetail", "status, carrier, rider, fees, log"),
                "404": _json("Error", "unknown pos_order_id"),
                "401": _ERRORS["401"],
                "503": _STORAGE_503,
            },
        }
    },
    "/api/v1/orders/{pos_order_id}/cancel": {
        "post": {
            "operationId": "cancelOrder",
            "parameters": _ID,
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("CancelIn")}},
            },
            "responses": {
                "200": _json("CancelOut", "fee preview, or cancelled if confirm"),
                "404": _json("Error", "unknown pos_order_id"),
                "409": _json("Error", "already delivered"),
                "502": _json("Error", "the carrier did not confirm the cancel (needs a human)"),
                **_ERRORS,
            },
        }
    },
}

# 美团外卖 / 饿了么 pushes (issue 15 item 3; app/core/sources/routes.py). Not signed like a
# POS request: each carries the platform's own signature, checked by its connector.
SOURCE_KINDS: dict[str, tuple[str, ...]] = {
    "meituan": ("order", "confirm", "cancel", "refund", "status"),
    "eleme": ("push",),
    "youzan": ("push",),
    "douyin": ("webhook",),
    "keruyun": ("delivery", "status"),
}
_SOURCE_PUSH_NOTE = (
    "A push from an order platform, configured in that platform's console as "
    "`[sources.<source>] push_base_url` + `/<kind>`. The signature is the platform's own, "
    "not the POS HMAC headers: 美团外卖 signs the URL configured in its console plus the "
    "sorted parameters and the app secret (MD5, `sig`); 饿了么 signs the message fields "
    "with the app secret (MD5 upper, `signature`). Kinds: 美团外卖 `order` (paid order), "
    "`confirm`, `cancel`, `refund`, `status`; 饿了么 one kind `push` (every message type). "
    "有赞 one kind `push` (header `Event-Sign` = MD5(client_id + raw body + client_secret), "
    "`msg` URL-encoded JSON); 抖音来客 one kind `webhook` (header `X-Douyin-Signature` = "
    "SHA-1(client_secret + raw body), `Msg-Id` dedupe, the `verify_webhook` challenge "
    'answered with `{"challenge": n}`); 客如云 `delivery` (下发配送通知, a delivery '
    "request) and `status` (the merchant's cancel), JSON bodies signed with SHA-256 over the "
    "sorted system params in the query (+ the body in v2) + the store token. 哗啦啦 has no "
    "push (pulled). "
    "The push is deduplicated by the platform's message key and stored before the reply. "
    "A source whose mode is off answers 404."
)
_PLATFORM_REPLY = {
    "type": "object",
    "description": '美团外卖: {"data":"ok"}; 饿了么: {"message":"ok"}; '
    '有赞: {"code":200,"msg":"success"}; 抖音: {"err_no":0,...} or {"challenge":n}; '
    '客如云: {"code":0,"message":"成功[OK]","messageUuid":…}',
    "properties": {"data": _STR, "message": _STR},
}


_SOURCE_ERR = {"type": "object", "properties": {"error": _STR}}


def _source_err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _SOURCE_ERR}}}


def _platform(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _PLATFORM_REPLY}},
    }


PATHS["/api/v1/sources/{source}/{kind}"] = {
    "post": {
        "operationId": "sourcePush",
        "summary": "An order platform's push (美团外卖, 饿了么)",
        "description": _SOURCE_PUSH_NOTE,
        "security": [],  # the platform's own signature, inside the request
        "parameters": [
            {
                "name": "source",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": list(SOURCE_KINDS)},
            },
            {
                "name": "kind",
                "in": "path",
                "required": True,
                "description": "meituan: order | confirm | cancel | refund | status; "
                "eleme: push; youzan: push; douyin: webhook; keruyun: delivery | status",
                "schema": {
                    "type": "string",
                    "enum": list(dict.fromkeys(k for ks in SOURCE_KINDS.values() for k in ks)),
                },
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "description": "美团外卖: app_id, timestamp, sig and the push's fields",
                        "additionalProperties": True,
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "饿了么: requestId, type, appId, message, shopId, "
                        "timestamp, userId, signature",
                        "additionalProperties": True,
                    }
                },
            },
        },
        "responses": {
            "200": _platform("stored (or a repeat, or a heartbeat): the platform's ok reply"),
            "400": _platform('美团外卖: bad sig, {"data":"ng","error":{"code":703}} (ASSUMED)'),
            "403": _platform('饿了么: bad signature, {"message":"invalid signature"} (ASSUMED)'),
            "404": _source_err("the source is off, or the kind is not one of its kinds"),
            "503": {
                **_source_err(
                    "not stored (a needed read failed, or disk full / database read-only or "
                    "locked): the platform retries"
                ),
                "headers": _RETRY_AFTER,
            },
        },
    }
}


def _security() -> dict[str, Any]:
    def header(name: str, text: str) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": name, "description": text}

    return {
        "timestamp": header("X-Jupei-Timestamp", "unix seconds; ±300 s of our clock"),
        "nonce": header("X-Jupei-Nonce", "8-64 chars [A-Za-z0-9_-], never reused"),
        "signature": header("X-Jupei-Signature", "hex HMAC-SHA256(secret, ts.nonce.body)"),
    }


def spec(server_url: str = "http://127.0.0.1:8731") -> dict[str, Any]:
    """A fresh copy of the document; ``server_url`` is the listener's actual base URL."""
    doc = {
        "openapi": "3.0.3",
        "info": {
            "title": "JuPei POS intake API",
            "version": __version__,
            "description": "Delivery orders from the restaurant POS. Every request except "
            "health and this document is signed: X-Jupei-Signature = lowercase hex "
            "HMAC-SHA256(key=POS secret, timestamp + '.' + nonce + '.' + raw body).",
        },
        "servers": [{"url": server_url}],
        "security": [{"timestamp": [], "nonce": [], "signature": []}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": _security()},
    }
    return copy.deepcopy(doc)
