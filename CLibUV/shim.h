#ifndef CLIBUV_SHIM_H
#define CLIBUV_SHIM_H
// The system libuv (Debian: libuv1-dev). Swift reaches every uv_* call through this header.
#include <uv.h>
#include <sys/syscall.h>
#include <unistd.h>

// The kernel thread id of the caller: Swift cannot call the variadic syscall(2). Used to tell the
// process's main thread (whose thread id equals the process id) for SIGINT handling in run().
static inline long asyncio_gettid(void) { return syscall(SYS_gettid); }
#endif
