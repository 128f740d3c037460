import type { IWorkflowEngine } from '@spane/core';
import { invalidRequestError, unknownFieldIssue } from './http-errors.js';
import type { ResolvedHttpOptions } from './options.js';
import type { RequestAuth } from './request-auth.js';
import type { RequestTrace } from './request-trace.js';
import type { SpaneMetrics } from './spane-metrics.js';

/** What every route module gets from the plugin. */
export interface RouteContext {
  engine: IWorkflowEngine;
  auth: RequestAuth;
  options: ResolvedHttpOptions;
  /** Absent when metrics are turned off. */
  metrics: SpaneMetrics | undefined;
  /** The W3C trace context of requests that start executions. */
  trace: RequestTrace;
}

/** The OpenAPI security requirement of routes that need an API key. */
export const BEARER = [{ bearerAuth: [] }];

/** A `preValidation` hook that lets a route with an optional body be called without one (validated as `{}`). */
export async function emptyBodyAsObject(request: { body: unknown }): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/**
 * A `preValidation` hook of the routes that take no body (pause, resume, cancel, DLQ
 * retry, delete): no body, an empty one or `{}` pass; a field answers 400 naming it
 * (`/body/reason`), as an unknown field of any other body does; anything else is a 400 too.
 */
export async function refuseBody(request: { body: unknown }): Promise<void> {
  const { body } = request;
  if (body === undefined || body === null) return;
  if (typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)) {
    const keys = Object.keys(body);
    if (keys.length === 0) return;
    throw invalidRequestError(
      'body',
      keys.map((key) => unknownFieldIssue('body', '', key)),
    );
  }
  throw invalidRequestError('body', [
    { path: '/body', message: 'must be empty or {}: this route takes no body' },
  ]);
}
