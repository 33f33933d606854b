import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import {
  AC_REMOTE_DID,
  HUB_DID,
  HUB_MODEL,
  SENSOR_DID,
  SILENT_HUB_DID,
  TV_REMOTE_DID,
} from '../../simulator/devices';
import { AC_CONTROLLER_ID, TV_CONTROLLER_ID } from '../../simulator/ir-remotes';
import { AqaraSimulator, startSimulator, type SimulatorOptions } from '../../simulator/server';
import { simHeaders } from '../helpers/sim-sign';

// Infrared remotes, automations, firmware and position details, over signed HTTP like any client.

interface Envelope {
  code: number;
  message: string;
  result: unknown;
}

interface Session {
  sim: AqaraSimulator;
  call: (intent: string, data?: unknown) => Promise<Envelope>;
}

async function session(t: TestContext, options?: SimulatorOptions): Promise<Session> {
  const sim = await startSimulator(options);
  t.after(() => sim.stop());
  const send = async (intent: string, data: unknown, accessToken?: string): Promise<Envelope> => {
    const res = await fetch(`${sim.baseUrl}/v3.0/open/api`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...simHeaders({ ...sim.apps[0], accessToken }) },
      body: JSON.stringify({ intent, data }),
    });
    // Refusals come as HTTP 200 with a code, as at Aqara.
    assert.equal(res.status, 200, `HTTP status of ${intent}`);
    return (await res.json()) as Envelope;
  };
  const grant = await send('config.auth.refreshToken', { refreshToken: sim.issueRefreshToken() });
  const accessToken = (grant.result as { accessToken: string }).accessToken;
  return { sim, call: (intent, data) => send(intent, data, accessToken) };
}

async function ok(s: Session, intent: string, data?: unknown): Promise<unknown> {
  const reply = await s.call(intent, data);
  assert.equal(reply.code, 0, `${intent}: ${reply.message}`);
  return reply.result;
}

async function refused(s: Session, intent: string, data: unknown, code = 302): Promise<string> {
  const reply = await s.call(intent, data);
  assert.equal(reply.code, code, `${intent} ${JSON.stringify(data)} answered ${reply.code} ${reply.message}`);
  return reply.message;
}

interface DeviceRow {
  did: string;
  parentDid: string;
  model: string;
  modelType: number;
}

interface IrKeyRow {
  keyId: string;
  keyName: string;
  irKeyId: string;
  controllerId: unknown;
}

const acStateOf = async (s: Session): Promise<string> =>
  ((await ok(s, 'query.ir.acState', { did: AC_REMOTE_DID })) as { acState: string }).acState;

const clickAc = async (s: Session, acKey: string, extra: object = {}): Promise<string> =>
  ((await ok(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey, ...extra })) as { acState: string }).acState;

test('the default account lists a TV and an air conditioner remote under its IR-capable Hub M2', async (t) => {
  const s = await session(t);
  const { data } = (await ok(s, 'query.device.info', { pageNum: 1, pageSize: 100 })) as { data: DeviceRow[] };
  const byDid = new Map(data.map((device) => [device.did, device]));
  assert.equal(byDid.get(TV_REMOTE_DID)?.model, 'virtual.ir.tv');
  assert.equal(byDid.get(AC_REMOTE_DID)?.model, 'virtual.ir.ac');
  for (const did of [TV_REMOTE_DID, AC_REMOTE_DID]) {
    assert.equal(byDid.get(did)?.parentDid, HUB_DID);
    assert.equal(byDid.get(did)?.modelType, 3);
  }
  assert.equal(byDid.get(HUB_DID)?.model, HUB_MODEL);

  const list = (await ok(s, 'query.ir.list', { parentDid: HUB_DID })) as { did: string; type: number }[];
  assert.deepEqual(
    list.map((remote) => [remote.did, remote.type]),
    [
      [TV_REMOTE_DID, 1],
      [AC_REMOTE_DID, 2],
    ],
  );
  assert.deepEqual(await ok(s, 'query.ir.list', { parentDid: SILENT_HUB_DID }), []);
  await refused(s, 'query.ir.list', { parentDid: 'lumi1.000000000000' });
  await refused(s, 'query.ir.list', {});
});

