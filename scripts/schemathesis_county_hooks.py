"""Schemathesis hooks for scripts/schemathesis-county.sh (the county server,
`nianbao serve --data DIR`).

- Authentication: when schemathesis loads this module, it logs in as the
  administrator (NIANBAO_URL, NIANBAO_ADMIN_PASSWORD) once for the run, and
  a few more times for `POST /api/logout`, which ends the session it is sent
  with: every logout case gets a spare session of its own (and, when they
  are used up, a dead one: 401), so the run's session stays valid. All
  logins happen before the fuzzing: the login fuzzing soon makes the server
  refuse logins from this address (429, by design). The auth provider puts
  the session cookie and its CSRF token (X-CSRF-Token) on every case; the
  `ignored_auth` check removes them to see that the server refuses.
- Known ids: a schema-valid request with a random agency id meets only
  404s. Just before a positive case is sent, most agency ids are mapped to
  the agencies set up by the script, a draft's agency name and year to those
  of its path, and most If-Match headers and `version` fields to the
  report's current version, so that saves, submits, returns and the county
  ZIP really run. Negative cases are sent as generated.
- One report is submitted before the run (the sample, inputs/butaji-2024.toml,
  for its agency, which the script creates), so that the county ZIP, the
  history and a return have something to work on.
"""

import json
import os
import urllib.request

import schemathesis

URL = os.environ["NIANBAO_URL"].rstrip("/")
PASSWORD = os.environ["NIANBAO_ADMIN_PASSWORD"]
SPARE_SESSIONS = int(os.environ.get("NIANBAO_SPARE_SESSIONS", "20"))


def request(method, path, body=None, session=None, headers=None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if session is not None:
        req.add_header("Cookie", f"nianbao_session={session[0]}")
        req.add_header("X-CSRF-Token", session[1])
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def login():
    status, headers, body = request("POST", "/api/login", {"login": "admin", "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"admin login failed: {status} {body[:200]!r}")
    cookie = headers.get("Set-Cookie", "")
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    return token, json.loads(body)["csrf"]


MAIN = login()
SPARE = [login() for _ in range(SPARE_SESSIONS)]
DEAD = ("0" * 64, "0" * 64)

status, _, body = request("GET", "/api/agencies", session=MAIN)
AGENCIES = {a["id"]: a["name"] for a in json.loads(body)}
IDS = sorted(AGENCIES)
if not IDS:
    raise SystemExit("no agencies: the script sets some up first")


def submit_sample():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "inputs", "butaji-2024.toml"), "rb") as f:
        toml = f.read()
    req = urllib.request.Request(URL + "/api/convert?to=json", data=toml, method="POST")
    req.add_header("Content-Type", "application/toml")
    with urllib.request.urlopen(req, timeout=20) as r:
        report = json.loads(r.read())
    name = report["report"]["agency"]
    agency = next((i for i, n in AGENCIES.items() if n == name), None)
    if agency is None:
        raise SystemExit(f"no agency {name}: the script creates it")
    status, _, body = request(
        "PUT", f"/api/reports/{agency}/2024", report, session=MAIN, headers={"If-Match": '"0"'}
    )
    if status != 200:
        raise SystemExit(f"saving the sample: {status} {body[:300]!r}")
    version = json.loads(body)["version"]
    status, _, body = request(
        "POST",
        f"/api/reports/{agency}/2024/submit",
        {"version": version, "acknowledge_warnings": True},
        session=MAIN,
    )
    if status != 200:
        raise SystemExit(f"submitting the sample: {status} {body[:300]!r}")


submit_sample()


@schemathesis.auth(refresh_interval=None, retry_on=[])
class Session:
    def get(self, case, context):
        if context.operation.path == "/api/logout":
            return SPARE.pop() if SPARE else DEAD
        return MAIN

    def set(self, case, data, context):
        token, csrf = data
        case.cookies = {**(case.cookies or {}), "nianbao_session": token}
        case.headers = {**(case.headers or {}), "X-CSRF-Token": csrf}


def current_version(agency, year):
    status, headers, _ = request("GET", f"/api/reports/{agency}/{year}", session=MAIN)
    if status != 200:
        return None
    return int(headers.get("ETag", '"0"').strip('"'))


def as_int(value):
    """A path parameter as generated: an int, or its text in the coverage phase."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    params = case.path_parameters or {}
    n = as_int(params.get("agency"))
    if n is None:
        return
    if n % 4 != 0:
        params["agency"] = IDS[n % len(IDS)]
    year = as_int(params.get("year"))
    if year is not None and year % 4 != 0:
        params["year"] = 2024
    agency, year = as_int(params["agency"]), as_int(params.get("year"))
    path = context.operation.path
    method = context.operation.method.upper()
    if agency not in AGENCIES or year is None:
        return
    if path == "/api/reports/{agency}/{year}" and method == "PUT":
        if isinstance(case.body, dict) and isinstance(case.body.get("report"), dict):
            case.body["report"]["agency"] = AGENCIES[agency]
            case.body["report"]["year"] = year
        version = current_version(agency, year)
        if version is not None and version % 3 != 2:
            case.headers = {**(case.headers or {}), "If-Match": f'"{version}"'}
    elif path.endswith("/submit") or path.endswith("/return"):
        version = current_version(agency, year)
        if version is not None and isinstance(case.body, dict):
            case.body["version"] = version

