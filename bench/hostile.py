#!/usr/bin/env python3
"""A server under test that attacks the harness (bench/attack.py's harness
sections): python3 bench/hostile.py PORT MODE. Loopback only.

Modes: big (a 2 GB body, BIGMB), endless (a chunked body that never ends),
forms (LiquidFiles: a /session/api page of FORMS login forms), hang (accepts
and never answers), inject (every answer quotes ESC, NUL and workflow
commands). LATE=N answers the first N requests as a well-behaved Limecraft
login would, so a run gets past preflight first.
"""
import asyncio
import os
import sys

PORT, MODE = int(sys.argv[1]), sys.argv[2]
LATE = int(os.environ.get("LATE", "0"))
SEEN = 0
LOGIN_OK = b'{"needsSecondToken":false,"status":200,"token":"tok-abcdefghijklmnop"}'
FORM = (b'<form id="login" method="post" action="api"><input type="hidden" name="login_id" value="x">'
        b'<input name="user" type="text"><input name="password" type="password">'
        b'<button type="submit" id="sign_in">Sign in</button></form>\n')
INJECT = (b'{"message":"x"}\n\x1b[2J\x1b[31mred\x00\r\n::error file=src/main.rs,line=1,title=forged::forged\n'
          b'::add-mask::passed\n  ::stop-commands::zzz\n')


def answer(status, body, ctype=b"application/json"):
    return (b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


async def read_request(r):
    head = await r.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    if length:
        await r.readexactly(length)
    return head.split(b"\r\n")[0].decode().split(" ")[1]


async def handle(r, w):
    global SEEN
    try:
        while True:
            path = await read_request(r)
            SEEN += 1
            if SEEN <= LATE:
                w.write(answer(b"200 OK", LOGIN_OK if "login" in path else b"{}"))
            elif MODE == "big":
                n = int(os.environ.get("BIGMB", "2048")) << 20
                w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(n).encode() + b"\r\n\r\n")
                chunk = b" " * (1 << 20)
                for _ in range(n >> 20):
                    w.write(chunk)
                    await w.drain()
            elif MODE == "endless":
                w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                chunk = b"%x\r\n" % (1 << 16) + b" " * (1 << 16) + b"\r\n"
                while True:
                    w.write(chunk)
                    await w.drain()
            elif MODE == "hang":
                await asyncio.sleep(3600)
                return
            elif MODE == "inject":
                w.write(answer(b"200 OK", LOGIN_OK if "login" in path else INJECT, b"text/plain"))
            elif MODE == "forms":
                if path.startswith("/login"):
                    w.write(answer(b"200 OK", b"<user><api_key>abcdefghijklmnopqrstuv</api_key></user>", b"application/xml"))
                elif path.startswith("/session/api"):
                    page = b"<!DOCTYPE html><html><body>\n" + FORM * int(os.environ.get("FORMS", "100000")) + b"</body></html>\n"
                    w.write(answer(b"200 OK", page, b"text/html; charset=utf-8"))
                else:
                    w.write(answer(b"404 Not Found", b"{}"))
            else:
                w.write(answer(b"500 Internal Server Error", b"{}"))
            await w.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        w.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT, limit=1 << 20)
    async with server:
        await server.serve_forever()

asyncio.run(main())
