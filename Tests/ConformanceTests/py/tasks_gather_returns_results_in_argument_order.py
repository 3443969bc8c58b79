# test_tasks (GatherTests.test_result_exception_success, test_gather order): results come back in
# argument order whatever the completion order.
import asyncio


async def after(delay, value):
    await asyncio.sleep(delay)
    print(f"{value} finished")
    return value


async def main():
    print(await asyncio.gather(after(0.03, "a"), after(0.01, "b"), after(0.02, "c")))


asyncio.run(main())
