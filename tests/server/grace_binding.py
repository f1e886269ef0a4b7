"""The refresh grace window (security review, item 3).

Seen before: a victim refreshes R1 -> R2; a second client (another address
and User-Agent) posts R1 within the window and gets R2, as often as it
likes. Now the window answers only the client that spent R1 (its address
and User-Agent as recorded at the spend), at most three times, and to a
browser (the cookie) with a new access token only; R1 from any other client
is reuse and revokes the family."""

from jotdtest import BACKEND, Server, run

PW = "correct horse battery"
GRACE = 3


def post(s, path, form=None, headers=None, source="127.0.0.1", ua="victim-browser/1.0"):
    """POST from a given loopback address with a given User-Agent."""
    h = {"User-Agent": ua}
    h.update(headers or {})
    return s.request("POST", path, form=form, headers=h, source=source)


def login(s, in_body=True, ua="victim-browser/1.0"):
    body = {"username": "alice", "password": PW, "refresh_in_body": in_body}
    return s.request("POST", "/login", json_body=body, headers={"User-Agent": ua})


def refresh(s, tok, **kw):
    return post(s, "/token", form={"grant_type": "refresh_token", "refresh_token": tok}, **kw)


def family_dead(s, rt2, at):
    return (refresh(s, rt2).status, s.verify(at).status) == (401, 401)


def thief(t, s, what, **who):
    j = login(s).json()
    r = refresh(s, j["refresh_token"])
    t.eq(r.status, 200, "%s: the victim refreshes R1 -> R2" % what)
    rt2, at2 = r.json()["refresh_token"], r.json()["access_token"]
    r = refresh(s, j["refresh_token"], **who)
    t.check(r.status == 401 and r.error() == "invalid_grant" and "refresh_token" not in r.json(),
            "%s: R1 within the window is refused, R2 not handed out" % what, repr(r))
    t.check(family_dead(s, rt2, at2), "%s: ... and the family is revoked (reuse)" % what)


def main(t):
    print("# backend: %s" % BACKEND)
    s = Server("--refresh-grace", "5s").start()
    try:
        t.eq(s.signup("alice", PW).status, 201, "signup")
        thief(t, s, "another address and User-Agent", source="127.0.0.2", ua="thief/2.0")
        thief(t, s, "another address, the same User-Agent", source="127.0.0.3")
        thief(t, s, "the same address, another User-Agent", ua="curl/8.0")

        # The victim itself, racing with itself: the successor again, at
        # most GRACE times, then a refusal that leaves the family alive.
        j = login(s).json()
        r = refresh(s, j["refresh_token"])
        rt2 = r.json()["refresh_token"]
        for i in range(GRACE):
            r = refresh(s, j["refresh_token"])
            t.check(r.status == 200 and r.json().get("refresh_token") == rt2,
                    "same client: grace answer %d is the same successor" % (i + 1), repr(r))
        r = refresh(s, j["refresh_token"])
        t.eq((r.status, r.error()), (401, "invalid_grant"), "same client: answer %d is refused" % (GRACE + 1))
        r = refresh(s, rt2)
        t.eq(r.status, 200, "same client: ... and the family lives on (R2 refreshes)")

        # A browser: grace gives an access token only, no cookie.
        lr = login(s, in_body=False)
        c1 = lr.cookie("jot_refresh")
        xrw = {"X-Requested-With": "t"}
        r = post(s, "/token", headers=dict(xrw, Cookie="jot_refresh=" + c1))
        c2 = r.cookie("jot_refresh")
        t.check(r.status == 200 and c2 and c2 != c1, "cookie: a refresh sets the successor's cookie", repr(r))
        r = post(s, "/token", headers=dict(xrw, Cookie="jot_refresh=" + c1))
        t.check(r.status == 200 and r.json().get("access_token") and r.set_cookie("jot_refresh") is None
                and "refresh_token" not in r.json(),
                "cookie: the grace answer is an access token, no cookie, no refresh token", repr((r, r.headers)))
        t.eq(s.verify(r.json()["access_token"]).status, 200, "cookie: ... which verifies")
        r = post(s, "/token", headers=dict(xrw, Cookie="jot_refresh=" + c1), source="127.0.0.4")
        t.eq((r.status, r.error()), (401, "invalid_grant"), "cookie: the old cookie from elsewhere is reuse")
        r = post(s, "/token", headers=dict(xrw, Cookie="jot_refresh=" + c2))
        t.eq(r.status, 401, "cookie: ... and revoked the family")

        # A token spent through the cookie gets no grace through the body,
        # even from the same address and User-Agent: the body answer would
        # carry the successor's text, which the cookie keeps from scripts.
        lr = login(s, in_body=False)
        c1 = lr.cookie("jot_refresh")
        r = post(s, "/token", headers=dict(xrw, Cookie="jot_refresh=" + c1))
        c2 = r.cookie("jot_refresh")
        r = refresh(s, c1)
        t.check(r.status == 401 and "refresh_token" not in (r.json() or {}),
                "cookie spend, then the body: refused, no successor", repr(r))
        r = post(s, "/token", headers=dict(xrw, Cookie="jot_refresh=" + c2))
        t.eq(r.status, 401, "... and it is reuse: the family is revoked")
        t.eq(s.stop(), 0, "exit 0")
    finally:
        s.cleanup()


if __name__ == "__main__":
    run("grace_binding", main)
