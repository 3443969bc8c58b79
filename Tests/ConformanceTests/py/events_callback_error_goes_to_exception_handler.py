# test_base_events.test_default_exc_handler_callback / test_set_exc_handler_custom: an error in a
# callback goes to the exception handler, and the loop goes on with the next callback.
import asyncio
from _conformance import Boom, name

loop = asyncio.new_event_loop()
loop.set_exception_handler(lambda loop, context: print(f"handler: {' '.join(context['message'].split(' ')[:3])}: {name(context['exception'])}"))


def fail():
    raise Boom("Boom7")


def fail_timer():
    raise Boom("Boom8")


loop.call_soon(fail)
loop.call_soon(print, "next callback still runs")
loop.call_later(0, fail_timer)
loop.call_later(0.001, loop.stop)
loop.run_forever()
loop.close()
