# test_base_events: call_soon callbacks run in the order they were scheduled.
import asyncio

loop = asyncio.new_event_loop()
for i in range(5):
    loop.call_soon(print, f"cb{i}")
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
