# test_base_events.test_call_later_negative_delays: overdue timers run in deadline order, after the
# callbacks that were already ready.
import asyncio

loop = asyncio.new_event_loop()
loop.call_soon(print, "ready callback")
a = loop.call_later(-1, print, "a (-1 s)")
loop.call_later(-2, print, "b (-2 s)")
loop.call_later(0, print, "c (0 s)")
loop.call_at(loop.time() - 3, print, "d (call_at now - 3 s)")
print(f"a.when() < loop.time(): {a.when() < loop.time()}")
loop.call_later(0.001, loop.stop)
loop.run_forever()
loop.close()
