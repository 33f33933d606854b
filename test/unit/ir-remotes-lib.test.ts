import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  acStateOf,
  applyAcSettings,
  formatAcKey,
  parseAcTokens,
  readAcSettings,
} from '../../src/lib/aqara/intents/ac-state';
import { DeviceService } from '../../src/lib/aqara/intents/device-service';
import { IrService } from '../../src/lib/aqara/intents/ir-service';
import { closeNames } from '../../src/lib/close-names';
import type { TokenManager } from '../../src/lib/tokens/manager';
import { AC_REMOTE_DID, HUB_DID, SENSOR_DID, TV_REMOTE_DID } from '../../simulator/devices';
import { DEFAULT_IR_REMOTES } from '../../simulator/ir-remotes';
import type { SimulatorOptions } from '../../simulator/server';
import { ManualClock } from '../helpers/manual-clock';
import { type Harness, startHarness } from '../helpers/token-harness';

const CLICK = 'write.ir.click';
const AC_STATE = 'query.ir.acState';
const IR_INTENTS = ['query.ir.info', 'query.ir.keys', AC_STATE, CLICK];

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the promise to reject');
}

describe('air conditioner state (acKey grammar)', () => {
  it('reads P inverted: P0 is on, P1 is off, both ways', () => {
    assert.equal(acStateOf(parseAcTokens('P0_M0_T26_S0')!).power, 'on');
    assert.equal(acStateOf(parseAcTokens('P1_M0_T26_S0')!).power, 'off');
    const off = parseAcTokens('P1_M0_T26_S0_D0')!;
    assert.equal(formatAcKey(applyAcSettings(off, { power: 'on' })), 'P0_M0_T26_S0_D0');
    assert.equal(formatAcKey(applyAcSettings(parseAcTokens('P0')!, { power: 'off' })), 'P1');
  });

  it('names every token, keeps what it has no word for, and leaves out what the answer left out', () => {
    const tokens = parseAcTokens('P0_M4_T30_S3_D2_L1')!;
    assert.deepEqual(acStateOf(tokens), {
      power: 'on',
      mode: 'dry',
      temperature: 30,
      fan: 'high',
      swing: false,
    });
    assert.equal(formatAcKey(applyAcSettings(tokens, { mode: 'heat', swing: true })), 'P0_M1_T30_S3_D0_L1');
    // "Stop swinging" keeps a fixed position the remote had, or takes the first one.
    assert.equal(formatAcKey(applyAcSettings(tokens, { swing: false })), 'P0_M4_T30_S3_D2_L1');
    assert.equal(formatAcKey(applyAcSettings(parseAcTokens('D0')!, { swing: false })), 'D1');
    const partial = acStateOf(parseAcTokens('P1_T26')!);
    assert.deepEqual(partial, { power: 'off', mode: null, temperature: 26, fan: null, swing: null });
    assert.equal(parseAcTokens(''), undefined);
    assert.equal(parseAcTokens(42), undefined);
    assert.deepEqual(
      [...parseAcTokens('P0_bad_T25')!.entries()],
      [
        ['P', 0],
        ['T', 25],
      ],
    );
  });

  it('refuses settings out of range, unknown modes, unknown names and empty objects, all problems at once', () => {
    assert.deepEqual(
      readAcSettings({ power: 'on', mode: 'COOL', temperature: '24', fan: 'low', swing: false }),
      {
        ok: true,
        settings: { power: 'on', mode: 'cool', temperature: 24, fan: 'low', swing: false },
      },
    );
    const reason = (value: unknown): string => {
      const read = readAcSettings(value);
      assert.ok(!read.ok, JSON.stringify(value));
      return read.reason;
    };
    assert.match(reason({ temperature: 31 }), /temperature 31 °C is out of range 16\.\.30/);
    assert.match(reason({ temperature: 15 }), /out of range 16\.\.30/);
    assert.match(reason({ temperature: 24.5 }), /whole number of °C/);
    assert.match(
      reason({ mode: 'turbo' }),
      /mode must be one of "cool", "heat", "auto", "fan", "dry", not "turbo"/,
    );
    assert.match(reason({ fan: 4 }), /fan must be one of .*not number 4/);
    assert.match(reason({ power: 'yes' }), /power must be one of "on", "off"/);
    assert.match(reason({ swing: 'on' }), /swing must be true or false/);
    assert.match(reason({ temp: 24 }), /unknown setting "temp"/);
    assert.match(reason({}), /no setting given/);
    assert.match(reason('cool'), /must be an object/);
    const both = reason({ temperature: 99, mode: 'x' });
    assert.match(both, /mode must be/);
    assert.match(both, /temperature 99/);
  });

  it('offers close key names for a typo', () => {
    const keys = DEFAULT_IR_REMOTES[0].keys.map((key) => key.keyName);
    assert.deepEqual(closeNames('Powr', keys), ['Power']);
    assert.deepEqual(closeNames('volume', keys).slice(0, 2), ['Volume +', 'Volume -']);
    assert.deepEqual(closeNames('xyzzy', keys), []);
  });
});

