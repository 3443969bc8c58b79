# test_tasks.test_current_task_with_interleaving_tasks / test_base_events (all_tasks): all_tasks()
# holds the pending tasks (the running one included), current_task() is None in a callback.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    sleeper = asyncio.create_task(asyncio.sleep(1), name="sleeper")
    done = asyncio.create_task(asyncio.sleep(0), name="done")
    await done
    print(f"pending tasks: {sorted(t.get_name() for t in asyncio.all_tasks())}")
    loop.call_soon(lambda: print(f"current task in a callback: {asyncio.current_task()}"))
    await asyncio.sleep(0)
    sleeper.cancel()


asyncio.run(main(), debug=False)
