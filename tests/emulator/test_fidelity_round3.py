"""Issue 23, emulator fidelity round 3: what a third family of independent clients needed.

Every check runs against ``python -m mailru_sync emulator`` as a subprocess, the way
django-allauth, Authlib, requests-oauthlib or a Node strategy meet it: plain HTTP from outside,
faults queued through ``emulator control``.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator_process import EmulatorProcess, emulator_process, run_module

#: The documented client-server call of the Mail.ru seed user (api.mail.ru, "Безопасность").
DOC_CLIENT_SERVER = (
    "/platform/api?method=friends.get&app_id=423004"
    "&session_key=be6ef89965d58e56dec21acb9b62bdaa&sig=5073f15c6d5b6ab2fde23ac43332b002"
)


@pytest.fixture(scope="module", params=["mailru", "ok"])
def platform_emu(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorProcess]:
    with emulator_process(tmp_path_factory.mktemp("emu"), "--platform", request.param) as emu:
        yield emu


@pytest.fixture(scope="module")
def mailru_emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    with emulator_process(tmp_path_factory.mktemp("emu")) as emu:
        yield emu


def _token_url(emu: EmulatorProcess) -> str:
    return emu.url + ("/oauth/token.do" if emu.info["platform"] == "ok" else "/oauth/token")


def _client(emu: EmulatorProcess) -> tuple[str, str]:
    app = emu.info["app"]
    secret = app["app_secret_key"] if emu.info["platform"] == "ok" else app["secret_key"]
    return str(app["app_id"]), str(secret)


def _basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def _refresh(emu: EmulatorProcess, headers: dict[str, str], **body: str) -> requests.Response:
    """A refresh_token grant (the start-up line's refresh token) with the given client auth."""
    data = {"grant_type": "refresh_token", "refresh_token": emu.info["user"]["refresh_token"]}
    return requests.post(_token_url(emu), data={**data, **body}, headers=headers, timeout=10)


# ---- 1. HTTP Basic client authentication at both token endpoints ---------------------------


def _accepted(answer: requests.Response) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.json()["access_token"]


def test_basic_only_is_accepted(platform_emu: EmulatorProcess) -> None:
    client_id, secret = _client(platform_emu)
    _accepted(_refresh(platform_emu, {"Authorization": _basic(client_id, secret)}))


def test_body_only_is_accepted(platform_emu: EmulatorProcess) -> None:
    client_id, secret = _client(platform_emu)
    _accepted(_refresh(platform_emu, {}, client_id=client_id, client_secret=secret))


def test_basic_and_body_agreeing_are_accepted(platform_emu: EmulatorProcess) -> None:
    client_id, secret = _client(platform_emu)
    headers = {"Authorization": _basic(client_id, secret)}
    _accepted(_refresh(platform_emu, headers, client_id=client_id, client_secret=secret))
    _accepted(_refresh(platform_emu, headers, client_id=client_id))  # Authlib adds client_id


@pytest.mark.parametrize("differs", ["client_id", "client_secret"])
def test_basic_and_body_differing_are_invalid_request(
    platform_emu: EmulatorProcess, differs: str
) -> None:
    client_id, secret = _client(platform_emu)
    body = {"client_id": client_id, "client_secret": secret, differs: "other"}
    answer = _refresh(platform_emu, {"Authorization": _basic(client_id, secret)}, **body)
    assert answer.status_code == 400
    error = answer.json()
    assert error["error"] == "invalid_request"
    assert differs in error["error_description"] and "differs" in error["error_description"]
    assert secret not in answer.text


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Basic %%%not-base64%%%", "not base64"),
        ("Basic " + base64.b64encode(b"no-colon-here").decode(), "no colon"),
        ("Basic", "no credentials"),
    ],
)
def test_malformed_basic_is_a_clear_invalid_request(
    platform_emu: EmulatorProcess, header: str, says: str
) -> None:
    answer = _refresh(platform_emu, {"Authorization": header})
    assert answer.status_code == 400
    error = answer.json()
    assert error["error"] == "invalid_request"
    assert says in error["error_description"]
    assert "client_id:client_secret" in error["error_description"]


def test_wrong_secret_in_basic_is_invalid_client_with_a_challenge(
    platform_emu: EmulatorProcess,
) -> None:
    client_id, _ = _client(platform_emu)
    answer = _refresh(platform_emu, {"Authorization": _basic(client_id, "wrong")})
    assert answer.status_code == 401  # RFC 6749 §5.2: a failed Basic authentication
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_basic_credentials_are_form_decoded(platform_emu: EmulatorProcess) -> None:
    """RFC 6749 Appendix B: the parts are form-urlencoded before joining; ``%41`` is ``A``."""
    client_id, secret = _client(platform_emu)
    encoded = "".join(f"%{ord(ch):02X}" for ch in secret)
    _accepted(_refresh(platform_emu, {"Authorization": _basic(client_id, encoded)}))


# ---- 2. Injected faults speak the format asked for ----------------------------------------


def _xml_error(answer: requests.Response) -> tuple[int, str]:
    assert answer.headers["Content-Type"].startswith("text/xml"), answer.headers
    root = ET.fromstring(answer.content)
    assert root.tag == "error"
    return int(root.findtext("error_code") or "0"), root.findtext("error_msg") or ""


