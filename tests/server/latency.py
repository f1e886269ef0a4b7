"""A measurement, not a test (CTest runs only the *.sh files): the median
and 90th percentile latency of login, refresh and /verify against a real
jotd with its default settings (argon2id m=19 MiB, t=2, p=1; ES256), one
client, one keep-alive connection, requests in sequence.

    JOTD=build/server/jotd /usr/bin/python3 tests/server/latency.py [N]
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse

from jotdtest import Server

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
PW = "correct horse battery"


def main():
    s = Server("--login-limit-user", "1000000", "--log-requests", "off", fast=False).start()
    try:
        s.signup("bench", PW)
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)

        def req(method, path, body=None, headers=None):
            t0 = time.perf_counter()
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return time.perf_counter() - t0, r.status, data

        login_body = json.dumps({"username": "bench", "password": PW, "refresh_in_body": True})
        logins, refreshes, verifies = [], [], []
        rt = at = None
        for _ in range(N):
            dt, st, data = req("POST", "/login", login_body, {"Content-Type": "application/json"})
            assert st == 200, (st, data)
            logins.append(dt)
            j = json.loads(data)
            at, rt = j["access_token"], j["refresh_token"]
        for _ in range(N):
            body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": rt})
            dt, st, data = req("POST", "/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
            assert st == 200, (st, data)
            refreshes.append(dt)
            j = json.loads(data)
            at, rt = j["access_token"], j["refresh_token"]
        for _ in range(N * 3):
            dt, st, _ = req("GET", "/verify", None, {"Authorization": "Bearer " + at})
            assert st == 200
            verifies.append(dt)
        c.close()
        for name, xs in [("login", logins), ("refresh", refreshes), ("verify", verifies)]:
            xs = sorted(xs)
            print("%-8s n=%-5d median %8.3f ms   p90 %8.3f ms" % (
                name, len(xs), statistics.median(xs) * 1e3, xs[int(len(xs) * 0.9)] * 1e3))
        s.stop()
    finally:
        s.cleanup()


main()
