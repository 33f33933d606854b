import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAqaraError } from '../../src/lib/aqara/errors';
import { DeviceService } from '../../src/lib/aqara/intents/device-service';
import { checkWrite, parseDefinition, typeValue } from '../../src/lib/aqara/intents/resource-values';
import type { TokenManager } from '../../src/lib/tokens/manager';
import {
  CUBE_DID,
  CURTAIN_DID,
  OFFLINE_DID,
  PLUG_DID,
  SENSOR_DID,
  SILENT_SWITCH_DID,
  SWITCH_DID,
} from '../../simulator/devices';
import { type Harness, startHarness } from '../helpers/token-harness';

const VALUE = 'query.resource.value';
const INFO = 'query.resource.info';
const WRITE = 'write.resource.device';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the promise to reject');
}

describe('resource values: typing and write checks on real-shaped definitions', () => {
  const def = (fields: Record<string, unknown>) =>
    parseDefinition({ resourceId: '4.1.85', name: 'Switch', model: 'm', ...fields }, 'm')!;

  it('types a plain decimal as a number only when the range is numeric', () => {
    const numeric = def({ minValue: -4000, maxValue: 12500, access: 3 });
    assert.equal(typeValue('2607', numeric), 2607);
    assert.equal(typeValue('-57', numeric), -57);
    assert.equal(typeValue('01', numeric), '01', 'a leading zero is a code');
    assert.equal(typeValue('0000000002000080', numeric), '0000000002000080');
    assert.equal(typeValue('0x1F', numeric), '0x1F');
    assert.equal(typeValue('{"a":1}', numeric), '{"a":1}');
    const noRange = def({ minValue: 'null', maxValue: 'null', enums: 'null' });
    assert.equal(typeValue('100', noRange), '100');
    assert.equal(typeValue('100', undefined), '100', 'no definition: the string as sent');
  });

  it('reads comma-separated enums and the string "null"', () => {
    assert.deepEqual(def({ enums: 'flip90,flip180,move' }).enums, ['flip90', 'flip180', 'move']);
    assert.equal(def({ enums: 'null' }).enums, null);
    assert.equal(def({ enums: '' }).enums, null);
    assert.equal(def({ minValue: 'null' }).minValue, null);
  });

  it('checks writes: read-only, range, enums, type, undocumented access', () => {
    const sw = def({ minValue: 0, maxValue: 1, access: 2 });
    assert.deepEqual(checkWrite(true, sw, 'r'), { ok: true, value: '1' });
    assert.deepEqual(checkWrite(0, sw, 'r'), { ok: true, value: '0' });
    assert.match(String((checkWrite(2, sw, 'r') as { reason: string }).reason), /out of range/);
    assert.match(String((checkWrite('on', sw, 'r') as { reason: string }).reason), /not a number/);
    assert.match(
      String((checkWrite({}, sw, 'r') as { reason: string }).reason),
      /number, a string or a boolean/,
    );
    const ro = def({ access: 0, minValue: 0, maxValue: 1 });
    assert.match(String((checkWrite(1, ro, 'r') as { reason: string }).reason), /read-only/);
    const seven = def({ access: 7, minValue: 0, maxValue: 1 });
    assert.match(
      String((checkWrite(1, seven, 'r') as { reason: string }).reason),
      /cannot be checked.*access 7/,
    );
    assert.deepEqual(checkWrite(1, seven, 'r', { undocumentedAccess: true }), { ok: true, value: '1' });
    assert.match(
      String((checkWrite(3, seven, 'r', { undocumentedAccess: true }) as { reason: string }).reason),
      /out of range/,
    );
    assert.match(
      String((checkWrite(1, ro, 'r', { undocumentedAccess: true }) as { reason: string }).reason),
      /read-only/,
    );
    const codes = def({ access: 2, enums: '00,01,02', minValue: 'null', maxValue: 'null' });
    assert.deepEqual(checkWrite('01', codes, 'r'), { ok: true, value: '01' });
    assert.match(String((checkWrite(1, codes, 'r') as { reason: string }).reason), /not one of 00, 01, 02/);
  });
});