test('query.ir.info and query.ir.keys: the controller id a string or null in one, a number in the other', async (t) => {
  const s = await session(t);
  const tv = (await ok(s, 'query.ir.info', { did: TV_REMOTE_DID })) as Record<string, unknown>;
  assert.equal(tv.controllerId, String(TV_CONTROLLER_ID));
  assert.equal(tv.type, 1);
  assert.equal(typeof tv.brandId, 'number');
  assert.equal(typeof tv.categoryId, 'number');
  const ac = (await ok(s, 'query.ir.info', { did: AC_REMOTE_DID })) as Record<string, unknown>;
  assert.equal(ac.controllerId, null);
  assert.equal(ac.type, 2);

  const tvKeys = (await ok(s, 'query.ir.keys', { did: TV_REMOTE_DID })) as { keys: IrKeyRow[]; type: number };
  assert.equal(tvKeys.type, 1);
  assert.ok(tvKeys.keys.length >= 12, `a TV remote has a dozen keys, got ${tvKeys.keys.length}`);
  for (const key of tvKeys.keys) {
    assert.equal(typeof key.keyId, 'string');
    assert.equal(key.controllerId, TV_CONTROLLER_ID);
  }
  assert.ok(tvKeys.keys.some((key) => key.keyName === 'Power'));
  const acKeys = (await ok(s, 'query.ir.keys', { did: AC_REMOTE_DID })) as { keys: IrKeyRow[]; type: number };
  assert.equal(acKeys.type, 2);
  assert.ok(acKeys.keys.length > 0 && acKeys.keys.every((key) => key.controllerId === AC_CONTROLLER_ID));
});

test('every IR intent refuses a missing did, an unknown did and a device that is not a remote with 302', async (t) => {
  const s = await session(t);
  for (const intent of ['query.ir.info', 'query.ir.keys', 'query.ir.acState', 'write.ir.click']) {
    assert.match(await refused(s, intent, {}), /did is required/);
    assert.match(await refused(s, intent, { did: 'ir.0000000000000000000' }), /unknown did/);
    assert.match(await refused(s, intent, { did: SENSOR_DID, keyId: '1' }), /not an infrared remote/);
  }
  await refused(s, 'query.ir.acState', { did: TV_REMOTE_DID });
  assert.equal(s.sim.ir.clicks.length, 0);
});

test('a key press needs the remote’s controller id (number or string) and a key it has; each is recorded', async (t) => {
  const s = await session(t);
  const keys = ((await ok(s, 'query.ir.keys', { did: TV_REMOTE_DID })) as { keys: IrKeyRow[] }).keys;
  const power = keys.find((key) => key.keyName === 'Power');
  const mute = keys.find((key) => key.keyName === 'Mute');
  assert.ok(power && mute);

  assert.equal(
    await ok(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: TV_CONTROLLER_ID, keyId: power.keyId }),
    '',
  );
  // The string form query.ir.info gives is taken back too.
  await ok(s, 'write.ir.click', {
    did: TV_REMOTE_DID,
    controllerId: String(TV_CONTROLLER_ID),
    keyId: mute.keyId,
  });

  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: TV_CONTROLLER_ID + 1, keyId: '1' });
  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: 'abc', keyId: '1' });
  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, keyId: '1' });
  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: TV_CONTROLLER_ID, keyId: '999' });
  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: TV_CONTROLLER_ID, keyId: 1 });
  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: TV_CONTROLLER_ID });
  // An acKey is for air conditioners only.
  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, acKey: 'P0' });

  assert.deepEqual(
    s.sim.ir.clicks.map(({ did, keyId, keyName, controllerId, isAcMatch }) => ({
      did,
      keyId,
      keyName,
      controllerId,
      isAcMatch,
    })),
    [
      {
        did: TV_REMOTE_DID,
        keyId: power.keyId,
        keyName: 'Power',
        controllerId: TV_CONTROLLER_ID,
        isAcMatch: false,
      },
      {
        did: TV_REMOTE_DID,
        keyId: mute.keyId,
        keyName: 'Mute',
        controllerId: String(TV_CONTROLLER_ID),
        isAcMatch: false,
      },
    ],
  );
  assert.equal(s.sim.ir.clicks[0].appId, s.sim.apps[0].appId);
});

