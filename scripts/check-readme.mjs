#!/usr/bin/env node
// Fails when the quick start in README.md differs from examples/data-passing/src/main.ts, so
// the README always shows the example's code (which `npm test` runs, and which
// scripts/check-install.sh runs against the packed packages).
//
//   node scripts/check-readme.mjs          # check
//   node scripts/check-readme.mjs --write  # copy the example's code into the README
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readmePath = join(root, 'README.md');
const examplePath = join(root, 'examples/data-passing/src/main.ts');
const BEGIN = '<!-- quick-start:begin -->';
const END = '<!-- quick-start:end -->';

const readme = readFileSync(readmePath, 'utf8');
const code = readFileSync(examplePath, 'utf8').replace(/\s+$/, '');
const begin = readme.indexOf(BEGIN);
const end = readme.indexOf(END);
if (begin < 0 || end < begin || readme.indexOf(BEGIN, begin + 1) >= 0) {
  console.error(`check-readme: README.md needs exactly one ${BEGIN} … ${END} block`);
  process.exit(1);
}
const expected = `${BEGIN}\n\n\`\`\`ts\n${code}\n\`\`\`\n\n${END}`;
const actual = readme.slice(begin, end + END.length);

if (actual === expected) {
  console.log('check-readme: the README quick start is examples/data-passing/src/main.ts');
} else if (process.argv.includes('--write')) {
  writeFileSync(readmePath, readme.slice(0, begin) + expected + readme.slice(end + END.length));
  console.log('check-readme: README.md quick start updated from examples/data-passing/src/main.ts');
} else {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const line = a.findIndex((l, i) => l !== e[i]);
  const at = readme.slice(0, begin).split('\n').length + line;
  console.error(
    `check-readme: the quick start in README.md (line ${at}) differs from examples/data-passing/src/main.ts\n` +
      `  README:  ${JSON.stringify(a[line] ?? '(end of block)')}\n` +
      `  example: ${JSON.stringify(e[line] ?? '(end of file)')}\n` +
      'Run `node scripts/check-readme.mjs --write` to copy the example into the README.',
  );
  process.exit(1);
}
