# test_locks.BarrierTests.test_filling_task_by_task / test_filling_tasks_check_return_value: wait()
# blocks until `parties` tasks arrived; each gets its arrival index; the barrier is reusable.
import asyncio


async def main():
    barrier = asyncio.Barrier(3)

    async def worker(i):
        index = await barrier.wait()
        print(f"worker {i} passed with index {index}")

    tasks = [asyncio.create_task(worker(i)) for i in range(3)]
    await asyncio.sleep(0)
    print("-- all three arrived")
    await asyncio.gather(*tasks)
    print(f"n_waiting after the round: {barrier.n_waiting}")
    second_round = [asyncio.create_task(worker(i)) for i in range(3, 6)]
    await asyncio.gather(*second_round)


asyncio.run(main())