@pytest.mark.parametrize(
    "queue", [("flood-next",), ("fail-next", "--kind", "service_unavailable")]
)
def test_mailru_faults_answer_xml_to_format_xml(
    mailru_emu: EmulatorProcess, queue: tuple[str, ...]
) -> None:
    url = mailru_emu.url + DOC_CLIENT_SERVER
    mailru_emu.control_ok(*queue, "-n", "2")
    # format is not signed in the documented example, so the call is refused for its signature
    # once the faults are spent: only the faulted answers are the fault's.
    code, message = _xml_error(requests.get(url + "&format=xml", timeout=10))
    assert code == 3 and message
    flooded_json: Any = requests.get(url, timeout=10).json()  # no format: JSON, as before
    assert flooded_json["error"]["error_code"] == 3
    assert _xml_error(requests.get(url + "&format=xml", timeout=10))[0] == 104


# ---- issue 24 part 4: --strict-session-secrets on the command line ------------------------


def test_strict_session_secrets_flag_refuses_the_server_secret_of_a_login(
    tmp_path: Path,
) -> None:
    with emulator_process(tmp_path, "--platform", "ok", "--strict-session-secrets") as emu:
        app, user = emu.info["app"], emu.info["user"]
        login = requests.post(f"{emu.url}/fb.do", data={
            "application_key": app["app_key"], "method": "auth.login", "format": "json",
            "user_name": user["login"], "password": user["password"],
        }, timeout=10).json()
        token, own = login["session_key"], login["session_secret_key"]
        server = hashlib.md5((token + app["app_secret_key"]).encode()).hexdigest()
        base = f"application_key={app['app_key']}format=jsonmethod=users.getCurrentUser"

        def call(secret: str) -> Any:
            sig = hashlib.md5((base + secret).encode()).hexdigest()
            return requests.get(f"{emu.url}/fb.do", params={
                "application_key": app["app_key"], "format": "json",
                "method": "users.getCurrentUser", "sig": sig, "access_token": token,
            }, timeout=10).json()

        assert call(own)["uid"] == user["uid"]
        assert call(server)["error_code"] == 104


def test_strict_session_secrets_is_an_ok_flag(tmp_path: Path) -> None:
    done = run_module("emulator", "--strict-session-secrets")
    assert done.returncode == 2 and "--platform ok only" in done.stderr


# ---- 3. The divergences page: well-formed, complete, and true of the emulator --------------

DIVERGENCES = Path(__file__).resolve().parents[2] / "docs" / "emulator_divergences.rst"


def test_divergences_page_is_a_titled_list_table_naming_each_known_divergence() -> None:
    text = DIVERGENCES.read_text(encoding="utf-8")
    title, underline, blank, intro = text.splitlines()[:4]
    assert underline == "=" * len(title) and blank == "" and intro
    assert ".. list-table::" in text and ":header-rows: 1" in text
    rows = text.split("\n   * - ")[1:]
    assert all(row.count("\n     - ") == 3 for row in rows), "every row has four cells"
    assert ".. code" not in text  # nothing to execute
    for topic in ("``scope``", "``/oauth/token.do`` by GET", "HTTP Basic",
                  "Mail.ru API errors, HTTP status", "``redirect_uri`` with an extra query",
                  "without ``session_key`` or ``uid``", "unsigned ``access_token``",
                  "``auth.login`` sessions", "``format=xml``"):
        assert sum(topic in row.partition("\n")[0] for row in rows) == 1, topic
    try:
        from docutils.core import publish_doctree
    except ImportError:  # docutils comes with Sphinx (the docs build); the checks above remain
        return
    publish_doctree(text, settings_overrides={"halt_level": 2, "report_level": 2})


def test_mailru_rows_of_the_page_hold_for_the_emulator(mailru_emu: EmulatorProcess) -> None:
    # An unsigned access_token appended to the documented call: 104, at HTTP 200.
    answer = requests.get(
        mailru_emu.url + DOC_CLIENT_SERVER + "&access_token=be6ef89965d58e56dec21acb9b62bdaa",
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["error"]["error_code"] == 104
    # Server-server users.getInfo naming nobody (no session_key, no uid): 102.
    app = mailru_emu.info["app"]
    params = {"app_id": str(app["app_id"]), "method": "users.getInfo", "secure": "1"}
    joined = "".join(f"{k}={params[k]}" for k in sorted(params))
    params["sig"] = hashlib.md5((joined + app["secret_key"]).encode()).hexdigest()
    answer = requests.get(mailru_emu.url + "/platform/api", params=params, timeout=10)
    assert answer.status_code == 200 and answer.json()["error"]["error_code"] == 102


def test_ok_rows_of_the_page_hold_for_the_emulator(tmp_path: Path) -> None:
    with emulator_process(tmp_path, "--platform", "ok") as emu:
        client_id, secret = _client(emu)
        by_get = requests.get(emu.url + "/oauth/token.do", params={
            "grant_type": "refresh_token", "refresh_token": emu.info["user"]["refresh_token"],
            "client_id": client_id, "client_secret": secret}, timeout=10)
        assert by_get.status_code == 405 and by_get.json()["error"] == "invalid_request"
        no_scope = requests.get(emu.url + "/oauth/authorize", params={
            "client_id": client_id, "response_type": "token",
            "redirect_uri": emu.info["redirect_uri"]}, allow_redirects=False, timeout=10)
        assert no_scope.status_code < 400
        assert "error=" not in no_scope.headers.get("Location", "")
