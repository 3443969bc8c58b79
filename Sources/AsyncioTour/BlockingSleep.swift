#if canImport(Glibc)
import Glibc
#endif

/// Blocks the calling thread for `microseconds`, like Python's `time.sleep`: a signal that interrupts
/// the sleep (a child process exiting delivers SIGCHLD to any thread) does not cut it short, because
/// the sleep resumes for the time that is left (PEP 475). A bare `usleep` returns early with `EINTR`.
func blockingSleep(microseconds: Int) {
    var request = timespec(tv_sec: microseconds / 1_000_000, tv_nsec: (microseconds % 1_000_000) * 1_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR {
        request = remaining
    }
}
