# test_taskgroups.test_taskgroup_07 / _09: every child error is kept, in the order they failed, a child
# failing while being cancelled included.
import asyncio
from _conformance import Boom, name


async def fail_after(delay, label):
    await asyncio.sleep(delay)
    raise Boom(label)


async def fail_when_cancelled(label):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise Boom(label)


async def main():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(fail_when_cancelled("error while cancelled"))
            group.create_task(fail_after(0.5, "second"))
            group.create_task(fail_after(0.01, "first"))
    except BaseException as error:
        print(name(error))


asyncio.run(main())
