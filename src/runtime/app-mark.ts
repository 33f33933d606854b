/**
 * Marks an app once the routes are on it. A symbol from the global registry, not a module variable,
 * so a second copy of this module (re-required, or installed twice) cannot add them again.
 */
const ROUTES_MARK = Symbol.for('@metron/node-red-aqara-cloud:routes');

/** Marks `app` and says whether it was unmarked, i.e. whether the routes still have to be added. */
export function claimApp(app: object | undefined): app is object {
  if (!app) return false;
  const marked = app as Record<symbol, true | undefined>;
  if (marked[ROUTES_MARK]) return false;
  Object.defineProperty(app, ROUTES_MARK, { value: true });
  return true;
}
