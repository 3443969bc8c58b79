# test_streams.test_readexactly_eof / test_readline_eof / test_read_eof / test_at_eof: at the end of
# the stream readexactly raises IncompleteReadError with the partial bytes, readline returns what is
# left (then empty bytes), read() returns empty bytes, at_eof() turns true.
import asyncio


async def main():
    written = asyncio.Event()

    async def handler(reader, writer):
        writer.write(b"line\ntail")
        writer.close()
        await writer.wait_closed()
        written.set()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await written.wait()
    print(f"readline: {(await reader.readline()).decode()!r}")
    try:
        await reader.readexactly(10)
    except asyncio.IncompleteReadError as error:
        print(f"IncompleteReadError partial={error.partial.decode()!r} expected={error.expected}")
    print(f"readline at eof: {(await reader.readline()).decode()!r}; read(): {(await reader.read()).decode()!r}")
    print(f"at_eof: {reader.at_eof()}")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
