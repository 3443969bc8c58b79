# test_base_events.test_close / test_events (closed loop): a closed loop refuses callbacks, timers and
# running (RuntimeError); closing again does nothing.
import asyncio


def attempt(label, action):
    try:
        action()
        print(f"{label}: ok")
    except RuntimeError:
        print(f"{label}: raises RuntimeError")


loop = asyncio.new_event_loop()
print(f"before close: is_closed={loop.is_closed()} is_running={loop.is_running()}")
loop.close()
print(f"after close: is_closed={loop.is_closed()}")
attempt("call_soon", lambda: loop.call_soon(print, "never"))
attempt("call_later", lambda: loop.call_later(1, print, "never"))
attempt("call_soon_threadsafe", lambda: loop.call_soon_threadsafe(print, "never"))
attempt("run_forever", loop.run_forever)
attempt("close again", loop.close)
