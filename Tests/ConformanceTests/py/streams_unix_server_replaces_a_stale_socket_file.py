# test_unix_events.test_create_unix_server_existing_path_sock / test_unix_server_sock_cleanup (3.13):
# start_unix_server over a socket file left by a dead server removes it and binds; closing the
# server removes its own file; a regular file at the path is never removed (the bind fails).
import asyncio
import os
import socket
import tempfile


async def main():
    path = os.path.join(tempfile.mkdtemp(), "stale.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    print(f"stale socket file exists: {os.path.exists(path)}")

    async def handler(reader, writer):
        writer.write(b"hello")
        writer.close()

    server = await asyncio.start_unix_server(handler, path)
    reader, writer = await asyncio.open_unix_connection(path)
    print(f"server started over it, says {(await reader.read()).decode()!r}")
    writer.close()
    server.close()
    await server.wait_closed()
    print(f"socket file removed on close: {not os.path.exists(path)}")
    with open(path, "w") as regular:
        regular.write("data")
    try:
        await asyncio.start_unix_server(handler, path)
    except OSError as error:
        print(f"regular file in the way: {'EADDRINUSE' if error.errno == 98 else error.errno}")
    print(f"regular file kept: {os.path.exists(path)}")
    os.remove(path)


asyncio.run(main())