test('acKey: P0 is ON and P1 is OFF, a click keeps what it does not name and answers the state after it', async (t) => {
  const s = await session(t);
  // The default air conditioner starts off (P1): turning it on is P0, not P1.
  assert.equal(s.sim.ir.acState(AC_REMOTE_DID), 'P1_M0_T26_S0_D0');
  assert.equal(await clickAc(s, 'P0'), 'P0_M0_T26_S0_D0');
  assert.equal(await clickAc(s, 'M1_T22'), 'P0_M1_T22_S0_D0');
  assert.equal(await clickAc(s, 'S3_D1'), 'P0_M1_T22_S3_D1');
  assert.equal(
    await clickAc(s, 'P1'),
    'P1_M1_T22_S3_D1',
    'switching off keeps mode, temperature, fan and swing',
  );
  assert.equal(await clickAc(s, 'P0_M0_T25_S2_D0'), 'P0_M0_T25_S2_D0');
  assert.deepEqual(
    s.sim.ir.clicks.map((click) => [click.acKey, click.acState]),
    [
      ['P0', 'P0_M0_T26_S0_D0'],
      ['M1_T22', 'P0_M1_T22_S0_D0'],
      ['S3_D1', 'P0_M1_T22_S3_D1'],
      ['P1', 'P1_M1_T22_S3_D1'],
      ['P0_M0_T25_S2_D0', 'P0_M0_T25_S2_D0'],
    ],
  );
});

test('query.ir.acState leaves tokens out (the swing by default), as configured, and never changes the state', async (t) => {
  const s = await session(t);
  await clickAc(s, 'P0_M4_T18_S1_D2');
  assert.equal(await acStateOf(s), 'P0_M4_T18_S1', 'the default answer has no D, like the published example');
  s.sim.ir.setAcStateOmits(AC_REMOTE_DID, ['S', 'D']);
  assert.equal(await acStateOf(s), 'P0_M4_T18');
  s.sim.ir.setAcStateOmits(AC_REMOTE_DID, []);
  assert.equal(await acStateOf(s), 'P0_M4_T18_S1_D2');
  // The click's own answer is always whole.
  s.sim.ir.setAcStateOmits(AC_REMOTE_DID, ['P', 'M', 'T', 'S', 'D']);
  assert.equal(await acStateOf(s), '');
  assert.equal(await clickAc(s, 'T19'), 'P0_M4_T19_S1_D2');

  const custom = await session(t, {
    irRemotes: [
      {
        did: AC_REMOTE_DID,
        type: 2,
        brandId: 1,
        brandName: 'Test',
        categoryId: 5,
        controllerId: 7,
        infoControllerId: 'string',
        lineupId: '',
        keys: [],
        acState: 'P0_M2_T24_S0_D0',
        acStateOmits: ['T'],
      },
    ],
  });
  assert.equal(await acStateOf(custom), 'P0_M2_S0_D0');
});

