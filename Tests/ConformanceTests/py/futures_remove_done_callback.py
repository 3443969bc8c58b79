# test_futures.test_callbacks_remove_first_callback / _third_callback / test_remove_done_callback:
# a removed callback never runs; the others keep their order.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    cbs = [lambda f, i=i: print(f"cb{i}") for i in range(1, 5)]
    for cb in cbs:
        fut.add_done_callback(cb)
    print(f"removed cb1: {fut.remove_done_callback(cbs[0]) == 1}")
    print(f"removed cb3: {fut.remove_done_callback(cbs[2]) == 1}")
    print(f"removed cb3 again: {fut.remove_done_callback(cbs[2]) == 1}")
    fut.set_result(None)
    await asyncio.sleep(0)


asyncio.run(main())