describe('device service against the simulator', () => {
  let h: Harness;
  let manager: TokenManager;
  let devices: DeviceService;

  beforeEach(async () => {
    h = await startHarness({ resourceBatchLimit: 3 });
    h.seedToken();
    manager = h.makeManager();
    devices = new DeviceService(manager, { batchLimit: 3 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('lists every device over several pages and caches the listing', async () => {
    const service = new DeviceService(manager);
    const list = await service.listDevices();
    assert.ok(list.length >= 9);
    const sensor = list.find((device) => device.did === SENSOR_DID);
    assert.equal(sensor?.name, '阳台温湿度');
    assert.equal(list.find((device) => device.did === OFFLINE_DID)?.state, 0);
    const calls = h.sim.callCount('query.device.info');
    await service.listDevices();
    assert.equal(h.sim.callCount('query.device.info'), calls, 'second listing from the cache');
    await service.read(SENSOR_DID, ['0.1.85']);
    assert.equal(h.sim.callCount('query.device.info'), calls, 'a listed device needs no lookup');
  });

  it('reads N resources in ceil(N / batch limit) calls and types values', async () => {
    const reading = await devices.read(SWITCH_DID, ['4.1.85', '4.2.85', '14.17.85', '13.7.85', '8.0.2007']);
    assert.equal(h.sim.callCount(VALUE), 2, '5 resources, batch limit 3');
    const byId = Object.fromEntries(reading.readings.map((r) => [r.resourceId, r.value]));
    assert.deepEqual(byId, {
      '4.1.85': 0,
      '4.2.85': 1,
      '14.17.85': '01',
      '13.7.85': '0000000002000080',
      '8.0.2007': -57,
    });
    assert.equal(reading.device.name, 'Wall switch');
    assert.equal(reading.readings[0].name, 'Left switch');
    assert.equal(typeof reading.readings[0].time, 'number');
    await devices.read(SWITCH_DID, ['4.1.85']);
    assert.equal(h.sim.callCount(INFO), 1, 'definitions fetched once per model');
  });

  it('with no ids reads every resource the model defines, and keeps undocumented access readable', async () => {
    const service = new DeviceService(manager, { batchLimit: 100 });
    h.sim.devices.batchLimit = 100;
    const reading = await service.read(SENSOR_DID);
    const ids = reading.readings.map((r) => r.resourceId);
    // access 3, 7 and "null" are all read; 8.0.2041 is listed but refused by Aqara.
    assert.ok(ids.includes('0.1.85') && ids.includes('0.3.85') && ids.includes('8.0.2008'));
    assert.deepEqual(reading.unreadable, ['8.0.2041']);
    assert.equal(typeof reading.readings.find((r) => r.resourceId === '0.1.85')?.value, 'number');
  });

  it('falls back to one resource at a time on 302 "all resource not open" and remembers', async () => {
    const first = await devices.read(CUBE_DID, ['13.1.85', '8.0.2041']);
    assert.deepEqual(first.unreadable, ['8.0.2041']);
    assert.deepEqual(
      first.readings.map((r) => [r.resourceId, r.value]),
      [['13.1.85', 'flip90']],
    );
    assert.equal(h.sim.callCount(VALUE), 3, 'the batch, then each resource alone');
    const again = await devices.read(CUBE_DID, ['13.1.85', '8.0.2041']);
    assert.deepEqual(again.unreadable, ['8.0.2041']);
    assert.equal(h.sim.callCount(VALUE), 4, 'the unreadable one is not asked again');
  });

  it('a value with no definition is read as the string sent', async () => {
    const reading = await devices.read(PLUG_DID, ['0.12.85', '4.1.85']);
    const power = reading.readings.find((r) => r.resourceId === '0.12.85');
    assert.equal(power?.value, '118.5');
    assert.equal(power?.name, '0.12.85');
  });

  it('values change between reads', async () => {
    h.sim.devices.setValue(SENSOR_DID, '0.1.85', '2100');
    const a = await devices.read(SENSOR_DID, ['0.1.85']);
    h.sim.devices.setValue(SENSOR_DID, '0.1.85', '2150');
    const b = await devices.read(SENSOR_DID, ['0.1.85']);
    assert.deepEqual([a.readings[0].value, b.readings[0].value], [2100, 2150]);
  });

  it('writes checked values as strings; the simulator applies them', async () => {
    const result = await devices.write(SWITCH_DID, { '4.1.85': true, '4.2.85': 0 });
    assert.deepEqual(result.written, { '4.1.85': '1', '4.2.85': '0' });
    assert.equal(typeof result.requestId, 'string');
    assert.equal(h.sim.callCount(WRITE), 1);
    const sent = h.sim.calls.find((call) => call.intent === WRITE)?.data;
    assert.deepEqual(sent, [
      {
        subjectId: SWITCH_DID,
        resources: [
          { resourceId: '4.1.85', value: '1' },
          { resourceId: '4.2.85', value: '0' },
        ],
      },
    ]);
    assert.equal(h.sim.devices.value(SWITCH_DID, '4.1.85'), '1');
    const reading = await devices.read(SWITCH_DID, ['4.1.85']);
    assert.equal(reading.readings[0].value, 1);
  });

  it('refuses bad writes naming the resource, sending nothing', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [SWITCH_DID, { '4.1.85': 2 }, /4\.1\.85.*out of range/],
      [SWITCH_DID, { '13.7.85': '1' }, /13\.7\.85.*read-only/],
      [SWITCH_DID, { '14.17.85': '7' }, /14\.17\.85.*not one of/],
      [SWITCH_DID, { '9.9.9': 1 }, /has no resource 9\.9\.9/],
      [SWITCH_DID, { '4.1.85': { on: true } }, /4\.1\.85.*number, a string or a boolean/],
      [PLUG_DID, { '0.12.85': 1 }, /0\.12\.85.*cannot be checked/],
      [PLUG_DID, { '8.0.2030': 1 }, /8\.0\.2030.*access 7/],
      [SWITCH_DID, { '4.1.85': 1, '4.2.85': 'x' }, /4\.2\.85/],
    ];
    for (const [did, values, pattern] of cases) {
      const error = await rejection(devices.write(did, values));
      assert.match(error.message, pattern);
      assert.match(error.message, /nothing written/);
    }
    assert.equal(h.sim.callCount(WRITE), 0);
    assert.equal(h.sim.devices.writes.length, 0);
  });

  it('names the device when it is offline (602), its gateway is silent (612) or unknown', async () => {
    const offline = await rejection(devices.read(OFFLINE_DID, ['0.1.85']));
    assert.match(offline.message, /"Garage sensor" \(lumi\.158d000bdeadbe\) is offline \(Aqara code 602\)/);
    const silent = await rejection(devices.write(SILENT_SWITCH_DID, { '4.1.85': 1 }));
    assert.match(silent.message, /gateway of Aqara device "Garage switch".*612.*may or may not/);
    const unknown = await rejection(devices.read('lumi.nothere', []));
    assert.match(unknown.message, /lumi\.nothere is not in this Aqara account/);
    assert.equal(h.sim.callCount(VALUE) + h.sim.callCount(WRITE), 2);
  });

  it('reports a lost write answer as "may have been applied" and never retries it', async () => {
    h.sim.injectFault({ intent: WRITE, fault: { kind: 'dropAfterProcessing' } });
    const error = await rejection(devices.write(CURTAIN_DID, { '1.1.85': 40 }));
    assert.match(error.message, /may have been applied/);
    assert.ok(isAqaraError(error) && error.answerLost);
    assert.equal(h.sim.callCount(WRITE), 1, 'not retried');
    assert.equal(h.sim.devices.value(CURTAIN_DID, '1.1.85'), '40', 'it was applied');
  });
});

describe('a model Aqara sends no definitions for', () => {
  it('reads every value as the string sent and refuses writes, saying why', async () => {
    const h = await startHarness({
      devices: [
        {
          did: 'lumi.new0001',
          parentDid: '',
          positionId: 'real1.home',
          model: 'lumi.brand.new',
          modelType: 2,
          state: 1,
          deviceName: '新设备',
          firmwareVersion: '1.0.0',
          values: { '4.1.85': '1', '0.5.85': '2300' },
        },
      ],
    });
    try {
      h.seedToken();
      const devices = new DeviceService(h.makeManager());
      const reading = await devices.read('lumi.new0001');
      assert.deepEqual(
        reading.readings.map((r) => [r.resourceId, r.value]),
        [
          ['4.1.85', '1'],
          ['0.5.85', '2300'],
        ],
      );
      assert.equal(h.sim.callCount(VALUE), 1);
      const error = await rejection(devices.write('lumi.new0001', { '4.1.85': 0 }));
      assert.match(
        error.message,
        /no definitions for model lumi\.brand\.new, so the write cannot be checked/,
      );
      assert.equal(h.sim.callCount(WRITE), 0);
    } finally {
      await h.close();
    }
  });
});
