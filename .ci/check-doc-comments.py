#!/usr/bin/env python3
"""Every public declaration of the library modules has a `///` doc comment (issue 17).

Run by `make docs`. Prints each undocumented declaration (file:line: declaration) and exits 1 if any.
A declaration counts as documented when the line above it (skipping attributes such as
`@discardableResult`) is a `///` comment. `public extension` lines are not declarations.
"""
import glob
import re
import sys

DECLARATION = re.compile(r'^(@\w+(\([^)]*\))?\s+)*(nonisolated(\(nonsending\))?\s+)?(public|open)\s')
missing = []
for path in sorted(glob.glob('Sources/Asyncio*/**/*.swift', recursive=True)):
    if path.startswith('Sources/AsyncioTour/'):
        continue  # an executable, not a library
    lines = open(path, encoding='utf-8').read().split('\n')
    for index, line in enumerate(lines):
        text = line.strip()
        if not DECLARATION.match(text) or re.match(r'^(public|open)\s+(extension|import)\b', text):
            continue
        above = index - 1
        while above >= 0 and lines[above].strip().startswith('@'):
            above -= 1
        if above < 0 or not lines[above].strip().startswith('///'):
            missing.append(f'{path}:{index + 1}: {text[:120]}')
if missing:
    print('Public declarations without a doc comment:')
    print('\n'.join(missing))
    sys.exit(1)
print('check-doc-comments: every public declaration has a doc comment')
