import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one read buffer of a loop, lent to each stream read in turn (libuv's `alloc_cb`), so that an
/// idle connection holds no read buffer at all.
///
/// Why one buffer is enough: libuv calls a stream's `alloc_cb` and then, in the same call, its
/// `read_cb` exactly once with that buffer — with data, with `nread == 0` (`EAGAIN`), with `UV_EOF`
/// or with an error — and the bytes are consumed during that `read_cb` (a protocol's `dataReceived`
/// gets a view valid only during the call; a ``StreamReader`` copies what it keeps). Read callbacks of
/// one loop run on its thread one after another: nothing a callback may do (write, close, read on
/// another transport) runs another read callback before it returns, since libuv cannot be re-entered.
/// Should a second read ever be lent a buffer while the shared one is out anyway, it gets a private
/// one, freed when it is given back: two reads never share bytes.
///
/// Why reads are not sized adaptively (as NIO's `AdaptiveRecvByteBufferAllocator`): NIO allocates a
/// fresh buffer per read that the pipeline may keep, so a read's size is memory held. Here nothing is
/// allocated per read and nothing of the buffer is kept, so the largest read (libuv's suggested
/// 64 KiB) is also the cheapest: fewer system calls, no memory per connection. What stays resident is
/// what a reader has not consumed (``ReadBuffer``), never the size of a read.
///
/// Loop-confined (the loop's stream callbacks), hence no locking.
final class SharedReadBuffer {
    /// libuv's suggested read size.
    static let size = 64 * 1024
    /// Allocated on first use: a loop without streams pays nothing.
    @exclusivity(unchecked)
    private var storage: UnsafeMutableRawPointer?
    /// Whether `storage` is lent to a read now.
    @exclusivity(unchecked)
    private(set) var isLent = false
    /// Private buffers lent while the shared one was out, not given back yet (tests).
    @exclusivity(unchecked)
    private(set) var privateLoans = 0

    deinit { storage?.deallocate() }

    /// A buffer for one read (`alloc_cb`): the shared one, or a private one if the shared one is out.
    @inline(__always)
    func lend() -> uv_buf_t {
        if !isLent {
            isLent = true
            let base = storage ?? allocate()
            return uv_buf_init(base.assumingMemoryBound(to: CChar.self), UInt32(SharedReadBuffer.size))
        }
        privateLoans += 1
        let base = UnsafeMutableRawPointer.allocate(byteCount: SharedReadBuffer.size, alignment: 16)
        return uv_buf_init(base.assumingMemoryBound(to: CChar.self), UInt32(SharedReadBuffer.size))
    }

    private func allocate() -> UnsafeMutableRawPointer {
        let base = UnsafeMutableRawPointer.allocate(byteCount: SharedReadBuffer.size, alignment: 16)
        storage = base
        return base
    }

    /// Takes back the buffer of a finished read (`read_cb`, whatever its result). A null base (libuv
    /// had no buffer to pass) is ignored.
    @inline(__always)
    func giveBack(_ base: UnsafeMutablePointer<CChar>?) {
        guard let base else { return }
        let raw = UnsafeMutableRawPointer(base)
        if raw == storage {
            isLent = false
        } else {
            privateLoans -= 1
            raw.deallocate()
        }
    }
}
