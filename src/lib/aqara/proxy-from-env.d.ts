// proxy-from-env 2.x ships no types; this is its whole public API.
declare module 'proxy-from-env' {
  /** The proxy URL for this URL from *_PROXY / ALL_PROXY and NO_PROXY (either case), or ''. */
  export function getProxyForUrl(url: string | URL): string;
}
