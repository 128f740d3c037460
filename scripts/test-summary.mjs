// Sums the JSON reports vitest wrote for each package into one closing line, after the
// name and first message lines of every test that failed, so the tail of a CI log says
// which ones did.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let skipped = 0;
let suites = 0;
const failures = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  suites += 1;
  for (const result of report.testResults ?? []) failures.push(...failuresOf(result));
}
if (failures.length > 0) {
  console.log(`\n${failures.length} failed:`);
  for (const line of failures) console.log(line);
}
console.log(`\n${suites} packages tested`);
// Failed tests, and files that failed outside their tests (vitest's numFailedTestSuites
// counts each describe block around a failed test as well, so it is not added).
console.log(`tests: ${passed} passed, ${failures.length} failed, ${skipped} skipped`);
if (passed === 0) {
  console.error('no test ran');
  process.exit(1);
}

/** One entry a failed test (or a file that failed outside its tests): where, what, why. */
function failuresOf(result) {
  const where = relative(process.cwd(), result.name ?? '');
  const tests = (result.assertionResults ?? []).filter((t) => t.status === 'failed');
  if (tests.length === 0 && result.status === 'failed') {
    return [`- ${where}\n${firstLines(result.message)}`];
  }
  return tests.map((t) => `- ${where} > ${t.fullName}\n${firstLines(t.failureMessages?.[0])}`);
}

function firstLines(message = '') {
  return message
    .split('\n')
    .slice(0, 6)
    .map((line) => `    ${line.slice(0, 300)}`)
    .join('\n');
}
