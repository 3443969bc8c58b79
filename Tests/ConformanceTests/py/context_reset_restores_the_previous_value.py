# test_context (Token): reset(token) restores the value before the set that returned the token, or
# unsets the variable.
import asyncio
import contextvars

var = contextvars.ContextVar("var", default="default")


async def main():
    first = var.set("one")
    second = var.set("two")
    print(f"after two sets: {var.get()}")
    var.reset(second)
    print(f"after reset(second): {var.get()}")
    var.reset(first)
    print(f"after reset(first): {var.get()}")


asyncio.run(main())
