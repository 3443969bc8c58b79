# test_tasks.test_one_exception: the first error reaches the gatherer at once; the other children are
# not cancelled and run to their end.
import asyncio
from _conformance import Boom, name


async def fail_after(delay):
    await asyncio.sleep(delay)
    raise Boom()


async def finish_after(delay, label):
    await asyncio.sleep(delay)
    print(f"{label} finished")
    return label


async def main():
    slow = asyncio.create_task(finish_after(0.5, "slow"))
    try:
        await asyncio.gather(fail_after(0.01), slow)
    except Exception as error:
        print(f"gather raised {name(error)}; slow done: {slow.done()}")
    print(f"slow result: {await slow}")


asyncio.run(main())
