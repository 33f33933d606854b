/**
 * Flags as the original Go tool took them (`-config x`), with `--config x` and `--config=x` too,
 * because users copy commands from both worlds.
 */
export interface CliArgs {
  config?: string;
  action?: string;
  refreshToken?: string;
  db?: string;
  configId?: string;
  help: boolean;
}

const VALUE_FLAGS: Readonly<Record<string, Exclude<keyof CliArgs, 'help'>>> = {
  config: 'config',
  action: 'action',
  'refresh-token': 'refreshToken',
  db: 'db',
  'config-id': 'configId',
};

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const match = /^--?([a-z-]+)(?:=(.*))?$/s.exec(word);
    if (!match) throw new UsageError(`unexpected argument "${word}"`);
    const [, name, inlineValue] = match;
    if (name === 'help' || name === 'h') {
      args.help = true;
      continue;
    }
    const key = VALUE_FLAGS[name];
    if (!key) throw new UsageError(`unknown flag -${name}`);
    const value = inlineValue ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`-${name} needs a value`);
    args[key] = value;
  }
  return args;
}

export const USAGE = `usage: aqara-test -config config.json -action pin|warn|off [-refresh-token TOKEN|-] [-db PATH] [-config-id ID]

  -config         config.json with {"aqara": {app_id, app_key, key_id, base_url, scenes}}
  -action         pin (tv_pin_entry), warn (tv_warning) or off (tv_power_off)
  -refresh-token  store this refresh token first; "-" reads it from standard input; without it the
                  AQARA_REFRESH_TOKEN environment variable is used, and without that the stored token
  -db             token database (default: aqara-cloud/tokens.db beside config.json)
  -config-id      row of the token database to use (default: aqara-test); give an aqara-config
                  node's id and that node's database to share Node-RED's token`;
