"""Config faults (issue 19 item 2): every problem with the settings file — TOML syntax, a
wrong type, an unknown carrier or source, bad coordinates, a source mode the platform
cannot work in, a secret in the file — becomes one ``ConfigError`` naming the file, the
line (TOML's own, or the key's line found in the file) and the key, in Chinese and
English. ``serve`` prints it and exits 2; the GUI starts on the last good copy (kept
beside the file as ``<name>.last-good.toml``) or the defaults and shows it in a banner."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

EXIT_CONFIG = 2  # what headless commands return for a config they cannot run on
LAST_GOOD_SUFFIX = ".last-good.toml"


class ConfigError(ValueError):
    """A settings file JuPei cannot run on. ``str()`` is the Chinese paragraph followed
    by the English one; ``message(lang)`` gives one of them."""

    def __init__(
        self,
        path: Path | None,
        key: str,
        zh: str,
        en: str,
        *,
        line: int | None = None,
        more: int = 0,
    ) -> None:
        self.path = path
        self.key = key
        self.line = line
        self.zh = zh
        self.en = en
        self.more = more  # further problems in the same file, not spelled out
        self.running_on: Path | None = None  # the GUI's fallback: the last good copy used
        super().__init__(f"{self.message('zh_CN')}\n{self.message('en')}")

    def message(self, lang: str) -> str:
        """One paragraph: where (file, line, key), what, and what to do."""
        where_file = str(self.path) if self.path is not None else "(env)"
        if lang == "zh_CN":
            at = f"第 {self.line} 行" if self.line else "行号未知"
            key = f"，配置项 {self.key}" if self.key else ""
            more = f"（另有 {self.more} 处问题）" if self.more else ""
            return (
                f"配置文件有误：{where_file}，{at}{key}：{self.zh}{more}。"
                "请在「设置」中修改，或用文本编辑器修正该文件后重新启动。"
            )
        at = f"line {self.line}" if self.line else "line unknown"
        key = f", key {self.key}" if self.key else ""
        more = f" ({self.more} more problem(s))" if self.more else ""
        return (
            f"Config error in {where_file}, {at}{key}: {self.en}{more}. "
            "Fix it in Settings, or correct the file in a text editor and restart."
        )


def last_good_path(path: Path) -> Path:
    """``config.toml`` -> ``config.last-good.toml`` (beside it)."""
    return path.with_name(path.stem + LAST_GOOD_SUFFIX)


# --- TOML syntax -----------------------------------------------------------------------

_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def from_toml_error(path: Path, text: str, error: ValueError) -> ConfigError:
    """``tomllib.TOMLDecodeError`` -> the line it names and that line's text as the key."""
    msg = str(error)
    m = _AT_LINE.search(msg)
    line = int(m.group(1)) if m else None
    reason = _AT_LINE.sub("", msg).strip() or msg
    lines = text.splitlines()
    key = lines[line - 1].strip() if line and 0 < line <= len(lines) else ""
    if len(key) > 60:
        key = key[:57] + "..."
    return ConfigError(
        path,
        key,
        f"TOML 语法错误（{reason}）",
        f"TOML syntax error ({reason})",
        line=line,
    )


# --- where a key is in the file ---------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in dotted.split(".")]


