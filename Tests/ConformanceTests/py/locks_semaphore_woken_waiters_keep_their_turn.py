# test_locks.SemaphoreTests.test_acquire_fifo_order_2 / _3 / _4: permits released while a woken
# waiter has not run yet do not let a newcomer pass it (locked() stays true); when that waiter runs it
# wakes the next ones while permits are left; cancelled waiters are skipped.
import asyncio


async def order_2():
    sem = asyncio.Semaphore(1)
    result = []

    async def c1():
        await sem.acquire()
        result.append(1)

    async def c2():
        await sem.acquire()
        result.append(2)
        sem.release()
        await sem.acquire()
        result.append(4)

    async def c3():
        await sem.acquire()
        result.append(3)

    tasks = [asyncio.create_task(c()) for c in (c1, c2, c3)]
    await asyncio.sleep(0)
    sem.release()
    sem.release()
    await asyncio.gather(*tasks)
    print(f"fifo order 2: {result}")


async def order_3():
    sem = asyncio.Semaphore(0)
    result = []

    async def c(i):
        await sem.acquire()
        result.append(i)

    tasks = [asyncio.create_task(c(i)) for i in (1, 2, 3)]
    await asyncio.sleep(0)
    tasks[0].cancel()
    await asyncio.sleep(0)
    sem.release()
    sem.release()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(f"fifo order 3: {result}")


async def order_4():
    sem = asyncio.Semaphore(0)
    result = []
    extra = []

    async def c1():
        await sem.acquire()
        extra.append(asyncio.create_task(c4()))
        result.append(1)

    async def c2():
        sem.release()
        sem.release()
        sem.release()
        result.append(f"locked after three releases: {sem.locked()}")
        await sem.acquire()
        result.append(2)

    async def c3():
        await sem.acquire()
        result.append(3)

    async def c4():
        result.append(4)

    tasks = [asyncio.create_task(c()) for c in (c1, c2, c3)]
    await asyncio.gather(*tasks)
    await asyncio.gather(*extra)
    print(f"fifo order 4: {result}")


async def main():
    await order_2()
    await order_3()
    await order_4()


asyncio.run(main())
