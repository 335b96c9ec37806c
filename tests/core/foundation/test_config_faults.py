"""Issue 19 item 2: every class of broken config gives one paragraph per language naming
the file, the line and the key; headless commands exit 2 with it (no traceback) and
``--config`` works before and after the command; the GUI's loader falls back to the last
good copy kept beside the file, or the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.__main__ import _parser, main
from app.core.config import keep_last_good, load_settings, load_settings_or_fallback
from app.core.config_errors import EXIT_CONFIG, ConfigError, find_line, last_good_path

GOOD = '[store]\nname = "川味小馆"\nlat = 30.66\nlng = 104.06\n'

# (name, file text, line, key, Chinese words, English words)
BROKEN = [
    (
        "syntax",
        'log_level = "INFO"\n[store\nname = "x"\n',
        2,
        "[store",
        "TOML 语法错误",
        "TOML syntax error",
    ),
    (
        "wrong_type",
        '[store]\nname = "x"\n\n[pos]\nhost = "127.0.0.1"\nport = "eighty"\n',
        6,
        "pos.port",
        "应为整数",
        "valid integer",
    ),
    (
        "wrong_choice",
        '[dispatch]\nstrategy = "cheap"\n',
        2,
        "dispatch.strategy",
        "允许的取值",
        "Input should be",
    ),
    (
        "unknown_carrier",
        "[carriers.dada]\nenabled = true\n\n[carriers.shansongg]\nenabled = false\n",
        4,
        "carriers.shansongg",
        "未知配送平台 shansongg",
        "unknown carrier shansongg",
    ),
    (
        "unknown_source",
        '[sources.meituan_waimai]\nmode = "push"\n',
        1,
        "sources.meituan_waimai",
        "未知订单来源",
        "unknown order source",
    ),
    (
        "unsupported_mode",
        '[sources.hualala]\n# 哗啦啦\nmode = "push"\n',
        3,
        "sources.hualala.mode",
        "该平台不支持",
        "does not support",
    ),
    (
        "swapped_coordinates",
        '[store]\nname = "x"\nlat = 121.48054\nlng = 31.23593\n',
        3,
        "store.lat",
        "坐标超出范围",
        "coordinates out of range",
    ),
    (
        "coordinates_outside_china",
        "[store]\nlat = 0.0\nlng = 0.0\n",
        2,
        "store.lat",
        "不在中国境内",
        "not in China",
    ),
    (
        "secret_in_file",
        '[carriers.sf]\nenabled = true\ndev_key = "oops"\n',
        3,
        "carriers.sf.dev_key",
        "系统钥匙串",
        "keyring",
    ),
    (
        "second_printer",
        '[[printing.printers]]\nname = "前台"\nport = 9100\n\n[[printing.printers]]\nname = "后厨"\n'
        'port = "9100a"\n',
        7,
        "printing.printers.1.port",
        "应为整数",
        "valid integer",
    ),
    (
        "table_is_a_value",
        "store = 5\n",
        1,
        "store",
        "应为表",
        "valid dictionary",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "key", "zh", "en"),
    [b[1:] for b in BROKEN],
    ids=[b[0] for b in BROKEN],
)
def test_every_broken_config_names_file_line_and_key(tmp_path, text, line, key, zh, en):
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    e = caught.value
    assert (e.path, e.line, e.key) == (cfg, line, key)
    zh_text, en_text = e.message("zh_CN"), e.message("en")
    assert zh in zh_text and en in en_text
    assert str(cfg) in zh_text and str(cfg) in en_text
    assert f"第 {line} 行" in zh_text and f"line {line}" in en_text
    assert key in zh_text and key in en_text
    assert "\n" not in zh_text and "\n" not in en_text  # one paragraph each
    assert str(e) == f"{zh_text}\n{en_text}"


def test_a_good_config_still_loads_and_env_errors_have_no_line(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text(GOOD, encoding="utf-8")
    assert load_settings(cfg).store.name == "川味小馆"
    monkeypatch.setenv("JUPEI_POS__PORT", "not-a-port")
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    assert caught.value.key == "pos.port" and caught.value.line is None
    assert "行号未知" in caught.value.message("zh_CN")


def test_overseas_store_coordinates_are_not_held_to_china(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[store]\ncountry = "US"\nlat = 37.7749\nlng = -122.4194\n', "utf-8")
    s = load_settings(cfg)
    assert (s.store.country, s.store.lat) == ("US", 37.7749)


def test_find_line_prefers_the_assignment_then_the_table():
    text = '[store]\nname = "x"\n[carriers.dada]\nenabled = true\n[[printing.printers]]\n'
    assert find_line(text, ("carriers", "dada", "enabled")) == 4
    assert find_line(text, ("carriers", "dada", "base_url")) == 3
    assert find_line(text, ("printing", "printers", 0, "port")) == 5
    assert find_line('dispatch.mode = "x"\n', ("dispatch", "mode")) == 1
    printers = '[[printing.printers]]\nname = "a"\nport = 1\n\n[[printing.printers]]\nname = "b"\n'
    printers += 'port = "x"\n[ui]\nport = 3\n'
    assert find_line(printers, ("printing", "printers", 1, "port")) == 7
    assert find_line(printers, ("printing", "printers", 0, "port")) == 3
    assert find_line(printers, ("printing", "printers", 1, "copies")) == 5
    assert find_line(printers, ("printing", "printers", 2, "port")) == 3  # no such: the first
    assert find_line(text, ("ui", "language")) is None


# --- the GUI's loader: last good copy, else the defaults -------------------------------------


def test_a_good_load_keeps_a_last_good_copy_beside_the_file(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(GOOD, encoding="utf-8")
    settings, problem = load_settings_or_fallback(cfg)
    assert problem is None and settings.store.name == "川味小馆"
    assert last_good_path(cfg) == tmp_path / "config.last-good.toml"
    assert last_good_path(cfg).read_text(encoding="utf-8") == GOOD


@pytest.mark.allow_warnings
def test_a_broken_file_runs_on_the_last_good_copy(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(GOOD, encoding="utf-8")
    keep_last_good(cfg)
    cfg.write_text(GOOD.replace("[store]", "[store"), encoding="utf-8")
    settings, problem = load_settings_or_fallback(cfg)
    assert settings.store.name == "川味小馆"
    assert problem is not None and problem.line == 1 and problem.path == cfg
    # the broken file is left for the merchant to fix; the copy is not overwritten
    assert last_good_path(cfg).read_text(encoding="utf-8") == GOOD
    assert "[store\n" in cfg.read_text(encoding="utf-8")


@pytest.mark.allow_warnings
def test_a_broken_file_without_a_copy_runs_on_the_defaults(tmp_path):
    cfg = tmp_path / "shop.toml"
    cfg.write_text('[pos]\nport = "x"\n', encoding="utf-8")
    settings, problem = load_settings_or_fallback(cfg)
    assert problem is not None and problem.key == "pos.port"
    assert (
        settings.pos.port == 8731
        and settings.store.name == load_settings(tmp_path / "missing.toml").store.name
    )
    assert not last_good_path(cfg).exists()
    assert last_good_path(cfg).name == "shop.last-good.toml"


@pytest.mark.allow_warnings
def test_a_broken_last_good_copy_falls_back_to_the_defaults(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[ui\n", encoding="utf-8")
    last_good_path(cfg).write_text('[ui]\nlanguage = "fr"\n', encoding="utf-8")
    settings, problem = load_settings_or_fallback(cfg)
    assert problem is not None and problem.line == 1
    assert settings.ui.language == "zh_CN"


# --- headless commands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["serve", "--config", "{cfg}"], ["--config", "{cfg}", "serve"]],
    ids=["after", "before"],
)
def test_config_before_or_after_the_command(argv, tmp_path):
    cfg = str(tmp_path / "c.toml")
    args = _parser().parse_args([a.format(cfg=cfg) for a in argv])
    assert (args.cmd, args.config) == ("serve", Path(cfg))


def test_every_command_takes_config_after_it_and_keeps_it_before(tmp_path):
    import argparse

    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, cmd in sub.choices.items():
        assert any("--config" in a.option_strings for a in cmd._actions), name
    assert parser.parse_args(["--config", "a.toml", "serve"]).config == Path("a.toml")


def test_some_commands_parse_config_after_their_own_options(tmp_path):
    cfg = tmp_path / "c.toml"
    for argv in (
        ["sandbox", "--config", str(cfg)],
        ["pos-sim", "--count", "1", "--config", str(cfg)],
        ["carrier-check", "dada", "--config", str(cfg)],
        ["hub-join", "--url", "https://h", "--code", "c", "--config", str(cfg)],
    ):
        assert _parser().parse_args(argv).config == cfg, argv
    assert _parser().parse_args(["serve"]).config is None


@pytest.mark.parametrize("order", ["after", "before"])
@pytest.mark.parametrize(
    ("text", "key"), [(b[1], b[3]) for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_serve_exits_2_with_the_message_and_no_traceback(
    tmp_path, monkeypatch, capsys, order, text, key
):
    monkeypatch.setenv("JUPEI_HOME", str(tmp_path / "home"))
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    argv = ["serve", "--config", str(cfg)] if order == "after" else ["--config", str(cfg), "serve"]
    assert main(argv) == EXIT_CONFIG == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "pydantic" not in err
    assert f"配置文件有误：{cfg}" in err and f"Config error in {cfg}" in err
    assert key in err
    assert not (tmp_path / "home" / "data" / "jupei.db").exists()  # stopped before the core


def test_carrier_check_exits_2_on_a_broken_config(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JUPEI_HOME", str(tmp_path / "home"))
    cfg = tmp_path / "config.toml"
    cfg.write_text("[carriers.dadaa]\n", encoding="utf-8")
    assert main(["carrier-check", "dada", "--config", str(cfg)]) == 2
    assert "carriers.dadaa" in capsys.readouterr().err


def test_the_first_frame_reads_the_last_good_copy_of_a_broken_file(tmp_path):
    from app.core.quick_settings import read_first_frame

    cfg = tmp_path / "config.toml"
    cfg.write_text('[ui]\nlanguage = "en"\n[store]\nname = "川味小馆"\n', encoding="utf-8")
    keep_last_good(cfg)
    cfg.write_text('[ui]\nlanguage = "en"\n[store\nname = "坏"\n', encoding="utf-8")
    quick = read_first_frame(cfg, environ={})
    assert (quick.language, quick.store_name) == ("en", "川味小馆")
    last_good_path(cfg).unlink()
    assert read_first_frame(cfg, environ={}).store_name == "聚配演示店（人民广场店）"