test('acKey: a malformed key, an out-of-range value or a wrong type answers 302 and changes nothing', async (t) => {
  const s = await session(t);
  const before = s.sim.ir.acState(AC_REMOTE_DID);
  const bad: unknown[] = [
    '',
    'P0-M0',
    'p0',
    'P',
    'T25.5',
    'T-20',
    'X1',
    'P0_P1',
    'P0__M0',
    'P2',
    'M5',
    'S4',
    'T31',
    'T15',
    'P0_T35',
    25,
    true,
  ];
  for (const acKey of bad) await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey });
  assert.match(await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'T31' }), /temperature 31/);
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0', keyId: '1' });
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0', isAcMatch: true });
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0', isAcMatch: 2 });
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0', brandId: 1 });
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0', controllerId: 1 });
  assert.equal(s.sim.ir.acState(AC_REMOTE_DID), before);
  assert.equal(s.sim.ir.clicks.length, 0);
  // The edges of the range are fine.
  assert.equal(await clickAc(s, 'T16'), before.replace('T26', 'T16'));
  assert.equal(await clickAc(s, 'T30'), before.replace('T26', 'T30'));
});

test('isAcMatch 1 is a matching test: recorded as pressed, the state stays', async (t) => {
  const s = await session(t);
  const before = s.sim.ir.acState(AC_REMOTE_DID);
  assert.equal(await clickAc(s, 'P0_M1_T30', { isAcMatch: 1 }), before);
  assert.equal(await acStateOf(s), 'P1_M0_T26_S0');
  assert.equal(await clickAc(s, 'P0', { isAcMatch: 0, brandId: '182' }), 'P0_M0_T26_S0_D0');
  assert.deepEqual(
    s.sim.ir.clicks.map((click) => [click.acKey, click.isAcMatch]),
    [
      ['P0_M1_T30', true],
      ['P0', false],
    ],
  );
});

test('the air conditioner’s own keys change its state like the remote in a hand, within its limits', async (t) => {
  const s = await session(t);
  const keys = ((await ok(s, 'query.ir.keys', { did: AC_REMOTE_DID })) as { keys: IrKeyRow[] }).keys;
  const press = async (name: string): Promise<string> => {
    const key = keys.find((candidate) => candidate.keyName === name);
    assert.ok(key, name);
    const result = await ok(s, 'write.ir.click', {
      did: AC_REMOTE_DID,
      controllerId: AC_CONTROLLER_ID,
      keyId: key.keyId,
    });
    return (result as { acState: string }).acState;
  };
  assert.equal(await press('Power'), 'P0_M0_T26_S0_D0');
  assert.equal(await press('Temp +'), 'P0_M0_T27_S0_D0');
  assert.equal(await press('Mode'), 'P0_M1_T27_S0_D0');
  assert.equal(await press('睡眠'), 'P0_M1_T27_S0_D0');
  await clickAc(s, 'T30');
  assert.equal(await press('Temp +'), 'P0_M1_T30_S0_D0', '30 °C is the top');
  assert.equal(await press('Power'), 'P1_M1_T30_S0_D0');
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, controllerId: TV_CONTROLLER_ID, keyId: '1' });
  assert.equal(s.sim.ir.clicks.filter((click) => click.keyName !== undefined).length, 6);
});

test('a remote whose hub is offline answers 602, a silent hub 612; nothing is pressed', async (t) => {
  const s = await session(t);
  s.sim.devices.setOnline(HUB_DID, false);
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0' }, 602);
  await refused(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: TV_CONTROLLER_ID, keyId: '1' }, 602);
  // The cloud still answers what it stores.
  assert.equal(await acStateOf(s), 'P1_M0_T26_S0');
  s.sim.devices.setOnline(HUB_DID, true);
  s.sim.devices.setGatewayTimeout(HUB_DID, true);
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0' }, 612);
  s.sim.devices.setGatewayTimeout(HUB_DID, false);
  s.sim.devices.setOnline(AC_REMOTE_DID, false);
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0' }, 602);
  assert.equal(s.sim.ir.acState(AC_REMOTE_DID), 'P1_M0_T26_S0_D0');
  assert.equal(s.sim.ir.clicks.length, 0);
});

interface LinkageRow {
  linkageId: string;
  positionId: string;
  name: string;
  model: string;
  enable: unknown;
  localizd: unknown;
}

interface LinkagePage {
  data: LinkageRow[];
  totalCount: unknown;
}

