# test_queues.test_task_done / test_join_empty_queue / test_task_done_underflow: join() returns when
# every item put was marked done; task_done() too often raises ValueError.
import asyncio


async def main():
    queue = asyncio.Queue()
    await queue.join()
    print("join() on an empty queue returned at once")

    async def worker():
        while True:
            item = await queue.get()
            await asyncio.sleep(0.01)
            print(f"processed {item}")
            queue.task_done()

    for item in range(3):
        queue.put_nowait(item)
    consumer = asyncio.create_task(worker())
    await queue.join()
    print("join() returned")
    consumer.cancel()
    try:
        queue.task_done()
    except ValueError:
        print("task_done() too many times: ValueError")


asyncio.run(main())
