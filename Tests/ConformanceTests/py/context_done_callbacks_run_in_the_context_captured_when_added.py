# test_futures / test_context: add_done_callback captures the current context; the callback runs in a
# copy of it, and a set inside it leaks neither to the loop's tasks nor outside the loop.
import asyncio
import contextvars

var = contextvars.ContextVar("var", default="unset")


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def done(f):
        print(f"done callback sees {var.get()}")
        var.set("set in the done callback")

    async def register():
        var.set("registering task")
        fut.add_done_callback(done)

    await asyncio.create_task(register())
    var.set("main")
    fut.set_result(None)
    await asyncio.sleep(0)
    print(f"main sees {var.get()}")


asyncio.run(main())
print(f"outside the loop: {var.get()}")
