import Asyncio
#if canImport(Glibc)
import Glibc
#endif

// asyncio-tour: the asyncio article's examples, runnable.
//   asyncio-tour list                 names of the examples
//   asyncio-tour NAME [--virtual-time]
//   asyncio-tour all  [--virtual-time]
var arguments = Array(CommandLine.arguments.dropFirst())
let virtualTime = arguments.contains("--virtual-time")
arguments.removeAll { $0 == "--virtual-time" }

func usage() -> Never {
    print("usage: asyncio-tour list | all | NAME [--virtual-time]")
    exit(2)
}

switch arguments.first {
case "list":
    for example in Tour.examples { print("\(example.name)\t\(example.title)") }
case "all":
    for example in Tour.examples {
        print("== \(example.name): \(example.title)")
        try Tour.run(example, virtualTime: virtualTime, echo: true)
        print()
    }
case let name?:
    guard let example = Tour.example(named: name) else {
        print("unknown example '\(name)'; try `asyncio-tour list`")
        exit(2)
    }
    try Tour.run(example, virtualTime: virtualTime, echo: true)
case nil:
    usage()
}
