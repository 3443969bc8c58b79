# test_base_events (_run_once): a callback scheduled by a running callback waits for the next
# iteration, after those already ready; stop() ends the loop after the current iteration.
import asyncio

loop = asyncio.new_event_loop()


def a():
    print("a")
    loop.call_soon(print, "c (scheduled by a)")


def b():
    print("b")
    loop.stop()


loop.call_soon(a)
loop.call_soon(b)
loop.run_forever()
print("run_forever returned")
loop.call_soon(loop.stop)
loop.run_forever()
loop.close()
