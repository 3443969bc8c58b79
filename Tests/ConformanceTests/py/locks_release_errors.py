# test_locks.test_release_not_acquired / BoundedSemaphore / Condition without the lock: releasing what
# is not held raises.
import asyncio


def attempt(label, action):
    try:
        action()
        print(f"{label}: ok")
    except (RuntimeError, ValueError) as error:
        print(f"{label}: raises {type(error).__name__}")


async def main():
    attempt("Lock.release unlocked", asyncio.Lock().release)
    bounded = asyncio.BoundedSemaphore(1)
    attempt("BoundedSemaphore.release at its bound", bounded.release)
    await bounded.acquire()
    attempt("BoundedSemaphore.release after acquire", bounded.release)
    condition = asyncio.Condition()
    attempt("Condition.notify without the lock", condition.notify)
    attempt("Condition.notify_all without the lock", condition.notify_all)


asyncio.run(main())
