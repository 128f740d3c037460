import { compileWorkflow } from '@spane/core';
import { PostgresExecutionStore } from '../src/index.js';
import { createSchema, DATABASE_URL, dropSchema } from './helpers.js';

const length = Number(process.env.NODES ?? 1000);
const schema = await createSchema();
const s = new PostgresExecutionStore({ connectionString: DATABASE_URL, schema });
try {
  const p = compileWorkflow({
    id: 'bench',
    name: 'bench',
    nodes: Array.from({ length }, (_, i) => ({
      id: `N${i}`,
      type: 'x',
      ...(i === 0 ? {} : { inputs: [`N${i - 1}`] }),
    })),
  });
  await s.saveWorkflow(p);
  const id = (await s.createExecution({ plan: p, initialData: { seed: 1 } })).execution.executionId;
  let begin = 0;
  let complete = 0;
  for (let i = 0; i < length; i++) {
    const t0 = performance.now();
    await s.beginNodeRun(p, id, `N${i}`);
    const t1 = performance.now();
    await s.completeNode(p, id, `N${i}`, { type: 'completed', data: { i } });
    const t2 = performance.now();
    begin += t1 - t0;
    complete += t2 - t1;
  }
  console.log(
    `per node: begin ${(begin / length).toFixed(3)} ms, complete ${(complete / length).toFixed(3)} ms, total ${((begin + complete) / length).toFixed(3)} ms`,
  );
} finally {
  await s.close();
  await dropSchema(schema);
}
