# The limit applies to the bytes before the separator: `limit` bytes plus the separator are accepted,
# whether they arrive together or the separator comes later; one byte more is an overrun. Run with
# CPython 3.13; the Swift test expects exactly what this prints (the block at the end).
import asyncio


async def main():
    reader = asyncio.StreamReader(limit=4)
    reader.feed_data(b"abcd\nefgh\r\n")
    print(await reader.readline())
    print(await reader.readuntil(b"\r\n"))
    reader.feed_data(b"ijkl")
    reading = asyncio.ensure_future(reader.readline())
    await asyncio.sleep(0)              # readline() waits: 4 bytes without "\n" are within the limit
    reader.feed_data(b"\nmnopq\n")
    reader.feed_eof()
    print(await reading)
    try:
        print(await reader.readline())
    except ValueError:
        print("ValueError")
    print(await reader.readline())


asyncio.run(main())

# CPython 3.13 prints:
# b'abcd\n'
# b'efgh\r\n'
# b'ijkl\n'
# ValueError
# b''