const linkagePage = async (s: Session, data: object): Promise<LinkagePage> =>
  (await ok(s, 'query.linkage.listByPositionId', data)) as LinkagePage;

test('automations: paged per position, totalCount a string, enable and localizd integers', async (t) => {
  const s = await session(t);
  const first = await linkagePage(s, { positionId: 'real1.home', pageNum: 1, pageSize: 3 });
  const second = await linkagePage(s, { positionId: 'real1.home', pageNum: 2, pageSize: 3 });
  const third = await linkagePage(s, { positionId: 'real1.home', pageNum: 3, pageSize: 3 });
  assert.equal(first.totalCount, '4');
  assert.equal(second.totalCount, '4');
  assert.equal(first.data.length, 3);
  assert.equal(second.data.length, 1);
  assert.deepEqual(third.data, []);
  const home = [...first.data, ...second.data];
  assert.equal(new Set(home.map((row) => row.linkageId)).size, 4);
  for (const row of home) {
    assert.match(row.linkageId, /^AL\.\d{18}$/);
    assert.equal(row.positionId, 'real1.home');
    assert.equal(row.model, 'app.ifttt.v1');
    assert.ok(row.enable === 0 || row.enable === 1, `enable ${String(row.enable)}`);
    assert.ok(Number.isInteger(row.localizd), `localizd ${String(row.localizd)}`);
  }
  assert.ok(home.some((row) => row.enable === 0) && home.some((row) => row.enable === 1));

  const byDefault = await linkagePage(s, { positionId: '', pageNum: 1, pageSize: 30 });
  assert.deepEqual(
    byDefault.data.map((row) => row.linkageId),
    home.map((row) => row.linkageId),
    '"" is the default home',
  );
  for (const room of ['real2.living', 'real2.bedroom']) {
    const page = await linkagePage(s, { positionId: room, pageNum: 1, pageSize: 30 });
    assert.equal(page.totalCount, '2');
    assert.ok(page.data.every((row) => row.positionId === room));
  }
  assert.deepEqual(await linkagePage(s, { positionId: 'real2.nowhere', pageNum: 1, pageSize: 30 }), {
    data: [],
    totalCount: '0',
  });
  await refused(s, 'query.linkage.listByPositionId', { positionId: 'real1.home', pageNum: 0, pageSize: 3 });
  await refused(s, 'query.linkage.listByPositionId', { positionId: 7, pageNum: 1, pageSize: 3 });
});

test('automation detail: conditions and actions; an unknown or missing linkageId answers 302', async (t) => {
  const s = await session(t);
  const detail = (await ok(s, 'query.linkage.detail', { linkageId: 'AL.200000000000000005' })) as {
    linkageId: string;
    enable: number;
    conditions: { relation: number; condition: { subjectId: string }[] };
    actions: { action: { subjectId: string }[] };
  };
  assert.equal(detail.linkageId, 'AL.200000000000000005');
  assert.equal(detail.enable, 1);
  assert.equal(detail.conditions.relation, 0);
  assert.ok(detail.conditions.condition.length > 0);
  assert.equal(detail.actions.action[0].subjectId, TV_REMOTE_DID);
  await refused(s, 'query.linkage.detail', { linkageId: 'AL.299999999999999999' });
  await refused(s, 'query.linkage.detail', {});
});

