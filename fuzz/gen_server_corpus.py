#!/usr/bin/python3
"""Write the seed corpus of fuzz_server (fuzz/corpus/fuzz_server/seed-*).

One request per file in fuzz_server's input format (see fuzz_server.c):
"METHOD PATH", header lines, an empty line, the body. @A@ and @R@ stand for
the access and refresh tokens of a fresh login, @U@ and @P@ for the seeded
user's name and password: the fuzzer replaces them at run time, so that the
seeds reach the handlers behind a valid token although each run has new
keys. Run: /usr/bin/python3 fuzz/gen_server_corpus.py
"""
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "fuzz_server")

JSON = "Content-Type: application/json\n"
FORM = "Content-Type: application/x-www-form-urlencoded\n"


def req(method, path, headers="", body=""):
    return f"{method} {path}\n{headers}\n{body}"


SEEDS = {
    "login": req("POST", "/login", JSON, '{"username":"@U@","password":"@P@"}'),
    "login-body": req("POST", "/login", JSON, '{"username":"@U@","password":"@P@","refresh_in_body":true}'),
    "login-wrong": req("POST", "/login", JSON, '{"username":"@U@","password":"wrong-password"}'),
    "login-unknown": req("POST", "/login", JSON, '{"username":"nobody","password":"whatever-1234"}'),
    "login-types": req("POST", "/login", JSON, '{"username":1,"password":[true,null,{"a":1.5e300}]}'),
    "login-form": req("POST", "/login", FORM, "username=@U@&password=@P@"),
    "login-charset": req("POST", "/login", "Content-Type: application/json; charset=latin1\n", "{}"),
    "signup": req("POST", "/signup", JSON, '{"username":"bob.x_1@example","password":"another-pass-99"}'),
    "signup-short": req("POST", "/signup", JSON, '{"username":"b","password":"short"}'),
    "token-body": req("POST", "/token", FORM, "grant_type=refresh_token&refresh_token=@R@"),
    "token-json": req("POST", "/token", JSON, '{"grant_type":"refresh_token","refresh_token":"@R@"}'),
    "token-cookie": req("POST", "/token", "Cookie: jot_refresh=@R@\nX-Requested-With: x\n" + FORM,
                        "grant_type=refresh_token"),
    "token-cookie-nocsrf": req("POST", "/token", "Cookie: a=b; jot_refresh=@R@\n" + FORM, "grant_type=refresh_token"),
    "token-access": req("POST", "/token", FORM, "grant_type=refresh_token&refresh_token=@A@"),
    "token-grant": req("POST", "/token", FORM, "grant_type=password&username=@U@&password=@P@"),
    "token-dup": req("POST", "/token", FORM, "grant_type=refresh_token&grant_type=refresh_token&refresh_token=@R@"),
    "token-pct": req("POST", "/token", FORM, "grant_type=refresh%5ftoken&refresh_token=%41%zz+"),
    "logout-refresh": req("POST", "/logout", FORM, "refresh_token=@R@"),
    "logout-bearer": req("POST", "/logout", "Authorization: Bearer @A@\n"),
    "logout-cookie": req("POST", "/token/logout", "Cookie: jot_refresh=@R@\nX-Requested-With: 1\n"),
    "revoke": req("POST", "/revoke", FORM, "token=@R@&token_type_hint=refresh_token"),
    "revoke-access": req("POST", "/revoke", JSON, '{"token":"@A@","token_type_hint":"access_token"}'),
    "verify": req("GET", "/verify", "Authorization: Bearer @A@\n"),
    "verify-refresh": req("GET", "/verify", "Authorization: Bearer @R@\n"),
    "verify-bad": req("GET", "/verify", "Authorization: Bearer eyJhbGciOiJub25lIn0.e30.\n"),
    "verify-basic": req("GET", "/verify", "Authorization: Basic YTpi\n"),
    "verify-head": req("HEAD", "/verify", "authorization: bearer @A@\n"),
    "jwks": req("GET", "/.well-known/jwks.json"),
    "healthz": req("GET", "/healthz"),
    "metrics": req("GET", "/metrics"),
    "notfound": req("GET", "/nope?x=1"),
    "method": req("DELETE", "/login"),
    "big-cl": req("POST", "/login", JSON + "Content-Length: 99999999999999999999\n", "{}"),
    "api-tokens": req("POST", "/api-tokens", "Authorization: Bearer @A@\n" + JSON,
                      '{"name":"ci","expires_in":3600,"scopes":["read"]}'),
    "api-tokens-list": req("GET", "/api-tokens", "Authorization: Bearer @A@\n"),
    "api-tokens-del": req("DELETE", "/api-tokens/abc", "Authorization: Bearer @A@\n"),
    "sessions": req("GET", "/sessions", "Authorization: Bearer @A@\n"),
    "sessions-del": req("DELETE", "/sessions/1", "Authorization: Bearer @A@\n"),
    "introspect": req("POST", "/introspect", "Authorization: Basic cnM6c2VjcmV0\n" + FORM, "token=@A@"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, text in SEEDS.items():
        data = text.encode()
        h = hashlib.sha256(data).hexdigest()[:12]
        for old in os.listdir(OUT):
            if old.startswith(f"seed-{name}-"):
                os.unlink(os.path.join(OUT, old))
        with open(os.path.join(OUT, f"seed-{name}-{h}"), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {OUT}")


if __name__ == "__main__":
    main()
