# test_locks.BarrierTests.test_filling_tasks_cancel_one: a waiter cancelled before the round is full
# leaves it (n_waiting goes down); the round completes with the next arrivals.
import asyncio


async def main():
    barrier = asyncio.Barrier(3)

    async def worker(label):
        await barrier.wait()
        print(f"{label} passed")

    first = asyncio.create_task(worker("first"))
    await asyncio.sleep(0)
    second = asyncio.create_task(worker("second"))
    await asyncio.sleep(0)
    print(f"n_waiting: {barrier.n_waiting}")
    first.cancel()
    await asyncio.sleep(0)
    print(f"after a cancellation, n_waiting: {barrier.n_waiting}")
    third = asyncio.create_task(worker("third"))
    await asyncio.sleep(0)
    print(f"n_waiting: {barrier.n_waiting}")
    fourth = asyncio.create_task(worker("fourth"))
    await asyncio.gather(second, third, fourth)
    print(f"n_waiting: {barrier.n_waiting}; broken: {barrier.broken}; first cancelled: {first.cancelled()}")


asyncio.run(main())
