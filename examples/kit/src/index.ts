export * from './kit.js';
export { type ExampleProcessResult, runExampleProcess } from './run-example-process.js';
