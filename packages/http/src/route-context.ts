import type { IWorkflowEngine } from '@spane/core';
import type { ResolvedHttpOptions } from './options.js';
import type { RequestAuth } from './request-auth.js';
import type { SpaneMetrics } from './spane-metrics.js';

/** What every route module gets from the plugin. */
export interface RouteContext {
  engine: IWorkflowEngine;
  auth: RequestAuth;
  options: ResolvedHttpOptions;
  /** Absent when metrics are turned off. */
  metrics: SpaneMetrics | undefined;
}

/** The OpenAPI security requirement of routes that need an API key. */
export const BEARER = [{ bearerAuth: [] }];

/** A `preValidation` hook that lets a route with an optional body be called without one (validated as `{}`). */
export async function emptyBodyAsObject(request: { body: unknown }): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
