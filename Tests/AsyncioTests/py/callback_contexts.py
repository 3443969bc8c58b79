# CPython twin of ContextSemanticsTests.doneCallbacksRunInTheContextCapturedWhenAdded and
# callbacksSetVariablesInTheirOwnContext
import asyncio, contextvars
var = contextvars.ContextVar("var", default="unset")
async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    var.set("adder")
    def cb(f):
        print("callback sees", var.get())
        var.set("callback")
    fut.add_done_callback(cb)
    var.set("after add")
    fut.set_result(None)
    await asyncio.sleep(0)
    print("task sees", var.get())
    done = asyncio.Event()
    def plain():
        var.set("plain callback")
        done.set()
    asyncio.get_running_loop().call_soon(plain)
    await done.wait()
    print("task still sees", var.get())
asyncio.run(main())
print("outside sees", var.get())
