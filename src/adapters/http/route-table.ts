import FindMyWay from 'find-my-way';
import type { BodyPolicy } from './body-policy.js';
import type { Exchange } from './exchange.js';
import { HttpError } from './http-util.js';

/** Methods a route may declare. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/**
 * One route of a service.
 *
 * @example
 * ```ts
 * const route: Route = {
 *   method: 'PATCH',
 *   path: '/api/devices/:id',
 *   body: JSON_BODY,
 *   handle: (x) => x.sendJson(200, patch(x.params['id'], x.json())),
 * };
 * ```
 */
export interface Route {
  /** The method(s) it answers; `'*'`: every method (the handler answers a wrong one itself). */
  readonly method: HttpMethod | readonly HttpMethod[] | '*';
  /** A find-my-way pattern: `/api/devices/:id`, `*` for any path. */
  readonly path: string;
  /** The body it takes, read before the handler runs; none when absent. */
  readonly body?: BodyPolicy;
  /**
   * Answers the request through `x`. Throwing (or rejecting) an `HttpError` answers that error;
   * anything else is a 500 and goes to the service's `onError`.
   */
  readonly handle: (x: Exchange) => void | Promise<void>;
}

/** What a path lookup found: the route and its decoded parameters. */
export interface RouteMatch {
  readonly route: Route;
  readonly params: Readonly<Record<string, string | undefined>>;
}

const noop = (): void => undefined;

/**
 * A service's routes in a find-my-way radix tree (static, parametric and wildcard segments; a
 * trailing slash is ignored). A lookup miss is a 405 with `Allow` when another method would match
 * the path, otherwise a 404.
 */
export class RouteTable {
  private readonly router = FindMyWay({ ignoreTrailingSlash: true });
  /** Every method some route declares, in table order (what a 405 looks through). */
  private readonly methods: string[] = [];
  /** The methods of each path pattern, in table order (a 405's `Allow`). */
  private readonly allow = new Map<string, string[]>();

  constructor(
    routes: readonly Route[],
    /** The 404 message for a path no route has. */
    private readonly notFound: (path: string) => string = (path) => `no route ${path}`,
  ) {
    for (const route of routes) this.add(route);
  }

  private add(route: Route): void {
    if (route.method === '*') {
      this.router.all(route.path, noop, route);
      return;
    }
    const methods = typeof route.method === 'string' ? [route.method] : route.method;
    const allow = this.allow.get(route.path) ?? [];
    this.allow.set(route.path, allow);
    for (const method of methods) {
      this.router.on(method, route.path, noop, route);
      if (!this.methods.includes(method)) this.methods.push(method);
      if (!allow.includes(method)) allow.push(method);
    }
  }

  /** The route for `method` and `path` (percent-encoded, without the query), or an HttpError. */
  match(method: string, path: string): RouteMatch {
    const found = this.router.find(method as FindMyWay.HTTPMethod, path);
    if (found) return { route: found.store as Route, params: found.params };
    for (const other of this.methods) {
      const elsewhere = this.router.find(other as FindMyWay.HTTPMethod, path);
      if (!elsewhere) continue;
      const allow = (this.allow.get((elsewhere.store as Route).path) ?? [other]).join(', ');
      throw new HttpError(405, `method ${method} is not allowed on ${path} (allowed: ${allow})`, {
        allow,
      });
    }
    try {
      decodeURIComponent(path);
    } catch {
      throw new HttpError(400, `the path ${path} is not valid percent-encoding`);
    }
    throw new HttpError(404, this.notFound(path));
  }
}
