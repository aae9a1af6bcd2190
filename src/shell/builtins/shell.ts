import { shellInput } from '../command.js';
import { textOf, type Value } from '../value.js';
import type { Builtin } from './host.js';
import { scriptFile } from './script-file.js';

/**
 * `sh -c SCRIPT [$0 $1...]`, `sh FILE [args]` and `sh`/`sh -s` reading stdin start a child
 * shell: it sees exported variables only, and its `exit` ends only the child.
 */
export const shell: Builtin = {
  run: ({ argv, stdin, line }, host) => {
    const input = shellInput(argv, textOf);
    if (input === null) return null;
    let script: string | null | undefined;
    let positional: Value[];
    if (input.from === 'c') {
      script = textOf(argv[input.index]!);
      positional = argv.slice(input.index + 1);
      if (script === null) {
        host.unknown(`sh -c at line ${line} runs a script portguard cannot resolve`);
        return null;
      }
    } else if (input.from === 'file') {
      script = scriptFile(host, argv[input.index]!, 'runs', line);
      positional = argv.slice(input.index);
      if (script === undefined) return null;
    } else {
      // `echo '...' | sh` and `bash -s <<EOF` run their stdin.
      if (!stdin) return null;
      script = textOf(stdin.value);
      positional = [argv[0]!, ...argv.slice(input.positional)];
      if (script === null) {
        host.unknown(`a shell at line ${line} runs input portguard cannot resolve`);
        return null;
      }
    }
    const child = host.scope.exportedOnly();
    child.positional = positional;
    host.runChild(script, child, line);
    return null;
  },
};
