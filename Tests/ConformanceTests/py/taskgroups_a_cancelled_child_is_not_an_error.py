# test_taskgroups.test_taskgroup_04 / _05: a child cancelled on its own does not fail the group, and
# does not cancel its siblings.
import asyncio


async def child(delay, label):
    await asyncio.sleep(delay)
    print(f"{label} finished")


async def main():
    async with asyncio.TaskGroup() as group:
        doomed = group.create_task(child(10, "doomed"))
        group.create_task(child(0.02, "sibling"))
        await asyncio.sleep(0.01)
        doomed.cancel()
    print(f"the block ended normally; doomed cancelled: {doomed.cancelled()}")


asyncio.run(main())
