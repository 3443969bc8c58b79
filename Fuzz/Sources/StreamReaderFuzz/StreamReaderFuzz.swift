// libFuzzer drives the StreamReader's buffer (`ReadBuffer`) with operations it chooses from its input
// and checks every result, and the buffer itself after every step, against `ReaderModel` (asyncio's
// semantics on a plain array). Any disagreement is a crash, which libFuzzer saves as a reproducer.
//
// The input, read byte by byte: first the reader's limit, then operations until it runs out:
//   append bytes · take bytes · start a separator search · go on with it (as `readUntil` does after
//   more bytes arrived, or `readLine` with its recovery after an overrun) · read up to n bytes ·
//   look a separator up from an offset.
// Appends between the steps of one search make the buffer compact under it (the merged-lines bug);
// takes between them move its resume point.

/// The fuzzer's input, consumed from the front.
struct Input {
    var bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    mutating func next() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// Bytes for the buffer: mostly separators and their parts, so that they meet often.
    mutating func data(count: Int) -> [UInt8] {
        let alphabet: [UInt8] = Array("\n\r\nabx".utf8)
        var data: [UInt8] = []
        while data.count < count, let byte = next() {
            data.append(byte < 0xC0 ? alphabet[Int(byte) % alphabet.count] : byte)
        }
        return data
    }

    mutating func separator() -> [UInt8] {
        let separators: [[UInt8]] = ["\n", "\r\n", "ab", "aab", "aba", "\n\n", "x", "abab"].map { Array($0.utf8) }
        let choice = Int(next() ?? 0)
        let separator = choice < 0xF0 ? separators[choice % separators.count] : data(count: 1 + choice % 4)
        return separator.isEmpty ? [10] : separator  // the input ran out
    }
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

func run(_ input: inout Input) {
    guard let first = input.next() else { return }
    let limit = first < 0xF0 ? 1 + Int(first % 24) : 64 * 1024
    var buffer = ReadBuffer()
    var model = ReaderModel(limit: limit)
    var consumed = 0
    var search: ReadBuffer.SeparatorSearch?

    func take(_ count: Int, _ what: String) {
        let taken = buffer.removeFirst(count)
        check(model.readExactly(count) == .bytes(taken), "\(what): took \(taken), the model had \(model.buffer)")
        consumed += count
    }

    while let operation = input.next() {
        switch operation % 8 {
        case 0, 1:  // bytes arrive
            let data = input.data(count: Int(input.next() ?? 0) % 48)
            buffer.append(data)
            model.feed(data)
        case 2:  // take some
            take(Int(input.next() ?? 0) % (buffer.count + 1), "removeFirst")
        case 3:  // a read call starts its search
            search = buffer.startSearch(for: input.separator())
        case 4, 5:  // the read call searches again
            guard var current = search else { break }
            let result = buffer.search(&current, limit: limit)
            search = current
            let isLine = current.separator == [10] && operation % 8 == 5
            var after = model
            let expected = isLine ? after.readLine() : after.readUntil(current.separator)
            switch result {
            case .found(let length):
                check(expected.map { if case .bytes(let line) = $0 { line.count == length } else { false } } ?? false,
                      "found \(length) bytes through \(current.separator), the model says \(String(describing: expected)) on \(model.buffer), limit \(limit)")
                take(length, "found")
                search = nil
            case .overLimit(let consumedBytes):
                check(expected == .limitOverrun(consumed: consumedBytes),
                      "overrun at \(consumedBytes) for \(current.separator), the model says \(String(describing: expected)) on \(model.buffer), limit \(limit)")
                if isLine {  // readLine drops the line
                    buffer.discardOverlongLine(consumed: consumedBytes, separator: [10])
                    consumed += model.buffer.count - after.buffer.count
                    model = after
                }
                search = nil
            case .notFound:
                check(expected == nil, "not found: \(current.separator), the model says \(String(describing: expected)) on \(model.buffer), limit \(limit)")
            }
        case 6:  // read(n) on a non-empty buffer
            guard !buffer.isEmpty else { break }
            take(Swift.min(1 + Int(input.next() ?? 0) % 32, buffer.count), "read")
        default:  // look a separator up
            let separator = input.separator()
            let offset = Int(input.next() ?? 0) % (buffer.count + 2)
            let found = buffer.firstIndex(of: separator, from: offset)
            let bytes = model.buffer
            let expected = offset + separator.count > bytes.count ? nil
                : (offset...(bytes.count - separator.count)).first { Array(bytes[$0..<($0 + separator.count)]) == separator }
            check(found == expected, "firstIndex(of: \(separator), from: \(offset)) = \(String(describing: found)), in \(bytes): \(String(describing: expected))")
            if let found { check(buffer.hasSeparator(separator, at: found), "hasSeparator at \(found)") }
        }
        check(buffer.bytes == model.buffer, "buffer \(buffer.bytes), model \(model.buffer)")
        check(buffer.count == model.buffer.count && buffer.isEmpty == model.buffer.isEmpty, "count \(buffer.count)")
        check(buffer.consumedCount == consumed, "consumedCount \(buffer.consumedCount), consumed \(consumed)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = Input(bytes: UnsafeBufferPointer(start: data, count: size))
    run(&input)
    return 0
}
