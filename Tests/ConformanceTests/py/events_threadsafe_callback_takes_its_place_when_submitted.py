# call_soon_threadsafe from the loop thread appends to the ready queue at once, like call_soon.
import asyncio

loop = asyncio.new_event_loop()
loop.call_soon_threadsafe(print, "threadsafe 1")
loop.call_soon(print, "local 1")
loop.call_soon_threadsafe(print, "threadsafe 2")
loop.call_soon(print, "local 2")
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
