#!/usr/bin/env node
// The `switchyard` command. Runs the compiled CLI; from a source checkout, build first (`npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'switchyard: dist/ is missing. Run `npm run build` (or `npm start`, which builds first).\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
main(process.argv).catch((error) => {
  process.stderr.write(`switchyard: ${error?.stack ?? error}\n`);
  process.exit(1);
});
