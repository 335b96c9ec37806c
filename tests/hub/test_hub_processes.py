"""The hub as real processes: the CLI refuses SQLite and imports no Qt; a store is added,
a counter PC joins with ``hub-join`` (token into the keyring), and revocation cuts it off;
two hub processes on one database serve the same store (push into one, long-poll the
other)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tomllib

import httpx
import pytest

from app.core.sandbox.sources.meituan import MeituanSim
from tests.fakes.hub import ROOT, run_cli

MT_SECRET = "hub-proc-mt-secret"


def test_sqlite_url_is_refused_with_a_clear_error(tmp_path):
    from app.hub.config import HubConfigError, check_database_url

    with pytest.raises(HubConfigError, match="PostgreSQL only"):
        check_database_url(f"sqlite:///{tmp_path / 'hub.db'}")
    with pytest.raises(HubConfigError, match="not set"):
        check_database_url("")
    assert check_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    env = dict(os.environ, JUPEI_HUB__DATABASE_URL=f"sqlite:///{tmp_path / 'hub.db'}")
    done = run_cli("hub", "store", "list", env=env)
    assert done.returncode == 2
    assert "PostgreSQL only" in done.stderr and not (tmp_path / "hub.db").exists()


def test_hub_cli_and_server_import_no_qt():
    code = (
        "import sys, runpy\n"
        "sys.argv = ['app', 'hub', '--help']\n"
        "try:\n"
        "    runpy.run_module('app', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import app.hub.server, app.hub.client, app.hub.cli\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'shiboken6', 'app.ui'))]\n"
        "print('QT', bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "store" in done.stdout and "QT []" in done.stdout


@pytest.mark.integration
def test_enrol_join_revoke_round_trip_against_a_live_hub(hub_process, tmp_path):
    hub = hub_process()
    env = dict(hub.env, JUPEI_HOME=str(tmp_path / "counter"))
    added = run_cli("hub", "store", "add", "--name", "人民路店", "--group", "上海", env=env)
    assert added.returncode == 0, added.stderr
    lines = dict(line.split(": ", 1) for line in added.stdout.splitlines())
    store_id, code = lines["store id"], lines["enrolment code"].split()[0]
    listed = run_cli("hub", "store", "list", env=env).stdout
    assert store_id in listed and "人民路店" in listed and "devices=0" in listed

    keyfile = tmp_path / "keyring.json"
    pc_env = {k: v for k, v in env.items() if not k.startswith("JUPEI_HUB__")} | {
        "PYTHON_KEYRING_BACKEND": "tests.fakes.file_keyring.FileKeyring",
        "JUPEI_TEST_KEYRING_FILE": str(keyfile),
    }
    joined = run_cli("hub-join", "--url", hub.url, "--code", code, "--name", "前台1", env=pc_env)
    assert joined.returncode == 0, joined.stderr
    assert store_id in joined.stdout
    token = json.loads(keyfile.read_text())["jupei/hub.device_token"]
    assert token.startswith("jph_") and token not in joined.stdout
    config = tomllib.loads((tmp_path / "counter" / "config" / "config.toml").read_text())
    assert config["hub"] == {"url": hub.url, "store_id": store_id}
    assert "device_token" not in json.dumps(config)
    again = run_cli("hub-join", "--url", hub.url, "--code", code, env=pc_env)
    assert again.returncode == 1 and "already used" in again.stderr

    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(hub.url + "/hub/v1/store", headers=auth).json()["store_id"] == store_id
    assert "devices=1" in run_cli("hub", "store", "list", env=env).stdout
    revoked = run_cli("hub", "store", "revoke", "--store", store_id, env=env)
    assert revoked.returncode == 0 and "1 device(s) revoked" in revoked.stdout
    assert httpx.get(hub.url + "/hub/v1/store", headers=auth).status_code == 401


@pytest.mark.integration
@pytest.mark.asyncio
async def test_two_hub_processes_serve_one_store(hub_process, tmp_path):
    secret_env = {"JUPEI_HUB__SOURCES__MEITUAN__APP_SECRET": MT_SECRET}
    one, two = hub_process(secret_env), hub_process(secret_env)
    env = dict(one.env, JUPEI_HOME=str(tmp_path))
    added = run_cli("hub", "store", "add", "--name", "人民路店", "--json", env=env)
    store = json.loads(added.stdout)
    mapped = run_cli(
        "hub",
        "store",
        "map",
        "--store",
        store["store_id"],
        "--source",
        "meituan",
        "--ref",
        "S001",
        env=env,
    )
    assert mapped.returncode == 0, mapped.stderr
    async with httpx.AsyncClient(timeout=40) as http:
        enrolled = await http.post(two.url + "/hub/v1/enrol", json={"code": store["code"]})
        auth = {"Authorization": f"Bearer {enrolled.json()['token']}"}
        # the counter PC long-polls process two ...
        poll = asyncio.create_task(
            http.get(two.url + "/hub/v1/inbox", params={"after": 0, "wait": 20}, headers=auth)
        )
        # ... while the platform pushes to process one (signed over one's address)
        sim = MeituanSim(
            secret=MT_SECRET, app_poi_code="S001", push_base_url=one.url + "/hub/v1/sources/meituan"
        )
        oid = sim.new_order()
        assert await sim.push_order(oid)
        got = (await asyncio.wait_for(poll, 30)).json()
        assert [p["cursor"] for p in got["pushes"]] == [1]
        # the same push arriving again at the other process is stored once
        sim.push_base_url = two.url + "/hub/v1/sources/meituan"
        again = sim.order_push_fields(oid)
        assert await sim.push("order", again)
        later = await http.get(
            two.url + "/hub/v1/inbox", params={"after": 1, "wait": 0}, headers=auth
        )
        assert later.json()["pushes"] == []


@pytest.mark.integration
@pytest.mark.asyncio
async def test_sigterm_answers_parked_long_polls_and_exits(hub_process, tmp_path):
    hub = hub_process()
    env = dict(hub.env, JUPEI_HOME=str(tmp_path))
    store = json.loads(run_cli("hub", "store", "add", "--name", "店", "--json", env=env).stdout)
    async with httpx.AsyncClient(timeout=40) as http:
        token = (await http.post(hub.url + "/hub/v1/enrol", json={"code": store["code"]})).json()[
            "token"
        ]
        poll = asyncio.create_task(
            http.get(
                hub.url + "/hub/v1/inbox",
                params={"wait": 25},
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        await asyncio.sleep(0.5)  # parked in the long-poll
        hub.proc.terminate()
        answer = await asyncio.wait_for(poll, 30)
    assert answer.status_code == 200 and answer.json()["pushes"] == []
    assert await asyncio.to_thread(hub.proc.wait, 30) == 0


def test_secret_set_and_unmapped_queue_from_the_cli(hub_db_url, tmp_path):
    env = dict(
        os.environ,
        JUPEI_HUB__DATABASE_URL=hub_db_url,
        PYTHON_KEYRING_BACKEND="tests.fakes.file_keyring.FileKeyring",
        JUPEI_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
    )
    done = run_cli("hub", "secret", "set", "meituan", env=env, stdin="brand-secret\n")
    assert done.returncode == 0, done.stderr
    assert "brand-secret" not in done.stdout + done.stderr
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert stored == {"jupei/hub.sources.meituan.app_secret": "brand-secret"}
    # not an order source (douyin is one since issue 17): refused with the list
    assert run_cli("hub", "secret", "set", "nosuch", env=env, stdin="x\n").returncode == 2
    assert "no unmapped store refs" in run_cli("hub", "unmapped", env=env).stdout


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.asyncio
async def test_killing_one_of_two_hub_processes_loses_and_repeats_nothing(hub_process, tmp_path):
    """300 signed 美团 pushes for 5 stores spread over two hub processes; one is SIGKILLed
    a third of the way in and the platform (as it does) re-sends what was not answered
    "ok" to the other. Every push reaches its store's counter exactly once."""
    import signal

    from app.core.sources.base import PushRequest
    from app.hub.client import HubClient

    secret_env = {"JUPEI_HUB__SOURCES__MEITUAN__APP_SECRET": MT_SECRET}
    one, two = hub_process(secret_env), hub_process(secret_env)
    env = dict(one.env, JUPEI_HOME=str(tmp_path))
    tokens = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(5):
            store = json.loads(
                run_cli("hub", "store", "add", "--name", f"店{i}", "--json", env=env).stdout
            )
            run_cli(
                "hub", "store", "map", "--store", store["store_id"], "--source", "meituan",
                "--ref", f"P{i}", env=env,
            )  # fmt: skip
            enrolled = await http.post(two.url + "/hub/v1/enrol", json={"code": store["code"]})
            tokens[f"P{i}"] = enrolled.json()["token"]
    delivered: dict[str, list[str]] = {ref: [] for ref in tokens}

    def handler(ref: str):
        async def handle_push(source: str, kind: str, request: PushRequest) -> None:
            fields = dict(x.split("=", 1) for x in request.body.decode().split("&"))
            delivered[ref].append(fields["order_id"])

        return handle_push

    clients = [
        HubClient(two.url, t, handler(ref), wait_s=5, retry_s=0.2) for ref, t in tokens.items()
    ]
    polls = [asyncio.create_task(c.run()) for c in clients]
    sims = {
        ref: MeituanSim(secret=MT_SECRET, app_poi_code=ref, first_order_id=10**15 + i * 10**6)
        for i, ref in enumerate(tokens)
    }
    expected: dict[str, list[str]] = {ref: [] for ref in tokens}
    retried = 0
    try:
        for k in range(300):
            ref = f"P{k % 5}"
            sim = sims[ref]
            oid = sim.new_order()
            expected[ref].append(oid)
            if k == 100:
                one.proc.send_signal(signal.SIGKILL)
            targets = [one, two] if k % 2 == 0 else [two, one]
            for attempt, target in enumerate(targets * 2):
                sim.push_base_url = target.url + "/hub/v1/sources/meituan"
                if await sim.push_order(oid):
                    break
                retried += attempt == 0
            else:
                pytest.fail(f"push {oid} accepted by neither process")
        deadline = asyncio.get_running_loop().time() + 60
        while sum(map(len, delivered.values())) < 300:
            assert asyncio.get_running_loop().time() < deadline, "pushes not delivered"
            await asyncio.sleep(0.2)
    finally:
        for p in polls:
            p.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
        for c in clients:
            await c.aclose()
    assert retried > 0  # the kill really cost some pushes their first answer
    for ref in tokens:
        assert delivered[ref] == expected[ref]  # each once, in the order sent
