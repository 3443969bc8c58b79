# test_tasks.RunCoroutineThreadsafeTests: run_coroutine_threadsafe submits work from another thread;
# its future gives the result or the error; cancelling it cancels the future at once (result() raises
# without waiting) and the task on the loop soon after.
import asyncio
import concurrent.futures
import threading
from _conformance import Boom, name

loop = asyncio.new_event_loop()
started = threading.Event()
task_cancelled = threading.Event()


async def double(x):
    await asyncio.sleep(0.01)
    return 2 * x


async def failing():
    raise Boom()


async def forever():
    started.set()
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        await asyncio.sleep(0.2)  # a slow cleanup: the future does not wait for it
        task_cancelled.set()
        raise


def other_thread():
    print(f"result: {asyncio.run_coroutine_threadsafe(double(21), loop).result(timeout=5)}")
    try:
        asyncio.run_coroutine_threadsafe(failing(), loop).result(timeout=5)
    except Boom as error:
        print(f"error: {name(error)}")
    future = asyncio.run_coroutine_threadsafe(forever(), loop)
    started.wait()
    future.cancel()
    try:
        future.result(timeout=5)
    except concurrent.futures.CancelledError:
        print(f"the future: cancelled; the task finished already: {task_cancelled.is_set()}")
    print(f"the task on the loop was cancelled too: {task_cancelled.wait(5)}")
    loop.call_soon_threadsafe(loop.stop)


threading.Thread(target=other_thread).start()
loop.run_forever()
loop.close()
