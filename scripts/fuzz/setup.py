"""Seeds a fresh orgd for scripts/fuzz.sh and writes the Schemathesis config of the runs.

    python setup.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD OUT_DIR

Signs up an owner and a member, the owner creates an organization and adds the member with
the role `member`. Writes OUT_DIR/accounts.env (shell variables) and OUT_DIR/schemathesis.toml:
dictionaries that make path parameters name real organizations and users part of the time,
so that the fuzzer gets past `404` into the handlers.
"""

import json
import sys

import requests

ORG_SLUG = "fuzz-org"


def call(base, method, path, token=None, body=None, expect=200):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.request(method, f"{base}{path}", json=body, headers=headers, timeout=30)
    if r.status_code != expect:
        sys.exit(f"setup: {method} {path} answered {r.status_code}, expected {expect}: {r.text}")
    return r.json() if r.content else None


def main():
    base, admin_email, admin_password, out = sys.argv[1:5]
    base = base.rstrip("/")
    admin = call(base, "POST", "/api/auth/login", body={"email": admin_email, "password": admin_password})
    owner = call(
        base,
        "POST",
        "/api/auth/signup",
        body={"email": "owner@fuzz.test", "password": "owner-password-1", "name": "Fuzz Owner"},
        expect=201,
    )
    member = call(
        base,
        "POST",
        "/api/auth/signup",
        body={"email": "member@fuzz.test", "password": "member-password-1", "name": "Fuzz Member"},
        expect=201,
    )
    org = call(
        base,
        "POST",
        "/api/organizations",
        owner["token"],
        {"name": "Fuzz Org", "slug": ORG_SLUG},
        expect=201,
    )
    call(
        base,
        "POST",
        f"/api/organizations/{org['id']}/members",
        owner["token"],
        {"user_email": "member@fuzz.test", "role": "member"},
        expect=201,
    )
    # The member's own session, with the organization current: proves the setup works
    # before the fuzzer starts (hooks.py does the same for every session it opens).
    call(base, "POST", "/api/auth/session/organization", member["token"], {"organization_id": ORG_SLUG})
    mine = call(base, "GET", "/api/organizations/me", member["token"])
    if mine["role"] != "member":
        sys.exit(f"setup: the member's role is {mine['role']}")

    with open(f"{out}/accounts.env", "w", encoding="utf-8") as f:
        f.write(f"FUZZ_MEMBER_EMAIL=member@fuzz.test\nFUZZ_MEMBER_PASSWORD=member-password-1\n")
        f.write(f"FUZZ_ORG={ORG_SLUG}\nFUZZ_ORG_ID={org['id']}\n")

    # The member's own id is left out on purpose: removing the member from its organization
    # would end the member run's access half-way through.
    config = {
        "dictionaries": {
            "orgs": {"values": ["me", ORG_SLUG, org["id"]]},
            "users": {"values": [owner["user"]["id"], admin["user"]["id"]]},
        },
        "parameters": {
            "path.org": {"dictionary": "orgs", "probability": 0.5},
            "path.user_id": {"dictionary": "users", "probability": 0.3},
        },
    }
    with open(f"{out}/schemathesis.toml", "w", encoding="utf-8") as f:
        for name, d in config["dictionaries"].items():
            f.write(f"[dictionaries.{name}]\nvalues = {json.dumps(d['values'])}\n\n")
        f.write("[parameters]\n")
        for key, b in config["parameters"].items():
            f.write(f'"{key}" = {{ dictionary = "{b["dictionary"]}", probability = {b["probability"]} }}\n')


if __name__ == "__main__":
    main()
