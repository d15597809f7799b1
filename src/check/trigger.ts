/**
 * How `dmpush check` makes the server push to a device: most servers push only when they have
 * something to send, so the user says how to give them something (decision 0015).
 * - `--trigger-cmd "CMD"`: a shell command, with the device's DevId and ChannelURI in
 *   `DMPUSH_DEVICE_ID` and `DMPUSH_CHANNEL_URI` (`{deviceId}` and `{channelUri}` in the command
 *   stand for them; `../adapters/shell/template-command.ts`); exit status 0 is success.
 * - `--trigger-url "METHOD URL"`: one HTTP request, the placeholders URL-encoded; a 2xx answer
 *   is success.
 * - the reference server's own push, when the run checks it.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { runTemplateCommand } from '../adapters/shell/template-command.js';
import { UsageError } from '../cli/io.js';

/** The device a trigger is for. */
export interface TriggerTarget {
  /** Its DevId, as the server knows it. */
  readonly devId: string;
  /** The ChannelURI the device holds ('' when none). */
  readonly channelUri: string;
}

/** How a trigger went. */
export interface TriggerOutcome {
  readonly ok: boolean;
  /** One line: the command's failure, the HTTP status. */
  readonly detail: string;
  /** Real milliseconds it took. */
  readonly realMs: number;
}

/** Makes the server queue a push for a device. Never rejects. */
export type Trigger = (target: TriggerTarget) => Promise<TriggerOutcome>;

/** A trigger from an async step that throws on failure, timed. */
function timed(describe: string, step: (t: TriggerTarget) => Promise<string>): Trigger {
  return async (target) => {
    const began = performance.now();
    const realMs = (): number => Math.round(performance.now() - began);
    try {
      const detail = await step(target);
      return { ok: true, detail: `${describe}: ${detail}`, realMs: realMs() };
    } catch (error) {
      return { ok: false, detail: `${describe}: ${(error as Error).message}`, realMs: realMs() };
    }
  };
}

/** `--trigger-cmd`: runs `template` with the device's values. */
export function commandTrigger(template: string, timeoutMs: number): Trigger {
  if (template.trim() === '') throw new UsageError('--trigger-cmd: the command is empty');
  return timed('trigger command', async (t) => {
    await runTemplateCommand(
      template,
      { deviceId: t.devId, channelUri: t.channelUri },
      { what: 'the trigger command', timeoutMs },
    );
    return 'exit 0';
  });
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** `--trigger-url "METHOD URL"`: checked now (a usage error names what is wrong), sent per trigger. */
export function urlTrigger(spec: string, timeoutMs: number): Trigger {
  const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(spec);
  const method = match?.[1]?.toUpperCase() ?? '';
  const template = match?.[2] ?? '';
  if (!match || !METHODS.includes(method))
    throw new UsageError(
      `--trigger-url: expected "METHOD URL" with METHOD one of ${METHODS.join(', ')}, got ${JSON.stringify(spec)}`,
    );
  if (!/^https?:\/\/[^/]/i.test(fillUrl(template, { devId: 'x', channelUri: 'x' })))
    throw new UsageError(`--trigger-url: expected an http(s) URL, got ${JSON.stringify(template)}`);
  return timed(`trigger ${method}`, async (t) => {
    const res = await fetch(fillUrl(template, t), {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    }).catch((error: Error & { cause?: { code?: string } }) => {
      const why = error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : undefined;
      throw new Error(why ?? error.cause?.code ?? error.message);
    });
    await res.arrayBuffer();
    if (res.status < 200 || res.status > 299) throw new Error(`answered HTTP ${res.status}`);
    return `HTTP ${res.status}`;
  });
}

/** The URL with `{deviceId}` and `{channelUri}` replaced, URL-encoded. */
function fillUrl(template: string, t: TriggerTarget): string {
  return template
    .replaceAll('{deviceId}', encodeURIComponent(t.devId))
    .replaceAll('{channelUri}', encodeURIComponent(t.channelUri));
}

/** The reference server's own push: what its operators would call (`dmpush check` without `--mdm-url`). */
export function referenceTrigger(reference: {
  push(devId: string): Promise<{ readonly outcome: string }>;
}): Trigger {
  return timed('reference server push', async (t) => (await reference.push(t.devId)).outcome);
}
