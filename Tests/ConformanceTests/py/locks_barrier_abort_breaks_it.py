# test_locks.BarrierTests.test_abort_barrier / test_reset_barrier_while_tasks_waiting: abort() makes
# waiting and later wait() calls raise BrokenBarrierError; reset() makes waiters raise it too.
import asyncio


async def main():
    barrier = asyncio.Barrier(3)

    async def worker(label):
        try:
            await barrier.wait()
            print(f"{label} passed")
        except asyncio.BrokenBarrierError:
            print(f"{label}: BrokenBarrierError")

    tasks = [asyncio.create_task(worker(f"waiter {i}")) for i in range(2)]
    await asyncio.sleep(0)
    await barrier.abort()
    await asyncio.gather(*tasks)
    await worker("late")
    print(f"broken: {barrier.broken}")
    await barrier.reset()
    tasks = [asyncio.create_task(worker(f"after reset {i}")) for i in range(2)]
    await asyncio.sleep(0)
    await barrier.reset()
    await asyncio.gather(*tasks)


asyncio.run(main())
