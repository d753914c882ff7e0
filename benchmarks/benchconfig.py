"""Constants shared by the benchmark's server, clients and runner.

Why one module: the server answers what the clients ask for and the runner reads what both
report, so the paths, method names and credentials must agree in one place. The credentials are
made up (the load server checks no signature); they only have the platforms' shapes, so the
libraries accept them: Mail.ru private/secret keys are 32 hex characters and app ids digits.
"""

from __future__ import annotations

#: Mail.ru REST endpoint path (api.mail.ru/docs/guides/restapi: ``.../platform/api``).
MAILRU_PATH = "/platform/api"
#: OK REST endpoint path (apiok.ru: ``https://api.ok.ru/fb.do``).
OK_PATH = "/fb.do"
#: Counters of the load server (GET: JSON ``{"connections", "requests"}``).
STATS_PATH = "/__stats"
#: Answers the counters like STATS_PATH, then zeroes them.
RESET_PATH = "/__reset"

MAILRU_APP_ID = "423004"
MAILRU_PRIVATE_KEY = "7815696ecbf1c96e6894b779456d330e"
MAILRU_ACCESS_TOKEN = "be6ef89965d58e56dec21acb9b62bdaa"
MAILRU_UID = "1324730981306483817"

OK_APP_ID = "512000000001"
OK_APP_KEY = "CBAPLBENCHMARKAAA"
OK_APP_SECRET_KEY = "0123456789ABCDEF0123456789ABCDEF"
OK_ACCESS_TOKEN = "tkn1benchmarkaccesstoken0000000000000"

#: The Mail.ru method every sequential client calls, with its parameters.
MAILRU_METHOD = "users.getInfo"
MAILRU_PARAMS = {"uids": "1"}
#: The OK method the OK clients call (no parameters needed).
OK_METHOD = "users.getCurrentUser"
#: The Mail.ru method whose answer is the large body of the memory test.
LARGE_METHOD = "stream.get"
#: Size of that body: ~1 MiB of JSON.
LARGE_BODY_BYTES = 1024 * 1024
#: OK's batch method (a JSON array of one-key objects in ``methods``; answers ``[{"ok": ..}]``).
BATCH_METHOD = "batch.executeV2"
#: Calls per ``batch.executeV2`` when the library has no batch helper (the emulator's limit,
#: mailru_sync.testing._ok_api.MAX_BATCH; OK publishes none that we could find).
BATCH_CHUNK = 50
