/// A growable run of bytes that appends with `memcpy`: a response head is a dozen appends, and an
/// `[UInt8]`'s `append(contentsOf:)` costs about 70 instructions a call. Storage is allocated on the
/// first append (an idle connection holds none) and given back by ``reset(keepingUpTo:)`` when it grew
/// large.
///
/// Non-copyable: one owner, which frees the storage.
struct ByteBuffer: ~Copyable {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0
    /// The bytes held.
    private(set) var count = 0

    init() {}

    deinit { base?.deallocate() }

    /// Whether it holds no byte.
    var isEmpty: Bool { count == 0 }

    /// The bytes held (valid until the next mutation).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Forgets the bytes; keeps the storage if it is at most `limit` bytes, else frees it.
    mutating func reset(keepingUpTo limit: Int) {
        count = 0
        if capacity > limit {
            base?.deallocate()
            base = nil
            capacity = 0
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        let start = reserve(bytes.count)
        start.copyMemory(from: source, byteCount: bytes.count)
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends a constant's UTF-8 bytes.
    mutating func append(static text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ byte: UInt8) {
        reserve(1).storeBytes(of: byte, as: UInt8.self)
    }

    /// Appends the decimal digits of `value` (≥ 0).
    mutating func appendDecimal(_ value: Int) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let start = reserve(digits)
        rest = value
        for index in stride(from: digits - 1, through: 0, by: -1) {
            start.storeBytes(of: UInt8(48 + rest % 10), toByteOffset: index, as: UInt8.self)
            rest /= 10
        }
    }

    /// Makes room for `extra` more bytes, counts them, and returns where they go.
    @inline(__always)
    private mutating func reserve(_ extra: Int) -> UnsafeMutableRawPointer {
        let needed = count + extra
        if needed > capacity { grow(to: needed) }
        let start = base.unsafelyUnwrapped + count  // allocated: capacity ≥ needed > 0
        count = needed
        return start
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2, 256)
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        if let base {
            newBase.copyMemory(from: base, byteCount: count)
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
    }
}
