# test_taskgroups.test_taskgroup_no_create_task_after_failure / test_taskgroup_finished: create_task
# raises RuntimeError once the group is shutting down after a failure, and once it has finished.
import asyncio
from _conformance import Boom, name


async def failing():
    raise Boom()


async def main():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(failing())
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                try:
                    group.create_task(asyncio.sleep(0))
                except RuntimeError as error:
                    print(f"while shutting down: RuntimeError ({str(error).split()[-1]})")
                raise
    except BaseException as error:
        print(f"raised {name(error)}")
    try:
        group.create_task(asyncio.sleep(0))
    except RuntimeError as error:
        print(f"after the block: RuntimeError ({str(error).split()[-1]})")


asyncio.run(main())