def find_line(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of ``loc`` (e.g. ``("store", "lat")``, ``("printing", "printers",
    0, "port")``) in a TOML text: the assignment if there is one, else the table header
    of the longest prefix found. Inline and dotted keys are matched by their path."""
    at = next((i for i, p in enumerate(loc) if isinstance(p, int)), None)
    if at is not None:  # the n-th [[array.of.tables]]: search only its segment
        segment = _array_segment(text, [str(p) for p in loc[:at]], int(loc[at]))
        if segment is not None:
            start, part = segment
            found = find_line(part, (*loc[:at], *loc[at + 1 :]))
            return start + found - 1 if found is not None else start
    want = [str(p) for p in loc if not isinstance(p, int)]
    table: list[str] = []
    best: tuple[int, int] | None = None  # (matched depth, line)
    for no, raw in enumerate(text.splitlines(), start=1):
        h = _HEADER.match(raw)
        if h is not None:
            table = _parts(h.group(2))
            depth = _prefix(table, want)
            if depth == len(table) and (best is None or depth > best[0]):
                best = (depth, no)
            continue
        a = _ASSIGN.match(raw)
        if a is None:
            continue
        full = table + _parts(a.group(1))
        depth = _prefix(full, want)
        if depth == len(full) and (best is None or depth > best[0]):
            best = (depth, no)
    return best[1] if best is not None else None


def _array_segment(text: str, table: list[str], index: int) -> tuple[int, str] | None:
    """(first line, text) of the ``index``-th ``[[table]]`` up to the next header that is
    not one of its sub-tables."""
    lines = text.splitlines()
    seen = -1
    start: int | None = None
    for no, raw in enumerate(lines, start=1):
        h = _HEADER.match(raw)
        if h is None:
            continue
        name = _parts(h.group(2))
        if start is not None and (name == table or name[: len(table)] != table):
            return start, "\n".join(lines[start - 1 : no - 1])
        if h.group(1) == "[[" and name == table:
            seen += 1
            if seen == index:
                start = no
    if start is not None:
        return start, "\n".join(lines[start - 1 :])
    return None


def _prefix(have: list[str], want: list[str]) -> int:
    n = 0
    for a, b in zip(have, want, strict=False):
        if a != b:
            break
        n += 1
    return n


# --- pydantic validation ------------------------------------------------------------------


def from_validation_error(
    path: Path | None, text: str, errors: Sequence[Mapping[str, Any]]
) -> ConfigError:
    """The first of pydantic's errors, with its key's line; the rest are counted."""
    first = errors[0]
    loc: tuple[str | int, ...] = tuple(first.get("loc") or ())
    msg = str(first.get("msg") or first.get("type") or "invalid").removeprefix("Value error, ")
    hint = _KEY_HINT.search(msg)
    if hint is not None:  # a model validator names the key it is about
        loc = (*loc, hint.group(1))
        msg = _KEY_HINT.sub("", msg).strip()
    zh_msg, _, en_msg = msg.partition(" / ")
    key = ".".join(str(p) for p in loc)
    line = find_line(text, loc) if text else None
    got = first.get("input")
    shown = "" if isinstance(got, dict | list) else f"，当前值 {got!r}"
    shown_en = "" if isinstance(got, dict | list) else f", got {got!r}"
    if first.get("type") == "value_error":  # our validators' words, "zh / en"
        zh, en = zh_msg, en_msg or zh_msg
    else:
        zh, en = _zh_reason(first), msg
    return ConfigError(
        path,
        key,
        f"取值无效（{zh}{shown}）",
        f"invalid value ({en}{shown_en})",
        line=line,
        more=max(0, len(errors) - 1),
    )


_KEY_HINT = re.compile(r"@key=(\w+)")

_ZH_TYPES = {
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字（加引号）",
    "list_type": "应为列表 [...]",
    "dict_type": "应为表 [..]",
    "model_type": "应为表 [..]",
    "literal_error": "不是允许的取值",
    "missing": "缺少必填项",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
}


def _zh_reason(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type") or "")
    if kind == "literal_error":
        expected = (err.get("ctx") or {}).get("expected")
        return f"允许的取值：{expected}" if expected else _ZH_TYPES[kind]
    return _ZH_TYPES.get(kind, str(err.get("msg") or kind))


# --- what pydantic would let through silently ------------------------------------------------


def check_names(path: Path, text: str, data: Mapping[str, Any]) -> ConfigError | None:
    """Sections for a carrier or source JuPei does not know (a typo would otherwise be
    ignored and the carrier silently left unconfigured), and source modes the platform
    cannot work in, with the key's line."""
    from app.core.carriers.registry import CARRIER_IDS
    from app.core.sources.registry import SOURCE_IDS, rules

    carriers = data.get("carriers")
    if isinstance(carriers, Mapping):
        for cid in carriers:
            if cid not in CARRIER_IDS:
                known = ", ".join(CARRIER_IDS)
                return ConfigError(
                    path,
                    f"carriers.{cid}",
                    f"未知配送平台 {cid}（可用：{known}）",
                    f"unknown carrier {cid} (known: {known})",
                    line=find_line(text, ("carriers", cid)),
                )
    sources = data.get("sources")
    if isinstance(sources, Mapping):
        for sid, table in sources.items():
            if sid not in SOURCE_IDS:
                known = ", ".join(SOURCE_IDS)
                return ConfigError(
                    path,
                    f"sources.{sid}",
                    f"未知订单来源 {sid}（可用：{known}）",
                    f"unknown order source {sid} (known: {known})",
                    line=find_line(text, ("sources", sid)),
                )
            mode = table.get("mode") if isinstance(table, Mapping) else None
            if isinstance(mode, str) and mode in ("push", "pull", "off"):
                error = rules(sid).mode_error(mode)
                if error is not None:
                    return ConfigError(
                        path,
                        f"sources.{sid}.mode",
                        f"该平台不支持 mode = {mode!r}（{error}）",
                        f"the platform does not support mode = {mode!r} ({error})",
                        line=find_line(text, ("sources", sid, "mode")),
                    )
    return None


def secret_in_file(
    path: Path, text: str, section: Sequence[str], keys: Sequence[str]
) -> ConfigError:
    """A secret written into the file: refused (secrets live in the keyring)."""
    where = ".".join(section)
    names = ", ".join(keys)
    return ConfigError(
        path,
        f"{where}.{keys[0]}",
        f"[{where}] 中有密钥 {names}；密钥只能保存在系统钥匙串（设置对话框）或环境变量中，"
        "不能写在文件里",
        f"[{where}] holds {names}; secrets belong in the OS keyring (settings dialog) or "
        "the JUPEI_* environment, never in files",
        line=find_line(text, (*section, keys[0])),
    )
