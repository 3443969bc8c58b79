# test_base_events.test_run_forever_pre_stopped: stop() before run_forever() runs one iteration.
import asyncio

loop = asyncio.new_event_loop()


def a():
    print("a")
    loop.call_soon(print, "b (next iteration)")


loop.call_soon(a)
loop.stop()
loop.run_forever()
print("returned after one iteration")
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