test('config.linkage.enable takes the integers 0 and 1 only, switches and records; refusals change nothing', async (t) => {
  const s = await session(t);
  const id = 'AL.200000000000000001';
  assert.equal(await ok(s, 'config.linkage.enable', { linkageId: id, enable: 0 }), '');
  const after = (await ok(s, 'query.linkage.detail', { linkageId: id })) as { enable: unknown };
  assert.equal(after.enable, 0);
  const listed = await linkagePage(s, { positionId: 'real1.home', pageNum: 1, pageSize: 30 });
  assert.equal(listed.data.find((row) => row.linkageId === id)?.enable, 0);

  for (const enable of [true, false, '1', '0', 2, -1, 0.5, null]) {
    await refused(s, 'config.linkage.enable', { linkageId: id, enable });
  }
  await refused(s, 'config.linkage.enable', { linkageId: id });
  await refused(s, 'config.linkage.enable', { linkageId: 'AL.299999999999999999', enable: 1 });
  await refused(s, 'config.linkage.enable', { enable: 1 });
  assert.equal(s.sim.linkages.linkage(id)?.enable, 0);

  await ok(s, 'config.linkage.enable', { linkageId: id, enable: 1 });
  assert.deepEqual(
    s.sim.linkages.switches.map(({ linkageId, enable, appId }) => ({ linkageId, enable, appId })),
    [
      { linkageId: id, enable: 0, appId: s.sim.apps[0].appId },
      { linkageId: id, enable: 1, appId: s.sim.apps[0].appId },
    ],
  );
});

test('query.ota.firmware lists a model’s versions in Aqara’s shape; query.position.detail takes up to 50 ids', async (t) => {
  const s = await session(t);
  const firmware = (await ok(s, 'query.ota.firmware', { model: HUB_MODEL })) as Record<string, unknown>[];
  assert.ok(firmware.length >= 1);
  for (const entry of firmware) {
    assert.match(String(entry.releaseTime), /^\d{13}$/);
    assert.equal(typeof entry.releaseTime, 'string');
    assert.equal(typeof entry.fileSize, 'number');
    assert.ok(entry.necessary === 0 || entry.necessary === 1);
    assert.equal(typeof entry.firmwareVersion, 'string');
  }
  assert.deepEqual(await ok(s, 'query.ota.firmware', { model: 'virtual.ir.tv' }), []);
  await refused(s, 'query.ota.firmware', {});

  const positions = (await ok(s, 'query.position.detail', {
    positionIds: ['real1.home', 'real2.living', 'real2.nowhere'],
  })) as { positionId: string; positionName: string; parentPositionId: string; timeZone: unknown }[];
  assert.deepEqual(
    positions.map((position) => [position.positionId, position.parentPositionId, position.timeZone]),
    [
      ['real1.home', '', 'GMT+08:00'],
      ['real2.living', 'real1.home', null],
    ],
  );
  const info = (await ok(s, 'query.position.info', { parentPositionId: '' })) as {
    data: { positionId: string; createTime: number }[];
  };
  const detail = (await ok(s, 'query.position.detail', { positionIds: ['real1.home'] })) as {
    createTime: number;
  }[];
  assert.equal(detail[0].createTime, info.data[0].createTime, 'the same position, the same creation time');

  const fiftyOne = Array.from({ length: 51 }, (_, index) => `real2.room${index}`);
  await refused(s, 'query.position.detail', { positionIds: fiftyOne });
  assert.deepEqual(await ok(s, 'query.position.detail', { positionIds: fiftyOne.slice(0, 50) }), []);
  await refused(s, 'query.position.detail', { positionIds: [] });
  await refused(s, 'query.position.detail', { positionIds: 'real1.home' });
  await refused(s, 'query.position.detail', {});
});

