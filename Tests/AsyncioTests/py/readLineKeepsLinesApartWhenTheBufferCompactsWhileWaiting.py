# What asyncio's StreamReader does with the repro of the merged-lines bug: a reader calls readline()
# three times; "abc\nde" arrives, the first line is consumed, then "f\ngh\n" arrives and the stream ends.
# Run with CPython 3.13; the Swift test expects exactly what this prints (the block at the end).
import asyncio


async def main():
    reader = asyncio.StreamReader()
    reader.feed_data(b"abc\nde")
    print(await reader.readline())
    reading = asyncio.ensure_future(reader.readline())
    await asyncio.sleep(0)              # the second readline() now waits for "\n"
    reader.feed_data(b"f\ngh\n")
    reader.feed_eof()
    print(await reading)
    print(await reader.readline())
    print(await reader.readline())


asyncio.run(main())

# CPython 3.13 prints:
# b'abc\n'
# b'def\n'
# b'gh\n'
# b''
