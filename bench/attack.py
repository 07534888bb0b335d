#!/usr/bin/env python3
"""Issue #26's attacks against `authconform serve` and the harness, the longer
forms of the tests (bench/attack.sh runs them; one section per attack).

Loopback only: every server binds 127.0.0.1; 127.0.0.2 is a second source
address on the same loopback. Python 3 standard library, and `wrk` for floods.
Each section starts its own server (BIN) and stops it by its PID, prints one
line per figure, and never runs longer than its knobs say.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BIN = os.environ.get("BIN", "target/release/authconform")
WORK = tempfile.mkdtemp(prefix="attack-")
LIME = "/limecraft/api/authentication/login"
LAC = "/lac/rest/default/demo/v1/@authentication"
LF = "/liquidfiles/login"
SESSION = "/liquidfiles/session/api"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Serve:
    """`authconform serve` on a free loopback port, stopped by PID."""

    def __init__(self, *args, binary=None):
        self.port = free_port()
        self.log = os.path.join(WORK, f"serve-{self.port}.log")
        self.proc = subprocess.Popen(
            [binary or BIN, "serve", "--addr", f"127.0.0.1:{self.port}", *args],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "wb"),
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"serve exited {self.proc.returncode}: {open(self.log).read()}")
                time.sleep(0.05)
        raise SystemExit("serve did not start")

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
        return -1

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def request(port, method, path, body=None, headers=None, source="127.0.0.1", timeout=30):
    """One request on its own connection from `source`; (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    data = body if isinstance(body, (bytes, type(None))) else body.encode()
    conn.request(method, path, body=data, headers=headers or {})
    r = conn.getresponse()
    out = (r.status, dict(r.getheaders()), r.read())
    conn.close()
    return out


def login(port, vendor, name, password, source="127.0.0.1"):
    if vendor == "limecraft":
        body = json.dumps({"username": name, "password": password})
        return request(port, "POST", LIME, body, {"Content-Type": "application/json"}, source)
    if vendor == "lac":
        body = json.dumps({"username": name, "password": password})
        return request(port, "POST", LAC, body, {"Content-Type": "application/json"}, source)
    body = f"<user><email>{name}</email><password>{password}</password></user>"
    return request(port, "POST", LF, body, {"Content-Type": "text/xml"}, source)


PASSWORDS = {"alice": "alice-Pa55word", "bob": "bob-Pa55word"}


def throttle(args):
    """R7: a lockout from another address; aliases; concurrent guesses."""
    s = Serve("--hash-cost", "test", "--hash-queue", "512", binary=args.binary)
    try:
        for vendor in ("limecraft", "lac", "liquidfiles"):
            wrong = [login(s.port, vendor, "alice", "wrong", "127.0.0.2")[0] for _ in range(10)]
            attacker = login(s.port, vendor, "alice", PASSWORDS["alice"], "127.0.0.2")[0]
            owner = login(s.port, vendor, "alice", PASSWORDS["alice"], "127.0.0.1")
            print(f"R7 {vendor}: 10 wrong from 127.0.0.2 {sorted(set(wrong))}; then alice's right password from 127.0.0.2: {attacker}, from 127.0.0.1: {owner[0]}")
        for vendor, alias in (("limecraft", "bob@example.com"), ("liquidfiles", "bob@example.com")):
            statuses = []
            for i in range(12):
                name = "bob" if i % 2 else alias
                statuses.append(login(s.port, vendor, name, "wrong", "127.0.0.3")[0])
            print(f"R7 {vendor}: 12 wrong alternating bob / {alias}: {statuses.count(401)} checked (401), {statuses.count(429)} refused (429)")
        for vendor in ("limecraft", "lac", "liquidfiles"):
            checked = 0
            for wave in range(5):
                results = []
                threads = [threading.Thread(target=lambda: results.append(login(s.port, vendor, "bob", "wrong", "127.0.0.4")[0])) for _ in range(10)]
                [t.start() for t in threads]
                [t.join() for t in threads]
                checked += results.count(401)
            print(f"R7 {vendor}: 5 waves x 10 concurrent wrong passwords for bob from one address: {checked} checked (401), limit 10")
    finally:
        s.stop()


def bignames(args):
    """R6: failed logins with unique 60 KB names at the production cost: RSS."""
    lua = os.path.join(WORK, "bigname.lua")
    with open(lua, "w") as f:
        f.write(BIGNAME_LUA)
    for vendor, path in (("lfxml", LF), ("lime", LIME)):
        s = Serve(binary=args.binary)
        try:
            before = s.rss_mib()
            env = dict(os.environ, KIND=vendor)
            out = subprocess.run(
                ["wrk", "-t1", f"-c{args.conc}", f"-d{args.secs}s", "--timeout", "30s", "-s", lua, f"http://127.0.0.1:{s.port}{path}"],
                env=env, capture_output=True, text=True,
            ).stdout
            time.sleep(2)
            statuses = " ".join(l for l in out.splitlines() if l.startswith("statuses"))
            print(f"R6 {vendor}: {args.secs} s of failed logins with unique 60 KB names on {args.conc} connections ({statuses}): RSS {before} -> {s.rss_mib()} MiB")
        finally:
            s.stop()


def pending(args):
    """R8: a GET flood of /session/api while a real login waits to submit."""
    s = Serve("--hash-cost", "test", binary=args.binary)
    try:
        # The flood comes from 127.0.0.1 (wrk); the real user from 127.0.0.2.
        def real_login(wait):
            st, _, page = request(s.port, "GET", SESSION + "?agent_port=5555", source="127.0.0.2")
            found = re.search(rb'name="login_id" value="([^"]+)"', page)
            if not found:
                return f"page {st}"
            time.sleep(wait)
            form = urllib.parse.urlencode({"login_id": found.group(1).decode(), "user": "alice@example.com", "password": PASSWORDS["alice"]})
            st, _, body = request(s.port, "POST", SESSION, form, {"Content-Type": "application/x-www-form-urlencoded"}, "127.0.0.2")
            has_key = b'id="api_key"' in body
            return f"{st}{' key' if has_key else ''}"
        flood = subprocess.Popen(
            ["wrk", "-t2", "-c64", f"-d{args.secs}s", f"http://127.0.0.1:{s.port}{SESSION}?agent_port=5555"],
            stdout=subprocess.PIPE, text=True,
        )
        time.sleep(2)
        results = {}
        threads = [threading.Thread(target=lambda w=w: results.__setitem__(w, real_login(w))) for w in (0.5, 3, 5)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        out = flood.communicate()[0]
        rate = " ".join(l.strip() for l in out.splitlines() if "Requests/sec" in l or "Non-2xx" in l)
        print(f"R8 GET flood of {SESSION} ({rate}): a login that waits 0.5 / 3 / 5 s to submit answers {results[0.5]} / {results[3]} / {results[5]}; RSS {s.rss_mib()} MiB")
    finally:
        s.stop()


def lacpw(args):
    """R10: 20 concurrent password changes from one current password (the
    audit's t_lacpw.py): how many answer success, how many of those work."""
    s = Serve("--hash-cost", "test", "--test-mode", "--hash-queue", "2000", binary=args.binary)

    def sign_on(password):
        # A throttled attempt moves the clock past the windows and tries again.
        while True:
            st = login(s.port, "lac", "alice", password)[0]
            if st != 429:
                return st
            advance = json.dumps({"seconds": 3601})
            request(s.port, "POST", "/__authconform/clock/advance", advance, {"Content-Type": "application/json"})

    try:
        current = PASSWORDS["alice"]
        for round_ in range(args.rounds):
            news = [f"Newpass{round_}x{i}" for i in range(20)]
            results = [None] * 20
            # Connected first, then all sent at once.
            conns = [http.client.HTTPConnection("127.0.0.1", s.port, timeout=30) for _ in range(20)]
            for c in conns:
                c.connect()
            start = threading.Barrier(20)

            def change(i):
                body = json.dumps({"username": "alice", "password": current, "new_password": news[i]})
                try:
                    start.wait()
                    conns[i].request("POST", LAC + "?enablePasswordChange!", body=body.encode(), headers={"Content-Type": "application/json"})
                    r = conns[i].getresponse()
                    st, b = r.status, r.read()
                    results[i] = (st, json.loads(b).get("changePasswordResult") if st == 200 else None)
                except Exception as e:  # noqa: BLE001 (reported, not hidden)
                    results[i] = (f"error {e}", None)
                finally:
                    conns[i].close()

            threads = [threading.Thread(target=change, args=(i,)) for i in range(20)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            winners = [news[i] for i, (_, r) in enumerate(results) if r == "success"]
            works = [x for x in winners if sign_on(x) == 200]
            statuses = {}
            for st, r in results:
                key = f"{st} {r}" if r else str(st)
                statuses[key] = statuses.get(key, 0) + 1
            print(f"R10 round {round_ + 1}: {statuses}; 'success' answers {len(winners)}, of which in effect {len(works)}; the old password now {sign_on(current)}")
            if works:
                current = works[0]
    finally:
        s.stop()


def control(args):
    """R13: the control API against a rebound Host, another site, another account's key."""
    s = Serve("--hash-cost", "test", "--test-mode", binary=args.binary)
    try:
        advance = json.dumps({"seconds": 86400})
        for host in ("127.0.0.1", "evil.example"):
            st = request(s.port, "POST", "/__authconform/clock/advance", advance, {"Content-Type": "application/json", "Host": host})[0]
            print(f"R13 clock advance with Host {host}: {st}")
        st = request(s.port, "POST", "/__authconform/clock/advance", advance, {"Content-Type": "application/json", "Origin": "http://evil.example"})[0]
        print(f"R13 clock advance with Origin http://evil.example: {st}")
        body = json.dumps({"SecretKey": "fv-secret-alice-7Qm2vX9kL4pR8sT1", "NewSecretKey": "fv-secret-bob-9Kd4rT6wQ1mN8vB3"})
        st = request(s.port, "POST", "/__authconform/fileverbs/reset-secret-key", body, {"Content-Type": "application/json"})[0]
        body = json.dumps({"SecretKey": "fv-secret-bob-9Kd4rT6wQ1mN8vB3", "APIKey": "fv-api-alice-3Hn6bW0cJ5yZ2dF7"})
        signed = request(s.port, "POST", "/fileverbs/api/v1/accounts/access-token", body, {"Content-Type": "application/json"})[0]
        body = json.dumps({"SecretKey": "fv-secret-bob-9Kd4rT6wQ1mN8vB3", "NewSecretKey": "x"})
        weak = request(s.port, "POST", "/__authconform/fileverbs/reset-secret-key", body, {"Content-Type": "application/json"})[0]
        print(f"R13 reset alice's SecretKey to bob's: {st}; then bob's SecretKey + alice's APIKey: {signed}; reset to a 1-character key: {weak}")
    finally:
        s.stop()
    try:
        proc = subprocess.Popen([args.binary or BIN, "serve", "--addr", "0.0.0.0:0", "--hash-cost", "test", "--test-mode"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        err = proc.communicate(timeout=15)[1]
    warned = [l for l in err.splitlines() if "WARN" in l]
    print(f"R13 serve --addr 0.0.0.0:0 --test-mode: {len(warned)} warning(s){': ' + warned[0][:120] if warned else ''}")


class Hostile:
    """bench/hostile.py MODE on a free loopback port, stopped by PID."""

    def __init__(self, mode, **env):
        self.port = free_port()
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(here, "hostile.py"), str(self.port), mode],
            env=dict(os.environ, **{k: str(v) for k, v in env.items()}),
        )
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def harness(binary, args, target_yaml, env=None, limit=600):
    """Runs `authconform ARGS --target FILE` under /usr/bin/time: (exit, seconds, max RSS MiB, output)."""
    path = os.path.join(WORK, f"t{free_port()}.target.yaml")
    with open(path, "w") as f:
        f.write(target_yaml)
    started = time.time()
    # The baseline may hold gigabytes (R1): its address space is capped
    # (MEM_LIMIT_MB, default 3072) so it fails instead of the machine.
    cap = ["prlimit", f"--as={int(os.environ.get('MEM_LIMIT_MB', '3072')) << 20}"]
    r = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M", *cap, "timeout", str(limit), binary or BIN, *args, "--target", path,
         *(["--state", os.path.join(WORK, "state.json")] if args[0] == "run" else [])],
        capture_output=True, env=dict(os.environ, **(env or {})),
    )
    rss = re.search(rb"MAXRSS (\d+)", r.stderr)
    return r.returncode, time.time() - started, int(rss.group(1)) // 1024 if rss else -1, r.stdout + r.stderr


def limecraft_target(port, control=None):
    return (f"vendor: limecraft\nbase_url: http://127.0.0.1:{port}/api\ntimeout_seconds: 10\n"
            + (f"control_url: http://127.0.0.1:{control}\n" if control else "")
            + "users:\n  primary: {username: alice, password: alice-Pa55word}\n  secondary: {username: bob, password: bob-Pa55word}\n")


def bigbody(args):
    """R1: a 2 GB body and an endless chunked one, to `check` and (after preflight) to `run`."""
    for mode in ("big", "endless"):
        for command, late in (("check", 0), ("run", 4)):
            h = Hostile(mode, LATE=late, BIGMB=2048)
            try:
                code, secs, rss, out = harness(args.binary, [command, *(["--name", "LC1 "] if command == "run" else [])], limecraft_target(h.port), limit=120)
            finally:
                h.stop()
            said = [l for l in out.decode(errors="replace").splitlines() if "bytes" in l or "reached" in l]
            print(f"R1 {mode} body to `{command}`: exit {code} after {secs:.1f} s, max RSS {rss} MiB; {said[0].strip()[:150] if said else ''}")


def forms(args):
    """R2: a LiquidFiles /session/api page of FORMS login forms, one browser scenario."""
    for n in (10_000, 100_000):
        h = Hostile("forms", FORMS=n)
        try:
            target = (f"vendor: liquidfiles\nbase_url: http://127.0.0.1:{h.port}\ntimeout_seconds: 10\nusers:\n"
                      "  primary: {username: alice@example.com, password: alice-Pa55word}\n"
                      "  secondary: {username: bob@example.com, password: bob-Pa55word}\n")
            code, secs, rss, out = harness(args.binary, ["run", "--name", "LF1 "], target, limit=args.secs * 10)
        finally:
            h.stop()
        line = [l for l in out.decode(errors="replace").splitlines() if "LF1" in l]
        size = n * 191 / 1e6  # bench/hostile.py's FORM is 191 bytes
        print(f"R2 {n} forms ({size:.1f} MB page): `run --name 'LF1 '` exit {code} after {secs:.1f} s, max RSS {rss} MiB; {line[0].strip()[:120] if line else 'nothing printed'}")


def controlhang(args):
    """R3: a control_url that accepts and never answers; one that sends 2 GB."""
    s = Serve("--vendor", "limecraft", "--hash-cost", "test", binary=args.binary)
    try:
        for mode in ("hang", "big"):
            h = Hostile(mode, BIGMB=2048)
            try:
                code, secs, rss, out = harness(args.binary, ["check"], limecraft_target(s.port, h.port), limit=120)
            finally:
                h.stop()
            said = [l for l in out.decode(errors="replace").splitlines() if "control" in l]
            print(f"R3 control_url that {'never answers' if mode == 'hang' else 'sends 2 GB'}: `check` exit {code} after {secs:.1f} s, max RSS {rss} MiB; {said[0].strip()[:140] if said else ''}")
    finally:
        s.stop()


def inject(args):
    """R9: answers quoting ESC, NUL and workflow commands, a run under GITHUB_ACTIONS=true."""
    h = Hostile("inject", LATE=4)
    try:
        code, secs, rss, out = harness(args.binary, ["run"], limecraft_target(h.port), env={"GITHUB_ACTIONS": "true"}, limit=300)
    finally:
        h.stop()
    text = out.decode(errors="replace")
    forged = [l for l in text.splitlines() if l.lstrip().startswith("::") and not l.startswith(("::error file=features/", "::warning file=features/"))]
    own = [l for l in text.splitlines() if l.startswith("::error file=features/")]
    print(f"R9 run under GITHUB_ACTIONS=true: exit {code}; {out.count(bytes([27]))} raw ESC, {out.count(bytes([0]))} NUL on the console; {len(forged)} forged workflow command lines, {len(own)} of the harness's own ::error annotations")


BIGNAME_LUA = r"""
local kind = os.getenv("KIND") or "lime"
local pad = string.rep("a", 60000)
local counter = 0
statuses = {}
threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) math.randomseed(os.time()); statuses = {} end
function request()
  counter = counter + 1
  local n = pad .. math.random(1, 1e9) .. "x" .. counter
  if kind == "lfxml" then
    return wrk.format("POST", nil, {["Content-Type"] = "text/xml"}, "<user><email>" .. n .. "</email><password>wrong</password></user>")
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '{"username":"' .. n .. '","password":"wrong"}')
end
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done()
  local agg = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then for k, v in pairs(s) do agg[k] = (agg[k] or 0) + v end end
  end
  local out = "statuses:"
  for k, v in pairs(agg) do out = out .. " " .. k .. "=" .. v end
  io.write(out .. "\n")
end
"""

SECTIONS = {
    "throttle": throttle, "bignames": bignames, "pending": pending, "lacpw": lacpw, "control": control,
    "bigbody": bigbody, "forms": forms, "controlhang": controlhang, "inject": inject,
}

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("section", choices=sorted(SECTIONS))
    p.add_argument("--binary", default=None, help="the authconform binary (default $BIN)")
    p.add_argument("--secs", type=int, default=int(os.environ.get("SECS", "30")))
    p.add_argument("--conc", type=int, default=int(os.environ.get("CONC", "10")))
    p.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "5")))
    a = p.parse_args()
    SECTIONS[a.section](a)
