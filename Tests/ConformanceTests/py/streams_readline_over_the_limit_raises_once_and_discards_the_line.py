# test_streams.test_readline_limit / test_readline_limit_with_existing_data: a line longer than the
# limit makes readline() raise once and drops that line (through its separator); the next readline()
# returns the next line. The limit counts the bytes before the separator: a line of exactly `limit`
# bytes plus its newline is accepted.
import asyncio


async def main():
    written = asyncio.Event()

    async def handler(reader, writer):
        writer.write(b"x" * 7 + b"\nnext\nabcde\nabcdef\nend\n")
        writer.close()
        await writer.wait_closed()
        written.set()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=5)
    await written.wait()
    for _ in range(5):
        try:
            print(f"readline: {(await reader.readline()).decode()!r}")
        except Exception:
            print("readline raised")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
