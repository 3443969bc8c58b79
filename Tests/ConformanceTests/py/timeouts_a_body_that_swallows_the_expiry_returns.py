# test_timeouts (expiry suppressed): a body that catches the cancellation of the expiry and returns
# ends the block normally, with expired() true.
import asyncio


async def main():
    async with asyncio.timeout(0.01) as scope:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            print("body swallowed the cancellation")
    print(f"the block ended normally; expired: {scope.expired()}")


asyncio.run(main())