describe('IR service over the simulator', () => {
  let h: Harness;
  let manager: TokenManager;
  let clock: ManualClock;
  let ir: IrService;

  async function start(options: SimulatorOptions = {}): Promise<void> {
    h = await startHarness(options);
    h.seedToken();
    manager = h.makeManager();
    clock = new ManualClock(Date.now());
    ir = new IrService(manager, new DeviceService(manager), { clock });
  }
  beforeEach(() => start());
  afterEach(() => h.close());

  const irCalls = (): number => IR_INTENTS.reduce((sum, intent) => sum + h.sim.callCount(intent), 0);

  it('describes a remote once: after that, pressing a key costs one click', async () => {
    const first = await ir.press(TV_REMOTE_DID, 'Power');
    assert.equal(first.keyId, '1');
    assert.equal(first.key, 'Power');
    assert.equal(typeof first.requestId, 'string');
    assert.equal(h.sim.callCount('query.ir.info'), 1);
    assert.equal(h.sim.callCount('query.ir.keys'), 1);
    h.sim.resetCounters();
    await ir.press(TV_REMOTE_DID, 'Volume +');
    await ir.press(TV_REMOTE_DID, '信号源');
    assert.equal(h.sim.callCount(), 2, 'one call per key press');
    assert.deepEqual(
      h.sim.ir.clicks.map((click) => [click.keyName, click.controllerId]),
      [
        ['Volume +', 10120],
        ['信号源', 10120],
      ],
    );
    // A day later the keys are asked again (they may have been edited in the app).
    clock.advance(24 * 60 * 60 * 1000);
    await ir.press(TV_REMOTE_DID, 'Mute');
    assert.equal(h.sim.callCount('query.ir.keys'), 1);
  });

  it('takes a key name that differs only in case or spaces; an unknown one lists close names, nothing sent', async () => {
    assert.equal((await ir.press(TV_REMOTE_DID, ' volume  + ')).key, 'Volume +');
    h.sim.resetCounters();
    const error = await rejection(ir.press(TV_REMOTE_DID, 'Powr'));
    assert.match(
      error.message,
      /infrared remote "Living room TV" \(ir\.1093827485263921152\) has no key "Powr"; close: "Power"/,
    );
    const far = await rejection(ir.press(TV_REMOTE_DID, 'Netflix'));
    assert.match(
      far.message,
      /its keys include "Power", "Mute", "Volume \+", "Volume -", "Channel \+", … \(14 in all\)/,
    );
    assert.equal(h.sim.callCount(), 0, 'nothing sent');
  });

  it('sets an air conditioner: P0 is on, the rest of the state is kept, and the state after comes back', async () => {
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P1_M0_T26_S0_D0', 'starts off');
    const on = await ir.setAc(AC_REMOTE_DID, { power: 'on', temperature: 24 });
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P0_M0_T24_S0_D0');
    assert.deepEqual(on.ac, { power: 'on', mode: 'cool', temperature: 24, fan: 'auto', swing: true });
    // query.ir.acState left D out: so did the click, and the remote kept its swing.
    assert.equal(on.acKey, 'P0_M0_T24_S0');
    assert.equal(h.sim.callCount(AC_STATE), 1);
    assert.equal(h.sim.callCount(CLICK), 1);

    h.sim.resetCounters();
    const off = await ir.setAc(AC_REMOTE_DID, { power: 'off' });
    assert.equal(off.ac.power, 'off');
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P1_M0_T24_S0_D0');
    assert.equal(h.sim.callCount(), 1, 'the state was known from the last click: one call');
  });

  it('reads the state again after 10 minutes, after a failed click, or after a key changed it unseen', async () => {
    await ir.setAc(AC_REMOTE_DID, { mode: 'heat' });
    h.sim.resetCounters();
    // Someone used the physical remote meanwhile; after 10 minutes the package asks again.
    h.sim.ir.setAcState(AC_REMOTE_DID, 'T20');
    clock.advance(10 * 60 * 1000);
    const change = await ir.setAc(AC_REMOTE_DID, { fan: 'high' });
    assert.equal(h.sim.callCount(), 2, 'an acState read and a click');
    assert.equal(change.ac.temperature, 20, 'the temperature set by hand was kept');
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P1_M1_T20_S3_D0');
  });

  it('a key of an air conditioner remote may be pressed; its state after comes from the click', async () => {
    const press = await ir.press(AC_REMOTE_DID, 'Power');
    assert.equal(press.ac?.power, 'on', 'the power key turned the AC on (P1 -> P0)');
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P0_M0_T26_S0_D0');
    h.sim.resetCounters();
    await ir.setAc(AC_REMOTE_DID, { temperature: 22 });
    assert.equal(h.sim.callCount(), 1);
  });

  it('refuses settings for a keyed remote and a did that is not a remote, with no infrared call', async () => {
    const keyed = await rejection(ir.setAc(TV_REMOTE_DID, { power: 'on' }));
    assert.match(
      keyed.message,
      /"Living room TV" \(ir\.1093827485263921152\) is a keyed remote \(type 1\).*send a key name such as "Power"/,
    );
    assert.equal(h.sim.callCount(CLICK), 0);
    h.sim.resetCounters();
    const sensor = await rejection(ir.press(SENSOR_DID, 'Power'));
    assert.match(sensor.message, /is not an infrared remote \(model lumi\.weather\.v1/);
    const hub = await rejection(ir.setAc(HUB_DID, { power: 'on' }));
    assert.match(hub.message, /is not an infrared remote/);
    const stranger = await rejection(ir.press('ir.0000000000000000000', 'Power'));
    assert.match(stranger.message, /is not in this Aqara account/);
    assert.equal(irCalls(), 0, 'no infrared intent was sent');
    assert.equal(h.sim.ir.clicks.length, 0);
  });

  it('an offline hub is reported naming the remote; nothing was pressed', async () => {
    await ir.press(TV_REMOTE_DID, 'Power');
    h.sim.devices.setOnline(HUB_DID, false);
    const error = await rejection(ir.press(TV_REMOTE_DID, 'Mute'));
    assert.match(error.message, /"Living room TV" \(ir\.1093827485263921152\) is offline \(Aqara code 602\)/);
    assert.equal(h.sim.ir.clicks.length, 1);
  });
});

describe('IR service: an air conditioner remote without keys', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('refuses a key name and says to send settings; settings work', async () => {
    const ac = DEFAULT_IR_REMOTES.find((remote) => remote.did === AC_REMOTE_DID)!;
    h = await startHarness({
      irRemotes: [DEFAULT_IR_REMOTES[0], { ...ac, keys: [], acStateOmits: [] }],
    });
    h.seedToken();
    const manager = h.makeManager();
    const ir = new IrService(manager, new DeviceService(manager));
    const error = await rejection(ir.press(AC_REMOTE_DID, 'Power'));
    assert.match(
      error.message,
      /is an air conditioner without keys: send an object \{power, mode, temperature, fan, swing\}/,
    );
    assert.equal(h.sim.callCount(CLICK), 0);
    const change = await ir.setAc(AC_REMOTE_DID, { power: 'on', mode: 'cool', temperature: 24 });
    assert.equal(change.acKey, 'P0_M0_T24_S0_D0');
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P0_M0_T24_S0_D0');
  });
});
