"""Issue 9 point 7: the emulator CLI's flags for web developers and its control interface.

Each flag and each control command is exercised against ``python -m mailru_sync emulator`` run as
a real subprocess, driven through ``python -m mailru_sync emulator control``; a few invariants of
the control endpoint (never counted, logged or faulted) are checked on an in-process emulator,
where the request log can be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

import mailru_sync
import mailru_sync.ok
from mailru_sync import API, InvalidClientError, SessionExpiredError, TokenSession
from mailru_sync.testing import MailruEmulator
from tests.emulator_process import EmulatorProcess, emulator_process, run_module

#: The documented client-server call of the Mail.ru seed user (api.mail.ru, "Безопасность").
DOC_CLIENT_SERVER = (
    "/platform/api?method=friends.get&app_id=423004"
    "&session_key=be6ef89965d58e56dec21acb9b62bdaa&sig=5073f15c6d5b6ab2fde23ac43332b002"
)
DJANGO_CALLBACK = "http://localhost:8000/callback"


def _password_grant(emu: EmulatorProcess) -> dict[str, Any]:
    app, user = emu.info["app"], emu.info["user"]
    answer = requests.post(
        f"{emu.url}/oauth/token",
        data={
            "grant_type": "password",
            "client_id": str(app["app_id"]),
            "client_secret": app["secret_key"],
            "username": user["email"],
            "password": user["password"],
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _mailru_session(emu: EmulatorProcess, token: str) -> TokenSession:
    app, uid = emu.info["app"], emu.info["user"]["uid"]
    return TokenSession(app["app_id"], app["private_key"], "", token, uid, base_url=emu.url)


def _failed(send: Any) -> bool:
    """Whether an injected fault hit the request (5xx, reset or a cut-off body)."""
    try:
        return int(send().status_code) >= 500
    except requests.RequestException:
        return True


# ---- flags ----


def test_redirect_uri_registers_a_callback_for_mailru(tmp_path: Path) -> None:
    with emulator_process(tmp_path, "--redirect-uri", DJANGO_CALLBACK) as emu:
        assert emu.info["redirect_uris"] == [DJANGO_CALLBACK]
        app, user = emu.info["app"], emu.info["user"]

        def login(redirect_uri: str) -> mailru_sync.ImplicitSession:
            return mailru_sync.ImplicitSession(
                app["app_id"],
                app["private_key"],
                app["secret_key"],
                user["email"],
                user["password"],
                "stream",
                redirect_uri=redirect_uri,
                base_url=emu.url,
            ).authorize()

        session = login(DJANGO_CALLBACK)
        assert API(session).users.getInfo()[0]["uid"] == user["uid"]
        with pytest.raises(InvalidClientError):
            login("http://localhost:8001/callback")  # not registered: refused as before


def test_redirect_uri_registers_a_callback_for_ok(tmp_path: Path) -> None:
    with emulator_process(
        tmp_path,
        "--platform",
        "ok",
        "--redirect-uri",
        DJANGO_CALLBACK,
        "--redirect-uri",
        "https://example.test/ok/done",
    ) as emu:
        assert emu.info["redirect_uris"] == [DJANGO_CALLBACK, "https://example.test/ok/done"]
        app, user = emu.info["app"], emu.info["user"]

        def login(redirect_uri: str) -> mailru_sync.ok.ImplicitSession:
            return mailru_sync.ok.ImplicitSession(
                app["app_id"],
                app["app_key"],
                app["app_secret_key"],
                user["login"],
                user["password"],
                "VALUABLE_ACCESS",
                redirect_uri,
                base_url=emu.url,
            ).authorize()

        session = login(DJANGO_CALLBACK)
        assert API(session).users.getCurrentUser()["uid"] == user["uid"]
        with pytest.raises(InvalidClientError):
            login("http://localhost:8001/callback")


@pytest.mark.parametrize(
    "uri", ["localhost:8000/callback", "ftp://localhost/cb", "http://h/cb?next=1", "http://h/#x"]
)
def test_redirect_uri_must_be_registrable(uri: str) -> None:
    done = run_module("emulator", "--redirect-uri", uri)
    assert done.returncode == 2 and done.stdout == ""
    assert "--redirect-uri" in done.stderr


def test_token_ttl_and_advance_time(tmp_path: Path) -> None:
    # Half the lifetime leaves a minute of real time for a loaded machine; the second jump
    # passes the expiry whatever real time went by.
    with emulator_process(tmp_path, "--token-ttl", "120") as emu:
        token = _password_grant(emu)
        assert token["expires_in"] == 120
        session = _mailru_session(emu, token["access_token"])
        assert isinstance(API(session).friends.get(), list)
        assert emu.control_ok("advance-time", "60") == {"advanced": 60.0}
        assert isinstance(API(session).friends.get(), list)
        emu.control_ok("advance-time", "61")
        with pytest.raises(SessionExpiredError):
            API(session).friends.get()


@pytest.mark.parametrize(("flags", "redeemable"), [((), True), (("--code-ttl", "5"), False)])
def test_code_ttl(tmp_path: Path, flags: tuple[str, ...], redeemable: bool) -> None:
    with emulator_process(tmp_path, *flags) as emu:
        emu.control_ok("advance-time", "6")
        app = emu.info["app"]
        answer = requests.post(
            f"{emu.url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": str(app["app_id"]),
                "client_secret": app["secret_key"],
                "code": emu.info["code"],
                "redirect_uri": emu.info["redirect_uri"],
            },
            timeout=10,
        ).json()
        if redeemable:
            assert answer["x_mailru_vid"] == emu.info["user"]["uid"]
        else:
            assert answer == {
                "error": "invalid_grant",
                "error_description": "authorization code expired",
            }


@pytest.mark.parametrize("bad", [["--token-ttl", "0"], ["--code-ttl", "soon"]])
def test_ttl_flags_refuse_bad_values(bad: list[str]) -> None:
    done = run_module("emulator", *bad)
    assert done.returncode == 2 and done.stdout == ""


@pytest.mark.parametrize(
    ("paths", "api_fails", "oauth_fails"),
    [(None, True, False), ("api", True, False), ("oauth", False, True), ("all", True, True)],
)
def test_fail_paths_choose_where_the_fail_rate_applies(
    tmp_path: Path, paths: str | None, api_fails: bool, oauth_fails: bool
) -> None:
    flags = ["--fail-rate", "1"] + ([] if paths is None else ["--fail-paths", paths])
    with emulator_process(tmp_path, *flags) as emu:
        app_id = emu.info["app"]["app_id"]

        def login_page() -> requests.Response:
            return requests.get(
                f"{emu.url}/oauth/authorize",
                params={
                    "client_id": app_id,
                    "response_type": "token",
                    "redirect_uri": emu.info["redirect_uri"],
                },
                timeout=10,
            )

        def token_endpoint() -> requests.Response:
            return requests.post(f"{emu.url}/oauth/token", data={"grant_type": "x"}, timeout=10)

        assert _failed(lambda: requests.get(emu.url + DOC_CLIENT_SERVER, timeout=10)) is api_fails
        assert _failed(login_page) is oauth_fails
        assert _failed(token_endpoint) is oauth_fails
        # The control endpoint itself is never faulted, whatever the scope.
        counters = emu.control_ok("counters")["counters"]
        assert counters["requests"] == 3
        assert counters["faults_injected"] == api_fails + 2 * oauth_fails


# ---- control commands ----


def test_expire_token_one_from_stdin_and_all(tmp_path: Path) -> None:
    with emulator_process(tmp_path) as emu:
        seeded = emu.info["user"]["access_token"]
        assert isinstance(requests.get(emu.url + DOC_CLIENT_SERVER, timeout=10).json(), list)
        assert emu.control_ok("expire-token", seeded) == {"expired": 1}
        expired = requests.get(emu.url + DOC_CLIENT_SERVER, timeout=10).json()
        assert expired["error"]["error_code"] == 102

        fresh = _password_grant(emu)["access_token"]
        other = _password_grant(emu)["access_token"]
        assert emu.control_ok("expire-token", "-", stdin=fresh + "\n") == {"expired": 1}
        with pytest.raises(SessionExpiredError):
            API(_mailru_session(emu, fresh)).friends.get()
        assert isinstance(API(_mailru_session(emu, other)).friends.get(), list)
        assert emu.control_ok("expire-token", "--all") == {"expired": "all"}
        with pytest.raises(SessionExpiredError):
            API(_mailru_session(emu, other)).friends.get()

        unknown = emu.control("expire-token", "f" * 32)
        assert unknown.returncode == 1 and unknown.stdout == ""
        assert "unknown access token" in unknown.stderr and "f" * 32 not in unknown.stderr
        assert emu.control("expire-token").returncode == 2  # TOKEN or --all
        assert emu.control("expire-token", "x", "--all").returncode == 2


@pytest.mark.parametrize("platform", ["mailru", "ok"])
def test_revoke_refresh_token(tmp_path: Path, platform: str) -> None:
    with emulator_process(tmp_path, "--platform", platform) as emu:
        app = emu.info["app"]
        refresh = emu.info["user"]["refresh_token"]
        secret = app.get("secret_key") or app["app_secret_key"]
        path = "/oauth/token" if platform == "mailru" else "/oauth/token.do"

        def refresh_grant() -> dict[str, Any]:
            data = {
                "grant_type": "refresh_token",
                "client_id": str(app["app_id"]),
                "client_secret": secret,
                "refresh_token": refresh,
            }
            return dict(requests.post(emu.url + path, data=data, timeout=10).json())

        assert "access_token" in refresh_grant()
        assert emu.control_ok("revoke-refresh-token", "-", stdin=refresh) == {"revoked": 1}
        assert refresh_grant()["error"] == "invalid_grant"
        again = emu.control("revoke-refresh-token", refresh)
        assert again.returncode == 1 and "unknown refresh token" in again.stderr
        assert refresh not in again.stderr


def test_fail_next_queues_faults_by_scope(tmp_path: Path) -> None:
    with emulator_process(tmp_path) as emu:

        def token_endpoint() -> requests.Response:
            return requests.post(f"{emu.url}/oauth/token", data={"grant_type": "x"}, timeout=10)

        queued = emu.control_ok(
            "fail-next", "-n", "2", "--kind", "503", "--scope", "oauth", "--retry-after", "7"
        )
        assert queued == {"pending_faults": 2}
        assert isinstance(requests.get(emu.url + DOC_CLIENT_SERVER, timeout=10).json(), list)
        first = token_endpoint()
        assert first.status_code == 503 and first.headers["Retry-After"] == "7"
        assert token_endpoint().status_code == 503
        assert token_endpoint().status_code == 400  # the queue is spent: a real OAuth error
        emu.control_ok("fail-next", "--kind", "reset")
        assert _failed(lambda: requests.get(emu.url + DOC_CLIENT_SERVER, timeout=10))
        assert emu.control_ok("counters")["counters"]["faults_injected"] == 3

        bad_kind = emu.control("fail-next", "--kind", "explode")
        assert bad_kind.returncode == 2 and "explode" in bad_kind.stderr
        negative = emu.control("fail-next", "-n", "-1")
        assert negative.returncode == 1 and "n must be >= 0" in negative.stderr


def test_flood_next(tmp_path: Path) -> None:
    with emulator_process(tmp_path, "--platform", "ok") as emu:

        def error_code() -> int:
            return int(requests.get(f"{emu.url}/fb.do", timeout=10).json()["error_code"])

        assert emu.control_ok("flood-next", "-n", "2") == {"pending_faults": 2}
        assert [error_code(), error_code()] == [8, 8]  # OK's flood code, unprocessed
        assert error_code() != 8
        emu.control_ok("flood-next", "--code", "9")
        assert error_code() == 9


def test_counters_and_reset(tmp_path: Path) -> None:
    with emulator_process(tmp_path) as emu:
        zero = emu.control_ok("counters")
        assert zero == {
            "counters": {
                "api_calls": 0,
                "connections": 0,
                "faults_injected": 0,
                "oauth_calls": 0,
                "requests": 0,
                "writes_applied": 0,
            },
            "pending_faults": 0,
        }
        with requests.Session() as browser:  # one keep-alive connection, two requests
            browser.get(emu.url + DOC_CLIENT_SERVER, timeout=10)
            browser.get(f"{emu.url}/oauth/success.html", timeout=10)
        emu.control_ok("flood-next")
        seen = emu.control_ok("counters")
        assert seen["pending_faults"] == 1
        assert {
            k: seen["counters"][k] for k in ("connections", "requests", "api_calls", "oauth_calls")
        } == {"connections": 1, "requests": 2, "api_calls": 1, "oauth_calls": 1}

        emu.control_ok("expire-token", emu.info["user"]["access_token"])
        assert emu.control_ok("reset") == {"reset": True}
        assert emu.control_ok("counters") == zero
        # Back to the seeded state: the expired token lives again, the queued flood is gone.
        assert isinstance(requests.get(emu.url + DOC_CLIENT_SERVER, timeout=10).json(), list)


# ---- how the control CLI finds the emulator, and how it fails ----


def test_control_reads_the_environment_or_flags(tmp_path: Path) -> None:
    with emulator_process(tmp_path) as emu:
        control = emu.info["control"]
        assert control["url"] == f"{emu.url}/__emulator"
        by_env = run_module(
            "emulator",
            "control",
            "counters",
            env={
                "MAILRU_SYNC_EMULATOR_URL": emu.url,
                "MAILRU_SYNC_EMULATOR_CONTROL_TOKEN": control["token"],
            },
        )
        assert by_env.returncode == 0 and by_env.stderr == ""
        by_info = run_module(
            "emulator", "control", "counters", env={"MAILRU_SYNC_EMULATOR_INFO": str(emu.info_file)}
        )
        assert by_info.returncode == 0 and json.loads(by_info.stdout)["pending_faults"] == 0
        by_flags = run_module(
            "emulator",
            "control",
            "--url",
            control["url"],
            "--control-token",
            control["token"],
            "counters",
        )
        assert by_flags.returncode == 0
        assert "warning" in by_flags.stderr and control["token"] not in by_flags.stderr

        wrong = run_module(
            "emulator",
            "control",
            "--url",
            emu.url,
            "counters",
            env={"MAILRU_SYNC_EMULATOR_CONTROL_TOKEN": "guessed"},
        )
        assert wrong.returncode == 1 and wrong.stdout == ""
        assert "refused the control token" in wrong.stderr.strip().splitlines()[-1]
        # A token of the user's own that starts with "-" goes in the "--flag=value" form.
        dashed = run_module(
            "emulator", "control", "--url", emu.url, "--control-token=-guessed", "counters"
        )
        assert dashed.returncode == 1 and "refused the control token" in dashed.stderr


def test_control_token_is_safe_as_a_separate_command_line_value() -> None:
    """A token starting with "-" would make ``--control-token TOKEN`` an argparse error."""
    tokens = set()
    for _ in range(3):
        with MailruEmulator() as emu:
            tokens.add(emu.control_token)
    assert len(tokens) == 3
    assert all(len(token) == 48 and set(token) <= set("0123456789abcdef") for token in tokens)


def test_control_usage_and_unreachable_emulator(tmp_path: Path) -> None:
    nothing = run_module("emulator", "control", "counters")
    assert nothing.returncode == 2 and "--url" in nothing.stderr
    no_token = run_module("emulator", "control", "--url", "http://localhost:9", "counters")
    assert no_token.returncode == 2 and "control token" in no_token.stderr
    assert run_module("emulator", "control", "frobnicate").returncode == 2
    assert run_module("emulator", "control").returncode == 2
    not_http = run_module(
        "emulator",
        "control",
        "--url",
        "file:///etc/passwd",
        "counters",
        env={"MAILRU_SYNC_EMULATOR_CONTROL_TOKEN": "t"},
    )
    assert not_http.returncode == 2

    with emulator_process(tmp_path) as emu:
        pass  # stopped: its port is closed now
    gone = emu.control("counters")
    assert gone.returncode == 1 and "is it running?" in gone.stderr.strip().splitlines()[-1]
    garbage = tmp_path / "not-a-line.json"
    garbage.write_text("hello\n")
    unreadable = run_module("emulator", "control", "--from", str(garbage), "counters")
    assert unreadable.returncode == 1 and "start-up line" in unreadable.stderr


def test_help_names_the_control_interface() -> None:
    run = run_module("emulator", "--help")
    assert run.returncode == 0
    for flag in ("--redirect-uri", "--token-ttl", "--code-ttl", "--fail-paths", "control"):
        assert flag in run.stdout
    control = run_module("emulator", "control", "--help")
    assert control.returncode == 0 and "exit codes" in control.stdout
    for command in (
        "expire-token",
        "revoke-refresh-token",
        "fail-next",
        "flood-next",
        "advance-time",
        "counters",
        "reset",
    ):
        assert command in control.stdout


# ---- the endpoint itself: invisible to the client under test, closed to strangers ----


def test_control_requests_are_never_counted_logged_delayed_or_faulted() -> None:
    with MailruEmulator(fail_rate=1.0, fail_scope="all") as emu:
        headers = {"Authorization": f"Bearer {emu.control_token}"}
        with requests.Session() as control:
            for _ in range(3):
                answer = control.post(f"{emu.url}/__emulator/counters", headers=headers, timeout=10)
                assert answer.status_code == 200
            assert answer.json()["counters"] == dict.fromkeys(answer.json()["counters"], 0)
            control.post(
                f"{emu.url}/__emulator/fail-next",
                json={"kind": "garbage"},
                headers=headers,
                timeout=10,
            )
            assert emu.pending_faults == 1  # queued, and not taken by the control call itself
        assert emu.requests == [] and set(emu.counters.values()) == {0}


def test_control_endpoint_refuses_strangers_and_typos() -> None:
    with MailruEmulator() as emu:
        url = f"{emu.url}/__emulator"
        good = {"Authorization": f"Bearer {emu.control_token}"}
        assert requests.get(f"{url}/counters", headers=good, timeout=10).status_code == 405
        anonymous = requests.post(f"{url}/reset", timeout=10)
        assert anonymous.status_code == 401 and anonymous.json()["ok"] is False
        forged = {"Authorization": "Bearer " + "x" * len(emu.control_token)}
        assert requests.post(f"{url}/reset", headers=forged, timeout=10).status_code == 401
        assert requests.post(f"{url}/nope", headers=good, timeout=10).status_code == 404
        typo = requests.post(f"{url}/fail-next", json={"knd": "503"}, headers=good, timeout=10)
        assert typo.status_code == 400 and "knd" in typo.json()["error"]
        not_json = requests.post(f"{url}/reset", data=b"[1", headers=good, timeout=10)
        assert not_json.status_code == 400
        wrong_type = requests.post(
            f"{url}/advance-time", json={"seconds": "1"}, headers=good, timeout=10
        )
        assert wrong_type.status_code == 400
        assert emu.pending_faults == 0 and emu.requests == []
        # The platform never routes API calls there: an API-looking request is still control.
        signed_like = requests.post(f"{url}/counters", data={"method": "friends.get"}, timeout=10)
        assert signed_like.status_code == 401


# The README's emulator commands and control session run as written in tests/test_readme.py.
