# test_tasks.test_shield_cancel_outer / test_shield_effect / test_shield_cancel_inner: cancelling the
# task that awaits shield(inner) leaves inner running; cancelling inner reaches the awaiter.
import asyncio
from _conformance import name


async def work(label, delay):
    await asyncio.sleep(delay)
    print(f"{label} finished")
    return label


async def main():
    inner = asyncio.create_task(work("inner", 0.5))

    async def waiter():
        return await asyncio.shield(inner)

    outer = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)
    outer.cancel()
    try:
        await outer
    except asyncio.CancelledError as error:
        print(f"outer: {name(error)}; inner done: {inner.done()}")
    print(f"inner result: {await inner}")

    second = asyncio.create_task(work("second", 1))
    awaiting = asyncio.create_task(waiter_of(second))
    await asyncio.sleep(0.01)
    second.cancel()
    try:
        await awaiting
    except asyncio.CancelledError as error:
        print(f"awaiter of shield(cancelled inner): {name(error)}")


async def waiter_of(task):
    return await asyncio.shield(task)


asyncio.run(main())
