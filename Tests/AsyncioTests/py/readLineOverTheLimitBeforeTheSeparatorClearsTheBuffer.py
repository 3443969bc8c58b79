# readline() when more than `limit` bytes arrived and no "\n" yet: it raises (ValueError in asyncio)
# and clears the buffer, so the rest of that long line comes back as the next line. Run with CPython
# 3.13; the Swift test expects exactly what this prints (the block at the end).
import asyncio


async def main():
    reader = asyncio.StreamReader(limit=4)
    reader.feed_data(b"abcdefgh")
    try:
        print(await reader.readline())
    except ValueError:
        print("ValueError")
    reader.feed_data(b"ij\nkl\n")
    reader.feed_eof()
    print(await reader.readline())
    print(await reader.readline())
    print(await reader.readline())


asyncio.run(main())

# CPython 3.13 prints:
# ValueError
# b'ij\n'
# b'kl\n'
# b''
