"""A daily cron job: post to the user's Mail.ru feed with a token kept in a file between runs.

Run once a day (``crontab``: ``0 9 * * * python /path/to/cron_post.py``). The first run needs a
token in the file: log in once (for example with ``ImplicitServerSession``) and save
``session.token`` with ``FileStore(path).save(...)``. Every run then:

1. builds a session from the stored token (``store=FileStore(path)``);
2. posts; when the access token expired, the session refreshes it and saves the new one;
3. exits 0 on success, 3 when the user must log in again (refresh token revoked or missing),
   4 for a platform error, 5 for a network problem, with one line on stderr saying what to do.

Settings come from the environment: ``MAILRU_APP_ID``, ``MAILRU_SECRET_KEY``, ``TOKEN_FILE``,
``POST_TEXT`` and, to run against the emulator, ``MAILRU_BASE_URL``.
"""

from __future__ import annotations

import os
import sys

import mailru_sync
from mailru_sync.stores import FileStore, StoreError

EXIT_OK, EXIT_LOGIN, EXIT_API, EXIT_NETWORK = 0, 3, 4, 5


def main(environ: dict[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    try:
        session = mailru_sync.ServerSession(
            env["MAILRU_APP_ID"], env["MAILRU_SECRET_KEY"], "no-token-yet",
            base_url=env.get("MAILRU_BASE_URL") or None,
            store=FileStore(env["TOKEN_FILE"]),
        )
    except KeyError as missing:
        print(f"cron_post: set the environment variable {missing.args[0]}", file=sys.stderr)
        return EXIT_LOGIN
    except StoreError as exc:
        print(f"cron_post: {exc}", file=sys.stderr)
        return EXIT_LOGIN
    text = env.get("POST_TEXT", "Good morning from cron")
    try:
        with session:
            result = mailru_sync.API(session).stream.post(text=text)
    except (mailru_sync.InvalidGrantError, mailru_sync.SessionExpiredError) as exc:
        print(f"cron_post: the saved login no longer works ({exc}); log in again and save the "
              "new token", file=sys.stderr)
        return EXIT_LOGIN
    except mailru_sync.APIError as exc:
        print(f"cron_post: Mail.ru refused the post: {exc}", file=sys.stderr)
        return EXIT_API
    except mailru_sync.TransportError as exc:
        print(f"cron_post: network problem, try again later: {exc}", file=sys.stderr)
        return EXIT_NETWORK
    print(f"posted: {result}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
