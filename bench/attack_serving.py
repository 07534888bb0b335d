#!/usr/bin/env python3
"""Issue #26, the serving path and the token tables under attack, in their
longer forms (tests/it/limits_fairness.rs and limits_tokens.rs run each in
seconds). Standard library only; loopback only (127.0.0.1, 127.0.0.2).

    python3 bench/attack_serving.py SECTION --binary target/release/authconform [--secs N]

Sections:
  conns        R4: 512 kept-alive holders (one GET per 8 s each), then 2,000
               silent sockets that reconnect when closed, each with a
               legitimate GET once a second from 127.0.0.1 and from 127.0.0.2
  refresh      R5: one key pair rotating 8 refresh chains flat out; bob's
               refresh tokens stay bounded (RSS), alice's access-token p50
  twofa        R11: carol completes a 2FA login, then 300 password-only logins
  browserkeys  R12: 300 /session/api logins of one user: keys kept per user
  proto        R15: two Host headers, a 10 GB Content-Length with and without
               Expect: 100-continue, --max-connections over `ulimit -n`
Prints one line of figures per measurement.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import tempfile
import time
from urllib.parse import urlencode

HOST = "127.0.0.1"
LC = "/limecraft/api"
FV = "/fileverbs/api/v1"
LF = "/liquidfiles"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`authconform serve` on a free loopback port, stopped by its PID."""

    def __init__(self, binary, args=(), nofile=None):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="attack-serve-", suffix=".log", delete=False)
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.proc = subprocess.Popen(
            [binary, "serve", "--addr", f"{HOST}:{self.port}", *args],
            stdout=subprocess.DEVNULL, stderr=self.log, preexec_fn=limit)
        for _ in range(100):
            try:
                socket.create_connection((HOST, self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"the server did not start: {open(self.log.name).read()[-500:]}")

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        text = open(self.log.name, errors="replace").read()
        os.unlink(self.log.name)
        return text


def request(method, path, body=b"", headers=None):
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def read_response(r):
    head = await r.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    body = await r.readexactly(int(m.group(1))) if m else b""
    return status, head, body


async def http(port, method, path, body=b"", headers=None, source=HOST, timeout=60):
    """One request on a new connection: (status, headers, body)."""
    async def go():
        r, w = await asyncio.open_connection(HOST, port, local_addr=(source, 0))
        try:
            w.write(request(method, path, body, headers))
            await w.drain()
            return await read_response(r)
        finally:
            w.close()
    return await asyncio.wait_for(go(), timeout)


async def jpost(port, path, payload, headers=None):
    status, _, body = await http(port, "POST", path, json.dumps(payload).encode(),
                                 {"Content-Type": "application/json", **(headers or {})})
    return status, (json.loads(body) if body.startswith(b"{") else {})


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round((len(v) - 1) * p / 100)))] if v else float("nan")


# ---- R4 --------------------------------------------------------------------

USER = LC + "/authentication/user"


async def legit(port, stop_at, source, out):
    while time.monotonic() < stop_at:
        t0 = time.monotonic()
        try:
            status, _, _ = await http(port, "GET", USER, headers={"Authorization": "Bearer x"}, source=source)
            out.append((status, time.monotonic() - t0))
        except Exception as e:  # noqa: BLE001 - counted, not raised
            out.append((type(e).__name__, time.monotonic() - t0))
        await asyncio.sleep(1)


async def holder(port, stop_at, stats):
    while time.monotonic() < stop_at:
        try:
            r, w = await asyncio.open_connection(HOST, port)
            stats["connections"] += 1
            while time.monotonic() < stop_at:
                w.write(request("GET", USER, headers={"Authorization": "Bearer x"}))
                await w.drain()
                await asyncio.wait_for(read_response(r), 30)
                stats["requests"] += 1
                await asyncio.sleep(8)
            w.close()
        except Exception:  # noqa: BLE001 - the server shed it: reconnect
            stats["shed"] += 1


async def silent(port, stop_at, stats):
    while time.monotonic() < stop_at:
        try:
            r, w = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        stats["connections"] += 1
        try:
            await asyncio.wait_for(r.read(1), max(0.1, stop_at - time.monotonic()))
            stats["shed"] += 1
        except (asyncio.TimeoutError, OSError):
            pass
        w.close()


