# test_streams.test_read / test_readuntil_multi_chunks_1: read(n) returns at most n bytes, readuntil
# with a multi-byte separator returns through it, readexactly returns exactly n.
import asyncio


async def main():
    written = asyncio.Event()

    async def handler(reader, writer):
        writer.write(b"abcdefghij--end--tail")
        writer.close()
        await writer.wait_closed()
        written.set()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await written.wait()
    print(f"read(3): {(await reader.read(3)).decode()!r}")
    print(f"readexactly(2): {(await reader.readexactly(2)).decode()!r}")
    print(f"readuntil('--end--'): {(await reader.readuntil(b'--end--')).decode()!r}")
    print(f"read(): {(await reader.read()).decode()!r}; at_eof: {reader.at_eof()}")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
