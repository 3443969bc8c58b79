"""The uvloop + httptools anchor of Benchmarks/http-compare.sh: a raw asyncio Protocol server that parses
with httptools (the classic setup of MagicStack's benchmarks), on one loop, with the routes of
`asyncio-bench http-server`:
  GET /       -> 200 "Hello, World!" (Content-Type: text/plain)
  POST /echo  -> 200 with the request body (Content-Type: application/octet-stream)
  anything else -> 404
Keep-alive and pipelining: the responses to every request completed by one data_received are joined
and written at once, in order. A malformed request gets a 400 and a close.

usage: python3 http_server_uvloop.py --port P [--impl uvloop|asyncio]
"""
import argparse
import asyncio
import socket

import httptools

HELLO = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
HELLO_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!"
ECHO_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n%s\r\n"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n%s\r\n"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
CLOSE = b"Connection: close\r\n"


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("transport", "parser", "url", "body", "out", "closing")

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.body = []
        self.out = []
        self.closing = False

    def connection_lost(self, exc):
        self.transport = None

    def data_received(self, data):
        if self.closing:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.out.append(BAD_REQUEST)
            self.closing = True
        if self.out:
            self.transport.write(b"".join(self.out) if len(self.out) > 1 else self.out[0])
            self.out.clear()
        if self.closing:
            self.transport.close()

    # httptools callbacks
    def on_message_begin(self):
        self.url = b""
        self.body = []

    def on_url(self, url):
        self.url += url

    def on_body(self, body):
        self.body.append(body)

    def on_message_complete(self):
        method = self.parser.get_method()
        keep_alive = self.parser.should_keep_alive()
        if method == b"GET" and self.url == b"/":
            self.out.append(HELLO if keep_alive else HELLO_CLOSE)
        elif method == b"POST" and self.url == b"/echo":
            body = b"".join(self.body)
            self.out.append(ECHO_HEAD % (len(body), b"" if keep_alive else CLOSE))
            self.out.append(body)
        else:
            self.out.append(NOT_FOUND % (b"" if keep_alive else CLOSE))
        self.body = []
        if not keep_alive:
            self.closing = True
            self.parser = httptools.HttpRequestParser(self)  # ignore anything after a closing request


async def serve(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpProtocol, "127.0.0.1", port, backlog=1024, reuse_address=True)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--impl", choices=["uvloop", "asyncio"], default="uvloop")
    args = ap.parse_args()
    if args.impl == "uvloop":
        import uvloop
        uvloop.run(serve(args.port))
    else:
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