async def conns(binary, secs):
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    for kind, n in (("holders", 512), ("silent", 2000)):
        server = Server(binary, ["--hash-cost", "test"])
        stop_at = time.monotonic() + secs
        stats = {"connections": 0, "requests": 0, "shed": 0}
        attack = holder if kind == "holders" else silent
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(attack(server.port, stop_at, stats)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)
        await asyncio.sleep(2)
        one, two = [], []
        await asyncio.gather(legit(server.port, stop_at, HOST, one),
                             legit(server.port, stop_at, "127.0.0.2", two),
                             *tasks, return_exceptions=True)
        rss = server.rss_mib()
        server.stop()
        for name, out in (("127.0.0.1", one), ("127.0.0.2", two)):
            answered = [t for s, t in out if s == 401]
            outcomes = {}
            for s, _ in out:
                outcomes[s] = outcomes.get(s, 0) + 1
            print(f"R4 {kind} x{n}, {secs}s: legitimate GETs from {name}: {len(answered)}/{len(out)} answered {outcomes}, "
                  f"latency p50 {pct(answered, 50) * 1000:.1f} ms, max {max((t for _, t in out), default=0) * 1000:.0f} ms; "
                  f"attack: {stats}; server RSS {rss:.1f} MiB", flush=True)


# ---- R5 --------------------------------------------------------------------

ALICE_FV = {"SecretKey": "fv-secret-alice-7Qm2vX9kL4pR8sT1", "APIKey": "fv-api-alice-3Hn6bW0cJ5yZ2dF7"}
BOB_FV = {"SecretKey": "fv-secret-bob-9Kd4rT6wQ1mN8vB3", "APIKey": "fv-api-bob-5Xp2hL7sG0eC4jY9"}


async def refresh(binary, secs):
    server = Server(binary, ["--hash-cost", "test"])
    port = server.port

    async def access_token_p50(n=40):
        times = []
        for _ in range(n):
            t0 = time.monotonic()
            await jpost(port, FV + "/accounts/access-token", ALICE_FV)
            times.append(time.monotonic() - t0)
        return pct(times, 50) * 1000

    quiet = await access_token_p50()
    rss0 = server.rss_mib()
    count = 0
    stop_at = time.monotonic() + secs

    async def chain():
        nonlocal count
        _, b = await jpost(port, FV + "/accounts/access-token", BOB_FV)
        token = b["RefreshToken"]
        r, w = await asyncio.open_connection(HOST, port)
        while time.monotonic() < stop_at:
            w.write(request("POST", FV + "/accounts/refresh-token", json.dumps({"RefreshToken": token}).encode(),
                            {"Content-Type": "application/json"}))
            await w.drain()
            _, _, body = await read_response(r)
            token = json.loads(body)["RefreshToken"]
            count += 1
        w.close()

    chains = [asyncio.create_task(chain()) for _ in range(8)]
    await asyncio.sleep(min(5, secs / 2))
    during = await access_token_p50()
    await asyncio.gather(*chains)
    after = await access_token_p50()
    print(f"R5 FileVerbs: {count} refreshes in {secs}s on 8 chains of bob; RSS {rss0:.1f} -> {server.rss_mib():.1f} MiB; "
          f"alice's access-token p50 {quiet:.2f} ms quiet, {during:.2f} ms during, {after:.2f} ms after", flush=True)
    server.stop()


# ---- R11 -------------------------------------------------------------------

