# readuntil() over the limit raises LimitOverrunError and leaves the data in the buffer; `consumed`
# does not count the separator when it was found, and is len(buffer) + 1 - len(separator) when it was
# not. Run with CPython 3.13; the Swift test expects exactly what this prints (the block at the end).
import asyncio


async def main():
    reader = asyncio.StreamReader(limit=4)
    reader.feed_data(b"abcdefgh\r\nxyzwvut")
    try:
        print(await reader.readuntil(b"\r\n"))
    except asyncio.LimitOverrunError as error:
        print("LimitOverrunError", error.consumed)
    print(await reader.readexactly(10))
    try:
        print(await reader.readuntil(b"\r\n"))
    except asyncio.LimitOverrunError as error:
        print("LimitOverrunError", error.consumed)
    print(await reader.readexactly(7))


asyncio.run(main())

# CPython 3.13 prints:
# LimitOverrunError 8
# b'abcdefgh\r\n'
# LimitOverrunError 6
# b'xyzwvut'
