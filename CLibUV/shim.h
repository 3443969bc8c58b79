#ifndef CLIBUV_SHIM_H
#define CLIBUV_SHIM_H
// The system libuv (Debian: libuv1-dev). Swift reaches every uv_* call through this header.
#include <uv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/socket.h>

// The kernel thread id of the caller: Swift cannot call the variadic syscall(2). Used to tell the
// process's main thread (whose thread id equals the process id) for SIGINT handling in run().
static inline long asyncio_gettid(void) { return syscall(SYS_gettid); }

// accept4(2), non-blocking and close-on-exec in one call, as libuv accepts: a GNU extension that
// Swift's Glibc module does not expose. Returns the descriptor, or -1 with errno set.
static inline int asyncio_accept(int fd) {
    return (int)syscall(SYS_accept4, fd, (void *)0, (void *)0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
#endif
