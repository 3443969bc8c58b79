# test_taskgroups.test_taskgroup_01 / _02: the block ends once the body and every child are done.
import asyncio


async def child(delay, label):
    await asyncio.sleep(delay)
    print(f"{label} finished")
    return label


async def main():
    async with asyncio.TaskGroup() as group:
        t1 = group.create_task(child(0.2, "child 1"))
        t2 = group.create_task(child(0.1, "child 2"))
        print("body done")
    print(f"after the block: {t1.result()}, {t2.result()}")


asyncio.run(main())
