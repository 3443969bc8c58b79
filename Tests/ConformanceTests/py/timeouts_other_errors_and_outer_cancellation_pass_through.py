# test_timeouts.test_foreign_exception_passed / test_foreign_cancel_doesnt_timeout_if_not_expired /
# test_outer_task_is_not_cancelled: an error of the body passes through unchanged; a cancellation
# from outside is not turned into TimeoutError.
import asyncio
from _conformance import Boom, name


async def main():
    try:
        async with asyncio.timeout(1) as scope:
            raise Boom()
    except Boom as error:
        print(f"body error passes through: {name(error)}; expired={scope.expired()}")

    async def guarded():
        async with asyncio.timeout(1):
            await asyncio.sleep(10)

    task = asyncio.create_task(guarded())
    await asyncio.sleep(0.01)
    task.cancel("from outside")
    try:
        await task
    except BaseException as error:
        print(f"outer cancellation: {name(error)}")


asyncio.run(main())