def totp(key, now, period, digits, algorithm):
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    mac = hmac.new(secret, struct.pack(">Q", now // period), getattr(hashlib, algorithm.lower())).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits)


async def twofa(binary, secs):
    server = Server(binary, ["--hash-cost", "test", "--test-mode", "--hash-queue", "2000"])
    port = server.port
    carol = {"username": "carol", "password": "carol-Pa55word"}
    _, b = await jpost(port, LC + "/authentication/login", carol)
    _, enrolment = await jpost(port, LC + "/user/1003/enable2fa", {}, {"Authorization": f"Bearer {b['token']}"})
    await jpost(port, "/__authconform/clock/advance", {"seconds": 31})
    _, temp = await jpost(port, LC + "/authentication/login", carol)
    _, _, clock = await http(port, "GET", "/__authconform/clock")
    code = totp(enrolment["key"], json.loads(clock)["now"], enrolment.get("period") or 30,
                enrolment["digits"], enrolment["hashingAlgorithm"])
    _, final = await jpost(port, LC + "/authentication/2fa/validate", {"token": code},
                           {"Authorization": f"Bearer {temp['token']}"})
    bearer = {"Authorization": f"Bearer {final['token']}"}
    before = (await http(port, "GET", USER, headers=bearer))[0]
    statuses = {}
    for _ in range(15):
        for status, body in await asyncio.gather(*[jpost(port, LC + "/authentication/login", carol) for _ in range(20)]):
            key = (status, body.get("needsSecondToken"))
            statuses[key] = statuses.get(key, 0) + 1
    after = (await http(port, "GET", USER, headers=bearer))[0]
    print(f"R11 Limecraft: carol's 2FA-completed session {before} before, {after} after 300 password-only logins {statuses}", flush=True)
    server.stop()


# ---- R12 -------------------------------------------------------------------

async def browserkeys(binary, secs):
    server = Server(binary, ["--hash-cost", "test", "--hash-queue", "2000"])
    port = server.port

    async def login():
        _, _, page = await http(port, "GET", LF + "/session/api")
        login_id = re.search(rb'name="login_id" value="([^"]+)"', page).group(1).decode()
        _, _, page = await http(port, "POST", LF + "/session/api",
                                urlencode({"login_id": login_id, "user": "alice@example.com",
                                           "password": "alice-Pa55word"}).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded"})
        m = re.search(rb'id="api_key"[^>]*>([^<]+)<', page)
        return m.group(1).decode() if m else None

    rss0 = server.rss_mib()
    keys = []
    for _ in range(30):
        keys += await asyncio.gather(*[login() for _ in range(10)])
    statuses = []
    for key in keys:
        auth = base64.b64encode(f"{key}:x".encode()).decode()
        status, _, _ = await http(port, "GET", LF + "/account", headers={"Authorization": f"Basic {auth}"})
        statuses.append(status)
    print(f"R12 LiquidFiles: {sum(k is not None for k in keys)} browser keys issued to alice; "
          f"{statuses.count(200)} still work; the oldest answers {statuses[0]}, the newest {statuses[-1]}; "
          f"RSS {rss0:.1f} -> {server.rss_mib():.1f} MiB", flush=True)
    server.stop()


# ---- R15 -------------------------------------------------------------------

def status_line(answer):
    return answer.split(b"\r\n", 1)[0].decode(errors="replace")


async def raw(port, data, wait=5.0):
    """Sends `data` and reads until the server closes or `wait` passes: (bytes, seconds)."""
    t0 = time.monotonic()
    r, w = await asyncio.open_connection(HOST, port)
    w.write(data)
    await w.drain()
    out = b""
    try:
        while True:
            chunk = await asyncio.wait_for(r.read(65536), max(0.01, wait - (time.monotonic() - t0)))
            if not chunk:
                break
            out += chunk
    except asyncio.TimeoutError:
        pass
    w.close()
    return out, time.monotonic() - t0


async def proto(binary, secs):
    server = Server(binary, ["--hash-cost", "test"])
    port = server.port
    out, _ = await raw(port, f"GET {USER} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".encode())
    print(f"R15 two Host headers: {status_line(out)}", flush=True)
    for expect in ("", "Expect: 100-continue\r\n"):
        out, took = await raw(port, (f"POST {LC}/authentication/login HTTP/1.1\r\nHost: x\r\n"
                                     f"Content-Type: application/json\r\nContent-Length: 10000000000\r\n{expect}\r\n").encode())
        print(f"R15 Content-Length 10 GB{' + Expect: 100-continue' if expect else ''}: "
              f"{status_line(out)!r} in {took * 1000:.1f} ms, 100 Continue sent: {b'100 Continue' in out}, "
              f"closed: {took < 5}", flush=True)
    server.stop()
    over = Server(binary, ["--hash-cost", "test", "--max-connections", "3000"], nofile=1024)
    await asyncio.sleep(0.5)
    log = over.stop()
    warning = next((line for line in log.splitlines() if "max-connections" in line), "no warning")
    print(f"R15 --max-connections 3000 with ulimit -n 1024: {warning.strip()}", flush=True)


def main():
    sections = {"conns": conns, "refresh": refresh, "twofa": twofa, "browserkeys": browserkeys, "proto": proto}
    parser = argparse.ArgumentParser()
    parser.add_argument("section", choices=sorted(sections))
    parser.add_argument("--binary", required=True)
    parser.add_argument("--secs", type=float, default=float(os.environ.get("SECS", 40)))
    args = parser.parse_args()
    asyncio.run(sections[args.section](args.binary, args.secs))


if __name__ == "__main__":
    main()
