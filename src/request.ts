import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { components } from './api';

/** The body of every error answer (openapi.yaml `Error`). */
type ErrorBody = components['schemas']['Error'];

/** What the UI says when the server extension does not answer at all. */
export const NOT_INSTALLED =
  'server extension not installed (or not enabled): no answer from smcost/status';

/**
 * An error from the smcost REST API, carrying the server's code, message and
 * parameters (`{"error": {"code", "message", "params"}}`), or one of this
 * client's own (`network_error` with status 0, `not_installed`,
 * `http_error`), whose English message the views replace with a translated
 * one made from the code and params.
 */
export class SmCostError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly params: Record<string, unknown> = {}
  ) {
    super(message);
    this.name = 'SmCostError';
  }
}

/** Any rejection as an SmCostError (status 0, code `error`, when it is not one). */
export function asSmCostError(error: unknown): SmCostError {
  return error instanceof SmCostError
    ? error
    : new SmCostError(String(error), 0, 'error', { detail: String(error) });
}

/**
 * Call `smcost/<path>` on the Jupyter server and return the parsed JSON.
 *
 * Throws SmCostError: with the server's message for a JSON error body, with
 * NOT_INSTALLED for a 404 without one, and with status 0 for a network failure.
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'smcost', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    const detail = String((error as Error).message ?? error);
    throw new SmCostError(
      `cannot reach the Jupyter server: ${detail}`,
      0,
      'network_error',
      { detail }
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    // checked, not trusted: a proxy may answer with something else
    const err: Partial<ErrorBody['error']> | null =
      data && typeof data === 'object' ? (data as ErrorBody).error : null;
    if (err && typeof err.message === 'string') {
      const params = (err as { params?: unknown }).params;
      throw new SmCostError(
        err.message,
        response.status,
        String(err.code ?? 'error'),
        params && typeof params === 'object'
          ? (params as Record<string, unknown>)
          : {}
      );
    }
    if (response.status === 404) {
      throw new SmCostError(NOT_INSTALLED, 404, 'not_installed');
    }
    throw new SmCostError(
      `the server answered ${response.status} ${response.statusText}`.trim(),
      response.status,
      'http_error',
      { status: response.status, statusText: response.statusText }
    );
  }
  return data as T;
}
