# test_base_events.test_run_until_complete_loop / test_run_until_complete_baseexception: the result is
# returned, an error raised; the loop can run again afterwards; stopped before the work finished it
# raises RuntimeError.
import asyncio
from _conformance import Boom, name

loop = asyncio.new_event_loop()


async def value():
    await asyncio.sleep(0)
    return 42


async def failing():
    await asyncio.sleep(0)
    raise Boom()


async def stopping():
    asyncio.get_running_loop().stop()
    await asyncio.sleep(1)


print(f"result: {loop.run_until_complete(value())}")
try:
    loop.run_until_complete(failing())
except Boom as error:
    print(f"raised {name(error)}")
print(f"runs again: {loop.run_until_complete(value())}")
task = loop.create_task(stopping())
try:
    loop.run_until_complete(task)
except RuntimeError:
    print(f"stopped first: RuntimeError; task done: {task.done()}")
task.cancel()
loop.run_until_complete(asyncio.sleep(0))
loop.close()
