import { readdirSync, readFileSync } from 'node:fs';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { channelsExpiring, FleetMetrics } from '../../src/adapters/metrics.js';
import { Simulation } from '../../src/core/simulation.js';
import { MemorySink, TeeSink, type TimelineEvent } from '../../src/core/timeline/events.js';
import { loadScenario } from '../../src/scenario/load.js';
import { fixture } from '../helpers/run-scenario.js';

// ---------------------------------------------------------------------------------------------
// A strict parser of the Prometheus text exposition format (0.0.4), for the metric types used
// here. It throws on any line that does not follow the grammar, on HELP/TYPE lines that come
// after their family's samples or twice, on families split in two, and on duplicate samples.
// ---------------------------------------------------------------------------------------------

interface Family {
  help: string | undefined;
  type: string | undefined;
  /** Sample value by canonical key: `name{a="x",b="y"}` with labels sorted. */
  samples: Map<string, number>;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL = `${LABEL_NAME}=${LABEL_VALUE}`;
const VALUE = '(?:[+-]?Inf|NaN|[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`,
);
const LABEL_PAIR = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

const unescape = (quoted: string): string =>
  quoted.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

function sampleKey(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: string | undefined;
  const enter = (name: string): Family => {
    if (current !== name) {
      if (current !== undefined) closed.add(current);
      if (closed.has(name)) throw new Error(`family ${name} is split in two`);
      current = name;
    }
    let f = families.get(name);
    if (!f) families.set(name, (f = { help: undefined, type: undefined, samples: new Map() }));
    return f;
  };
  expect(text.endsWith('\n'), 'the exposition ends with a newline').toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = HELP_LINE.exec(line))) {
      const f = enter(m[1] as string);
      if (f.help !== undefined || f.samples.size > 0) throw new Error(`misplaced HELP: ${line}`);
      f.help = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    } else if ((m = TYPE_LINE.exec(line))) {
      const f = enter(m[1] as string);
      if (f.type !== undefined || f.samples.size > 0) throw new Error(`misplaced TYPE: ${line}`);
      f.type = m[2];
    } else if (line.startsWith('#')) {
      if (line.startsWith('# HELP') || line.startsWith('# TYPE'))
        throw new Error(`malformed: ${line}`);
    } else if ((m = SAMPLE_LINE.exec(line))) {
      const name = m[1] as string;
      const f = enter(name);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(LABEL_PAIR)) {
        if ((k as string) in labels) throw new Error(`label ${k} twice: ${line}`);
        labels[k as string] = unescape(v as string);
      }
      const key = sampleKey(name, labels);
      if (f.samples.has(key)) throw new Error(`duplicate sample: ${line}`);
      const raw = m[3] as string;
      f.samples.set(
        key,
        raw.endsWith('Inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw),
      );
    } else {
      throw new Error(`not Prometheus text format: ${JSON.stringify(line)}`);
    }
  }
  return families;
}

/** Renders and parses, returning a reader of one sample (undefined when absent). */
async function scrape(metrics: FleetMetrics): Promise<{
  families: Map<string, Family>;
  value: (name: string, labels?: Record<string, string>) => number | undefined;
}> {
  const families = parseExposition(await metrics.render());
  return {
    families,
    value: (name, labels = {}) => families.get(name)?.samples.get(sampleKey(name, labels)),
  };
}

const zeroGauges = (): FleetMetrics =>
  new FleetMetrics({ connectedDevices: () => 0, channelsExpiringWithin15Days: () => 0 });

const TRIGGERS = ['push', 'renewal', 'poll', 'provisioned'] as const;
const RESULTS = ['started', 'completed', 'failed', 'skipped'] as const;
const RULES = ['fifteen-day-mark', 'within-fifteen-days', 'expired', 'no-network'] as const;
const OUTCOMES = [
  'delivered',
  'delivered_from_cache',
  'cached',
  'rejected',
  'offline',
  'ttl-expired',
  'cache-expired',
  'replaced',
  'channel-expired',
  'channel-revoked',
  'unacknowledged',
  'powered-off',
] as const;

const EXPECTED_FAMILIES: Record<string, string> = {
  dmpush_devices_connected: 'gauge',
  dmpush_channels_expiring_15d: 'gauge',
  dmpush_pushes_total: 'counter',
  dmpush_sessions_total: 'counter',
  dmpush_renewals_total: 'counter',
  dmpush_renewals_skipped_total: 'counter',
  dmpush_channel_expiries_total: 'counter',
  dmpush_channels_issued_total: 'counter',
  dmpush_channel_requests_failed_total: 'counter',
  dmpush_wns_disconnects_total: 'counter',
};

