# test_futures.test_initial_state / test_result / test_exception / test_cancel: reading a pending future
# raises InvalidStateError; setting a done one too; cancel() of a done future returns False;
# exception() of a cancelled future raises CancelledError.
import asyncio
from _conformance import name


def attempt(label, action):
    try:
        result = action()
        print(f"{label}: {result}")
    except BaseException as error:
        print(f"{label}: raises {name(error)}")


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    print(f"pending: done={fut.done()} cancelled={fut.cancelled()}")
    attempt("result() pending", fut.result)
    attempt("exception() pending", fut.exception)
    fut.set_result(1)
    attempt("result()", fut.result)
    attempt("exception()", fut.exception)
    attempt("set_result again", lambda: fut.set_result(2))
    attempt("set_exception after result", lambda: fut.set_exception(ValueError()))
    attempt("cancel() after result", fut.cancel)
    failed = loop.create_future()
    failed.set_exception(ValueError())
    attempt("result() of failed", failed.result)
    attempt("exception() of failed", lambda: name(failed.exception()))
    cancelled = loop.create_future()
    attempt("cancel()", lambda: cancelled.cancel(msg="why"))
    attempt("cancel() again", cancelled.cancel)
    print(f"cancelled: done={cancelled.done()} cancelled={cancelled.cancelled()}")
    attempt("result() of cancelled", cancelled.result)
    attempt("exception() of cancelled", cancelled.exception)
    attempt("set_result of cancelled", lambda: cancelled.set_result(3))


asyncio.run(main())
