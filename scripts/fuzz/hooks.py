"""Schemathesis hooks for scripts/fuzz.sh: log in as the fuzzed principal, count requests.

Loaded through SCHEMATHESIS_HOOKS. Reads:
  ORGD_FUZZ_BASE      the server's base URL (http://127.0.0.1:PORT)
  ORGD_FUZZ_EMAIL     the principal's email
  ORGD_FUZZ_PASSWORD  its password
  ORGD_FUZZ_ORG       (optional) the organization made current in each new session
  ORGD_FUZZ_COUNT     file that receives the number of requests sent, at exit

The token is a session from `POST /api/auth/login`. The fuzzer is free to call
`POST /api/auth/logout` with it; the next request then answers 401, Schemathesis drops the
cached token, calls `get` again and replays. `PATCH /api/users/me` may change the password:
`after_call` remembers an accepted one so that the next login still works.
"""

import atexit
import os
import threading

import requests
import schemathesis

BASE = os.environ["ORGD_FUZZ_BASE"].rstrip("/")
EMAIL = os.environ["ORGD_FUZZ_EMAIL"]
ORG = os.environ.get("ORGD_FUZZ_ORG") or None
COUNT_FILE = os.environ.get("ORGD_FUZZ_COUNT")

_lock = threading.Lock()
_state = {"password": os.environ["ORGD_FUZZ_PASSWORD"], "requests": 0, "logins": 0}


def _login() -> str:
    with _lock:
        password = _state["password"]
        _state["logins"] += 1
    r = requests.post(f"{BASE}/api/auth/login", json={"email": EMAIL, "password": password}, timeout=30)
    r.raise_for_status()
    token = r.json()["token"]
    if ORG:
        r = requests.post(
            f"{BASE}/api/auth/session/organization",
            json={"organization_id": ORG},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        r.raise_for_status()
    return token


# One session for the whole run; a 401 (after a fuzzed logout) fetches a new one.
@schemathesis.auth(refresh_interval=24 * 3600)
class SessionAuth:
    def get(self, case, context):
        return _login()

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def after_call(context, case, response):
    with _lock:
        _state["requests"] += 1
    if (
        case.method.upper() == "PATCH"
        and case.path == "/api/users/me"
        and response.status_code == 200
        and isinstance(case.body, dict)
        and isinstance(case.body.get("password"), str)
    ):
        with _lock:
            _state["password"] = case.body["password"]


@atexit.register
def _write_count():
    if COUNT_FILE:
        with open(COUNT_FILE, "w", encoding="utf-8") as f:
            f.write(f"{_state['requests']}\n")
