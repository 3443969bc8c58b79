# test_base_events.test__add_callback_cancelled_handle / test__run_once_cancelled_event_cleanup:
# a cancelled handle never runs; cancelling twice or after it ran is harmless.
import asyncio

loop = asyncio.new_event_loop()
first = loop.call_soon(print, "first")
second = loop.call_soon(print, "second")
timer = loop.call_later(0.001, print, "timer")
threadsafe = loop.call_soon_threadsafe(print, "threadsafe")
loop.call_soon(print, "third")
second.cancel()
second.cancel()
timer.cancel()
threadsafe.cancel()
loop.call_later(0.005, loop.stop)
loop.run_forever()
first.cancel()
print(f"timer cancelled: {timer.cancelled()}")
loop.close()
