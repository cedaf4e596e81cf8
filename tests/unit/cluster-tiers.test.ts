import { describe, expect, it } from 'vitest';
import { GUEST_ACTIONS } from '../../src/cluster/proxmox.js';
import {
  CLUSTER_ACTIONS,
  TIER_POLICY,
  classifyClusterAction,
  normaliseActionWord,
  tierAllows,
  tierNeedsConfirmation,
  type Tier,
} from '../../src/cluster/tiers.js';

const EXPECTED: Record<string, Tier> = {
  // green
  status: 'green', state: 'green', health: 'green', list: 'green', ls: 'green', vms: 'green', guests: 'green', nodes: 'green',
  show: 'green', info: 'green', details: 'green', storage: 'green', storages: 'green',
  // yellow
  start: 'yellow', 'power on': 'yellow', shutdown: 'yellow', 'shut down': 'yellow', reboot: 'yellow', restart: 'yellow',
  suspend: 'yellow', pause: 'yellow', resume: 'yellow', unpause: 'yellow', unsuspend: 'yellow',
  // red
  stop: 'red', 'force stop': 'red', 'hard stop': 'red', reset: 'red', 'hard reset': 'red',
  'node reboot': 'red', 'reboot node': 'red', 'host reboot': 'red', 'reboot host': 'red',
  'node shutdown': 'red', 'shutdown node': 'red', 'node shut down': 'red', 'shut down node': 'red', 'host shutdown': 'red', 'shutdown host': 'red',
  // black, known
  destroy: 'black', delete: 'black', remove: 'black', rm: 'black', purge: 'black', wipe: 'black',
  shell: 'black', exec: 'black', console: 'black', terminal: 'black', ssh: 'black', vnc: 'black', spice: 'black', termproxy: 'black', run: 'black',
  migrate: 'black', move: 'black', create: 'black', clone: 'black', restore: 'black', template: 'black', import: 'black',
  'config set': 'black', 'config edit': 'black', 'config write': 'black', set: 'black', edit: 'black', resize: 'black',
  snapshot: 'black', rollback: 'black', backup: 'black', vzdump: 'black',
  acl: 'black', acls: 'black', user: 'black', users: 'black', token: 'black', tokens: 'black', permission: 'black', permissions: 'black',
  role: 'black', roles: 'black', group: 'black', groups: 'black', password: 'black', passwd: 'black', realm: 'black',
  network: 'black', firewall: 'black', sdn: 'black', upgrade: 'black', update: 'black', apt: 'black', 'node upgrade': 'black', 'node update': 'black',
};

describe('classifyClusterAction', () => {
  it('puts every word of the table in its tier, and the test lists every word', () => {
    const tableWords = CLUSTER_ACTIONS.flatMap((a) => a.words);
    expect(new Set(tableWords).size).toBe(tableWords.length);
    expect([...tableWords].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [word, tier] of Object.entries(EXPECTED)) {
      const c = classifyClusterAction(word);
      expect({ word, tier: c.tier, known: c.known }).toEqual({ word, tier, known: true });
    }
  });

  it('denies unknown words by default: BLACK, marked unknown, no action attached', () => {
    for (const word of ['', 'frobnicate', 'power off', 'poweroff', 'kill', 'start now', 'status 101', 'node', 'boot', 'halt', 'wake']) {
      const c = classifyClusterAction(word);
      expect(c.tier).toBe('black');
      expect(c.known).toBe(false);
      expect(c.guestAction).toBeUndefined();
      expect(c.nodeAction).toBeUndefined();
      expect(c.needsConfirmation).toBe(false);
    }
  });

  it('normalises case, dashes, a leading slash and trailing punctuation', () => {
    expect(normaliseActionWord('  /Node_Reboot!  ')).toBe('node reboot');
    expect(normaliseActionWord('SHUT-DOWN.')).toBe('shut down');
    expect(classifyClusterAction('/START').action).toBe('start');
    expect(classifyClusterAction('Reboot-Node?').action).toBe('node reboot');
    expect(classifyClusterAction('Force  Stop').tier).toBe('red');
  });

  it('maps power words to the Proxmox action they send, with confirmation only for RED', () => {
    expect(classifyClusterAction('start')).toMatchObject({ action: 'start', guestAction: 'start', target: 'guest', needsConfirmation: false });
    expect(classifyClusterAction('restart')).toMatchObject({ action: 'reboot', guestAction: 'reboot', tier: 'yellow' });
    expect(classifyClusterAction('pause')).toMatchObject({ guestAction: 'suspend', tier: 'yellow' });
    expect(classifyClusterAction('stop')).toMatchObject({ guestAction: 'stop', tier: 'red', needsConfirmation: true });
    expect(classifyClusterAction('reset')).toMatchObject({ guestAction: 'reset', tier: 'red', needsConfirmation: true });
    expect(classifyClusterAction('reboot node')).toMatchObject({ nodeAction: 'reboot', target: 'node', tier: 'red', needsConfirmation: true });
    expect(classifyClusterAction('shutdown host')).toMatchObject({ nodeAction: 'shutdown', target: 'node', tier: 'red' });
    expect(classifyClusterAction('status').guestAction).toBeUndefined();
    expect(classifyClusterAction('delete')).toMatchObject({ action: 'destroy', tier: 'black', known: true });
    expect(classifyClusterAction('acl')).toMatchObject({ target: 'access', tier: 'black' });
  });

  it('keeps the table consistent: guest actions exist in Proxmox, RED and YELLOW always name what they send', () => {
    for (const spec of CLUSTER_ACTIONS) {
      if (spec.guestAction) expect(GUEST_ACTIONS.qemu).toContain(spec.guestAction);
      if (spec.tier === 'yellow' || spec.tier === 'red') expect(spec.guestAction ?? spec.nodeAction).toBeDefined();
      if (spec.tier === 'green' || spec.tier === 'black') expect(spec.guestAction ?? spec.nodeAction).toBeUndefined();
      if (spec.tier !== 'black') expect(spec.privilege).toBeTruthy();
      expect(spec.words[0]).toBe(normaliseActionWord(spec.words[0]!));
      for (const w of spec.words) expect(normaliseActionWord(w)).toBe(w);
    }
    // stop, reset and both node actions are the only RED ones.
    expect(CLUSTER_ACTIONS.filter((a) => a.tier === 'red').map((a) => a.action).sort()).toEqual(['node reboot', 'node shutdown', 'reset', 'stop']);
  });
});

describe('tierAllows', () => {
  it('GREEN for users and admins, YELLOW and RED for admins, BLACK for nobody, strangers nothing', () => {
    const table = (['green', 'yellow', 'red', 'black'] as const).map((tier) => [
      tier,
      tierAllows(tier, 'admin'),
      tierAllows(tier, 'user'),
      tierAllows(tier, 'stranger'),
    ]);
    expect(table).toEqual([
      ['green', true, true, false],
      ['yellow', true, false, false],
      ['red', true, false, false],
      ['black', false, false, false],
    ]);
  });

  it('asks for confirmation on RED only', () => {
    expect((['green', 'yellow', 'red', 'black'] as const).filter(tierNeedsConfirmation)).toEqual(['red']);
    expect(TIER_POLICY.red.confirm).toBe(true);
    expect(TIER_POLICY.black.roles).toEqual([]);
  });

  it('an unknown word is allowed to nobody, not even an admin', () => {
    expect(tierAllows(classifyClusterAction('rm -rf').tier, 'admin')).toBe(false);
  });
});
