"""Issue 20: every code sample of the seed docs runs once ``await`` is dropped.

The seeds are aiomailru's and aiookru's own documents (``../shared/seeds/`` beside the clone;
see its README.md). Each Python sample is found by ``tests/seed_blocks.py`` and run against the
emulators with only the migration a user makes: ``await`` (and ``async`` before ``with``)
dropped, the package renamed (``aiomailru`` -> ``mailru_sync``, ``aiookru`` ->
``mailru_sync.ok``), and the emulator's ``base_url`` added to each session. What the docs leave
to the reader is the reader's own: the names they use undefined (``app_id``, ``uid``,
``code``...) and their placeholder strings (``'private key'``, ``'your_client_id'``) hold the
emulator's seeded values, which are the docs' documented ones (app 423004, its keys, the OK
app ``ABCDEFGHIGKLMNOPK``...). A README (003, 004) is read top to bottom, so its samples run in
order in one namespace; each sample of a session document (000-002) stands alone.

A sample "runs" when it raises nothing and every API method it names reached the emulator.
The docs' own slips (``../shared/seeds/README.md``) are expected failures, each with its reason,
and strict: a slip that starts to run fails the suite, so the list stays true.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from typing import Any

import pytest

import mailru_sync as mr
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.seed_blocks import SEEDS, Sample, migrate, opener_count, samples, with_base_url

if not (SEEDS / "README.md").is_file():
    pytest.fail(
        f"the seed documents are missing: expected them at {SEEDS} (../shared/seeds/ beside "
        "the repository, as CI lays it out; or set MAILRU_SYNC_SEEDS to their folder)",
        pytrace=False,
    )

SAMPLES = samples()

#: The docs' slips (../shared/seeds/README.md), by sample: why each cannot run as written.
SLIPS: dict[str, str] = {
    "000#1": "000 passes an undefined access_token to TokenSession (it names it session_key "
    "above)",
    "003#4": "003/004 show session = await ImplicitSession(...) and read the token at once: "
    "in a synchronous library it is there after the first call or session.authorize()",
    "003#6": "003 writes api.strream.get() (the method is stream.get)",
    "003#10": "003 shows ImplicitServerSession(app_id, secret_key, access_token) 'if you "
    "already have an access token': that is ServerSession(app_id, secret_key, access_token) "
    "(000/001); ImplicitServerSession logs in with an e-mail and a password",
    "004#3": "003/004 show session = await ImplicitSession(...) and read the token at once: "
    "in a synchronous library it is there after the first call or session.authorize()",
    "004#4": "004 shows TokenSession(app_key=..., ...) without app_id, while 002 (the "
    "reference) documents TokenSession(app_id, app_key, app_secret_key, access_token, "
    "session_secret_key)",
    "004#9": "004 shows ClientSession(app_key, session_secret_key), while 002 (the reference) "
    "documents ClientSession(app_id, app_key, access_token, session_secret_key)",
    "004#7": "004 shows ServerSession(app_key, app_secret_key, access_token) while 002 (the "
    "reference) documents ServerSession(app_id, app_key, app_secret_key, access_token)",
}
#: Samples waiting for the library (none: ``mailru_sync.ok.sessions`` has every OK class now).
COMPOSITION: set[str] = set()


def _world(sample: Sample, request: pytest.FixtureRequest) -> tuple[Any, dict[str, Any]]:
    """The emulator of the sample's platform and the reader's own values."""
    if sample.platform == "mailru":
        emu: MailruEmulator = request.getfixturevalue("mailru_emulator")
        values: dict[str, Any] = {
            "app_id": emu.app.app_id, "private_key": emu.app.private_key,
            "secret_key": emu.app.secret_key, "uid": emu.user.uid, "email": emu.user.email,
            "passwd": emu.user.password, "password": emu.user.password,
            "scope": mr.full_scope(), "redirect_uri": emu.redirect_uri,
            "code": emu.issue_code(), "refresh_token": emu.user.refresh_token,
            "access_token": emu.user.access_token, "session_key": emu.user.access_token,
        }
        return emu, values
    okemu: OkEmulator = request.getfixturevalue("ok_emulator")
    return okemu, {
        "app_id": okemu.app.app_id, "app_key": okemu.app.app_key,
        "app_secret_key": okemu.app.app_secret_key, "login": okemu.user.login,
        "phone": okemu.user.phone, "passwd": okemu.user.password,
        "password": okemu.user.password, "scope": "VALUABLE_ACCESS",
        "redirect_uri": okemu.redirect_uri, "code": okemu.issue_code(),
        "refresh_token": okemu.user.refresh_token, "access_token": okemu.user.access_token,
        "session_secret_key": okemu.user.session_secret_key,
    }


#: Placeholder strings of the docs -> the value the reader would put there.
PLACEHOLDERS = {
    "private key": "private_key", "secret key": "secret_key", "access token": "access_token",
    "your_client_id": "app_id", "your_private_key": "private_key",
    "your_secret_key": "secret_key", "user_email": "email", "user_password": "password",
    "app ID": "app_id", "app key": "app_key", "app secret": "app_secret_key",
    "+1999123456": "phone", "user password": "password",
}
#: Where the reader's values for placeholders are kept (apart from the names the docs use, so
#: a name a doc forgets to define stays undefined).
_OWN = "__reader_{}__"
_API_METHOD = re.compile(r"\bapi\.(\w+)\.(\w+)\s*\(")


def _chain(sample: Sample) -> list[Sample]:
    """The samples a reader has run by the time they reach ``sample``."""
    if not sample.document.startswith(("003", "004")):
        return [sample]
    earlier = [s for s in SAMPLES if s.document == sample.document and s.index < sample.index]
    return [s for s in earlier if s.name not in SLIPS and s.name not in COMPOSITION] + [sample]


def _run(sample: Sample, request: pytest.FixtureRequest) -> None:
    emu, values = _world(sample, request)
    namespace = {_OWN.format(name): value for name, value in values.items()}
    if sample.document.startswith("000"):
        del values["access_token"]  # the doc's slip: it never defines access_token
    namespace.update(values, __seed_base_url__=emu.url)
    placeholders = {text: _OWN.format(name) for text, name in PLACEHOLDERS.items()}
    for part in _chain(sample):
        tree = with_base_url(migrate(part.code), "__seed_base_url__", placeholders)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(tree, f"<seed {part.name}>", "exec"), namespace)
    called = {r.params.get("method", "") for r in emu.requests}
    named = {f"{m.group(1)}.{m.group(2)}" for m in _API_METHOD.finditer(sample.code)}
    assert named <= called, f"{sample.name}: {sorted(named - called)} never reached the emulator"
    for name in _assigned(sample.code):  # what a reader saves must hold something
        assert namespace[name] not in ("", None), f"{sample.name}: {name} is {namespace[name]!r}"


def _assigned(code: str) -> set[str]:
    tree = ast.parse(migrate(code))
    return {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def _param(sample: Sample) -> Any:
    marks = []
    if sample.name in SLIPS:
        marks.append(pytest.mark.xfail(strict=True, reason=SLIPS[sample.name]))
    elif sample.name in COMPOSITION:
        marks.append(pytest.mark.xfail(strict=True, reason="composition issue"))
    return pytest.param(sample, id=sample.name, marks=marks)


@pytest.mark.parametrize("sample", [_param(s) for s in SAMPLES])
def test_seed_sample_runs_with_await_dropped(
    sample: Sample, request: pytest.FixtureRequest
) -> None:
    _run(sample, request)


def test_every_sample_is_found() -> None:
    assert len(SAMPLES) == opener_count() > 0


def test_every_listed_slip_is_a_sample() -> None:
    names = {s.name for s in SAMPLES}
    assert set(SLIPS) | COMPOSITION <= names
