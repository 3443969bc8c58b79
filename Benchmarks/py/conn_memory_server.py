"""The server side of `asyncio-bench conn-memory --impl uvloop`: an echo server on uvloop whose
memory per connection the benchmark measures (RSS of this process, idle and after traffic).
usage: python3 conn_memory_server.py --api protocol|streams --port P [--impl uvloop|asyncio]
Binds 127.0.0.1 (backlog 4096), TCP_NODELAY on accepted sockets, echoes until killed."""
import argparse
import asyncio
import socket

p = argparse.ArgumentParser()
p.add_argument("--api", choices=["streams", "protocol"], required=True)
p.add_argument("--port", type=int, required=True)
p.add_argument("--impl", choices=["uvloop", "asyncio"], default="uvloop")
a = p.parse_args()

if a.impl == "uvloop":
    import uvloop
    loop = uvloop.new_event_loop()
else:
    loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)


def nodelay(transport):
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        nodelay(transport)
        self.t = transport

    def data_received(self, data):
        self.t.write(data)


async def handle(reader, writer):
    nodelay(writer.transport)
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main():
    if a.api == "streams":
        server = await asyncio.start_server(handle, "127.0.0.1", a.port, backlog=4096)
    else:
        server = await loop.create_server(Echo, "127.0.0.1", a.port, backlog=4096)
    async with server:
        await server.serve_forever()


loop.run_until_complete(main())
