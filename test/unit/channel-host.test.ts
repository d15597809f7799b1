import { describe, expect, it } from 'vitest';
import { checkChannelHost } from '../../src/mdm-server/channel-host.js';

const EMULATOR = 'http://127.0.0.1:8080';

describe('checkChannelHost: the reference server sends only to WNS hosts', () => {
  it.each([
    'https://db5.notify.windows.com/?token=AwYAAAB1',
    'https://cloud.notify.windows.com/?token=AQE%bU%2fSjZOCvRjjpILow%3d%3d',
    'https://notify.windows.com/?token=x',
    'https://a.b.notify.windows.com/?token=x',
    'HTTPS://DB5.NOTIFY.WINDOWS.COM/?token=x',
    'https://db5.notify.windows.com:443/?token=x',
  ])('accepts %s (WNS: https on notify.windows.com or a subdomain)', (uri) => {
    expect(checkChannelHost(uri, [])).toEqual({ ok: true });
  });

  it.each([
    ['http://db5.notify.windows.com/?token=x', 'http://db5.notify.windows.com'],
    ['https://db5.notify.windows.com:8443/?token=x', 'https://db5.notify.windows.com:8443'],
    ['https://notify.windows.com.evil.example/?token=x', 'https://notify.windows.com.evil.example'],
    ['https://evilnotify.windows.com/?token=x', 'https://evilnotify.windows.com'],
    ['https://windows.com/?token=x', 'https://windows.com'],
    ['http://127.0.0.1:8081/?token=x', 'http://127.0.0.1:8081'],
    ['https://127.0.0.1:8080/?token=x', 'https://127.0.0.1:8080'],
    ['http://localhost:8080/?token=x', 'http://localhost:8080'],
  ])('refuses %s, naming its origin %s and not the token', (uri, origin) => {
    const check = checkChannelHost(uri, [EMULATOR]);
    expect(check).toMatchObject({ ok: false, origin });
    const reason = check.ok ? '' : check.reason;
    expect(reason).toBe(
      `${origin} is not a WNS host: a ChannelURI must be https on notify.windows.com or a ` +
        `subdomain, port 443, or the WNS emulator's ${EMULATOR}`,
    );
    expect(reason).not.toContain('token=');
  });

  it('refuses user information, and text that is not a URL', () => {
    expect(checkChannelHost('https://me:pw@db5.notify.windows.com/?token=x', [])).toEqual({
      ok: false,
      origin: 'https://db5.notify.windows.com',
      reason: 'https://db5.notify.windows.com: a ChannelURI carries no user information',
    });
    // The host is what follows the @: a Microsoft name before it changes nothing.
    expect(checkChannelHost('https://db5.notify.windows.com@evil.example/?token=x', [])).toEqual({
      ok: false,
      origin: 'https://evil.example',
      reason: 'https://evil.example: a ChannelURI carries no user information',
    });
    expect(checkChannelHost('not a uri', [])).toEqual({
      ok: false,
      origin: null,
      reason: 'the ChannelURI is not a URL',
    });
  });

  it("accepts the configured emulator's origin exactly (given as an origin or any URL on it)", () => {
    const uri = 'http://127.0.0.1:8080/?token=AwYAAAB1';
    expect(checkChannelHost(uri, [EMULATOR])).toEqual({ ok: true });
    expect(checkChannelHost(uri, ['http://127.0.0.1:8080/accesstoken.srf'])).toEqual({ ok: true });
    expect(checkChannelHost(uri, [])).toMatchObject({ ok: false });
    expect(checkChannelHost(uri, ['http://127.0.0.1:80'])).toMatchObject({ ok: false });
  });
});
