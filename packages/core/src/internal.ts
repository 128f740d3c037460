/**
 * `@spane/core/internal` — helpers shared by the `@spane/*` packages that are not for
 * users. Outside semver: anything here may change or go in any release.
 */
export { isoTime } from './iso-time.js';
export { jsonByteLength, payloadText } from './limits.js';
export { type CheckedSignal, checkNewSignal } from './signal-arguments.js';
export {
  type BoundedJsonText,
  boundedJsonText,
  findUnstorable,
  storableJsonText,
  type Unstorable,
} from './storable-json.js';