const T0 = Date.UTC(2026, 0, 1);
const URI = 'https://wns.example/?token=1';

describe('the exposition parser (self-check)', () => {
  it('accepts valid text and rejects malformed lines', () => {
    const ok = parseExposition(
      '# HELP a_total A \\\\ help\\n text.\n# TYPE a_total counter\na_total{x="q\\"uote",y="b"} 1e3\na_total 2 1700000000000\n',
    );
    expect(ok.get('a_total')?.help).toBe('A \\ help\n text.');
    expect(ok.get('a_total')?.samples.get('a_total{x="q\\"uote",y="b"}')).toBe(1000);
    for (const bad of [
      'a_total{x=unquoted} 1\n',
      'a_total 1 2 3\n',
      '1a 1\n',
      'a_total 1\n# TYPE a_total counter\n',
      '# TYPE a counter\n# TYPE a gauge\n',
      'a 1\nb 1\na 2\n',
      'a{x="1"} 1\na{x="1"} 2\n',
      '# TYPE a countr\n',
      'a 1',
    ])
      expect(() => parseExposition(bad), bad).toThrow();
  });
});

describe('FleetMetrics', () => {
  it('renders valid Prometheus text with every family typed and documented, known labels at 0', async () => {
    const metrics = zeroGauges();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const { families, value } = await scrape(metrics);
    expect(Object.fromEntries([...families].map(([n, f]) => [n, f.type]))).toEqual(
      EXPECTED_FAMILIES,
    );
    for (const [name, f] of families) {
      expect(f.help, name).toMatch(/\w.{10,}/);
      expect(name).toMatch(/^dmpush_/);
    }
    for (const trigger of TRIGGERS)
      for (const result of RESULTS)
        expect(value('dmpush_sessions_total', { trigger, result })).toBe(0);
    for (const rule of RULES) expect(value('dmpush_renewals_total', { rule })).toBe(0);
    for (const outcome of OUTCOMES) expect(value('dmpush_pushes_total', { outcome })).toBe(0);
    for (const reason of [
      'no-network',
      'no-internet',
      'wns-unreachable',
      'invalid-pfn',
      'pfn-blocked',
    ])
      expect(value('dmpush_channel_requests_failed_total', { reason })).toBe(0);
    for (const reason of ['battery-saver', 'cloud', 'channel-expired', 'no-channel', 'reboot'])
      expect(value('dmpush_wns_disconnects_total', { reason })).toBe(0);
    expect(families.get('dmpush_sessions_total')?.samples.size).toBe(24);
    expect(families.get('dmpush_pushes_total')?.samples.size).toBe(OUTCOMES.length);
    expect(value('dmpush_renewals_skipped_total')).toBe(0);
    expect(value('dmpush_channel_expiries_total')).toBe(0);
    expect(value('dmpush_channels_issued_total')).toBe(0);
  });

  it('moves its counters with hand-built timeline events', async () => {
    const metrics = zeroGauges();
    const events: TimelineEvent[] = [
      { time: T0, device: 'd1', type: 'session.started', trigger: 'poll' },
      { time: T0, device: 'd1', type: 'session.completed', trigger: 'poll' },
      { time: T0, device: 'd1', type: 'session.started', trigger: 'push' },
      { time: T0, device: 'd1', type: 'session.failed', trigger: 'push', reason: 'HTTP 500' },
      { time: T0, device: 'd2', type: 'session.skipped', trigger: 'renewal', reason: 'data-sense' },
      { time: T0, device: 'd2', type: 'session.queued', trigger: 'poll' },
      {
        time: T0,
        device: 'd1',
        type: 'renewal.scheduled',
        os: '1607',
        rule: 'within-fifteen-days',
        at: T0 + 1,
        earliest: T0,
        latest: T0 + 2,
      },
      { time: T0, device: 'd1', type: 'renewal.skipped', reason: 'no-network' },
      {
        time: T0,
        device: 'd1',
        type: 'push.received',
        msgId: 'm1',
        channelUri: URI,
        cached: false,
        priority: 3,
      },
      {
        time: T0,
        device: 'd1',
        type: 'push.received',
        msgId: 'm2',
        channelUri: URI,
        cached: true,
        priority: 3,
      },
      {
        time: T0,
        device: null,
        type: 'push.cached',
        msgId: 'm3',
        channelUri: URI,
        expiresAt: null,
      },
      {
        time: T0,
        device: null,
        type: 'push.dropped',
        msgId: 'm4',
        channelUri: URI,
        reason: 'replaced',
      },
      {
        time: T0,
        device: null,
        type: 'push.dropped',
        msgId: 'm5',
        channelUri: URI,
        reason: 'replaced',
      },
      {
        time: T0,
        device: null,
        type: 'push.rejected',
        channelUri: null,
        status: 0,
        reason: 'no channel',
      },
      {
        time: T0,
        device: null,
        type: 'push.sent',
        msgId: 'm1',
        channelUri: URI,
        status: 200,
        cachePolicy: 'cache',
        ttlSeconds: 3600,
      },
      { time: T0, device: 'd1', type: 'channel.issued', channelUri: URI, expiresAt: T0 + 1 },
      { time: T0, device: 'd1', type: 'channel.expired', channelUri: URI },
      { time: T0, device: 'd1', type: 'channel.request-failed', reason: 'wns-unreachable' },
      { time: T0, device: 'd1', type: 'wns.disconnected', reason: 'cloud' },
      { time: T0, device: 'd1', type: 'wns.connected' },
    ];
    for (const e of events) metrics.emit(e);
    const { value, families } = await scrape(metrics);
    expect(value('dmpush_sessions_total', { trigger: 'poll', result: 'started' })).toBe(1);
    expect(value('dmpush_sessions_total', { trigger: 'poll', result: 'completed' })).toBe(1);
    expect(value('dmpush_sessions_total', { trigger: 'push', result: 'started' })).toBe(1);
    expect(value('dmpush_sessions_total', { trigger: 'push', result: 'failed' })).toBe(1);
    expect(value('dmpush_sessions_total', { trigger: 'push', result: 'completed' })).toBe(0);
    expect(value('dmpush_sessions_total', { trigger: 'renewal', result: 'skipped' })).toBe(1);
    expect(value('dmpush_renewals_total', { rule: 'within-fifteen-days' })).toBe(1);
    expect(value('dmpush_renewals_total', { rule: 'fifteen-day-mark' })).toBe(0);
    expect(value('dmpush_renewals_skipped_total')).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'delivered' })).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'delivered_from_cache' })).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'cached' })).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'replaced' })).toBe(2);
    expect(value('dmpush_pushes_total', { outcome: 'rejected' })).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'offline' })).toBe(0);
    expect(value('dmpush_channels_issued_total')).toBe(1);
    expect(value('dmpush_channel_expiries_total')).toBe(1);
    expect(value('dmpush_channel_requests_failed_total', { reason: 'wns-unreachable' })).toBe(1);
    expect(value('dmpush_wns_disconnects_total', { reason: 'cloud' })).toBe(1);
    // Ignored event types add no samples.
    expect(families.get('dmpush_sessions_total')?.samples.size).toBe(24);
    expect(families.get('dmpush_pushes_total')?.samples.size).toBe(OUTCOMES.length);
  });

  it('reads the gauges through their callbacks at scrape time, not before', async () => {
    let connected = 3;
    let expiring = 1;
    const calls = { connected: 0, expiring: 0 };
    const metrics = new FleetMetrics({
      connectedDevices: () => (calls.connected++, connected),
      channelsExpiringWithin15Days: () => (calls.expiring++, expiring),
    });
    metrics.emit({ time: T0, device: 'd', type: 'session.started', trigger: 'poll' });
    expect(calls).toEqual({ connected: 0, expiring: 0 });

    let s = await scrape(metrics);
    expect(calls).toEqual({ connected: 1, expiring: 1 });
    expect(s.value('dmpush_devices_connected')).toBe(3);
    expect(s.value('dmpush_channels_expiring_15d')).toBe(1);

    connected = 0;
    expiring = 7;
    s = await scrape(metrics);
    expect(calls).toEqual({ connected: 2, expiring: 2 });
    expect(s.value('dmpush_devices_connected')).toBe(0);
    expect(s.value('dmpush_channels_expiring_15d')).toBe(7);
  });

  it('keeps two instances independent, and off the global registry', async () => {
    const a = new FleetMetrics({
      connectedDevices: () => 1,
      channelsExpiringWithin15Days: () => 0,
    });
    const b = new FleetMetrics({
      connectedDevices: () => 2,
      channelsExpiringWithin15Days: () => 0,
    });
    a.emit({ time: T0, device: 'x', type: 'session.started', trigger: 'renewal' });
    a.emit({ time: T0, device: 'x', type: 'channel.issued', channelUri: URI, expiresAt: T0 });
    b.emit({ time: T0, device: 'y', type: 'wns.disconnected', reason: 'reboot' });
    const [sa, sb] = [await scrape(a), await scrape(b)];
    expect(sa.value('dmpush_sessions_total', { trigger: 'renewal', result: 'started' })).toBe(1);
    expect(sb.value('dmpush_sessions_total', { trigger: 'renewal', result: 'started' })).toBe(0);
    expect(sa.value('dmpush_channels_issued_total')).toBe(1);
    expect(sb.value('dmpush_channels_issued_total')).toBe(0);
    expect(sa.value('dmpush_wns_disconnects_total', { reason: 'reboot' })).toBe(0);
    expect(sb.value('dmpush_wns_disconnects_total', { reason: 'reboot' })).toBe(1);
    expect(sa.value('dmpush_devices_connected')).toBe(1);
    expect(sb.value('dmpush_devices_connected')).toBe(2);
    expect(globalRegistry.getSingleMetric('dmpush_sessions_total')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Real simulations on the virtual clock, with the metrics as (part of) the sink.
// ---------------------------------------------------------------------------------------------

const DAY = 86_400_000;

function simulate(file: string): {
  sim: Simulation;
  memory: MemorySink;
  metrics: FleetMetrics;
} {
  const spec = loadScenario(readFileSync(fixture(file), 'utf8'), {}, file);
  const memory = new MemorySink();
  // The callbacks run at scrape time only, once `sim` exists.
  const snapshots = (): ReturnType<Simulation['snapshots']> => sim.snapshots();
  const metrics: FleetMetrics = new FleetMetrics({
    connectedDevices: (): number => snapshots().filter((s) => s.wnsConnected).length,
    channelsExpiringWithin15Days: (): number =>
      snapshots().filter(
        (s) => s.channelExpiresAt !== null && s.channelExpiresAt - sim.clock.now() <= 15 * DAY,
      ).length,
  });
  const sim: Simulation = new Simulation(spec, new TeeSink([memory, metrics]));
  return { sim, memory, metrics };
}

/** What each metric should read, counted independently from the recorded events. */
function expectedCounts(events: readonly TimelineEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string, labels: Record<string, string> = {}): void => {
    const key = sampleKey(name, labels);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const e of events) {
    if (e.type === 'push.received')
      add('dmpush_pushes_total', { outcome: e.cached ? 'delivered_from_cache' : 'delivered' });
    else if (e.type === 'push.cached') add('dmpush_pushes_total', { outcome: 'cached' });
    else if (e.type === 'push.dropped') add('dmpush_pushes_total', { outcome: e.reason });
    else if (e.type === 'push.rejected') add('dmpush_pushes_total', { outcome: 'rejected' });
    else if (e.type.startsWith('session.') && e.type !== 'session.queued' && 'trigger' in e)
      add('dmpush_sessions_total', { trigger: e.trigger, result: e.type.slice('session.'.length) });
    else if (e.type === 'renewal.scheduled') add('dmpush_renewals_total', { rule: e.rule });
    else if (e.type === 'renewal.skipped') add('dmpush_renewals_skipped_total');
    else if (e.type === 'channel.expired') add('dmpush_channel_expiries_total');
    else if (e.type === 'channel.issued') add('dmpush_channels_issued_total');
    else if (e.type === 'channel.request-failed')
      add('dmpush_channel_requests_failed_total', { reason: e.reason });
    else if (e.type === 'wns.disconnected')
      add('dmpush_wns_disconnects_total', { reason: e.reason });
  }
  return counts;
}

describe('FleetMetrics as the sink of a simulation', () => {
  const demos = readdirSync(fixture('fixtures/demos')).filter((f) => f.endsWith('.yaml'));

  it.each(demos)('counts every event of demo %s', async (demo) => {
    const { sim, memory, metrics } = simulate(`fixtures/demos/${demo}`);
    sim.run();
    const { families } = await scrape(metrics);
    const expected = expectedCounts(memory.events);
    expect(expected.size).toBeGreaterThan(0);
    for (const f of families.values()) {
      if (f.type !== 'counter') continue;
      for (const [key, v] of f.samples) expect(v, `${demo}: ${key}`).toBe(expected.get(key) ?? 0);
    }
    for (const [key] of expected)
      expect(
        [...families.values()].some((f) => f.samples.has(key)),
        `${demo}: ${key} is exported`,
      ).toBe(true);
  });

  it('counts sessions by trigger and renewals by rule as a 1607 device renews on day 15', async () => {
    const { sim, metrics } = simulate('fixtures/demos/01-renewal-day-15.yaml');
    sim.run();
    const { value } = await scrape(metrics);
    expect(value('dmpush_sessions_total', { trigger: 'provisioned', result: 'started' })).toBe(1);
    expect(value('dmpush_sessions_total', { trigger: 'provisioned', result: 'completed' })).toBe(1);
    expect(value('dmpush_sessions_total', { trigger: 'renewal', result: 'started' })).toBe(2);
    expect(value('dmpush_sessions_total', { trigger: 'renewal', result: 'completed' })).toBe(2);
    expect(value('dmpush_sessions_total', { trigger: 'poll', result: 'started' })).toBeGreaterThan(
      0,
    );
    expect(value('dmpush_renewals_total', { rule: 'fifteen-day-mark' })).toBe(3);
    expect(value('dmpush_renewals_total', { rule: 'within-fifteen-days' })).toBe(0);
    expect(value('dmpush_channels_issued_total')).toBe(3);
  });

  it('counts pushes by outcome under Battery Saver (dropped, cached, delivered from cache)', async () => {
    const { sim, metrics } = simulate('fixtures/demos/05-battery-saver.yaml');
    sim.run();
    const { value } = await scrape(metrics);
    expect(value('dmpush_pushes_total', { outcome: 'offline' })).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'ttl-expired' })).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'cached' })).toBe(2);
    expect(value('dmpush_pushes_total', { outcome: 'delivered_from_cache' })).toBe(1);
    expect(value('dmpush_pushes_total', { outcome: 'delivered' })).toBe(0);
    expect(value('dmpush_sessions_total', { trigger: 'push', result: 'completed' })).toBe(1);
    expect(value('dmpush_wns_disconnects_total', { reason: 'battery-saver' })).toBe(1);
  });

  it('counts renewals by rule, failed requests and an expiry for a 1511 device offline across expiry', async () => {
    const { sim, metrics } = simulate('fixtures/demos/02-offline-across-expiry-1511.yaml');
    sim.run();
    const { value } = await scrape(metrics);
    expect(value('dmpush_renewals_total', { rule: 'within-fifteen-days' })).toBeGreaterThan(0);
    expect(value('dmpush_renewals_total', { rule: 'expired' })).toBeGreaterThan(0);
    expect(value('dmpush_channel_expiries_total')).toBe(1);
    expect(value('dmpush_channel_requests_failed_total', { reason: 'no-network' })).toBeGreaterThan(
      0,
    );
    expect(value('dmpush_sessions_total', { trigger: 'poll', result: 'skipped' })).toBeGreaterThan(
      0,
    );
  });

  it('reads the fleet state at scrape time while the simulation runs', async () => {
    // Offline from day 10 to day 40; its channel expires on day 30 and is renewed once back.
    const { sim, metrics } = simulate('fixtures/demos/02-offline-across-expiry-1511.yaml');
    const start = sim.spec.start;
    const at = async (
      day: number,
    ): Promise<{ connected: number | undefined; expiring: number | undefined }> => {
      sim.run(start + day * DAY);
      const { value } = await scrape(metrics);
      return {
        connected: value('dmpush_devices_connected'),
        expiring: value('dmpush_channels_expiring_15d'),
      };
    };
    expect(await scrape(metrics).then((s) => s.value('dmpush_devices_connected'))).toBe(0);
    expect(await at(1)).toEqual({ connected: 1, expiring: 0 });
    expect(await at(20)).toEqual({ connected: 0, expiring: 1 });
    expect(await at(35)).toEqual({ connected: 0, expiring: 1 });
    expect(await at(41)).toEqual({ connected: 1, expiring: 0 });
  });
});

describe('channelsExpiring', () => {
  it('counts valid channels with 15 days or less left; not expired ones, nor devices without one', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    const day = 86_400_000;
    const at = (ms: number | null) => ({ channelExpiresAt: ms });
    expect(
      channelsExpiring(
        [at(now + 15 * day), at(now + 1), at(now + 15 * day + 1), at(now), at(now - day), at(null)],
        now,
      ),
    ).toBe(2);
  });
});