test('the new intents pass the same gate: an access token, the call count, and fault injection', async (t) => {
  const s = await session(t);
  const unsigned = await fetch(`${s.sim.baseUrl}/v3.0/open/api`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...simHeaders({ ...s.sim.apps[0] }) },
    body: JSON.stringify({ intent: 'write.ir.click', data: { did: AC_REMOTE_DID, acKey: 'P0' } }),
  });
  assert.equal(((await unsigned.json()) as Envelope).code, 109);

  s.sim.injectFault({ intent: 'write.ir.click', fault: { kind: 'code', code: 429 } });
  await refused(s, 'write.ir.click', { did: AC_REMOTE_DID, acKey: 'P0' }, 429);
  assert.equal(s.sim.ir.acState(AC_REMOTE_DID), 'P1_M0_T26_S0_D0', 'a throttled click does nothing');
  assert.equal(s.sim.ir.clicks.length, 0);
  assert.equal(s.sim.callCount('write.ir.click'), 2);

  s.sim.injectFault({ intent: 'config.linkage.enable', fault: { kind: 'dropAfterProcessing' } });
  await assert.rejects(
    fetch(`${s.sim.baseUrl}/v3.0/open/api`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...simHeaders({ ...s.sim.apps[0] }) },
      body: JSON.stringify({
        intent: 'config.linkage.enable',
        data: { linkageId: 'AL.200000000000000001', enable: 0 },
      }),
    }),
  );
  // Without an access token the dropped request was refused before it could switch anything.
  assert.equal(s.sim.linkages.switches.length, 0);
  s.sim.injectFault({ intent: 'config.linkage.enable', fault: { kind: 'dropAfterProcessing' } });
  await assert.rejects(s.call('config.linkage.enable', { linkageId: 'AL.200000000000000001', enable: 0 }));
  assert.equal(s.sim.linkages.switches.length, 1, 'the switch happened although its answer was lost');

  await ok(s, 'query.ir.keys', { did: TV_REMOTE_DID });
  await ok(s, 'query.ota.firmware', { model: HUB_MODEL });
  assert.equal(s.sim.callCount('query.ir.keys'), 1);
  assert.equal(s.sim.callCount('query.ota.firmware'), 1);
  assert.equal(s.sim.callCount('config.linkage.enable'), 2);

  await clickAc(s, 'P0');
  s.sim.resetCounters();
  assert.equal(s.sim.ir.clicks.length, 0);
  assert.equal(s.sim.linkages.switches.length, 0);
  assert.equal(s.sim.ir.acState(AC_REMOTE_DID), 'P0_M0_T26_S0_D0', 'resetting the counters keeps the state');
});

test('options: custom remotes (a keyed type 0), custom linkages; a remote that is not a virtual.ir device is refused', async (t) => {
  const s = await session(t, {
    irRemotes: [
      {
        did: TV_REMOTE_DID,
        type: 0,
        brandId: 3,
        brandName: 'Learned',
        categoryId: 2,
        controllerId: 55,
        infoControllerId: 'null',
        lineupId: '',
        keys: [{ keyId: 'k1', keyName: 'On', irKeyId: 'learned_1' }],
      },
    ],
    linkages: [
      {
        linkageId: 'AL.300000000000000001',
        name: 'Only one',
        positionId: 'real1.home',
        enable: 1,
        localizd: 0,
      },
    ],
  });
  assert.equal(((await ok(s, 'query.ir.info', { did: TV_REMOTE_DID })) as { type: number }).type, 0);
  await ok(s, 'write.ir.click', { did: TV_REMOTE_DID, controllerId: 55, keyId: 'k1' });
  // The air conditioner is still a device, but no remote of this account.
  assert.match(await refused(s, 'query.ir.acState', { did: AC_REMOTE_DID }), /not an infrared remote/);
  const page = await linkagePage(s, { positionId: '', pageNum: 1, pageSize: 30 });
  assert.deepEqual(page, {
    data: [
      {
        linkageId: 'AL.300000000000000001',
        positionId: 'real1.home',
        model: 'app.ifttt.v1',
        name: 'Only one',
        enable: 1,
        localizd: 0,
      },
    ],
    totalCount: '1',
  });

  const remote = {
    did: SENSOR_DID,
    type: 1 as const,
    brandId: 1,
    brandName: 'x',
    categoryId: 2,
    controllerId: 1,
    infoControllerId: 'string' as const,
    lineupId: '',
    keys: [],
  };
  assert.throws(() => new AqaraSimulator({ irRemotes: [remote] }), /virtual\.ir/);
  assert.throws(
    () =>
      new AqaraSimulator({
        irRemotes: [{ ...remote, did: AC_REMOTE_DID, type: 2, acState: 'P0_M0' }],
      }),
    /lacks T, S, D/,
  );
});
