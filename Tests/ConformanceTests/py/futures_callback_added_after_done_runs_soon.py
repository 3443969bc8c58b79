# test_futures: a done callback added to a finished future is scheduled (call_soon), not run inline.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fut.set_exception(ValueError())
    fut.add_done_callback(lambda f: print(f"late callback sees {type(f.exception()).__name__}"))
    print("after add_done_callback")
    await asyncio.sleep(0)
    print("after one iteration")


asyncio.run(main())
