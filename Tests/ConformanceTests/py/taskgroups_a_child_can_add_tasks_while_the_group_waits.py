# test_taskgroups (create_task while exiting): after the body has returned, a running child may still
# add tasks to the group; the group waits for them too.
import asyncio


async def main():
    async with asyncio.TaskGroup() as group:
        async def spawner():
            await asyncio.sleep(0.01)
            group.create_task(late())
            print("spawner added a task")

        async def late():
            await asyncio.sleep(0.01)
            print("late task finished")

        group.create_task(spawner())
        print("body returns")
    print("the block ended after the late task")


asyncio.run(main())
