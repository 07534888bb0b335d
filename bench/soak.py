#!/usr/bin/env python3
"""The traffic and the reconciliation of bench/soak.sh (issue #12 item 7).

Loopback only: refuses any URL whose host is not 127.0.0.1. Standard library
only. WORKERS threads, each on one kept-alive connection, run cycles of the
four vendors until DURATION passes; one more thread signs carol in with a TOTP
code (Limecraft and LiquidFiles Strong 2FA) once per 30 s step. Each worker
keeps at most one live token per vendor (a new kept one ends the previous), so
no per-user cap (256 Limecraft sessions, 256 LAC keys, 100 FileVerbs
families) can end a token the soak counts as live. Then every token is checked:
the ones ended (logout, disable, revoke, a used refresh token) must be refused,
the kept ones must work. Prints the figures; exits 1 when anything does not
reconcile. Never prints a token or a password.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter

LIMECRAFT = "/limecraft/api"
LAC = "/lac/rest/default/demo/v1"
FILEVERBS = "/fileverbs/api/v1"
LIQUIDFILES = "/liquidfiles"
FV_KEYS = {  # fixtures/reference.yaml: public test accounts
    "alice": ("fv-secret-alice-7Qm2vX9kL4pR8sT1", "fv-api-alice-3Hn6bW0cJ5yZ2dF7"),
    "bob": ("fv-secret-bob-9Kd4rT6wQ1mN8vB3", "fv-api-bob-5Xp2hL7sG0eC4jY9"),
}
PASSWORDS = {"alice": "alice-Pa55word", "bob": "bob-Pa55word", "carol": "carol-Pa55word"}
LF_CAROL_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class Unexpected(Exception):
    pass


class Client:
    """One kept-alive connection; counts every answer by status."""

    def __init__(self, host, port, stats):
        self.host, self.port, self.stats = host, port, stats
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection before this request
                # reached it (its idle timeout): send it again, once.
                self.conn.close()
                self.conn = None
                self.stats.add("reconnects")
                if attempt == 2:
                    self.stats.add("unanswered")
                    raise Unexpected(f"{method} {path.split('?')[0]}: no answer")
                continue
            self.stats.add("answered")
            self.stats.add(f"status {r.status}")
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return r.status, data, r
        raise AssertionError("unreachable")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.problems = []

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def problem(self, text):
        with self.lock:
            self.counts["problems"] += 1
            if len(self.problems) < 20:
                self.problems.append(text)


class Tokens:
    """What the soak expects of every token it was given."""

    def __init__(self):
        self.lock = threading.Lock()
        self.dead = []  # (kind, value)
        self.live = []

    def ended(self, kind, value):
        with self.lock:
            self.dead.append((kind, value))

    def kept(self, kind, value):
        with self.lock:
            self.live.append((kind, value))


def expect(stats, what, status, wanted):
    if status not in wanted:
        stats.problem(f"{what}: {status}, expected {sorted(wanted)}")
        return False
    return True


def totp(secret_b32, step, algorithm="SHA1", digits=6):
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    digest = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[algorithm.upper()]
    mac = hmac.new(key, step.to_bytes(8, "big"), digest).digest()
    offset = mac[-1] & 0x0F
    code = (int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


def busy(stats, status):
    """A login refused by a full hashing pool: wait as Retry-After says."""
    if status == 503:
        stats.add("logins refused busy (503)")
        time.sleep(1)
        return True
    return False


class Worker:
    def __init__(self, index, client, stats, tokens):
        self.i, self.c, self.stats, self.tokens = index, client, stats, tokens
        self.user = ("alice", "bob")[index % 2]
        self.kept = {}  # vendor -> the live token this worker keeps
        self.n = 0

    def keep_or_end(self, vendor, token, end):
        """Alternately ends the new token, or keeps it and ends the kept one."""
        if self.n % 2 == 0:
            end(token)
        else:
            previous = self.kept.get(vendor)
            if previous is not None:
                end(previous)
            self.kept[vendor] = token

    def nobody(self):
        self.n += 1
        return f"soak-nobody-{self.i}-{self.n}"

    def limecraft(self):
        c, st = self.c, self.stats
        s, _, _ = c.request("POST", f"{LIMECRAFT}/authentication/login",
                            {"username": self.nobody(), "password": "wrong"})
        if not busy(st, s):
            expect(st, "Limecraft wrong login", s, {401})
        s, body, _ = c.request("POST", f"{LIMECRAFT}/authentication/login",
                               {"username": self.user, "password": PASSWORDS[self.user]})
        if busy(st, s) or not expect(st, "Limecraft login", s, {200}):
            return
        st.add("Limecraft logins")
        token = json.loads(body)["token"]
        for _ in range(3):
            s, _, _ = c.request("GET", f"{LIMECRAFT}/authentication/user",
                                headers={"Authorization": f"Bearer {token}"})
            expect(st, "Limecraft token use", s, {200})

        def logout(t):
            s, _, _ = c.request("POST", f"{LIMECRAFT}/authentication/logout",
                                headers={"Authorization": f"Bearer {t}"})
            if expect(st, "Limecraft logout", s, {200}):
                st.add("Limecraft logouts")
                self.tokens.ended("limecraft", t)
        self.keep_or_end("limecraft", token, logout)

    def lac(self):
        c, st = self.c, self.stats
        s, _, _ = c.request("POST", f"{LAC}/@authentication",
                            {"username": self.nobody(), "password": "wrong"})
        if not busy(st, s):
            expect(st, "LAC wrong sign-on", s, {401})
        s, body, _ = c.request("POST", f"{LAC}/@authentication",
                               {"username": self.user, "password": PASSWORDS[self.user]})
        if busy(st, s) or not expect(st, "LAC sign-on", s, {200}):
            return
        st.add("LAC sign-ons")
        key = json.loads(body)["apikey"]
        for _ in range(2):
            s, _, _ = c.request("GET", f"{LAC}/probe",
                                headers={"Authorization": f"CALiveAPICreator {key}:1"})
            expect(st, "LAC token use", s, {200})
        s, _, _ = c.request("POST", f"{LAC}/@authentication", {"apikey": key})
        expect(st, "LAC revalidate", s, {200})

        def disable(k):
            s, _, _ = c.request("POST", f"{LAC}/@authentication", {"apikey": k, "disable": True})
            if expect(st, "LAC disable", s, {200}):
                st.add("LAC disables")
                self.tokens.ended("lac", k)
        self.keep_or_end("lac", key, disable)

    def fileverbs(self):
        c, st = self.c, self.stats
        secret, api = FV_KEYS[self.user]
        s, _, _ = c.request("POST", f"{FILEVERBS}/accounts/access-token",
                            {"SecretKey": secret, "APIKey": "wrong-" + self.nobody()})
        expect(st, "FileVerbs wrong key pair", s, {401})
        s, body, _ = c.request("POST", f"{FILEVERBS}/accounts/access-token",
                               {"SecretKey": secret, "APIKey": api})
        if not expect(st, "FileVerbs access-token", s, {200}):
            return
        st.add("FileVerbs access tokens")
        first = json.loads(body)
        s, _, _ = c.request("GET", f"{FILEVERBS}/endpoint",
                            headers={"Authorization": f"Bearer {first['JwtToken']}"})
        expect(st, "FileVerbs JWT use", s, {200})
        s, body, _ = c.request("POST", f"{FILEVERBS}/accounts/refresh-token",
                               {"RefreshToken": first["RefreshToken"]})
        if not expect(st, "FileVerbs refresh", s, {200}):
            return
        st.add("FileVerbs refreshes")
        second = json.loads(body)
        s, _, _ = c.request("GET", f"{FILEVERBS}/endpoint",
                            headers={"Authorization": f"Bearer {second['JwtToken']}"})
        expect(st, "FileVerbs JWT use", s, {200})
        family = (first["RefreshToken"], second["RefreshToken"], second["JwtToken"])

        def revoke(f):
            used, latest, _ = f
            s, _, _ = c.request("POST", f"{FILEVERBS}/accounts/revoke-token", {"RefreshToken": latest})
            if expect(st, "FileVerbs revoke", s, {200}):
                st.add("FileVerbs revokes")
                self.tokens.ended("fileverbs-refresh", used)
                self.tokens.ended("fileverbs-refresh", latest)
        self.keep_or_end("fileverbs", family, revoke)

    def liquidfiles(self):
        c, st = self.c, self.stats
        s, _, _ = c.request("POST", f"{LIQUIDFILES}/login",
                            {"user": {"email": self.nobody(), "password": "wrong"}})
        if not busy(st, s):
            expect(st, "LiquidFiles wrong JSON login", s, {401})
        xml = f"<user><email>{self.user}</email><password>{PASSWORDS[self.user]}</password></user>"
        s, body, _ = c.request("POST", f"{LIQUIDFILES}/login", xml, {"Content-Type": "application/xml"})
        if busy(st, s) or not expect(st, "LiquidFiles XML login", s, {200}):
            return
        st.add("LiquidFiles XML logins")
        stable = re.search(rb"<api_key>([^<]+)</api_key>", body).group(1).decode()
        self.use_lf_key(stable)
        key = browser_login(c, st, self.user, None)
        if key is not None:
            self.use_lf_key(key)
            self.tokens.kept("liquidfiles", key)

    def use_lf_key(self, key):
        s, _, _ = self.c.request("GET", f"{LIQUIDFILES}/account", headers=basic(key))
        expect(self.stats, "LiquidFiles key use", s, {200})

    def run(self, deadline):
        cycle = (self.limecraft, self.lac, self.fileverbs, self.liquidfiles)
        k = self.i
        while time.monotonic() < deadline:
            try:
                cycle[k % 4]()
            except Unexpected as e:
                self.stats.problem(str(e))
            k += 1
        for vendor, token in self.kept.items():
            kind = "fileverbs-family" if vendor == "fileverbs" else vendor
            self.tokens.kept(kind, token)


def basic(key):
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def browser_login(c, st, user, code_for):
    """The /session/api login; `code_for(step)` gives a TOTP code when asked."""
    s, page, _ = c.request("GET", f"{LIQUIDFILES}/session/api")
    if not expect(st, "LiquidFiles login page", s, {200}):
        return None
    login_id = re.search(rb'name="login_id" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode({"login_id": login_id, "user": user, "password": PASSWORDS[user]})
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    while True:
        s, page, _ = c.request("POST", f"{LIQUIDFILES}/session/api", form, ctype)
        if not busy(st, s):
            break
    if not expect(st, "LiquidFiles browser login", s, {200}):
        return None
    if code_for is not None:
        if b'id="two_factor"' not in page:
            st.problem("LiquidFiles: carol was not asked for a code")
            return None
        form = urllib.parse.urlencode({"login_id": login_id, "code": code_for()})
        s, page, _ = c.request("POST", f"{LIQUIDFILES}/session/api", form, ctype)
        if not expect(st, "LiquidFiles 2FA code", s, {200}):
            return None
        st.add("LiquidFiles 2FA logins")
    st.add("LiquidFiles browser logins")
    m = re.search(rb'id="api_key">([^<]+)<', page)
    if m is None:
        st.problem("LiquidFiles: no key on the success page")
        return None
    return m.group(1).decode()


def two_factor(c, st, tokens, deadline):
    """carol, once per 30 s TOTP step: Limecraft (enrolled here) and LiquidFiles."""
    s, body, _ = c.request("POST", f"{LIMECRAFT}/authentication/login",
                           {"username": "carol", "password": PASSWORDS["carol"]})
    while busy(st, s):
        s, body, _ = c.request("POST", f"{LIMECRAFT}/authentication/login",
                               {"username": "carol", "password": PASSWORDS["carol"]})
    if not expect(st, "Limecraft carol login", s, {200}):
        return
    token = json.loads(body)["token"]
    s, body, _ = c.request("POST", f"{LIMECRAFT}/user/1003/enable2fa", {},
                           {"Authorization": f"Bearer {token}"})
    if not expect(st, "Limecraft enable2fa", s, {200}):
        return
    enrolment = json.loads(body)
    period = enrolment.get("period") or 30
    last_step = None
    while time.monotonic() < deadline:
        step = int(time.time()) // period
        if step == last_step:
            time.sleep(1)
            continue
        last_step = step
        # Limecraft: the password, then the code with the temporary token.
        s, body, _ = c.request("POST", f"{LIMECRAFT}/authentication/login",
                               {"username": "carol", "password": PASSWORDS["carol"]})
        if not busy(st, s) and expect(st, "Limecraft carol login", s, {200}):
            answer = json.loads(body)
            if not answer.get("needsSecondToken"):
                st.problem("Limecraft: carol's login did not ask for the code")
            else:
                code = totp(enrolment["key"], step, enrolment["hashingAlgorithm"], enrolment["digits"])
                s, body, _ = c.request("POST", f"{LIMECRAFT}/authentication/2fa/validate",
                                       {"token": code}, {"Authorization": f"Bearer {answer['token']}"})
                if expect(st, "Limecraft 2FA validate", s, {200}):
                    st.add("Limecraft 2FA logins")
                    final = json.loads(body)["token"]
                    # The temporary token is spent; the final one is kept.
                    tokens.ended("limecraft", answer["token"])
                    tokens.kept("limecraft", final)
        key = browser_login(c, st, "carol", lambda: totp(LF_CAROL_TOTP, int(time.time()) // 30))
        if key is not None:
            tokens.kept("liquidfiles", key)


def check(c, st, kind, token, alive):
    """Whether `token` answers as expected (works when `alive`, refused if not)."""
    if kind == "limecraft":
        s, _, _ = c.request("GET", f"{LIMECRAFT}/authentication/user", headers={"Authorization": f"Bearer {token}"})
        return s == (200 if alive else 401)
    if kind == "lac":
        s, _, _ = c.request("GET", f"{LAC}/probe", headers={"Authorization": f"CALiveAPICreator {token}:1"})
        return s == (200 if alive else 401)
    if kind == "liquidfiles":
        s, _, _ = c.request("GET", f"{LIQUIDFILES}/account", headers=basic(token))
        return s == (200 if alive else 401)
    if kind == "fileverbs-refresh":
        s, _, _ = c.request("POST", f"{FILEVERBS}/accounts/refresh-token", {"RefreshToken": token})
        return s == (200 if alive else 401)
    if kind == "fileverbs-family":
        # A kept family: its JWT and its latest refresh token work (the refresh
        # rotates it); then its used first token is reuse, which must be
        # refused and end the family, so the newest token is refused too.
        used, latest, jwt = token
        s, _, _ = c.request("GET", f"{FILEVERBS}/endpoint", headers={"Authorization": f"Bearer {jwt}"})
        ok = s == 200
        s, body, _ = c.request("POST", f"{FILEVERBS}/accounts/refresh-token", {"RefreshToken": latest})
        ok = ok and s == 200
        newest = json.loads(body)["RefreshToken"] if s == 200 else latest
        s, _, _ = c.request("POST", f"{FILEVERBS}/accounts/refresh-token", {"RefreshToken": used})
        ok = ok and s == 401
        s, _, _ = c.request("POST", f"{FILEVERBS}/accounts/refresh-token", {"RefreshToken": newest})
        return ok and s == 401
    raise AssertionError(kind)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--duration", type=float, default=180)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--settle", type=float, default=10)
    p.add_argument("--rss-slack-mib", type=int, default=64)
    p.add_argument("--answered-file", required=True)
    a = p.parse_args()
    url = urllib.parse.urlsplit(a.url)
    if url.hostname != "127.0.0.1":
        sys.exit("soak.py: loopback only (http://127.0.0.1:PORT)")
    host, port = url.hostname, url.port

    stats, tokens = Stats(), Tokens()
    before = rss_mib(a.pid)
    peak = [before]
    deadline = time.monotonic() + a.duration
    threads = []
    for i in range(a.workers):
        w = Worker(i, Client(host, port, stats), stats, tokens)
        threads.append(threading.Thread(target=w.run, args=(deadline,)))
    threads.append(threading.Thread(target=two_factor, args=(Client(host, port, stats), stats, tokens, deadline)))
    started = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak[0] = max(peak[0], rss_mib(a.pid))
        time.sleep(1)
    load_secs = time.monotonic() - started
    load_answers = stats.counts["answered"]

    # Reconcile: every ended token refused, every kept one working.
    c = Client(host, port, stats)
    results = Counter()
    for alive, group in ((True, tokens.live), (False, tokens.dead)):
        for kind, token in group:
            ok = check(c, stats, kind, token, alive)
            results[(kind, alive, ok)] += 1
    time.sleep(a.settle)
    after = rss_mib(a.pid)

    counts = stats.counts
    print(f"load: {load_secs:.0f} s, {load_answers} answers ({load_answers / load_secs:.0f}/s), "
          f"{a.workers} workers + one 2FA thread")
    for key in sorted(k for k in counts if not k.startswith("status ") and k not in ("answered", "problems")):
        print(f"  {key}: {counts[key]}")
    print("  statuses: " + ", ".join(f"{k[7:]}×{v}" for k, v in sorted(counts.items()) if k.startswith("status ")))
    print("tokens (kind, expected, matched):")
    bad = 0
    for (kind, alive, ok), n in sorted(results.items()):
        print(f"  {kind:18} {'live' if alive else 'dead'}  {'as expected' if ok else 'WRONG'}: {n}")
        if not ok:
            bad += n
    print(f"RSS MiB: before {before}  peak {peak[0]}  after {a.settle:.0f}s {after}")
    with open(a.answered_file, "w") as f:
        f.write(str(counts["answered"]))
    ok = True
    if counts["problems"]:
        ok = False
        print(f"FAIL: {counts['problems']} unexpected answers, e.g.:")
        for text in stats.problems:
            print("  " + text)
    if bad:
        ok = False
        print(f"FAIL: {bad} tokens did not answer as expected")
    if not tokens.live or not tokens.dead:
        ok = False
        print("FAIL: the load left no live or no ended token to check")
    if after > before + a.rss_slack_mib:
        ok = False
        print(f"FAIL: memory did not come back (slack {a.rss_slack_mib} MiB)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
