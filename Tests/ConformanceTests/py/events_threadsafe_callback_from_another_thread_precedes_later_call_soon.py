# A call_soon_threadsafe made on another thread before (happens-before) a call_soon on the loop
# thread runs first: it joined the ready queue when it was submitted.
import asyncio
import threading

loop = asyncio.new_event_loop()


def on_loop():
    submitted = threading.Event()

    def other_thread():
        loop.call_soon_threadsafe(print, "a (threadsafe, other thread)")
        submitted.set()

    threading.Thread(target=other_thread).start()
    submitted.wait()
    loop.call_soon(print, "b (call_soon, loop thread, afterwards)")
    loop.call_soon(loop.stop)


loop.call_soon(on_loop)
loop.run_forever()
loop.close()
