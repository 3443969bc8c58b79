# test_base_events.test_call_later / test_time_and_call_at: timers fire in deadline order, never early.
import asyncio

loop = asyncio.new_event_loop()
start = loop.time()


def fire(label):
    print(f"{label} on time: {loop.time() >= start + float(label[1:]) / 1000}")


loop.call_later(0.030, fire, "t30")
loop.call_later(0.010, fire, "t10")
loop.call_at(start + 0.020, fire, "t20")
loop.call_later(0.040, loop.stop)
loop.run_forever()
loop.close()
