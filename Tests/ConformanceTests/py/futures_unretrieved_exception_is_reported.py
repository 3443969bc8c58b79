# test_futures.test_tb_logger_exception_unretrieved / test_future_exception_never_retrieved: a failed
# future dropped without its exception read is reported to the exception handler; one whose
# exception was read is not.
import asyncio
import gc
from _conformance import name


async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: print(f"handler: {context['message']}: {name(context['exception'])}"))
    read = loop.create_future()
    read.set_exception(ValueError())
    read.exception()
    del read
    unread = loop.create_future()
    unread.set_exception(KeyError())
    del unread
    gc.collect()
    await asyncio.sleep(0)
    print("end")


asyncio.run(main())
