# test_streams.test_readuntil_limit_found_sep: readuntil() with the separator beyond the limit raises
# LimitOverrunError whose `consumed` counts the bytes before the separator; the data stays buffered.
import asyncio


async def main():
    written = asyncio.Event()

    async def handler(reader, writer):
        writer.write(b"abcdefgh\nrest")
        writer.close()
        await writer.wait_closed()
        written.set()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=5)
    await written.wait()
    try:
        await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as error:
        print(f"LimitOverrunError consumed={error.consumed}")
    print(f"still buffered: {(await reader.readexactly(9)).decode()!r}")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
