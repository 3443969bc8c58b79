# readline() on a line longer than the limit raises (ValueError in asyncio), removes that line through
# its "\n", and the next readline() returns the next line. Run with CPython 3.13; the Swift test
# expects exactly what this prints (the block at the end).
import asyncio


async def main():
    reader = asyncio.StreamReader(limit=4)
    reader.feed_data(b"abcdefgh\nxy\n")
    reader.feed_eof()
    for _ in range(3):
        try:
            print(await reader.readline())
        except ValueError:
            print("ValueError")


asyncio.run(main())

# CPython 3.13 prints:
# ValueError
# b'xy\n'
# b''
