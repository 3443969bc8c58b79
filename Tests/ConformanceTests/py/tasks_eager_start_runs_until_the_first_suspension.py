# test_eager_task_factory: an eagerly started task runs synchronously inside create_task up to its
# first suspension; one that never suspends is done when create_task returns.
import asyncio


async def suspending():
    print("eager: before await")
    await asyncio.sleep(0)
    print("eager: after await")
    return 1


async def immediate():
    print("eager: returns at once")
    return 2


async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    first = asyncio.create_task(suspending())
    print(f"after create_task: done={first.done()}")
    second = asyncio.create_task(immediate())
    print(f"after create_task: done={second.done()}")
    print(f"results: {await first} {await second}")


asyncio.run(main())
