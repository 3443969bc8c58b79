# test_futures.test_callbacks_invoked_on_set_result / _exception: done callbacks are scheduled with
# call_soon when the future completes, in registration order; none runs inside set_result.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    for i in range(1, 4):
        fut.add_done_callback(lambda f, i=i: print(f"cb{i} sees {f.result()}"))
    loop.call_soon(print, "callback scheduled before set_result")
    fut.set_result(42)
    print("after set_result")
    await asyncio.sleep(0)
    print("after one iteration")


asyncio.run(main())
