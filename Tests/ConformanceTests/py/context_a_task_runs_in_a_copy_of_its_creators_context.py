# test_context / test_tasks.test_context_1 / _3: a task starts with a copy of its creator's context,
# taken at create_task; its sets are seen neither by its creator nor by its siblings.
import asyncio
import contextvars

var = contextvars.ContextVar("var", default="unset")


async def child(label):
    print(f"{label} sees {var.get()}")
    var.set(label)
    await asyncio.sleep(0)
    print(f"{label} still sees {var.get()}")


async def main():
    var.set("main")
    first = asyncio.create_task(child("first"))
    var.set("main, later")
    second = asyncio.create_task(child("second"))
    await first
    await second
    print(f"main sees {var.get()}")


asyncio.run(main())
print(f"outside the loop: {var.get()}")
