# test_taskgroups.test_cancel_children_on_child_error / test_taskgroup_03: a failing child cancels the
# body and the other children; all are awaited; the error comes back in an ExceptionGroup.
import asyncio
from _conformance import Boom, name


async def failing():
    await asyncio.sleep(0.01)
    raise Boom()


async def sibling():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("sibling cancelled")
        raise


async def main():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(failing())
            group.create_task(sibling())
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print("body cancelled")
                raise
    except BaseException as error:
        print(f"raised {name(error)}")


asyncio.run(main())
