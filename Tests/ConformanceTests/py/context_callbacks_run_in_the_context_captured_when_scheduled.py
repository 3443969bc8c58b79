# test_context / test_events (call_soon context): call_soon, call_later and call_soon_threadsafe
# callbacks run in a copy of the context current when they were scheduled; a set inside one stays in
# that copy.
import asyncio
import contextvars

var = contextvars.ContextVar("var", default="unset")


def callback(label):
    print(f"{label} sees {var.get()}")
    var.set(f"set by {label}")


async def main():
    loop = asyncio.get_running_loop()
    var.set("at call_soon")
    loop.call_soon(callback, "call_soon")
    var.set("at call_later")
    loop.call_later(0.01, callback, "call_later")
    var.set("at call_soon_threadsafe")
    loop.call_soon_threadsafe(callback, "call_soon_threadsafe")
    var.set("main")
    await asyncio.sleep(0.02)
    print(f"main sees {var.get()}")


asyncio.run(main())
