// Preloaded with `node --import` by lazy-commands.test.ts: records the URL of every module the
// process resolves (ESM imports and CJS requires alike, through module.registerHooks) and
// appends them, one a line, to the file named by PORTGUARD_MODULE_LOG when the process exits.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const log = process.env.PORTGUARD_MODULE_LOG;
const urls = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    urls.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  if (log) appendFileSync(log, `${[...urls].join('\n')}\n`);
});
