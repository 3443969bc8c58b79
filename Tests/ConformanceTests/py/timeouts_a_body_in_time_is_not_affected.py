# test_timeouts.test_timeout_not_called / test_timeout_disabled: a body finishing before the deadline
# returns normally and expired() stays false; timeout(None) never expires.
import asyncio


async def main():
    async with asyncio.timeout(10) as scope:
        await asyncio.sleep(0.01)
    print(f"in time: expired={scope.expired()}")
    async with asyncio.timeout(None) as scope:
        await asyncio.sleep(0.01)
    print(f"no deadline: expired={scope.expired()} when={scope.when()}")


asyncio.run(main())
