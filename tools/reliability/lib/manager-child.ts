import { AqaraClient, type TokenGrant } from '../../../src/lib/aqara/client';
import type { TokenClient } from '../../../src/lib/tokens/manager';

/**
 * The start-up the manager-running children (tools/reliability/children/*.ts) share. Their argv is
 * what Lab.childArgs() writes: dbPath baseUrl appId keyId appKey sceneId configId, then each child's
 * own arguments (`rest`).
 */
export interface ManagerChildArgs {
  dbPath: string;
  appId: string;
  sceneId: string;
  configId: string;
  /** An Aqara client for the app in argv, aimed at the simulator. */
  client: AqaraClient;
  rest: string[];
}

export function managerChildArgs(argv: string[] = process.argv.slice(2)): ManagerChildArgs {
  const [dbPath, baseUrl, appId, keyId, appKey, sceneId, configId, ...rest] = argv;
  const client = new AqaraClient({ baseUrl, appId, keyId, appKey });
  return { dbPath, appId, sceneId, configId, client, rest };
}

/** The client as the TokenManager sees it, with a call before each refresh is sent and after its answer. */
export function reportingRefreshes(
  client: AqaraClient,
  sent: (token: string) => void,
  answered: (token: string, grant: TokenGrant) => void,
): TokenClient {
  return {
    async refreshToken(token) {
      sent(token);
      const grant = await client.refreshToken(token);
      answered(token, grant);
      return grant;
    },
    request: (intent, data, accessToken) => client.request(intent, data, accessToken),
  };
}
